/**
 * Hostile clients gate (issue #9): the real service (`bun src/index.ts`, SQLite in a temporary
 * DATA_DIR) on loopback, attacked over real sockets with what a hostile client sends:
 *
 * - slowloris (a request head dribbled a byte a second) and idle connections, which Bun must close
 *   within IDLE_TIMEOUT (the default, 30 s; a first request head is cut after about 10 s, Bun's own
 *   fixed limit) while /health stays fast;
 * - oversized heads, request targets and bodies (with and without Content-Length), refused with a
 *   problem body, or where Bun answers before the app (a head over 16 KiB) with Bun's bare 431;
 * - deep, wide and long-stringed JSON and forms, refused in bounded time per request;
 * - invalid UTF-8, refused with 400;
 * - /health latency while bursts of 20 hostile bodies arrive at once.
 *
 * Bounded: fixed counts, loopback only, and the whole gate stops itself after 3 minutes (it takes
 * about 35 s). Prints one line per check and `hostile: N passed, M failed`; exits 1 on any failure.
 */
import { readFileSync, rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'bun'

const ROOT = join(import.meta.dir, '..', '..')
/** What the service is started with, and so what the checks expect (docs/api.md). */
const IDLE_TIMEOUT_S = 30
const BODY_LIMIT = 1024 * 1024
const TOKEN_LIMIT = 8 * 1024
const PRODUCT_LIMIT = 32 * 1024
/** Bun closes idle connections on a timer that ticks every few seconds: allow for it. */
const IDLE_SLACK_S = 8
/** /health while under attack: the slowest 1 % of probes may take this long. */
const HEALTH_P99_MS = 100
/** A refused hostile body, on average: server CPU and round trip. */
const REFUSAL_CPU_MS = 3
const REFUSAL_WALL_MS = 15
const GATE_DEADLINE_MS = 180_000

const results: Array<{ name: string; ok: boolean; note: string }> = []
function record(name: string, ok: boolean, note: string) {
  results.push({ name, ok, note })
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}${note ? `: ${note}` : ''}`)
}

/** Runs `body`, which throws a readable message on failure; records the result. */
async function check(name: string, body: () => Promise<string>) {
  try {
    record(name, true, await body())
  } catch (error) {
    record(name, false, error instanceof Error ? error.message : String(error))
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

// --- the service -----------------------------------------------------------------------------

const dataDir = await mkdtemp(join(tmpdir(), 'mercado-hostile-'))
const server = spawn(['bun', 'src/index.ts'], {
  cwd: ROOT,
  env: {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    NODE_ENV: 'production',
    KEY_ENCRYPTION_SECRET: 'hostile-gate-secret-hostile-gate-secret',
    LOG_LEVEL: 'info',
  },
  stdin: 'ignore',
  stdout: 'pipe',
  stderr: 'inherit',
})

function finish(code: number): never {
  server.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
  process.exit(code)
}
setTimeout(() => {
  console.error(`hostile: over ${GATE_DEADLINE_MS / 1000} s; stopped`)
  console.log(
    `hostile: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length + 1} failed`,
  )
  finish(1)
}, GATE_DEADLINE_MS).unref()

/** Access-log lines by status, and those without a request id. */
const logged = { byStatus: new Map<number, number>(), withoutId: 0 }

/** The access log, read all along (a full pipe would stall the server); resolves the port. */
const port = await new Promise<number>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the service did not start within 30 s')), 30_000)
  ;(async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of server.stdout) {
      buffer += decoder.decode(chunk, { stream: true })
      let newline = buffer.indexOf('\n')
      while (newline >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
        let entry: { msg?: string; url?: string; status?: number; reqId?: string }
        try {
          entry = JSON.parse(line)
        } catch {
          continue
        }
        if (entry.msg === 'listening') {
          clearTimeout(timer)
          resolve(Number(new URL(String(entry.url)).port))
        } else if (typeof entry.status === 'number') {
          logged.byStatus.set(entry.status, (logged.byStatus.get(entry.status) ?? 0) + 1)
          if (!entry.reqId) logged.withoutId++
        }
      }
    }
  })()
}).catch((error) => {
  console.error(`hostile: ${error.message}`)
  return finish(1)
})
const base = `http://127.0.0.1:${port}`

/** The service's CPU time so far in ms, from /proc (Linux); undefined elsewhere. */
function serverCpuMs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return undefined
  }
}

// --- raw sockets ---------------------------------------------------------------------------------

