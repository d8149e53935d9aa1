/**
 * Authorization server metadata (RFC 8414) and OpenID Connect Discovery 1.0: what a client library
 * needs to talk to Mercado, listing exactly what is implemented. Built once: it depends on the
 * configuration only.
 */
import { Elysia, t } from 'elysia'
import { API_SCOPES, OIDC_SCOPES } from '../core/domain'

export interface DiscoveryOptions {
  /** `PUBLIC_URL`: the issuer. */
  issuer: string
  passwordGrant: boolean
}

/** Clients may authenticate at the token endpoint with these (`none`: public clients, by `client_id`). */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none']

/** The RFC 8414 metadata document. */
export function authorizationServerMetadata({ issuer, passwordGrant }: DiscoveryOptions) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/auth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    registration_endpoint: `${issuer}/clients`,
    introspection_endpoint: `${issuer}/auth/introspect`,
    revocation_endpoint: `${issuer}/auth/revoke`,
    scopes_supported: [...OIDC_SCOPES, ...API_SCOPES],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [
      'authorization_code',
      'client_credentials',
      'refresh_token',
      ...(passwordGrant ? ['password'] : []),
    ],
    // PKCE is required, and only S256 (RFC 9700 section 2.1.1).
    code_challenge_methods_supported: ['S256'],
    // Every authorization response names its issuer (RFC 9207).
    authorization_response_iss_parameter_supported: true,
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    // Introspection is for confidential clients only.
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    service_documentation: `${issuer}/swagger`,
  }
}

const Metadata = t.Record(t.String(), t.Unknown(), {
  description: 'RFC 8414 authorization server metadata',
})

/** `GET /.well-known/oauth-authorization-server` and `GET /.well-known/openid-configuration` (public). */
export const discoveryRoutes = (options: DiscoveryOptions) => {
  const metadata = authorizationServerMetadata(options)
  const { issuer } = options
  const openid = {
    ...metadata,
    userinfo_endpoint: `${issuer}/userinfo`,
    end_session_endpoint: `${issuer}/logout`,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'at_hash',
      'azp',
      'sid',
      'preferred_username',
      'name',
      'updated_at',
      'email',
      'email_verified',
    ],
    prompt_values_supported: ['none', 'login', 'consent'],
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_parameter_supported: false,
  }
  const cache = (set: { headers: Record<string, unknown> }) => {
    set.headers['cache-control'] = 'public, max-age=3600'
  }
  return new Elysia({ tags: ['auth'] })
    .get(
      '/.well-known/oauth-authorization-server',
      ({ set }) => {
        cache(set)
        return metadata
      },
      {
        response: { 200: Metadata },
        detail: {
          summary: 'Authorization server metadata (RFC 8414)',
          operationId: 'getAuthorizationServerMetadata',
        },
      },
    )
    .get(
      '/.well-known/openid-configuration',
      ({ set }) => {
        cache(set)
        return openid
      },
      {
        response: { 200: Metadata },
        detail: { summary: 'OpenID Connect Discovery 1.0', operationId: 'getOpenIdConfiguration' },
      },
    )
}
