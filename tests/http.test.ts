import { beforeAll, describe, expect, test } from 'bun:test'
import { createApp } from '../src/app'
import { createLogger } from '../src/core/log'
import { testConfig } from './support/app'
import { expectProblem } from './support/assertions'
import { useFixture } from './support/fixture'
import { freshSqliteStore } from './support/stores'

/** The conventions of docs/api.md (Errors, Conventions) that every route shares (engine-independent). */
describe('HTTP conventions', () => {
  const ctx = useFixture('sqlite', { env: { BODY_LIMIT: '1kb' } })

  beforeAll(() => {
    // A route that fails the way a bug does, to see what a client gets.
    ctx.app.get('/boom', () => {
      throw new Error('secret internal detail')
    })
  })

  test('an unknown route is a 404 problem naming the path', async () => {
    const reply = await ctx.client.get('/nowhere')
    expectProblem(reply, 404)
    expect(reply.body.instance).toBe('/nowhere')
  })

  test('a known path with another method is a 405 with Allow', async () => {
    const reply = await ctx.client.delete('/health')
    expectProblem(reply, 405)
    expect(reply.headers.get('allow')).toBe('GET, HEAD')
    const products = await ctx.client.request('DELETE', '/products')
    expect(products.headers.get('allow')).toBe('GET, HEAD, POST')
  })

  test('a fixed path is its own resource: /users/me answers 405, not /users/{id}', async () => {
    for (const method of ['PUT', 'DELETE', 'POST']) {
      const reply = await ctx.client.request(method, '/users/me', {
        body: method === 'DELETE' ? undefined : {},
      })
      expectProblem(reply, 405)
      expect(reply.headers.get('allow')).toBe('GET, HEAD, PATCH')
    }
    const options = await ctx.client.request('OPTIONS', '/users/me')
    expect(options.status).toBe(405)
    expect(options.headers.get('allow')).toBe('GET, HEAD, PATCH')
  })

  test('malformed JSON is a 400 problem', async () => {
    const reply = await ctx.client.post('/auth/register', {
      body: '{"username": ',
      headers: { 'content-type': 'application/json' },
    })
    expectProblem(reply, 400)
  })

  test('a body in another media type is a 415 problem', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const reply = await ctx.client.post('/auth/register', {
        body: 'username=a',
        headers: { 'content-type': type },
      })
      expectProblem(reply, 415)
    }
  })

  test('valid JSON sent as another media type is still a 415, not read as JSON', async () => {
    const body = JSON.stringify({
      username: 'plain_text',
      email: 'plain@example.com',
      password: 'long-enough-pw',
    })
    const reply = await ctx.client.post('/auth/register', { body, headers: { 'content-type': 'text/plain' } })
    expectProblem(reply, 415)
  })

  test('a body nested absurdly deep is a 400 problem, not a crash', async () => {
    const deep = `{"username":${'['.repeat(400)}${']'.repeat(400)}}`
    const reply = await ctx.client.post('/auth/register', {
      body: deep,
      headers: { 'content-type': 'application/json' },
    })
    expectProblem(reply, 400)
    const login = await ctx.client.post('/auth/login', {
      body: `{"username":${'['.repeat(400)}${']'.repeat(400)},"password":"x"}`,
      headers: { 'content-type': 'application/json' },
    })
    expect(login.status).toBe(400)
    expect(login.body.error).toBe('invalid_request')
  })

  test('a body over BODY_LIMIT is a 413 problem', async () => {
    const body = JSON.stringify({ username: 'x'.repeat(2048) })
    const reply = await ctx.client.post('/auth/register', {
      body,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    })
    expectProblem(reply, 413)
  })

  test('validation errors are a 422 with one entry per bad field', async () => {
    const reply = await ctx.client.post('/auth/register', {
      body: { username: 1, email: 'nope', password: 'pw', extra: true },
    })
    expectProblem(reply, 422)
    expect(reply.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/email',
      '/extra',
      '/password',
      '/username',
    ])
  })

  test('out-of-range query values are a 422 naming the parameter', async () => {
    for (const [query, pointer] of [
      ['limit=0', '/limit'],
      ['limit=101', '/limit'],
      ['page=0', '/page'],
      ['page=abc', '/page'],
      ['sort=owner', '/sort'],
      ['inStock=maybe', '/inStock'],
    ]) {
      const reply = await ctx.client.get(`/products?${query}`)
      expectProblem(reply, 422)
      expect(reply.body.errors[0].pointer).toBe(pointer)
    }
  })

  test('a malformed id is a 422', async () => {
    expectProblem(await ctx.client.get('/products/not-an-id'), 422)
  })

  test('a bug is a generic 500 problem without internals', async () => {
    const reply = await ctx.client.get('/boom')
    expectProblem(reply, 500)
    expect(JSON.stringify(reply.body)).not.toContain('secret internal detail')
    expect(JSON.stringify(reply.body)).not.toContain('at ')
  })

  test('every response carries a generated X-Request-Id', async () => {
    const a = await ctx.client.get('/health')
    const b = await ctx.client.get('/nowhere')
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'))
  })

  test('a sane client X-Request-Id is echoed, an insane one replaced', async () => {
    const sane = await ctx.client.get('/health', { headers: { 'x-request-id': 'abc-123.def' } })
    expect(sane.headers.get('x-request-id')).toBe('abc-123.def')
    const insane = await ctx.client.get('/health', { headers: { 'x-request-id': 'a b<script>' } })
    expect(insane.headers.get('x-request-id')).not.toBe('a b<script>')
  })
})