interface Exchange {
  /** What the server sent, as text. */
  raw: string
  status: number
  headers: Map<string, string>
  body: string
  /** The server closed the connection (or reset it) before `waitMs` ran out. */
  closed: boolean
  /** When the connection ended, from connecting, ms. */
  ms: number
}

/**
 * Connects and writes `pieces`, one every `gapMs`, as a careful client does: it waits while the
 * socket is full and stops sending once the server has begun to answer (the server closes after a
 * 413, and bytes sent after that only earn a reset). Then waits up to `waitMs` for the server to
 * close the connection; with `untilAnswer`, stops as soon as a whole response has arrived.
 */
function exchange(
  pieces: Iterable<string | Uint8Array>,
  { gapMs = 0, waitMs = 5000, untilAnswer = false } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const started = performance.now()
    let raw = ''
    let settled = false
    const settle = (closed: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const end = raw.indexOf('\r\n\r\n')
      const head = end < 0 ? raw : raw.slice(0, end)
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers = new Map(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      )
      resolve({
        raw,
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0),
        headers,
        body: end < 0 ? '' : raw.slice(end + 4),
        closed,
        ms: performance.now() - started,
      })
    }
    const timer = setTimeout(() => settle(false), waitMs)
    socket.on('data', (data) => {
      raw += data.toString('latin1')
      if (untilAnswer) {
        const end = raw.indexOf('\r\n\r\n')
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(raw)?.[1] ?? Number.NaN)
        if (end >= 0 && raw.length - end - 4 >= length) settle(false)
      }
    })
    // A reset after a complete answer still leaves the answer to read.
    socket.on('error', () => setTimeout(() => settle(true), 0))
    socket.on('close', () => settle(true))
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (settled || socket.destroyed || raw.length > 0) return
        if (!socket.write(piece)) await new Promise((drained) => socket.once('drain', drained))
        if (gapMs) await Bun.sleep(gapMs)
      }
    })
  })
}

/** The checks every refusal by the app must pass: a problem body with `status`, and a request id. */
function expectProblem(answer: Exchange, status: number, what: string) {
  assert(
    answer.status === status,
    `${what}: expected ${status}, got ${answer.status || 'no answer'} ${answer.raw.slice(0, 120)}`,
  )
  assert(
    answer.headers.get('content-type') === 'application/problem+json',
    `${what}: ${status} without a problem body`,
  )
  assert(answer.headers.get('x-request-id'), `${what}: ${status} without X-Request-Id`)
  assert(JSON.parse(answer.body).status === status, `${what}: the problem's status is not ${status}`)
}

const chunked = (path: string, type = 'application/json') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\n\r\n`
function* chunks(total: number, size = 64 * 1024) {
  const data = `${'{"k":"'}${'x'.repeat(size - 6)}`
  for (let sent = 0; sent < total; sent += size) yield `${size.toString(16)}\r\n${data}\r\n`
  yield '0\r\n\r\n'
}

/**
 * /health latencies, probed one after another by a worker thread until `stop()`, so that the
 * attack this process sends does not slow the probe's own event loop. A failed probe counts as
 * infinitely slow.
 */
function probeHealth() {
  const worker = new Worker(join(import.meta.dir, 'support', 'health-probe.ts'))
  worker.postMessage({ url: `${base}/health`, pauseMs: 10 })
  return {
    async stop() {
      const latencies = await new Promise<number[]>((resolve) => {
        worker.onmessage = (event: MessageEvent<number[]>) => resolve(event.data)
        worker.postMessage('stop')
      })
      worker.terminate()
      const sorted = latencies.sort((a, b) => a - b)
      const at = (q: number) =>
        sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
      return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) }
    },
  }
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`

// --- slow and idle connections, left running while the other checks go on --------------------------

const SLOW_CONNECTIONS = 50
const IDLE_CONNECTIONS = 50
const deadline = (IDLE_TIMEOUT_S + IDLE_SLACK_S) * 1000
const quietHealth = probeHealth()
const head = 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '
const slowloris = Array.from({ length: SLOW_CONNECTIONS }, () =>
  // One byte a second, for longer than the deadline: only the server can end it in time.
  exchange([...head, ...'x'.repeat(IDLE_TIMEOUT_S + IDLE_SLACK_S + 10)], {
    gapMs: 1000,
    waitMs: deadline + 5000,
  }),
)
// The second request head on a kept-alive connection, dribbled the same way: IDLE_TIMEOUT ends it.
const slowSecond = Array.from({ length: 10 }, () =>
  exchange(
    [
      'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      ...head,
      ...'x'.repeat(IDLE_TIMEOUT_S + IDLE_SLACK_S + 10),
    ],
    {
      gapMs: 1000,
      waitMs: deadline + 5000,
    },
  ),
)
const idle = [
  ...Array.from({ length: IDLE_CONNECTIONS }, () => exchange([], { waitMs: deadline + 5000 })),
  // Kept alive after one answered request, then silent.
  ...Array.from({ length: 10 }, () =>
    exchange(['GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'], { waitMs: deadline + 5000 }),
  ),
]
await Bun.sleep(200)

