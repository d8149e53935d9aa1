/**
 * Gate: the service's telemetry as real receivers see it (docs/api.md, Operation: Metrics,
 * Tracing). A real Prometheus (scripts/prometheus-server.ts) scrapes the real service (production
 * mode, SQLite, METRICS_TOKEN) every second while requests run; its HTTP API must then return the
 * request counter by route template and the metrics the dashboard reads (ops/README.md). The same
 * service exports its traces over OTLP/HTTP (protobuf) to the OpenTelemetry Collector's OTLP
 * receiver (scripts/otlp-receiver.sh); a request sent with a known `traceparent` must turn up there
 * as that trace, with its server span and the store call under it. Runs once in CI, not per store:
 * the telemetry does not depend on the engine.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Subprocess, spawn } from 'bun'
import type { RunningServer } from '../../tests/support/server'
import { startServer } from '../../tests/support/server'
import { type PrometheusServer, startPrometheus } from '../prometheus-server'
import { assert, GATE_SECRET, Gate } from '../support/gate'
import { freePort, ROOT } from '../support/processes'

const TOKEN = 'gate-metrics-token-0123456789'
/** Scrapes are every second; a few of them have to land. */
const QUERY_TIMEOUT_MS = 30_000
const HEALTH_REQUESTS = 25

/** The first run builds the receiver with Go. */
const RECEIVER_START_MS = 10 * 60_000

const gate = new Gate('observability')
const dataDir = mkdtempSync(join(tmpdir(), 'mercado-gate-observability-'))
let service: RunningServer | undefined
let prometheus: PrometheusServer | undefined
let receiver: { process: Subprocess; otlp: string; api: string } | undefined
process.on('exit', () => {
  service?.process.kill('SIGKILL')
  receiver?.process.kill('SIGKILL')
  prometheus?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

interface Sample {
  metric: Record<string, string>
  value: [number, string]
}

/** Asks Prometheus `query` until `accept` takes the result, or fails with the last one. */
async function queryUntil(query: string, accept: (result: Sample[]) => boolean): Promise<Sample[]> {
  assert(prometheus, 'Prometheus is not running')
  const deadline = Date.now() + QUERY_TIMEOUT_MS
  let last: unknown
  while (Date.now() < deadline) {
    const reply = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`)
    last = await reply.json()
    const { status, data } = last as { status: string; data?: { result: Sample[] } }
    if (status === 'success' && data && accept(data.result)) return data.result
    await Bun.sleep(500)
  }
  throw new Error(
    `${query}: no acceptable answer within ${QUERY_TIMEOUT_MS / 1000} s; last: ${JSON.stringify(last)}`,
  )
}

/** The OTLP receiver on two free ports; resolves once it prints READY. */
async function startReceiver() {
  const [otlp, api] = [await freePort(), await freePort()]
  const child = spawn(
    [
      'bash',
      join(ROOT, 'scripts', 'otlp-receiver.sh'),
      'run',
      '-otlp',
      `127.0.0.1:${otlp}`,
      '-api',
      `127.0.0.1:${api}`,
    ],
    {
      env: { ...process.env, MERCADO_WATCH_PARENT: '1' },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'inherit',
    },
  )
  receiver = { process: child, otlp: `http://127.0.0.1:${otlp}`, api: `http://127.0.0.1:${api}` }
  const timer = setTimeout(() => child.kill('SIGKILL'), RECEIVER_START_MS)
  let output = ''
  const decoder = new TextDecoder()
  for await (const chunk of child.stdout) {
    output += decoder.decode(chunk)
    if (output.includes('READY')) break
  }
  clearTimeout(timer)
  assert(
    output.includes('READY'),
    `the OTLP receiver exited (${child.exitCode}) before READY: ${output.trim()}`,
  )
}

await gate.check("the OTLP receiver (the OpenTelemetry Collector's) starts", async () => {
  const start = performance.now()
  await startReceiver()
  console.log(
    `observability: receiver ready in ${((performance.now() - start) / 1000).toFixed(1)} s (build included)`,
  )
})

await gate.check(
  'the service starts in production mode with METRICS_TOKEN and an OTLP endpoint',
  async () => {
    assert(receiver, 'the OTLP receiver did not start')
    service = await startServer({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      KEY_ENCRYPTION_SECRET: GATE_SECRET,
      METRICS_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.otlp,
      OTEL_SERVICE_NAME: 'mercado-gate',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    })
    const refused = await fetch(`${service.url}/metrics`)
    assert(refused.status === 401, `GET /metrics without the token: ${refused.status}, expected 401`)
  },
)

await gate.check('Prometheus starts and scrapes the service with the bearer token', async () => {
  assert(service, 'the service did not start')
  prometheus = await startPrometheus(new URL(service.url).host, TOKEN)
  await queryUntil('up{job="mercado"}', (result) => result[0]?.value[1] === '1')
})

await gate.check(
  `Prometheus counts ${HEALTH_REQUESTS} requests to /health under its route template`,
  async () => {
    assert(service, 'the service did not start')
    for (let i = 0; i < HEALTH_REQUESTS; i++)
      assert((await fetch(`${service.url}/health`)).ok, '/health failed')
    const [sample] = await queryUntil(
      'http_request_duration_seconds_count{route="/health"}',
      (result) => Number(result[0]?.value[1] ?? 0) >= HEALTH_REQUESTS,
    )
    console.log(`observability: Prometheus: ${JSON.stringify(sample?.metric)} = ${sample?.value[1]}`)
    assert(sample?.metric.method === 'GET' && sample.metric.status === '200', 'labels method and status')
  },
)

await gate.check(
  'unknown paths, logins and store calls reach Prometheus as the dashboard reads them',
  async () => {
    assert(service, 'the service did not start')
    for (let i = 0; i < 5; i++) await fetch(`${service.url}/no-such-page-${i}`)
    const account = {
      username: 'gate_metrics',
      email: 'gate-metrics@example.com',
      password: 'gate-metrics-pw',
    }
    await fetch(`${service.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    })
    const login = await fetch(`${service.url}/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        username: account.username,
        password: account.password,
      }),
    })
    assert(login.status === 200, `login: ${login.status}`)
    const unmatched = await queryUntil(
      'http_request_duration_seconds_count{status="404"}',
      (r) => r.length > 0,
    )
    assert(
      unmatched.every((s) => !s.metric.route?.includes('no-such-page')),
      `raw paths as routes: ${JSON.stringify(unmatched.map((s) => s.metric.route))}`,
    )
    for (const query of [
      'auth_login_attempts_total{outcome="success"} >= 1',
      'auth_tokens_issued_total{grant_type="password"} >= 1',
      'store_operation_duration_seconds_bucket{operation="users.findByLogin", le="+Inf"} >= 1',
      'http_requests_in_flight',
      'auth_refresh_reuse_total',
      'process_resident_memory_bytes > 0',
      'nodejs_eventloop_lag_seconds',
    ])
      await queryUntil(query, (result) => result.length > 0)
  },
)

