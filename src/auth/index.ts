import { Elysia, t } from 'elysia'
import { OAuthError } from '../core/errors'
import { clientAddress } from '../http/client-address'
import { ProblemSchema } from '../http/problem'
import { requestIdOf } from '../http/request-log'
import { problems } from '../http/schemas'
import type { ClientRecord } from '../store/types'
import type { ClientDirectory } from './client-directory'
import type { TokenInspector } from './introspection'
import { authModels } from './model'
import type { authPlugin } from './plugin'
import type { AuthService } from './service'
import {
  allowGrant,
  JSON_TYPE,
  oauthRequest,
  parseTokenRequest,
  requestingClient,
  TOKEN_BODY_LIMIT,
  tokenRequest,
} from './token-request'

export interface AuthRoutesOptions {
  auth: AuthService
  inspector: TokenInspector
  clients: ClientDirectory
  /** The auth plugin, for the routes that act for the signed-in user. */
  guard: ReturnType<typeof authPlugin>
  /** Take the client address from `X-Forwarded-For`. */
  trustProxy: boolean
  /** `BODY_LIMIT`: no body above it is read, whatever `TOKEN_BODY_LIMIT` allows. */
  bodyLimit: number
  /** `PASSWORD_GRANT`: the legacy password grant (RFC 9700 section 2.4) is on. */
  passwordGrant: boolean
}

const tokenResponses = {
  200: 'TokenResponse',
  400: 'OAuthError',
  // invalid_client, for a request that names a client and fails to authenticate it.
  401: 'OAuthError',
  415: ProblemSchema,
  429: ProblemSchema,
} as const

/**
 * `/auth`: the token endpoint (`/auth/token`) with its older single-grant aliases (`/auth/login`,
 * `/auth/refresh`), introspection, revocation and logout.
 */
