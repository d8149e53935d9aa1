import { t } from 'elysia'
import { LOGIN_MAX, PASSWORD_MAX } from '../core/domain'
import { OAuthErrorSchema } from '../http/problem'
import { Integer, Text } from '../http/schemas'

/**
 * The password grant's fields. A missing or malformed one is an OAuth2 `invalid_request` (RFC 6749
 * section 5.2); parameters we do not know are ignored, as section 3.2 requires.
 */
export const LoginForm = t.Object(
  {
    grant_type: t.Optional(
      t.Literal('password', { description: 'Required in a form; may be left out in JSON' }),
    ),
    username: Text({
      maxLength: LOGIN_MAX,
      error: `must be at most ${LOGIN_MAX} characters`,
      description: 'Username or email',
      examples: ['ada_lovelace'],
    }),
    password: Text({
      maxLength: PASSWORD_MAX,
      error: `must be at most ${PASSWORD_MAX} characters`,
      examples: ['correct horse battery'],
    }),
    scope: t.Optional(
      t.String({ description: 'Space-separated API scopes; default: all the client may have' }),
    ),
    client_id: t.Optional(
      t.String({ description: 'A registered client (default: the built-in docs client)' }),
    ),
    client_secret: t.Optional(t.String({ description: 'For `client_secret_post` clients' })),
  },
  { additionalProperties: true },
)

export const RefreshForm = t.Object(
  {
    refresh_token: Text({
      minLength: 1,
      maxLength: 512,
      error: 'must be 1 to 512 characters',
      description: 'The refresh token of the last pair',
    }),
    grant_type: t.Optional(t.Literal('refresh_token')),
    scope: t.Optional(t.String({ description: 'Fewer scopes than the token was granted' })),
    client_id: t.Optional(t.String({ description: 'The client the token was issued to' })),
    client_secret: t.Optional(t.String({ description: 'For `client_secret_post` clients' })),
  },
  { additionalProperties: true },
)

/**
 * `POST /auth/token`: which fields a grant needs depends on `grant_type`, and a missing one is
 * `invalid_request` (checked by the route, RFC 6749 section 5.2), so every field is optional here.
 */
export const TokenForm = t.Object(
  {
    grant_type: t.String({
      description: '`authorization_code`, `client_credentials`, `refresh_token` or `password`',
      examples: ['client_credentials'],
    }),
    scope: t.Optional(t.String({ description: 'Space-separated API scopes' })),
    username: t.Optional(t.String({ maxLength: LOGIN_MAX, description: 'password grant' })),
    password: t.Optional(t.String({ maxLength: PASSWORD_MAX, description: 'password grant' })),
    refresh_token: t.Optional(t.String({ maxLength: 512, description: 'refresh_token grant' })),
    code: t.Optional(t.String({ maxLength: 512, description: 'authorization_code grant' })),
    redirect_uri: t.Optional(
      t.String({ maxLength: 2000, description: 'authorization_code grant: as in the authorization request' }),
    ),
    code_verifier: t.Optional(
      t.String({ maxLength: 128, description: 'authorization_code grant: the PKCE verifier (RFC 7636)' }),
    ),
    client_id: t.Optional(t.String()),
    client_secret: t.Optional(t.String()),
  },
  { additionalProperties: true },
)

/** The body of introspection (RFC 7662) and revocation (RFC 7009) requests. */
export const TokenParameter = t.Object(
  {
    // Ours are under 1,500 characters; 2048 fits the route's body limit even fully percent-encoded.
    token: t.String({ minLength: 1, maxLength: 2048, description: 'An access token or a refresh token' }),
    token_type_hint: t.Optional(t.String({ description: '`access_token` or `refresh_token`; not needed' })),
    client_id: t.Optional(t.String()),
    client_secret: t.Optional(t.String()),
  },
  { additionalProperties: true },
)

/** RFC 7662 section 2.2. */
export const Introspection = t.Object(
  {
    active: t.Boolean(),
    scope: t.Optional(t.String()),
    client_id: t.Optional(t.String()),
    username: t.Optional(t.String()),
    token_type: t.Optional(t.String({ examples: ['Bearer'] })),
    exp: t.Optional(Integer()),
    iat: t.Optional(Integer()),
    sub: t.Optional(t.String()),
    aud: t.Optional(t.Union([t.String(), t.Array(t.String())])),
    iss: t.Optional(t.String()),
    jti: t.Optional(t.String()),
  },
  { additionalProperties: false },
)

export const TokenResponse = t.Object({
  access_token: t.String({ description: 'JWT (RS256, RFC 9068); send as "Authorization: Bearer <token>"' }),
  token_type: t.Literal('bearer'),
  expires_in: Integer({ description: 'Seconds until the access token expires', examples: [900] }),
  refresh_token: t.Optional(
    t.String({
      description: 'Opaque; single use: each refresh returns a new one. None for client_credentials',
    }),
  ),
  scope: t.String({
    description: 'The granted scopes, space-separated',
    examples: ['products:write users:read'],
  }),
  id_token: t.Optional(
    t.String({ description: 'The ID token (OpenID Connect): the authorization code grant with `openid`' }),
  ),
})

/** The schemas the OpenAPI document names, as Elysia reference models: routes use them by name. */
export const authModels = {
  LoginForm,
  RefreshForm,
  TokenForm,
  TokenParameter,
  Introspection,
  TokenResponse,
  OAuthError: OAuthErrorSchema,
}
