import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createApp, createServices } from '../src/app'
import { createLogger } from '../src/core/log'
import { Observability } from '../src/observability'
import type { Store } from '../src/store/types'
import { Client, createAdmin, newAccount, testConfig } from './support/app'
import { freshSqliteStore } from './support/stores'

const TOKEN = 'scrape-token-0123456789abcdef'

/** An app on `store` as index.ts composes it: the store timed by the same observability. */
function observedApp(rawStore: Store, env: Record<string, string> = {}) {
  const config = testConfig(env)
  const logger = createLogger('silent')
  const observability = new Observability(config)
  const store = observability.store(rawStore)
  const services = createServices(config, store, logger)
  const app = createApp({ config, store, logger, services, observability })
  return new Client(app, services)
}

/** The samples of the exposition `text`, as `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const cut = line.lastIndexOf(' ')
    map.set(line.slice(0, cut), Number(line.slice(cut + 1)))
  }
  return map
}

/** The value of the one sample whose name and labels are `series` (labels in exposition order). */
async function scrape(client: Client, token?: string): Promise<Map<string, number>> {
  // Each request is recorded after its answer is sent: let the last one land.
  await Bun.sleep(5)
  const reply = await client.get('/metrics', token ? { token } : {})
  expect(reply.status).toBe(200)
  return samples(reply.body as string)
}

let store: Store
let client: Client

beforeAll(() => {
  store = freshSqliteStore()
  client = observedApp(store)
})
afterAll(() => store.close())

