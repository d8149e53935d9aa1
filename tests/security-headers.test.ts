import { expect, test } from 'bun:test'
import { newAccount } from './support/app'
import { forEachStore } from './support/fixture'

/** docs/api.md, Conventions (issue #10): headers that protect what a browser or a cache does with a response. */
forEachStore(
  'security headers',
  (ctx) => {
    const everyKind = (): Array<[string, string, Parameters<typeof ctx.client.request>[2]?]> => [
      ['GET', '/'],
      ['GET', '/health'],
      ['HEAD', '/health'],
      ['GET', '/ready'],
      ['GET', '/nowhere'], // 404
      ['DELETE', '/health'], // 405
      ['GET', '/products'],
      ['GET', '/products?limit=nope'], // 422
      ['POST', '/auth/register', { body: newAccount() }], // 201
      ['POST', '/auth/register', { body: '{' }], // 400
      ['POST', '/auth/token', { form: { grant_type: 'password', username: 'x', password: 'y' } }], // 400
      ['GET', '/users/me'], // 401
      ['GET', '/users/me', { token: ctx.user.token }],
      ['GET', '/users', { token: ctx.user.token }], // 403
      ['GET', '/swagger'],
      ['GET', '/swagger/json'],
      ['GET', '/static/favicon.svg'],
      [
        'OPTIONS',
        '/products',
        { headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' } },
      ],
    ]

    test('every response says X-Content-Type-Options: nosniff', async () => {
      for (const [method, path, options] of everyKind()) {
        const reply = await ctx.client.request(method, path, options)
        expect([method, path, reply.status, reply.headers.get('x-content-type-options')]).toEqual([
          method,
          path,
          reply.status,
          'nosniff',
        ])
      }
    })

    test('every authenticated response is Cache-Control: no-store, refusals included', async () => {
      const product = await ctx.client.post('/products', {
        token: ctx.user.token,
        body: { name: 'Kept private', price: 10 },
      })
      expect(product.status).toBe(201)
      const replies = [
        product,
        await ctx.client.get('/users/me', { token: ctx.user.token }),
        await ctx.client.patch('/users/me', { token: ctx.user.token, body: { fullName: 'Someone' } }),
        await ctx.client.patch('/users/me', { token: ctx.user.token, body: { nope: 1 } }), // 422
        await ctx.client.get('/users', { token: ctx.admin.token }),
        await ctx.client.get(`/users/${ctx.user.id}`, { token: ctx.admin.token }),
        await ctx.client.get('/users', { token: ctx.user.token }), // 403
        await ctx.client.get('/users/me'), // 401
        await ctx.client.get('/users/me', { token: 'not-a-token' }), // 401
      ]
      expect(replies.map((r) => [r.status, r.headers.get('cache-control')])).toEqual(
        replies.map((r) => [r.status, 'no-store']),
      )
    })
  },
  { accounts: { admin: 'admin', user: 'user' } },
)