export const authRoutes = ({
  auth,
  inspector,
  clients,
  guard,
  trustProxy,
  bodyLimit,
  passwordGrant,
}: AuthRoutesOptions) => {
  const parse = parseTokenRequest(Math.min(TOKEN_BODY_LIMIT, bodyLimit))
  const context = (request: Request, server: Parameters<typeof clientAddress>[1]) => ({
    reqId: requestIdOf(request),
    address: clientAddress(request, server, trustProxy),
  })
  /** One grant for `client`, whichever route it came through. */
  const grant = async (
    grantType: string,
    body: Record<string, unknown>,
    client: ClientRecord,
    request: Request,
    server: Parameters<typeof clientAddress>[1],
  ) => {
    const text = (name: string) => {
      const value = body[name]
      if (value === undefined) return undefined
      if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} must be a string`)
      return value
    }
    const required = (name: string) => {
      const value = text(name)
      if (value === undefined) throw new OAuthError('invalid_request', `${name} is required`)
      return value
    }
    if (grantType === 'password' && !passwordGrant)
      throw new OAuthError(
        'unsupported_grant_type',
        'the password grant is switched off here (PASSWORD_GRANT)',
      )
    if (!['authorization_code', 'password', 'refresh_token', 'client_credentials'].includes(grantType))
      throw new OAuthError('unsupported_grant_type', `grant_type=${grantType} is not supported`)
    allowGrant(client, grantType)
    if (grantType === 'authorization_code')
      return auth.exchangeCode(
        {
          code: required('code'),
          redirectUri: required('redirect_uri'),
          codeVerifier: required('code_verifier'),
        },
        client,
        context(request, server),
      )
    const scope = text('scope')
    if (grantType === 'password')
      return auth.login(required('username'), required('password'), context(request, server), client, scope)
    if (grantType === 'refresh_token')
      return auth.refresh(required('refresh_token'), client, scope, context(request, server))
    return auth.clientCredentials(client, scope)
  }
  return new Elysia({ prefix: '/auth', tags: ['auth'] })
    .use(guard)
    .model(authModels)
    .post(
      '/login',
      async ({ body, request, server }) => {
        if (body.grant_type === undefined && !JSON_TYPE.test(request.headers.get('content-type') ?? '')) {
          throw new OAuthError('invalid_request', 'grant_type=password is required')
        }
        const client = await requestingClient(request, body, clients)
        return grant('password', body, client, request, server)
      },
      {
        ...tokenRequest('password', parse),
        body: 'LoginForm',
        response: tokenResponses,
        detail: {
          summary: 'Log in (OAuth2 password grant), legacy',
          operationId: 'login',
          description:
            'The password grant of `POST /auth/token`, kept for the quick start, Swagger UI and Postman (RFC 9700 advises against it for third-party clients; `PASSWORD_GRANT=false` switches it off). Without client credentials it acts for the built-in docs client. RFC 6749 section 4.3. Takes `application/x-www-form-urlencoded` (what OAuth2 clients and Swagger UI send) or JSON `{ "username", "password" }`. `username` may be the email. After `LOGIN_MAX_FAILURES` failures for one username from one address within `LOGIN_WINDOW` (or four times that many from one address) every attempt gets 429 until the window has passed.',
        },
      },
    )
    .post(
      '/refresh',
      async ({ body, request, server }) => {
        const client = await requestingClient(request, body, clients)
        return grant('refresh_token', body, client, request, server)
      },
      {
        ...tokenRequest('refresh_token', parse),
        body: 'RefreshForm',
        response: tokenResponses,
        detail: {
          summary: 'Exchange a refresh token for a new pair',
          operationId: 'refresh',
          description:
            'The refresh grant of `POST /auth/token`. Rotation: the presented token dies. Presenting a token that was already rotated revokes every token of its session.',
        },
      },
    )
    .post(
      '/logout',
      async ({ body, request, set }) => {
        await auth.logout(body.refresh_token, await requestingClient(request, body, clients))
        set.status = 204
      },
      {
        ...tokenRequest('refresh_token', parse),
        body: 'RefreshForm',
        response: { 204: t.Void(), 400: 'OAuthError', 401: 'OAuthError', 415: ProblemSchema },
        detail: {
          summary: 'End a session',
          operationId: 'logout',
          description:
            'Ends the session of this refresh token: it and every token rotated from the same login are revoked, and the access tokens issued in the session are refused from now on. Unknown tokens also get 204.',
        },
      },
    )
    .post(
      '/token',
      async ({ body, request, server }) => {
        const form = body as Record<string, unknown>
        const grantType = form.grant_type
        if (typeof grantType !== 'string' || grantType === '')
          throw new OAuthError('invalid_request', 'grant_type is required')
        const client = await requestingClient(request, form, clients)
        return grant(grantType, form, client, request, server)
      },
      {
        ...oauthRequest(parse),
        body: 'TokenForm',
        response: tokenResponses,
        detail: {
          summary: 'The token endpoint (RFC 6749)',
          operationId: 'token',
          description:
            '`grant_type` = `authorization_code` (the sign-in flow: `code`, `redirect_uri` and the PKCE `code_verifier`; an ID token with `openid`, a refresh token with `offline_access`), `client_credentials` (a token for the client itself: `sub` is its `client_id`, no refresh token), `refresh_token` or `password` (legacy; off with `PASSWORD_GRANT=false`). The client authenticates by the method it is registered with: HTTP Basic (`client_secret_basic`), `client_id` and `client_secret` in the body (`client_secret_post`), or `client_id` alone (`none`, public clients); a request that names no client acts for the built-in docs client. `scope` asks for fewer scopes than the client is registered for. Errors are RFC 6749 section 5.2 objects; `invalid_client` is 401 with `WWW-Authenticate: Basic`.',
        },
      },
    )
    .post(
      '/introspect',
      async ({ body, request }) => {
        const form = body as Record<string, unknown>
        const client = await requestingClient(request, form, clients)
        if (client.secretHash === null)
          throw new OAuthError('invalid_client', 'only a confidential client may introspect tokens', 401, {
            'www-authenticate': 'Basic realm="mercado"',
          })
        if (typeof form.token !== 'string' || form.token === '')
          throw new OAuthError('invalid_request', 'token is required')
        return inspector.introspect(form.token, client)
      },
      {
        ...oauthRequest(parse),
        body: 'TokenParameter',
        response: { 200: 'Introspection', 400: 'OAuthError', 401: 'OAuthError', 415: ProblemSchema },
        detail: {
          summary: 'Token introspection (RFC 7662)',
          operationId: 'introspect',
          description:
            'For confidential clients (resource servers), authenticated as at the token endpoint. `token` is an access or a refresh token (`token_type_hint` is accepted and not needed). Active: `{ "active": true, scope, client_id, username?, token_type, exp, iat, sub, aud?, iss, jti? }`; anything else (unknown, expired, revoked, its session ended, its user disabled) is `{ "active": false }` and nothing more.',
        },
      },
    )
    .post(
      '/revoke',
      async ({ body, request, set }) => {
        const form = body as Record<string, unknown>
        const client = await requestingClient(request, form, clients)
        if (typeof form.token !== 'string' || form.token === '')
          throw new OAuthError('invalid_request', 'token is required')
        await inspector.revoke(form.token, client)
        set.status = 200
      },
      {
        ...oauthRequest(parse),
        body: 'TokenParameter',
        response: { 200: t.Void(), 400: 'OAuthError', 401: 'OAuthError', 415: ProblemSchema },
        detail: {
          summary: 'Token revocation (RFC 7009)',
          operationId: 'revoke',
          description:
            "A client revokes one of its own tokens, authenticated as at the token endpoint (a public client by its `client_id`). Revoking a user's access or refresh token ends its session: the refresh chain and every access token issued in it. A client-credentials token is refused from then on. Unknown, invalid and expired tokens also get 200; a token issued to another client is 400 `unauthorized_client`.",
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
        auth: { scope: 'users:write' },
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