// --- oversized heads and targets ---------------------------------------------------------------------

await check('an oversized head is refused (Bun: bare 431, before the app)', async () => {
  const big = await exchange([
    `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`,
  ])
  assert(big.status === 431 && big.closed, `20 KB header: expected Bun's 431 and a close, got ${big.status}`)
  const many = Array.from({ length: 250 }, (_, i) => `X-H${i}: v\r\n`).join('')
  const lines = await exchange([`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n${many}\r\n`])
  assert(lines.status === 431 && lines.closed, `250 header lines: expected 431, got ${lines.status}`)
  const under = await exchange(
    [`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'h'.repeat(12_000)}\r\n\r\n`],
    {
      untilAnswer: true,
    },
  )
  assert(under.status === 200, `a 12 KB header under Bun's limit: expected 200, got ${under.status}`)
  return '20 KB header and 250 lines: 431 from Bun; 12 KB: served'
})

await check('a request target over 8 KiB is a 414 problem', async () => {
  const long = await exchange([`GET /products?q=${'q'.repeat(9000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`], {
    untilAnswer: true,
  })
  expectProblem(long, 414, '9 KB query')
  const huge = await exchange([`GET /products?q=${'q'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`])
  assert(huge.status === 431, `20 KB query: expected Bun's 431, got ${huge.status}`)
  return '9 KB: 414 problem; 20 KB: 431 from Bun'
})

// --- oversized bodies ----------------------------------------------------------------------------------

