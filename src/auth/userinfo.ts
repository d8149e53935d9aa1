/**
 * The UserInfo endpoint (OpenID Connect Core 1.0 section 5.3): `GET` and `POST /userinfo` with an
 * access token carrying `openid`, answering the claims its scopes release (`userClaims`).
 */
import { Elysia, t } from 'elysia'
import { Integer, problems } from '../http/schemas'
import type { UserRepository } from '../store/types'
import { userClaims } from './id-tokens'
import { bearerAuthenticator } from './plugin'
import type { AccessTokens } from './tokens'

const UserInfo = t.Object(
  {
    sub: t.String({ description: 'The user id' }),
    preferred_username: t.Optional(t.String({ description: '`profile`' })),
    name: t.Optional(t.String({ description: '`profile`: the full name' })),
    updated_at: t.Optional(Integer({ description: '`profile`: seconds since the epoch' })),
    email: t.Optional(t.String({ description: '`email`' })),
    email_verified: t.Optional(
      t.Boolean({ description: '`email`: whether the address was proven by a link mailed to it' }),
    ),
  },
  { additionalProperties: false },
)

/** Only a token of the sign-in flow carries `openid` (the OAuth2AuthorizationCode scheme). */
const OPENID_SECURITY: Array<Record<string, string[]>> = [
  { OAuth2AuthorizationCode: ['openid'] },
  { BearerJWT: ['openid'] },
]

export function userInfoRoutes(tokens: AccessTokens, users: UserRepository) {
  const authenticate = bearerAuthenticator(tokens, users)
  const userInfo = async ({
    request,
    set,
  }: {
    request: Request
    set: { headers: Record<string, string | number> }
  }) => {
    set.headers['cache-control'] = 'no-store'
    const { user, claims } = await authenticate(request.headers.get('authorization'), 'openid')
    return userClaims(user, claims.scope.split(' ')) as typeof UserInfo.static
  }
  const hook = (operationId: string) => ({
    response: { 200: UserInfo, ...problems(401, 403, 503) },
    detail: {
      summary: 'Claims about the signed-in user (OpenID Connect UserInfo)',
      operationId,
      description:
        'An access token from the sign-in flow with the `openid` scope, as a bearer token. `sub` always; `preferred_username`, `name` and `updated_at` with `profile`; `email` and `email_verified` with `email`. A token without `openid` is 403 `insufficient_scope`.',
      security: OPENID_SECURITY,
    },
  })
  return new Elysia({ tags: ['auth'] })
    .get('/userinfo', userInfo, hook('getUserInfo'))
    .post('/userinfo', userInfo, hook('postUserInfo'))
}
