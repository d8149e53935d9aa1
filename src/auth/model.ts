import { t } from 'elysia'
import { LOGIN_MAX, PASSWORD_MAX } from '../core/domain'
import { OAuthErrorSchema } from '../http/problem'
import { Text } from '../http/schemas'

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
    scope: t.Optional(t.String({ description: 'Accepted and ignored' })),
    client_id: t.Optional(t.String({ description: 'Accepted and ignored' })),
    client_secret: t.Optional(t.String({ description: 'Accepted and ignored' })),
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
    client_id: t.Optional(t.String({ description: 'Accepted and ignored' })),
  },
  { additionalProperties: true },
)

export const TokenResponse = t.Object({
  access_token: t.String({ description: 'JWT (HS256); send as "Authorization: Bearer <token>"' }),
  token_type: t.Literal('bearer'),
  expires_in: t.Integer({ description: 'Seconds until the access token expires', examples: [900] }),
  refresh_token: t.String({ description: 'Opaque; single use: each refresh returns a new one' }),
})

/** The schemas the OpenAPI document names, as Elysia reference models: routes use them by name. */
export const authModels = { LoginForm, RefreshForm, TokenResponse, OAuthError: OAuthErrorSchema }