await check(
  'a declared Content-Length over the limit is a 413 problem, before the body is sent',
  async () => {
    const cases: Array<[string, number, number]> = [
      ['/auth/register', 1_000_000_000, BODY_LIMIT],
      ['/auth/register', 5 * 1024 * 1024, BODY_LIMIT],
      ['/auth/login', 20 * 1024, TOKEN_LIMIT],
      ['/products', 40 * 1024, PRODUCT_LIMIT],
    ]
    for (const [path, length, limit] of cases) {
      const answer = await exchange([
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{"a":`,
      ])
      expectProblem(answer, 413, `${path} with Content-Length ${length}`)
      assert(
        answer.body.includes(`limit of ${limit} bytes`),
        `${path}: 413 names another limit: ${answer.body}`,
      )
      assert(answer.closed && answer.ms < 1000, `${path}: the connection stayed open after the 413`)
    }
    return `${cases.length} lengths, each 413 with Connection: close`
  },
)

/** A body stream of `total` bytes without Content-Length: fetch sends it chunked. */
function streamOf(total: number, size = 64 * 1024) {
  const piece = new Uint8Array(size).fill(0x78)
  let sent = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close()
      sent += size
      controller.enqueue(piece)
    },
  })
}

/** `fetch` streaming a body without Content-Length, as a real client sends one (chunked). */
async function postStream(path: string, total: number): Promise<Exchange> {
  const start = performance.now()
  const reply = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: streamOf(total),
    duplex: 'half',
  } as RequestInit)
  const body = await reply.text()
  return {
    raw: body,
    status: reply.status,
    headers: new Map([...reply.headers].map(([k, v]) => [k.toLowerCase(), v])),
    body,
    closed: reply.headers.get('connection') === 'close',
    ms: performance.now() - start,
  }
}

await check('a chunked body over the limit is cut off with the same 413 problem', async () => {
  const cases: Array<[string, number, number]> = [
    ['/auth/register', 4 * 1024 * 1024, TOKEN_LIMIT],
    ['/auth/login', 2 * 1024 * 1024, TOKEN_LIMIT],
    ['/products', 64 * 1024 * 1024, PRODUCT_LIMIT],
  ]
  let slowest = 0
  for (const [path, size, limit] of cases) {
    const answer = await postStream(path, size)
    expectProblem(answer, 413, `chunked ${size} B to ${path}`)
    assert(
      answer.body.includes(`limit of ${limit} bytes`),
      `${path}: 413 names another limit: ${answer.body}`,
    )
    assert(answer.closed, `${path}: the 413 does not close the connection`)
    slowest = Math.max(slowest, answer.ms)
  }
  // Raw bytes: a body a little over the limit, sent in chunks at once, then its end.
  const raw = await exchange([chunked('/auth/login'), ...chunks(12 * 1024, 4 * 1024)])
  expectProblem(raw, 413, 'raw chunked 12 KiB to /auth/login')
  return `fetch streaming 2, 4 and 64 MiB, raw 12 KiB: each 413; slowest ${fmt(slowest)}`
})

// --- hostile shapes, in bounded time ----------------------------------------------------------------------

const keys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`
const fitting = (text: string, limit: number) => text.slice(0, limit - 16).replace(/,[^,]*$/, '}')

/** Sends `count` of `body` one after another; each must answer `status`; returns cost per request. */
async function refusals(path: string, type: string, body: string, status: number, count = 300) {
  const cpuBefore = serverCpuMs()
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const reply = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body })
    const text = await reply.text()
    assert(reply.status === status, `${path}: expected ${status}, got ${reply.status} ${text.slice(0, 120)}`)
  }
  const wall = (performance.now() - start) / count
  const cpuAfter = serverCpuMs()
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / count
  assert(wall <= REFUSAL_WALL_MS, `${path}: ${fmt(wall)} per refusal, over ${REFUSAL_WALL_MS} ms`)
  assert(cpu === undefined || cpu <= REFUSAL_CPU_MS, `${path}: ${fmt(cpu ?? 0)} of server CPU per refusal`)
  return `${fmt(wall)} round trip, ${cpu === undefined ? 'CPU not measured' : `${fmt(cpu)} CPU`}`
}

await check('deep JSON is a 400, refused cheaply', async () => {
  const deep = `{"username":${'['.repeat(4000)}${']'.repeat(4000)}}`
  const a = await refusals('/auth/register', 'application/json', deep, 400)
  const b = await refusals('/auth/login', 'application/json', deep, 400)
  return `register ${a}; login ${b}`
})

await check('wide JSON (objects and arrays) is a 400, refused cheaply', async () => {
  const a = await refusals('/auth/login', 'application/json', fitting(keys(2000), TOKEN_LIMIT), 400)
  const array = `{"name":"x","price":1,"tags":[${Array(8000).fill('0').join(',')}]}`
  const b = await refusals(
    '/products',
    'application/json',
    fitting(array, PRODUCT_LIMIT).replace(/}$/, ']}'),
    400,
  )
  const c = await refusals('/auth/register', 'application/json', fitting(keys(2000), TOKEN_LIMIT), 400)
  return `login ${a}; products ${b}; register ${c}`
})

await check('long strings and wide forms are a 400, refused cheaply', async () => {
  const email = JSON.stringify({ username: 'abc', password: 'x'.repeat(10), email: `a@${'a.'.repeat(3000)}` })
  const a = await refusals('/auth/register', 'application/json', email, 400)
  const form = Array.from({ length: 2000 }, (_, i) => `k${i}=0`)
    .join('&')
    .slice(0, TOKEN_LIMIT - 16)
    .replace(/&[^&]*$/, '')
  const b = await refusals('/auth/login', 'application/x-www-form-urlencoded', form, 400)
  return `register ${a}; login form ${b}`
})

await check('invalid UTF-8 is a 400, in JSON and in forms', async () => {
  const send = (path: string, type: string, body: Uint8Array | string) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body })
  const bytes = (...parts: Array<string | number[]>) =>
    new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))))
  const json = await send(
    '/auth/register',
    'application/json',
    bytes(
      '{"username":"utf8_gate","email":"u@example.com","password":"long-enough","fullName":"A',
      [0xff],
      '"}',
    ),
  )
  assert(json.status === 400, `JSON with 0xFF: expected 400, got ${json.status}`)
  assert(
    ((await json.json()) as { detail?: string }).detail === 'the body is not valid UTF-8',
    'JSON with 0xFF: another detail',
  )
  for (const [what, body] of [
    ['raw 0xC0 0xAF', bytes('grant_type=password&username=a', [0xc0, 0xaf], '&password=b')],
    ['%FF', 'grant_type=password&username=a%FF&password=b'],
    ['%ED%A0%80', 'grant_type=password&username=a%ED%A0%80&password=b'],
  ] as const) {
    const reply = await send('/auth/login', 'application/x-www-form-urlencoded', body)
    const answer = (await reply.json()) as { error?: string }
    assert(reply.status === 400 && answer.error === 'invalid_request', `form with ${what}: ${reply.status}`)
  }
  return 'JSON: 400 problem; forms (raw and percent-escaped): 400 invalid_request'
})

