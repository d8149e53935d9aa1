import { Elysia, t } from 'elysia'
import { HttpError, OAuthError } from '../core/errors'
import {
  JSON_TYPE,
  parseFormText,
  parseJsonText,
  readText,
  refuseDeclaredOversize,
  takes,
} from '../http/body'
import { clientAddress } from '../http/client-address'
import { markOAuthRequest } from '../http/oauth'
import { ProblemSchema } from '../http/problem'
import { requestIdOf } from '../http/request-log'
import { problems } from '../http/schemas'
import { authModels } from './model'
import type { authPlugin } from './plugin'
import type { AuthService } from './service'

export interface AuthRoutesOptions {
  auth: AuthService
  /** The auth plugin, for the routes that act for the signed-in user. */
  guard: ReturnType<typeof authPlugin>
  /** Take the client address from `X-Forwarded-For`. */
  trustProxy: boolean
  /** `BODY_LIMIT`: no body above it is read, whatever `TOKEN_BODY_LIMIT` allows. */
  bodyLimit: number
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i

/**
 * The largest token request body: a username or email (254 characters) and a password (128), or a
 * refresh token (512), each at most 9 bytes per character once percent-encoded: under 4 KiB, and
 * twice that for the parameters we ignore.
 */
export const TOKEN_BODY_LIMIT = 8 * 1024

/**
 * The token routes take JSON or a form (what OAuth2 clients send), and answer malformed input the
 * OAuth2 way rather than with a problem (docs/api.md, Errors): a body that is not UTF-8, beyond
 * the shape limits or not JSON is `invalid_request`. 413 and 415 stay problems. Elysia's
 * `parse: [...]` uses only the first parser it lists, hence this one.
 */
const parseTokenRequest = (limit: number) =>
  takes(
    ['application/x-www-form-urlencoded', 'application/json'],
    async ({ request }: { request: Request }) => {
      // Marked here already: a parse error comes before `transform`.
      markOAuthRequest(request)
      refuseDeclaredOversize(request, limit)
      const type = request.headers.get('content-type') ?? ''
      const form = FORM_TYPE.test(type)
      if (!form && !JSON_TYPE.test(type)) {
        throw new HttpError(415, `content type "${type || 'none'}" is not accepted here; send a form or JSON`)
      }
      try {
        const text = await readText(request, limit)
        return form ? parseFormText(text) : parseJsonText(text)
      } catch (error) {
        if (error instanceof HttpError && (error.status === 400 || error.status === 422)) {
          throw new OAuthError('invalid_request', error.message)
        }
        throw error
      }
    },
  )

/**
 * Hooks of a token route for `grantType`. A `grant_type` other than it is `unsupported_grant_type`,
 * told before any missing field (RFC 6749 section 5.2), so it is checked ahead of validation.
 */
const tokenRequest = (
  grantType: 'password' | 'refresh_token',
  parse: ReturnType<typeof parseTokenRequest>,
) => ({
  parse,
  transform({
    request,
    body,
    set,
  }: {
    request: Request
    body: unknown
    set: { headers: Record<string, unknown> }
  }) {
    markOAuthRequest(request)
    // Token answers, errors included, must not be cached (RFC 6749 section 5.1).
    set.headers['cache-control'] = 'no-store'
    set.headers.pragma = 'no-cache'
    const sent = (body as { grant_type?: unknown } | null)?.grant_type
    if (sent !== undefined && sent !== grantType) {
      throw new OAuthError('unsupported_grant_type', `this route takes grant_type=${grantType} only`)
    }
  },
})

const tokenResponses = {
  200: 'TokenResponse',
  400: 'OAuthError',
  415: ProblemSchema,
  429: ProblemSchema,
} as const

/** `/auth`: the OAuth2 password grant, refresh-token rotation and logout. */
export const authRoutes = ({ auth, guard, trustProxy, bodyLimit }: AuthRoutesOptions) => {
  const parse = parseTokenRequest(Math.min(TOKEN_BODY_LIMIT, bodyLimit))
  return new Elysia({ prefix: '/auth', tags: ['auth'] })
    .use(guard)
    .model(authModels)
    .post(
      '/login',
      async ({ body, request, server }) => {
        if (body.grant_type === undefined && !JSON_TYPE.test(request.headers.get('content-type') ?? '')) {
          throw new OAuthError('invalid_request', 'grant_type=password is required')
        }
        return auth.login(body.username, body.password, {
          reqId: requestIdOf(request),
          address: clientAddress(request, server, trustProxy),
        })
      },
      {
        ...tokenRequest('password', parse),
        body: 'LoginForm',
        response: tokenResponses,
        detail: {
          summary: 'Log in (OAuth2 password grant)',
          operationId: 'login',
          description:
            'RFC 6749 section 4.3. Takes `application/x-www-form-urlencoded` (what OAuth2 clients and Swagger UI send) or JSON `{ "username", "password" }`. `username` may be the email. After `LOGIN_MAX_FAILURES` failures for one username from one address within `LOGIN_WINDOW` (or four times that many from one address) every attempt gets 429 until the window has passed.',
        },
      },
    )
    .post(
      '/refresh',
      ({ body, request, server }) =>
        auth.refresh(body.refresh_token, {
          reqId: requestIdOf(request),
          address: clientAddress(request, server, trustProxy),
        }),
      {
        ...tokenRequest('refresh_token', parse),
        body: 'RefreshForm',
        response: tokenResponses,
        detail: {
          summary: 'Exchange a refresh token for a new pair',
          operationId: 'refresh',
          description:
            'Rotation: the presented token dies. Presenting a token that was already rotated revokes every token of its session.',
        },
      },
    )
    .post(
      '/logout',
      async ({ body, set }) => {
        await auth.logout(body.refresh_token)
        set.status = 204
      },
      {
        ...tokenRequest('refresh_token', parse),
        body: 'RefreshForm',
        response: { 204: t.Void(), 400: 'OAuthError', 415: ProblemSchema },
        detail: {
          summary: 'End a session',
          operationId: 'logout',
          description:
            'Ends the session of this refresh token: it and every token rotated from the same login are revoked, and the access tokens issued in the session are refused from now on. Unknown tokens also get 204.',
        },
      },
    )
    .post(
      '/logout-all',
      async ({ user, set }) => {
        await auth.logoutEverywhere(user.id)
        set.status = 204
      },
      {
        auth: true,
        response: { 204: t.Void(), ...problems(401, 403, 503) },
        detail: {
          summary: 'End every session of your account',
          operationId: 'logoutEverywhere',
          description:
            'Revokes all of your refresh tokens and refuses every access token issued to you until now, this one included, on every device.',
        },
      },
    )
}
