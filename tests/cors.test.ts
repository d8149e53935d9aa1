import { describe, expect, test } from 'bun:test'
import { testApp, testConfig } from './support/app'
import { useFixture } from './support/fixture'

const EXPOSED = ['ETag', 'Location', 'X-Request-Id', 'Retry-After', 'WWW-Authenticate']
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'X-Request-Id']
const APP_ORIGIN = 'https://app.example.com'

/** The store every app of this file runs on. */
const ctx = useFixture('sqlite')

type Send = (method: string, path: string, headers?: Record<string, string>) => Promise<Response>

/** Sends raw requests to an app with `CORS_ORIGINS` set to `origins` (built once the store is open). */
function appWith(origins: string): Send {
  let app: ReturnType<typeof testApp>['app'] | undefined
  return (method, path, headers = {}) => {
    app ??= testApp(ctx.store, { CORS_ORIGINS: origins }).app
    return app.handle(new Request(`http://localhost${path}`, { method, headers }))
  }
}

const preflight = (origin: string, requestHeaders = 'authorization, content-type, if-match') => ({
  origin,
  'access-control-request-method': 'PATCH',
  'access-control-request-headers': requestHeaders,
})

const list = (value: string | null) => (value ?? '').split(',').map((s) => s.trim().toLowerCase())

describe('CORS with CORS_ORIGINS=*', () => {
  const send = appWith('*')

  test('allows any origin and exposes the headers clients need', async () => {
    const response = await send('GET', '/health', { origin: 'https://anywhere.example' })
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(list(response.headers.get('access-control-expose-headers'))).toEqual(
      EXPOSED.map((h) => h.toLowerCase()),
    )
    expect(response.headers.get('access-control-allow-credentials')).toBeNull()
  })

  test('answers a preflight with 204, the methods and the request headers we take', async () => {
    const response = await send('OPTIONS', '/users/me', preflight('https://anywhere.example'))
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(list(response.headers.get('access-control-allow-methods'))).toEqual(
      expect.arrayContaining(['get', 'post', 'put', 'patch', 'delete']),
    )
    expect(list(response.headers.get('access-control-allow-headers'))).toEqual(
      ALLOWED_HEADERS.map((h) => h.toLowerCase()),
    )
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0)
    expect(response.headers.get('x-request-id')).toBeTruthy()
    expect(await response.text()).toBe('')
  })

  test('puts the CORS headers on error responses too', async () => {
    const unauthorized = await send('GET', '/users/me', { origin: APP_ORIGIN })
    expect(unauthorized.status).toBe(401)
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('*')
    expect(list(unauthorized.headers.get('access-control-expose-headers'))).toContain('www-authenticate')
    const missing = await send('GET', '/nowhere', { origin: APP_ORIGIN })
    expect(missing.status).toBe(404)
    expect(missing.headers.get('access-control-allow-origin')).toBe('*')
  })

  test('adds nothing to a request without Origin', async () => {
    const response = await send('GET', '/health')
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('leaves a plain OPTIONS (no preflight) to the router: 405 with Allow', async () => {
    const response = await send('OPTIONS', '/products', { origin: APP_ORIGIN })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toContain('GET')
  })
})

describe('CORS with an allow-list', () => {
  const send = appWith(`${APP_ORIGIN}, http://localhost:5173/`)

  test('echoes an allowed origin, with Vary: Origin', async () => {
    for (const origin of [APP_ORIGIN, 'http://localhost:5173']) {
      const response = await send('GET', '/products', { origin })
      expect(response.status).toBe(200)
      expect(response.headers.get('access-control-allow-origin')).toBe(origin)
      expect(list(response.headers.get('vary'))).toContain('origin')
      expect(list(response.headers.get('access-control-expose-headers'))).toContain('etag')
    }
  })

  test('answers a preflight from an allowed origin', async () => {
    const response = await send('OPTIONS', '/products/66f1c0ffee0000000000cafe', preflight(APP_ORIGIN))
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN)
    expect(list(response.headers.get('access-control-allow-headers'))).toContain('if-match')
  })

  test('gives another origin no CORS headers, and its preflight no 204', async () => {
    const origin = 'https://evil.example'
    const response = await send('GET', '/products', { origin })
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(response.headers.get('access-control-expose-headers')).toBeNull()
    expect(list(response.headers.get('vary'))).toContain('origin')
    const refused = await send('OPTIONS', '/products', preflight(origin))
    expect(refused.status).not.toBe(204)
    expect(refused.headers.get('access-control-allow-origin')).toBeNull()
    expect(refused.headers.get('access-control-allow-methods')).toBeNull()
  })

  test('matches origins exactly: scheme, host and port', async () => {
    for (const origin of [
      'http://app.example.com',
      'https://app.example.com:8443',
      'https://sub.app.example.com',
      'null',
    ]) {
      const response = await send('GET', '/health', { origin })
      expect(response.headers.get('access-control-allow-origin'), origin).toBeNull()
    }
  })
})

describe('CORS with CORS_ORIGINS empty (the production default)', () => {
  const send = appWith('')

  test('sends no CORS headers and answers no preflight', async () => {
    const response = await send('GET', '/health', { origin: APP_ORIGIN })
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    const refused = await send('OPTIONS', '/products', preflight(APP_ORIGIN))
    expect(refused.status).toBe(405)
    expect(refused.headers.get('access-control-allow-origin')).toBeNull()
  })
})

test('an entry of CORS_ORIGINS that is not an origin is refused at start', () => {
  expect(() => testConfig({ CORS_ORIGINS: 'app.example.com' })).toThrow('CORS_ORIGINS')
  expect(() => testConfig({ CORS_ORIGINS: 'https://app.example.com/path' })).toThrow('CORS_ORIGINS')
  expect(testConfig({ CORS_ORIGINS: 'https://app.example.com/, http://localhost:5173' }).corsOrigins).toEqual(
    ['https://app.example.com', 'http://localhost:5173'],
  )
})

test('a 413 and a preflight carry CORS headers and a request id, so a browser can read them', async () => {
  const { app } = testApp(ctx.store, { CORS_ORIGINS: APP_ORIGIN, BODY_LIMIT: '16' })
  const tooLarge = await app.handle(
    new Request('http://localhost/products', {
      method: 'POST',
      headers: { origin: APP_ORIGIN, 'content-type': 'application/json', 'content-length': '64' },
      body: 'x'.repeat(64),
    }),
  )
  expect(tooLarge.status).toBe(413)
  expect(tooLarge.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN)
  const preflight = await app.handle(
    new Request('http://localhost/products', {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
    }),
  )
  expect(preflight.status).toBe(204)
  expect(preflight.headers.get('x-request-id')).toBeTruthy()
})
