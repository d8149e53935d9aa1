import { t } from 'elysia'

/**
 * The password grant's fields, typed loosely on purpose: a missing or malformed field is an OAuth2
 * `invalid_request` (RFC 6749 section 5.2), which the route produces itself.
 */
export const LoginForm = t.Object(
  {
    grant_type: t.Optional(
      t.String({ description: 'Must be "password"; may be left out in JSON', examples: ['password'] }),
    ),
    username: t.String({ description: 'Username or email', examples: ['ada_lovelace'] }),
    password: t.String({ examples: ['correct horse battery'] }),
    scope: t.Optional(t.String({ description: 'Accepted and ignored' })),
    client_id: t.Optional(t.String({ description: 'Accepted and ignored' })),
    client_secret: t.Optional(t.String({ description: 'Accepted and ignored' })),
  },
  { additionalProperties: false, title: 'LoginForm' },
)

export const RefreshForm = t.Object(
  {
    refresh_token: t.String({ minLength: 1, description: 'The refresh token of the last pair' }),
    grant_type: t.Optional(t.Literal('refresh_token')),
    client_id: t.Optional(t.String({ description: 'Accepted and ignored' })),
  },
  { additionalProperties: false, title: 'RefreshForm' },
)

export const TokenResponse = t.Object(
  {
    access_token: t.String({ description: 'JWT (HS256); send as "Authorization: Bearer <token>"' }),
    token_type: t.Literal('bearer'),
    expires_in: t.Integer({ description: 'Seconds until the access token expires', examples: [900] }),
    refresh_token: t.String({ description: 'Opaque; single use: each refresh returns a new one' }),
  },
  { title: 'TokenResponse' },
)