describe('GET /metrics (docs/api.md, Operation: Metrics)', () => {
  test('answers the Prometheus text format with the contract metrics and the process metrics', async () => {
    const reply = await client.get('/metrics')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toStartWith('text/plain; version=0.0.4')
    expect(reply.headers.get('cache-control')).toBe('no-store')
    const text = reply.body as string
    for (const [name, type] of [
      ['http_request_duration_seconds', 'histogram'],
      ['http_requests_in_flight', 'gauge'],
      ['store_operation_duration_seconds', 'histogram'],
      ['store_operation_errors_total', 'counter'],
      ['auth_login_attempts_total', 'counter'],
      ['auth_refresh_reuse_total', 'counter'],
      ['auth_tokens_issued_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ])
      expect(text).toContain(`# TYPE ${name} ${type}\n`)
    expect(samples(text).get('process_resident_memory_bytes')).toBeGreaterThan(0)
  })

  test('labels requests with the route template, never the raw path', async () => {
    const id = '0123456789abcdef01234567'
    await client.get(`/products/${id}`)
    const after = await scrape(client)
    const series = 'http_request_duration_seconds_count{method="GET",route="/products/:id",status="404"}'
    expect(after.get(series)).toBeGreaterThanOrEqual(1)
    expect([...after.keys()].some((key) => key.includes(id))).toBe(false)
  })

  test('puts every unknown path in one series', async () => {
    const before = await scrape(client)
    const series = 'http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}'
    for (let i = 0; i < 5; i++) expect((await client.get(`/no-such-path-${i}/x`)).status).toBe(404)
    const after = await scrape(client)
    expect((after.get(series) ?? 0) - (before.get(series) ?? 0)).toBe(5)
    expect([...after.keys()].some((key) => key.includes('no-such-path'))).toBe(false)
  })

  test('counts a CORS preflight, answered before routing, and leaves no request in flight', async () => {
    const before = await scrape(client)
    const series = 'http_request_duration_seconds_count{method="OPTIONS",route="unmatched",status="204"}'
    const preflight = await client.request('OPTIONS', '/products', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(204)
    const after = await scrape(client)
    expect((after.get(series) ?? 0) - (before.get(series) ?? 0)).toBe(1)
    // Each scrape counts itself; the preflight is no longer in flight.
    expect(after.get('http_requests_in_flight')).toBe(before.get('http_requests_in_flight') as number)
  })

  test('counts login outcomes, tokens issued by grant type, and times the store calls', async () => {
    const account = newAccount()
    expect((await client.post('/auth/register', { body: account })).status).toBe(201)
    const before = await scrape(client)
    const login = (password: string) =>
      client.post('/auth/login', { form: { grant_type: 'password', username: account.username, password } })
    expect((await login(account.password)).status).toBe(200)
    expect((await login('wrong-password')).status).toBe(400)
    const after = await scrape(client)
    const delta = (series: string) => (after.get(series) ?? 0) - (before.get(series) ?? 0)
    expect(delta('auth_login_attempts_total{outcome="success"}')).toBe(1)
    expect(delta('auth_login_attempts_total{outcome="bad_credentials"}')).toBe(1)
    expect(delta('auth_tokens_issued_total{grant_type="password"}')).toBe(1)
    expect(delta('store_operation_duration_seconds_count{operation="users.findByLogin"}')).toBe(2)
    expect(
      after.get('store_operation_duration_seconds_bucket{le="+Inf",operation="users.findByLogin"}'),
    ).toBe(after.get('store_operation_duration_seconds_count{operation="users.findByLogin"}'))
  })

  test('counts throttled logins and refresh-token reuse', async () => {
    const throttled = observedApp(store, { LOGIN_MAX_FAILURES: '1' })
    const account = newAccount()
    expect((await throttled.post('/auth/register', { body: account })).status).toBe(201)
    const login = (password: string) =>
      throttled.post('/auth/login', {
        form: { grant_type: 'password', username: account.username, password },
      })
    const first = await login(account.password)
    const before = await scrape(throttled)
    const refresh = (token: string) =>
      throttled.post('/auth/refresh', { form: { grant_type: 'refresh_token', refresh_token: token } })
    expect((await refresh(first.body.refresh_token)).status).toBe(200)
    expect((await refresh(first.body.refresh_token)).status).toBe(400)
    expect((await login('wrong-password')).status).toBe(400)
    expect((await login('wrong-password')).status).toBe(429)
    const after = await scrape(throttled)
    const delta = (series: string) => (after.get(series) ?? 0) - (before.get(series) ?? 0)
    expect(delta('auth_refresh_reuse_total')).toBe(1)
    expect(delta('auth_tokens_issued_total{grant_type="refresh_token"}')).toBe(1)
    expect(delta('auth_login_attempts_total{outcome="throttled"}')).toBe(1)
  })
})

describe('tokens issued by grant type', () => {
  test('counts client_credentials responses of /auth/token, not its refusals', async () => {
    const admin = await createAdmin(client)
    const registered = await client.post('/clients', {
      token: admin.token,
      body: {
        client_name: 'metrics machine',
        grant_types: ['client_credentials'],
        scope: 'products:read',
        token_endpoint_auth_method: 'client_secret_post',
      },
    })
    expect(registered.status).toBe(201)
    const { client_id, client_secret } = registered.body
    const before = await scrape(client)
    const token = (secret: string) =>
      client.post('/auth/token', {
        form: { grant_type: 'client_credentials', client_id, client_secret: secret },
      })
    expect((await token(client_secret)).status).toBe(200)
    expect((await token('wrong-secret')).status).toBe(401)
    const after = await scrape(client)
    const series = 'auth_tokens_issued_total{grant_type="client_credentials"}'
    expect((after.get(series) ?? 0) - (before.get(series) ?? 0)).toBe(1)
  })
})

describe('who may read the metrics', () => {
  test('in production without METRICS_TOKEN there are none: 404', async () => {
    const production = observedApp(store, { NODE_ENV: 'production' })
    const reply = await production.get('/metrics')
    expect(reply.status).toBe(404)
    expect(reply.headers.get('content-type')).toBe('application/problem+json')
  })

  test('with METRICS_TOKEN the scrape must send it as a bearer token: 401 with a challenge otherwise', async () => {
    const production = observedApp(store, { NODE_ENV: 'production', METRICS_TOKEN: TOKEN })
    const missing = await production.get('/metrics')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="mercado"')
    const wrong = await production.get('/metrics', { token: `${TOKEN}x` })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toStartWith('Bearer realm="mercado", error="invalid_token"')
    const basic = await production.get('/metrics', {
      headers: { authorization: `Basic ${btoa(`x:${TOKEN}`)}` },
    })
    expect(basic.status).toBe(401)
    const right = await production.get('/metrics', { token: TOKEN })
    expect(right.status).toBe(200)
    expect(right.body).toContain('http_request_duration_seconds_bucket')
  })

  test('the token is required in development too once it is set', async () => {
    const development = observedApp(store, { NODE_ENV: 'development', METRICS_TOKEN: TOKEN })
    expect((await development.get('/metrics')).status).toBe(401)
  })
})
