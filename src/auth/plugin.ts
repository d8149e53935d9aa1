import { Elysia } from 'elysia'
import type { Role } from '../core/domain'
import { forbidden, UnauthorizedError } from '../core/errors'
import type { UserRecord, UserRepository } from '../store/types'
import { type AccessTokens, InvalidTokenError } from './tokens'

/** The OpenAPI security requirement of every protected route: either scheme will do. */
export const SECURITY: Array<Record<string, string[]>> = [{ OAuth2Password: [] }, { BearerJWT: [] }]

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i

let instances = 0

/**
 * The auth plugin. Routes opt in with `{ auth: true }` (any signed-in user) or
 * `{ auth: 'admin' }`; the handler then gets `user`, loaded from the store so that disabling,
 * demoting or deleting a user, and ending a session, take effect at once.
 *
 * The check runs in `transform`, before validation, so an anonymous caller gets 401 rather than a
 * 422 that would describe the route's body; `resolve` then hands the user over.
 */
export function authPlugin(tokens: AccessTokens, users: UserRepository) {
  const authenticated = new WeakMap<Request, UserRecord>()

  async function authenticate(authorization: string | null): Promise<UserRecord> {
    if (!authorization) throw new UnauthorizedError('a bearer token is required', false)
    const token = BEARER.exec(authorization)?.[1]
    if (!token) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"', true)
    let claims: Awaited<ReturnType<AccessTokens['verify']>>
    try {
      claims = await tokens.verify(token)
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedError(error.message, true)
      throw error
    }
    const user = await users.findById(claims.sub)
    if (!user) throw new UnauthorizedError('the account no longer exists', true)
    if (user.disabled) throw forbidden('the account is disabled')
    // The session checks ride on the read above: no store call of their own (docs/api.md, Sessions).
    if (claims.sv !== user.sessionVersion || Object.hasOwn(user.endedSessions, claims.sid))
      throw new UnauthorizedError('the session has ended', true)
    return user
  }

  return new Elysia({ name: 'auth', seed: ++instances }).macro({
    auth: (required: true | Role) => ({
      detail: { security: SECURITY },
      async transform({ request, set }) {
        // The answer is about this user (or refuses them): no cache along the way may keep it.
        set.headers['cache-control'] = 'no-store'
        const user = await authenticate(request.headers.get('authorization'))
        if (required === 'admin' && user.role !== 'admin') throw forbidden('this route is for admins')
        authenticated.set(request, user)
      },
      resolve: ({ request }) => ({ user: authenticated.get(request) as UserRecord }),
    }),
  })
}