interface JaegerSpan {
  spanID: string
  operationName: string
  references: Array<{ refType: string; spanID: string }>
  serviceName: string
}

await gate.check("a request's traceparent is continued, and the receiver has that trace by id", async () => {
  assert(service && receiver, 'the service or the receiver did not start')
  const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex')
  const [traceId, parentId] = [hex(16), hex(8)]
  const reply = await fetch(`${service.url}/products/0123456789abcdef01234567`, {
    headers: { traceparent: `00-${traceId}-${parentId}-01` },
  })
  assert(reply.status === 404, `GET /products/{id}: ${reply.status}`)
  const answered = reply.headers.get('traceparent') ?? ''
  assert(answered.startsWith(`00-${traceId}-`), `the response's traceparent is "${answered}"`)
  const deadline = Date.now() + QUERY_TIMEOUT_MS
  let spans: JaegerSpan[] = []
  while (Date.now() < deadline) {
    const found = await fetch(`${receiver.api}/api/traces/${traceId}`)
    if (found.ok) {
      spans = ((await found.json()) as { data: Array<{ spans: JaegerSpan[] }> }).data[0]?.spans ?? []
      // The store span can arrive a batch before the server span, which ends after the answer.
      const names = new Set(spans.map((s) => s.operationName))
      if (names.has('products.findById') && names.has('GET /products/:id')) break
    }
    await Bun.sleep(250)
  }
  const server = spans.find((s) => s.operationName === 'GET /products/:id')
  assert(server, `no server span "GET /products/:id" in trace ${traceId}: ${JSON.stringify(spans)}`)
  assert(server.serviceName === 'mercado-gate', `service.name ${server.serviceName}`)
  assert(
    server.references[0]?.spanID === parentId,
    `the server span's parent: ${JSON.stringify(server.references)}`,
  )
  const read = spans.find((s) => s.operationName === 'products.findById')
  assert(read?.references[0]?.spanID === server.spanID, 'the store call is a child of the server span')
  // By now the access-log line has been read from the service's stdout too.
  const log = service.logs.find((l) => l.path === '/products/0123456789abcdef01234567')
  assert(log?.traceId === traceId, `the access-log line has traceId ${log?.traceId}`)
  console.log(`observability: receiver: trace ${traceId}: ${spans.map((s) => s.operationName).join(', ')}`)
})

gate.finish()
