import { Elysia } from 'elysia'
import type { ApiScope, Role } from '../core/domain'
import { forbidden, HttpError, UnauthorizedError } from '../core/errors'
import type { UserRecord, UserRepository } from '../store/types'
import {
  type AccessClaims,
  type AccessTokens,
  InvalidTokenError,
  sessionEnded,
  type UserClaims,
} from './tokens'

/** What a protected route requires: a scope, and for some routes the admin role on top. */
export interface Guard {
  scope: ApiScope
  role?: Role
}

/**
 * The OpenAPI security requirement of a route needing `scope`: any of the schemes will do. The
 * sign-in flow (authorization code with PKCE) comes first, as the one to prefer.
 */
const security = (scope: ApiScope): Array<Record<string, string[]>> => [
  { OAuth2AuthorizationCode: [scope] },
  { OAuth2Password: [scope] },
  { BearerJWT: [scope] },
]

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i

let instances = 0

/** RFC 6750 section 3.1: the token is good but lacks the scope, which the challenge names. */
const insufficientScope = (scope: string) =>
  new HttpError(403, `this route needs the scope ${scope}`, {
    'www-authenticate': `Bearer realm="mercado", error="insufficient_scope", scope="${scope}"`,
  })

/** A bearer token's user and claims, once every check passed. */
export interface Bearer {
  user: UserRecord
  claims: UserClaims
}

/**
 * The bearer check of every route acting for a user (RFC 6750): the token is valid, acts for a
 * user (not a client alone), who exists, is enabled and has not ended the token's session, and it
 * carries `scope`. Throws the 401 or 403 that says which failed.
 */
export function bearerAuthenticator(tokens: AccessTokens, users: UserRepository) {
  return async (authorization: string | null, scope: string): Promise<Bearer> => {
    if (!authorization) throw new UnauthorizedError('a bearer token is required', false)
    const token = BEARER.exec(authorization)?.[1]
    if (!token) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"', true)
    let claims: AccessClaims
    try {
      claims = await tokens.verify(token)
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedError(error.message, true)
      throw error
    }
    if (claims.kind === 'client')
      throw forbidden('this route acts for a user; a client-credentials token has none')
    const user = await users.findById(claims.sub)
    if (!user) throw new UnauthorizedError('the account no longer exists', true)
    if (user.disabled) throw forbidden('the account is disabled')
    // The session checks ride on the read above: no store call of their own (docs/api.md, Sessions).
    if (sessionEnded(claims, user)) throw new UnauthorizedError('the session has ended', true)
    // A dead token is 401 whatever its scopes (RFC 6750 section 3.1); a live one may lack the scope.
    if (!claims.scope.split(' ').includes(scope)) throw insufficientScope(scope)
    return { user, claims }
  }
}

/**
 * The auth plugin. Every protected route declares what it needs: `{ auth: { scope } }` for any
 * signed-in user whose token carries `scope`, `{ auth: { scope, role: 'admin' } }` for admins; the
 * handler then gets `user`, loaded from the store so that disabling, demoting or deleting a user,
 * and ending a session, take effect at once. A client-credentials token acts for no user, so every
 * one of these routes refuses it (docs/api.md, Scopes).
 *
 * The check runs in `transform`, before validation, so an anonymous caller gets 401 rather than a
 * 422 that would describe the route's body; `resolve` then hands the user over.
 */
export function authPlugin(tokens: AccessTokens, users: UserRepository) {
  const authenticated = new WeakMap<Request, UserRecord>()
  const authenticate = bearerAuthenticator(tokens, users)

  return new Elysia({ name: 'auth', seed: ++instances }).macro({
    auth: (required: Guard) => ({
      detail: { security: security(required.scope) },
      async transform({ request, set }) {
        // The answer is about this user (or refuses them): no cache along the way may keep it.
        set.headers['cache-control'] = 'no-store'
        const { user } = await authenticate(request.headers.get('authorization'), required.scope)
        if (required.role === 'admin' && user.role !== 'admin') throw forbidden('this route is for admins')
        authenticated.set(request, user)
      },
      resolve: ({ request }) => ({ user: authenticated.get(request) as UserRecord }),
    }),
  })
}