// --- /health while bursts of hostile bodies arrive ----------------------------------------------------------

await check(`/health p99 under ${HEALTH_P99_MS} ms while 20 hostile bodies arrive at once`, async () => {
  const mb = fitting(keys(100_000), BODY_LIMIT)
  const wide = fitting(keys(2000), TOKEN_LIMIT)
  const hostile = [
    () =>
      fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: mb,
      }),
    () =>
      fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: wide,
      }),
    () => postStream('/auth/login', 1024 * 1024),
  ]
  const probe = probeHealth()
  await Bun.sleep(50)
  let sent = 0
  for (let burst = 0; burst < 15; burst++) {
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const answer = await (hostile[i % hostile.length] as () => Promise<Response | Exchange>)()
        if (answer instanceof Response) await answer.arrayBuffer()
        sent++
      }),
    )
    await Bun.sleep(20)
  }
  const health = await probe.stop()
  assert(
    health.p99 <= HEALTH_P99_MS,
    `p99 ${fmt(health.p99)} (max ${fmt(health.max)}) over ${HEALTH_P99_MS} ms`,
  )
  return `${sent} hostile requests in 15 bursts of 20; /health n=${health.n} p50 ${fmt(health.p50)} p99 ${fmt(health.p99)} max ${fmt(health.max)}`
})

// --- now the slow and idle connections must have been closed ---------------------------------------------------

await check(
  `slowloris: ${SLOW_CONNECTIONS} heads dribbled a byte a second are closed within IDLE_TIMEOUT`,
  async () => {
    const ends = await Promise.all(slowloris)
    const open = ends.filter((e) => !e.closed).length
    const answered = ends.filter((e) => e.status >= 200 && e.status < 400).length
    assert(open === 0, `${open} of ${SLOW_CONNECTIONS} were still open after ${deadline / 1000} s`)
    assert(answered === 0, `${answered} got an answer from a head that never ended`)
    return `closed after ${fmt(Math.min(...ends.map((e) => e.ms)))} to ${fmt(Math.max(...ends.map((e) => e.ms)))}`
  },
)

await check(
  'slowloris: 10 second heads dribbled on kept-alive connections are closed within IDLE_TIMEOUT',
  async () => {
    const ends = await Promise.all(slowSecond)
    const open = ends.filter((e) => !e.closed).length
    assert(open === 0, `${open} of ${ends.length} were still open after ${deadline / 1000} s`)
    assert(
      ends.every((e) => e.raw.split('HTTP/1.1 ').length === 2),
      'a head that never ended got an answer',
    )
    return `closed after ${fmt(Math.min(...ends.map((e) => e.ms)))} to ${fmt(Math.max(...ends.map((e) => e.ms)))}`
  },
)

await check(
  `idle: ${IDLE_CONNECTIONS} silent and 10 kept-alive connections are closed within IDLE_TIMEOUT`,
  async () => {
    const ends = await Promise.all(idle)
    const open = ends.filter((e) => !e.closed).length
    assert(open === 0, `${open} of ${ends.length} were still open after ${deadline / 1000} s`)
    return `closed after ${fmt(Math.min(...ends.map((e) => e.ms)))} to ${fmt(Math.max(...ends.map((e) => e.ms)))}`
  },
)

await check(`/health p99 under ${HEALTH_P99_MS} ms all along, slow and idle connections open`, async () => {
  const health = await quietHealth.stop()
  assert(health.p99 <= HEALTH_P99_MS, `p99 ${fmt(health.p99)} (max ${fmt(health.max)})`)
  return `n=${health.n} p50 ${fmt(health.p50)} p99 ${fmt(health.p99)} max ${fmt(health.max)}`
})

await check('the service still answers, and logged every refusal with its request id', async () => {
  const reply = await fetch(`${base}/health`)
  assert(reply.status === 200, `/health answered ${reply.status}`)
  await Bun.sleep(100)
  const count = (status: number) => logged.byStatus.get(status) ?? 0
  assert(count(413) >= 7 && count(414) >= 1 && count(400) >= 2000, `refusals missing from the access log`)
  assert(logged.withoutId === 0, `${logged.withoutId} access-log lines without a request id`)
  return `access log: ${[...logged.byStatus].map(([status, n]) => `${n} × ${status}`).join(', ')}`
})

const failed = results.filter((r) => !r.ok).length
console.log(`hostile: ${results.length - failed} passed, ${failed} failed`)
finish(failed === 0 ? 0 : 1)
