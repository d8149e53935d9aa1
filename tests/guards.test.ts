import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Store } from '../src/store/types'
import { type Client, registerUser, testApp } from './support/app'
import { STORE_KINDS } from './support/stores'

/** SPEC 4.4: everything else needs a token. */
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
]
const isDocs = (path: string) => /^\/(swagger|redoc|docs|static)\b/.test(path)
const ID = '0123456789abcdef01234567'
const ADMIN_ONLY = ['GET /users', 'POST /users', 'PUT /users/:id', 'PATCH /users/:id', 'DELETE /users/:id']

for (const kind of STORE_KINDS) {
  describe(`guards (${kind.name})`, () => {
    let store: Store
    let client: Client
    let routes: Array<{ method: string; path: string }>

    beforeAll(async () => {
      store = await kind.open()
      const made = testApp(store)
      client = made.client
      routes = made.app.routes
        .map(({ method, path }) => ({ method, path }))
        .filter(({ method, path }) => !isDocs(path) && !PUBLIC.includes(`${method} ${path}`))
    })
    afterAll(() => store.close())

    test('the protected routes are the ones SPEC names', () => {
      expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
        [
          'GET /users/me',
          'PATCH /users/me',
          ...ADMIN_ONLY,
          'GET /users/:id',
          'POST /products',
          'PUT /products/:id',
          'PATCH /products/:id',
          'DELETE /products/:id',
        ].sort(),
      )
    })

    test('every protected route answers 401 with a Bearer challenge without a token', async () => {
      for (const { method, path } of routes) {
        const reply = await client.request(method, path.replace(':id', ID), {
          body: method === 'GET' || method === 'DELETE' ? undefined : {},
        })
        expect({ route: `${method} ${path}`, status: reply.status }).toEqual({
          route: `${method} ${path}`,
          status: 401,
        })
        expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="mercado"')
      }
    })

    test('every protected route answers 401 invalid_token to a garbage token', async () => {
      for (const { method, path } of routes) {
        const reply = await client.request(method, path.replace(':id', ID), {
          token: 'not.a.jwt',
          body: method === 'GET' || method === 'DELETE' ? undefined : {},
        })
        expect({ route: `${method} ${path}`, status: reply.status }).toEqual({
          route: `${method} ${path}`,
          status: 401,
        })
        expect(reply.headers.get('www-authenticate')).toContain('error="invalid_token"')
      }
    })

    test('admin routes answer 403 to a user', async () => {
      const user = await registerUser(client)
      for (const route of ADMIN_ONLY) {
        const [method, path] = route.split(' ') as [string, string]
        const reply = await client.request(method, path.replace(':id', ID), {
          token: user.token,
          body: method === 'GET' || method === 'DELETE' ? undefined : {},
        })
        expect({ route, status: reply.status }).toEqual({ route, status: 403 })
      }
    })
  })
}