/** The access-log lines among what a logger wrote (`chunks`): those with a request id. */
const accessLines = (chunks: string[]) =>
  chunks
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.reqId)

test('every request gets one access-log line, refusals before routing included', async () => {
  const lines: string[] = []
  const store = freshSqliteStore()
  const app = createApp({
    config: testConfig({ BODY_LIMIT: '1kb' }),
    store,
    logger: createLogger('info', (chunk) => lines.push(chunk)),
  })
  const requests: Array<[string, string, RequestInit, number]> = [
    ['GET', '/health', {}, 200],
    ['GET', '/nowhere', {}, 404],
    ['DELETE', '/users/me', {}, 405],
    ['POST', '/products', { headers: { 'content-type': 'application/json', 'content-length': '5000' } }, 413],
    ['POST', '/auth/register', { headers: { 'content-type': 'text/plain' }, body: 'x' }, 415],
  ]
  for (const [method, path, init] of requests) {
    await app.handle(new Request(`http://localhost${path}`, { method, ...init }))
  }
  await Bun.sleep(20)
  const logged = accessLines(lines)
  expect(logged.map((l) => [l.method, l.path, l.status])).toEqual(requests.map(([m, p, , s]) => [m, p, s]))
  for (const entry of logged)
    expect(Object.keys(entry)).toEqual(['time', 'level', 'reqId', 'method', 'path', 'status', 'ms'])
  await store.close()
})

test('a listening server writes exactly one access-log line for every kind of answer', async () => {
  // Through Bun's own router (as deployed), not app.handle: answers from a route, from the error
  // mapping inside a route (written by both ways, kept once) and outside any route.
  const lines: string[] = []
  const store = freshSqliteStore()
  const logger = createLogger('info', (chunk) => lines.push(chunk))
  const app = createApp({ config: testConfig({ CORS_ORIGINS: '*' }), store, logger })
  app.listen({ port: 0, hostname: '127.0.0.1' })
  const base = `http://127.0.0.1:${app.server?.port}`
  const account = { username: 'log_lines', email: 'log_lines@example.com', password: 'log-lines-password' }
  const requests: Array<[string, string, RequestInit, number]> = [
    [
      'POST',
      '/auth/register',
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) },
      201,
    ],
    ['GET', '/health', {}, 200],
    ['HEAD', '/health', {}, 200],
    ['GET', '/swagger', {}, 200],
    ['GET', '/products/0123456789abcdef01234567', {}, 404],
    ['GET', '/products/not-an-id', {}, 422],
    ['GET', '/users/me', {}, 401],
    [
      'OPTIONS',
      '/products',
      { headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } },
      204,
    ],
    ['DELETE', '/users/me', {}, 405],
    ['GET', '/nowhere', {}, 404],
  ]
  try {
    for (const [method, path, init, expected] of requests) {
      const reply = await fetch(`${base}${path}`, { method, ...init })
      await reply.arrayBuffer()
      expect([method, path, reply.status]).toEqual([method, path, expected])
    }
    logger.flush()
    const logged = accessLines(lines)
    expect(logged.map((l) => [l.method, l.path, l.status])).toEqual(requests.map(([m, p, , s]) => [m, p, s]))
  } finally {
    await app.stop()
    await store.close()
  }
})
