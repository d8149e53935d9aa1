/**
 * Authorization server metadata (RFC 8414) and OpenID Connect Discovery 1.0: what a client library
 * needs to talk to Mercado, listing exactly what is implemented. Built once: it depends on the
 * configuration only.
 */
import { Elysia, t } from 'elysia'
import { API_SCOPES } from '../core/domain'

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
    token_endpoint: `${issuer}/auth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    registration_endpoint: `${issuer}/clients`,
    introspection_endpoint: `${issuer}/auth/introspect`,
    revocation_endpoint: `${issuer}/auth/revoke`,
    // The scopes a token can be granted today; the OpenID Connect ones come with the sign-in flow.
    scopes_supported: [...API_SCOPES],
    // No authorization endpoint yet (the sign-in flow): no response type is served.
    response_types_supported: [],
    grant_types_supported: ['client_credentials', 'refresh_token', ...(passwordGrant ? ['password'] : [])],
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
  // OpenID Connect Discovery requires these two; they describe the ID tokens of the sign-in flow.
  const openid = {
    ...metadata,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
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
