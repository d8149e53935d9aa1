import { beforeAll, expect, test } from 'bun:test'
import type { Reply } from './support/app'
import { forEachStore } from './support/fixture'

/** docs/api.md, Authentication: everything else needs a token. */
const PUBLIC = [
  'GET /',
  'GET /health',
  'GET /ready',
  'POST /auth/register',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/logout',
  'GET /products',
  'GET /products/:id',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/openid-configuration',
  // They authenticate the client instead (tests/oauth-provider.test.ts).
  'POST /auth/token',
  'POST /auth/introspect',
  'POST /auth/revoke',
  // The sign-in pages, guarded by their own cookie and CSRF token (tests/signin.test.ts).
  'GET /signin',
  'POST /signin',
  'GET /signin/done',
  'POST /signout',
  // The sign-in flow's browser endpoints: the session cookie says who (tests/oidc.test.ts).
  'GET /authorize',
  'POST /authorize',
  'POST /authorize/consent',
  'GET /logout',
  'POST /logout',
  // Email verification and password reset: the mailed token is the credential (tests/recovery.test.ts).
  'POST /auth/verify-email',
  'POST /auth/password-reset',
  'POST /auth/password-reset/confirm',
  'GET /verify-email',
  'GET /reset-password',
  'POST /reset-password',
  'GET /reset-password/done',
  'GET /forgot-password',
  'POST /forgot-password',
  // Its own bearer token (METRICS_TOKEN), open only outside production (tests/metrics.test.ts).
  'GET /metrics',
]
const isDocs = (path: string) => /^\/(swagger|redoc|docs|static)\b/.test(path)
const ID = '0123456789abcdef01234567'
const ADMIN_ONLY = [
  'GET /users',
  'POST /users',
  'PUT /users/:id',
  'PATCH /users/:id',
  'DELETE /users/:id',
  'GET /clients',
  'POST /clients',
  'GET /clients/:client_id',
  'PUT /clients/:client_id',
  'POST /clients/:client_id/secret',
  'DELETE /clients/:client_id',
  'POST /admin/keys/rotate',
]

forEachStore('guards', (ctx) => {
  let routes: Array<{ method: string; path: string }>

  beforeAll(() => {
    routes = ctx.app.routes
      .map(({ method, path }) => ({ method, path }))
      .filter(({ method, path }) => !isDocs(path) && !PUBLIC.includes(`${method} ${path}`))
  })

  test('the protected routes are the ones docs/api.md names', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      [
        'GET /users/me',
        'PATCH /users/me',
        'GET /users/me/consents',
        'DELETE /users/me/consents/:clientId',
        'GET /userinfo',
        'POST /userinfo',
        'POST /auth/logout-all',
        'POST /auth/verify-email/resend',
        ...ADMIN_ONLY,
        'GET /users/:id',
        'POST /products',
        'PUT /products/:id',
        'PATCH /products/:id',
        'DELETE /products/:id',
      ].sort(),
    )
  })

  /** Calls `method path` with its id (`:id`, `:client_id`) filled in and `token`, with an empty body where the method takes one. */
  const call = (method: string, path: string, token?: string) =>
    ctx.client.request(method, path.replace(/:\w+/, ID), {
      token,
      body: method === 'GET' || method === 'DELETE' ? undefined : {},
    })
  /** Asserts the status a route answered, naming the route when it fails. */
  const expectStatus = (route: string, reply: Reply, status: number) =>
    expect({ route, status: reply.status }).toEqual({ route, status })

  test('every protected route answers 401 with a Bearer challenge without a token', async () => {
    for (const { method, path } of routes) {
      const reply = await call(method, path)
      expectStatus(`${method} ${path}`, reply, 401)
      expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="mercado"')
    }
  })

  test('every protected route answers 401 invalid_token to a garbage token', async () => {
    for (const { method, path } of routes) {
      const reply = await call(method, path, 'not.a.jwt')
      expectStatus(`${method} ${path}`, reply, 401)
      expect(reply.headers.get('www-authenticate')).toContain('error="invalid_token"')
    }
  })

  test('admin routes answer 403 to a user', async () => {
    const user = await ctx.registerUser()
    for (const route of ADMIN_ONLY) {
      const [method, path] = route.split(' ') as [string, string]
      expectStatus(route, await call(method, path, user.token), 403)
    }
  })
})
