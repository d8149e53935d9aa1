import { type Static, t } from 'elysia'
import {
  CLIENT_AUTH_METHODS,
  CLIENT_NAME_MAX,
  GRANT_TYPES,
  REDIRECT_URI_MAX,
  REDIRECT_URIS_MAX,
  SCOPES,
} from '../core/domain'
import { Integer, lenientQuery, pageOf, pagingQuery, Text } from '../http/schemas'
import type { ClientRecord } from '../store/types'

/** One of `values`, typed as their union (`Unsafe` gives the union of literals its static type). */
const oneOf = <const V extends string>(values: readonly V[], description: string) =>
  t.Unsafe<V>(
    t.Union(
      values.map((value) => t.Literal(value)),
      { description, error: `must be one of ${values.join(', ')}` },
    ),
  )

const RedirectUris = (what: string) =>
  t.Array(
    Text({
      minLength: 1,
      maxLength: REDIRECT_URI_MAX,
      error: `must be URLs of 1 to ${REDIRECT_URI_MAX} characters`,
    }),
    {
      maxItems: REDIRECT_URIS_MAX,
      error: `must be at most ${REDIRECT_URIS_MAX} URLs`,
      description: `${what}: absolute URLs without a fragment, https (http only on localhost, 127.0.0.1 or [::1]); matched exactly`,
      examples: [['https://app.example.com/callback']],
    },
  )

/**
 * The client metadata of RFC 7591 section 2 that Mercado keeps, as registration (`POST /clients`)
 * and replacement (`PUT /clients/{client_id}`) take it. Fields it does not know are ignored, as
 * section 2 requires, and so are the ones the server assigns (`client_id`, `client_secret`...).
 */
export const ClientMetadata = t.Object(
  {
    client_name: Text({
      minLength: 1,
      maxLength: CLIENT_NAME_MAX,
      pattern: '\\S',
      error: `must be 1 to ${CLIENT_NAME_MAX} characters, not only spaces`,
      description: 'Shown to users on the consent screen; trimmed',
      examples: ['Shop analytics'],
    }),
    redirect_uris: t.Optional(
      RedirectUris('Where the authorization code may be sent; required with `authorization_code`'),
    ),
    post_logout_redirect_uris: t.Optional(RedirectUris('Where a signed-out user may be sent')),
    grant_types: t.Optional(
      t.Array(oneOf(GRANT_TYPES, 'A grant type'), {
        minItems: 1,
        maxItems: GRANT_TYPES.length * 2,
        error: `must be a non-empty list of ${GRANT_TYPES.join(', ')}`,
        description: `Default ["authorization_code"]. \`client_credentials\` needs a confidential client; \`refresh_token\` needs \`authorization_code\` or \`password\``,
      }),
    ),
    response_types: t.Optional(
      t.Array(t.Literal('code'), {
        maxItems: 1,
        error: 'must be ["code"] or []',
        description:
          '["code"] exactly when `grant_types` has `authorization_code` (RFC 7591 section 2.1); derived when left out',
      }),
    ),
    scope: t.Optional(
      t.String({
        maxLength: 1000,
        error: 'must be a string of space-separated scopes',
        description: `Space-separated scopes the client may ask for, of: ${SCOPES.join(' ')}. Default: \`openid profile email\` with \`authorization_code\`, else none`,
        examples: ['openid profile products:read'],
      }),
    ),
    token_endpoint_auth_method: t.Optional(
      oneOf(
        CLIENT_AUTH_METHODS,
        'Default `client_secret_basic`; `none` is a public client (PKCE, no secret). Cannot switch between `none` and a secret method later',
      ),
    ),
    first_party: t.Optional(
      t.Boolean({
        error: 'must be true or false',
        description: 'A first-party client skips consent; default false',
      }),
    ),
  },
  { additionalProperties: true },
)

/** A registered client as admins read it: never the secret or its hash. */
export const Client = t.Object({
  client_id: t.String({ examples: ['pD1x0e5mYbqk9Yd3yq2nVw'] }),
  client_name: t.String(),
  redirect_uris: t.Array(t.String()),
  post_logout_redirect_uris: t.Array(t.String()),
  grant_types: t.Array(t.String()),
  response_types: t.Array(t.String()),
  scope: t.String({ description: 'Space-separated' }),
  token_endpoint_auth_method: t.String(),
  first_party: t.Boolean(),
  client_id_issued_at: Integer({ description: 'Seconds since the epoch' }),
})
export type Client = Static<typeof Client>

/** The registration answer (RFC 7591 section 3.2.1): the client, and its secret this once. */
export const RegisteredClient = t.Composite([
  Client,
  t.Object({
    client_secret: t.Optional(t.String({ description: 'Confidential clients only; shown this once' })),
    client_secret_expires_at: t.Optional(Integer({ description: '0: the secret does not expire' })),
  }),
])

/** A new secret, after a rotation: the old one no longer works. */
export const ClientSecret = t.Object({
  client_id: t.String(),
  client_secret: t.String({ description: 'Shown this once' }),
  client_secret_expires_at: Integer({ description: '0: the secret does not expire' }),
})

export const ClientPage = pageOf(Client)

/** RFC 7591 section 3.2.2: what is wrong with the metadata. */
export const ClientMetadataError = t.Object(
  {
    error: t.Union([t.Literal('invalid_redirect_uri'), t.Literal('invalid_client_metadata')]),
    error_description: t.String(),
  },
  { description: 'RFC 7591 section 3.2.2 error response' },
)

/** `{client_id}` in a path: base64url, as every id this service issues. */
export const ClientIdParams = t.Object({
  client_id: t.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', error: 'must be a client id (base64url)' }),
})

export const ClientListQuery = t.Object(pagingQuery, lenientQuery)

/** The schemas the OpenAPI document names, as Elysia reference models: routes use them by name. */
export const clientModels = {
  Client,
  ClientPage,
  ClientMetadata,
  RegisteredClient,
  ClientSecret,
  ClientMetadataError,
}

export type ClientMetadataInput = Static<typeof ClientMetadata>

/** The public view of a stored client. */
export const publicClient = (c: ClientRecord): Client => ({
  client_id: c.clientId,
  client_name: c.name,
  redirect_uris: c.redirectUris,
  post_logout_redirect_uris: c.postLogoutRedirectUris,
  grant_types: c.grantTypes,
  response_types: c.responseTypes,
  scope: c.scopes.join(' '),
  token_endpoint_auth_method: c.tokenEndpointAuthMethod,
  first_party: c.firstParty,
  client_id_issued_at: Math.floor(c.createdAt.getTime() / 1000),
})
