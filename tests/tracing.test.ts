import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { createApp, createServices } from '../src/app'
import { createLogger } from '../src/core/log'
import { Observability } from '../src/observability'
import { StoreUnavailableError } from '../src/store/errors'
import type { Store } from '../src/store/types'
import { Client, newAccount, testConfig } from './support/app'
import { freshSqliteStore } from './support/stores'

const exporter = new InMemorySpanExporter()
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'
const lines: Array<Record<string, unknown>> = []

let store: Store
let client: Client
/** An id whose product read fails as if the database were gone (503). */
const UNAVAILABLE_ID = 'dead0000000000000000beef'

/** `raw` with one product read that fails, to see a 5xx through the error mapping. */
function withFailingRead(raw: Store): Store {
  const products = Object.create(raw.products) as Store['products']
  products.findById = (id: string) =>
    id === UNAVAILABLE_ID ? Promise.reject(new StoreUnavailableError('gone')) : raw.products.findById(id)
  return Object.assign(Object.create(raw) as Store, { products })
}

beforeAll(() => {
  const config = testConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9/', CORS_ORIGINS: '*' })
  const logger = createLogger('info', (chunk) => {
    for (const line of chunk.split('\n')) if (line) lines.push(JSON.parse(line))
  })
  const observability = new Observability(config, { exporter })
  store = observability.store(withFailingRead(freshSqliteStore()))
  const services = createServices(config, store, logger)
  client = new Client(createApp({ config, store, logger, services, observability }), services)
})
afterAll(() => store.close())
beforeEach(() => exporter.reset())

/** The spans of the trace `traceId`, once its server span has ended. */
async function traceOf(traceId: string): Promise<ReadableSpan[]> {
  for (let i = 0; i < 100; i++) {
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId)
    if (spans.some((s) => s.kind === 1)) return spans
    await Bun.sleep(5)
  }
  throw new Error(`no server span ended for trace ${traceId}`)
}

const traceIdIn = (header: string | null) =>
  /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/.exec(header ?? '')?.[1] as string

describe('tracing (docs/api.md, Operation: Tracing)', () => {
  test("continues the caller's traceparent with a server span named after the route template", async () => {
    const reply = await client.get('/products/0123456789abcdef01234567', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    })
    expect(reply.status).toBe(404)
    expect(traceIdIn(reply.headers.get('traceparent'))).toBe(TRACE_ID)
    const spans = await traceOf(TRACE_ID)
    const server = spans.find((s) => s.kind === 1) as ReadableSpan
    expect(server.name).toBe('GET /products/:id')
    expect(server.parentSpanContext?.spanId).toBe(PARENT_ID)
    expect(server.attributes['http.response.status_code']).toBe(404)
    expect(server.attributes['http.route']).toBe('/products/:id')
    const read = spans.find((s) => s.name === 'products.findById') as ReadableSpan
    expect(read.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
  })

  test('starts a new trace without a traceparent, and names it in the access log', async () => {
    const reply = await client.get('/health')
    const traceId = traceIdIn(reply.headers.get('traceparent'))
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(traceId).not.toBe(TRACE_ID)
    await traceOf(traceId)
    await Bun.sleep(5) // the log is written once per event-loop turn
    const line = lines.find((l) => l.reqId === reply.headers.get('x-request-id'))
    expect(line?.traceId).toBe(traceId)
  })

  test('ends the span of an error that onError answers: 404 of an unknown path, 422', async () => {
    for (const [path, status] of [
      ['/no/such/path', 404],
      ['/products?limit=1000', 422],
    ] as const) {
      const reply = await client.get(path)
      expect(reply.status).toBe(status)
      const [server] = (await traceOf(traceIdIn(reply.headers.get('traceparent')))).filter(
        (s) => s.kind === 1,
      )
      expect(server?.attributes['http.response.status_code']).toBe(status)
    }
    const unknown = exporter.getFinishedSpans().find((s) => s.attributes['url.path'] === '/no/such/path')
    expect(unknown?.name).toBe('GET')
  })

  test('ends the span of a 5xx that onError answers, marked as an error, the failed store call too', async () => {
    const reply = await client.get(`/products/${UNAVAILABLE_ID}`)
    expect(reply.status).toBe(503)
    const spans = await traceOf(traceIdIn(reply.headers.get('traceparent')))
    const server = spans.find((s) => s.kind === 1) as ReadableSpan
    expect(server.name).toBe('GET /products/:id')
    expect(server.attributes['http.response.status_code']).toBe(503)
    expect(server.status.code).toBe(2) // SpanStatusCode.ERROR
    expect(spans.find((s) => s.name === 'products.findById')?.status.code).toBe(2)
  })

  test('gives a CORS preflight, answered before routing, a span of its own', async () => {
    const reply = await client.request('OPTIONS', '/products', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    })
    expect(reply.status).toBe(204)
    const [server] = (await traceOf(traceIdIn(reply.headers.get('traceparent')))).filter((s) => s.kind === 1)
    expect(server?.name).toStartWith('OPTIONS')
    expect(server?.attributes['http.response.status_code']).toBe(204)
  })

  test('traces the password hashing of a login as a child of its request', async () => {
    const account = newAccount()
    await client.post('/auth/register', { body: account })
    const reply = await client.post('/auth/login', {
      form: { grant_type: 'password', username: account.username, password: account.password },
    })
    expect(reply.status).toBe(200)
    const spans = await traceOf(traceIdIn(reply.headers.get('traceparent')))
    const server = spans.find((s) => s.kind === 1) as ReadableSpan
    expect(server.name).toBe('POST /auth/login')
    const names = spans.map((s) => s.name)
    expect(names).toContain('users.findByLogin')
    expect(names).toContain('password.verify')
  })
})
