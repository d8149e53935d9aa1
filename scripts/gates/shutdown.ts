/**
 * Gate: graceful shutdown under load (docs/api.md, Operation). Each trial runs the real service on
 * the MongoDB test server with several clients creating and reading products over keep-alive
 * connections, sends SIGTERM at a random moment, restarts the service on the same database, and
 * holds every client's record against what the restarted service has.
 */
import { assert, freshDb, Gate, gateMongo, signUp, startService } from '../support/gate'
import { KeepAliveConnection, type Outcome } from '../support/http1'

const TRIALS = 6
const CLIENTS = 8
/** SIGTERM lands this long (ms) after the load starts, give or take half of it. */
const LOAD_MS = 1_500
/** The service's drain limit (10 s) and some room for closing the store and exiting. */
const EXIT_LIMIT_MS = 12_000

interface Sent {
  /** The unique product name, for writes. */
  name?: string
  outcome: Outcome
}

interface Trial {
  exitCode: number | 'timeout'
  exitMs: number
  sent: Sent[]
  /** The product names the restarted service lists. */
  stored: Set<string>
  restartExitCode: number
}

const gate = new Gate('shutdown')
const uri = await gateMongo()

/** One client: its own keep-alive connection, writes and reads until the service refuses it. */
async function client(port: number, token: string, prefix: string, sent: Sent[]): Promise<void> {
  const connection = new KeepAliveConnection('127.0.0.1', port)
  const ids: string[] = []
  for (let seq = 0; ; seq++) {
    let outcome: Outcome
    const id = ids[Math.floor(Math.random() * ids.length)]
    if (id === undefined || Math.random() < 0.5) {
      const name = `${prefix}-${seq}`
      outcome = await connection.request({
        method: 'POST',
        path: '/products',
        headers: { authorization: `Bearer ${token}` },
        json: { name, price: 1 },
      })
      sent.push({ name, outcome })
      if (outcome.kind === 'answered' && outcome.status === 201) ids.push(JSON.parse(outcome.body).id)
    } else {
      const path = Math.random() < 0.5 ? `/products/${id}` : '/products?limit=5'
      outcome = await connection.request({ method: 'GET', path })
      sent.push({ outcome })
    }
    // Refused: the service no longer listens, this client is done.
    if (outcome.kind === 'refused' || seq > 100_000) break
    if (outcome.kind === 'answered' && outcome.status === 503) {
      await Bun.sleep(Number(outcome.headers['retry-after'] ?? 1) * 1000)
    }
    // Short pauses leave the connection idle now and then, which is when a close can meet a request.
    await Bun.sleep(Math.random() * 3)
  }
  connection.close()
}

async function storedNames(url: string): Promise<Set<string>> {
  const names = new Set<string>()
  for (let page = 1; ; page++) {
    const reply = await fetch(`${url}/products?limit=100&sort=createdAt&page=${page}`)
    assert(reply.status === 200, `listing page ${page}: ${reply.status}`)
    const { items } = (await reply.json()) as { items: Array<{ name: string }> }
    if (items.length === 0) return names
    for (const item of items) names.add(item.name)
  }
}

async function trial(n: number): Promise<Trial> {
  const db = freshDb('shutdown', n)
  const service = await startService(uri, db)
  const port = Number(new URL(service.url).port)
  const user = await signUp(service.url, `gate_shutdown_${n}`)
  const sent: Sent[] = []
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(port, user.token, `t${n}c${c}`, sent))
  await Bun.sleep(LOAD_MS / 2 + Math.random() * LOAD_MS)
  const signalled = performance.now()
  const exitCode = await Promise.race([
    service.stop('SIGTERM'),
    Bun.sleep(EXIT_LIMIT_MS).then(() => 'timeout' as const),
  ])
  const exitMs = performance.now() - signalled
  if (exitCode === 'timeout') service.process.kill('SIGKILL')
  await Promise.all(clients)
  const restarted = await startService(uri, db)
  const stored = await storedNames(restarted.url)
  return { exitCode, exitMs, sent, stored, restartExitCode: await restarted.stop() }
}

const trials: Trial[] = []
for (let n = 1; n <= TRIALS; n++) {
  const t = await trial(n)
  trials.push(t)
  const kinds: Record<string, number> = {}
  for (const { outcome } of t.sent) {
    const key = outcome.kind === 'answered' ? String(outcome.status) : outcome.kind
    kinds[key] = (kinds[key] ?? 0) + 1
  }
  console.log(
    `shutdown: trial ${n}: exit ${t.exitCode} after ${Math.round(t.exitMs)} ms; ${JSON.stringify(kinds)}`,
  )
}

const each = (check: (t: Trial, n: number) => void) => () => {
  for (const [i, t] of trials.entries()) check(t, i + 1)
}
const writes = (t: Trial) => t.sent.filter((s): s is Required<Sent> => s.name !== undefined)
const created = (s: Sent) => s.outcome.kind === 'answered' && s.outcome.status === 201

await gate.check(
  `SIGTERM under load exits 0 within ${EXIT_LIMIT_MS / 1000} s (${TRIALS} trials)`,
  each((t, n) => {
    assert(t.exitCode === 0, `trial ${n}: exit code ${t.exitCode}`)
    assert(t.restartExitCode === 0, `trial ${n}: the restarted service exited ${t.restartExitCode}`)
  }),
)

await gate.check(
  'every write answered 201 is there after a restart',
  each((t, n) => {
    const lost = writes(t).filter((s) => created(s) && !t.stored.has(s.name))
    assert(lost.length === 0, `trial ${n}: ${lost.length} lost, such as ${lost[0]?.name}`)
  }),
)

await gate.check(
  'no write without a 201 was carried out (503, dropped or refused)',
  each((t, n) => {
    const ghosts = writes(t).filter((s) => !created(s) && t.stored.has(s.name))
    const kinds = ghosts.map((s) => (s.outcome.kind === 'answered' ? s.outcome.status : s.outcome.kind))
    assert(ghosts.length === 0, `trial ${n}: ${ghosts.length} carried out: ${kinds.join(', ')}`)
    const names = new Set(writes(t).map((s) => s.name))
    const strangers = [...t.stored].filter((name) => !names.has(name))
    assert(strangers.length === 0, `trial ${n}: products nobody sent: ${strangers.join(', ')}`)
  }),
)

await gate.check(
  'every request got an HTTP answer or a connection refusal, none was dropped',
  each((t, n) => {
    const dropped = t.sent.filter((s) => s.outcome.kind === 'dropped')
    const reasons = dropped.map((s) => (s.outcome as { error: string }).error)
    assert(
      dropped.length === 0,
      `trial ${n}: ${dropped.length} dropped (${[...new Set(reasons)].join('; ')})`,
    )
    const odd = t.sent.flatMap((s) =>
      s.outcome.kind === 'answered' && ![200, 201, 503].includes(s.outcome.status) ? [s.outcome.status] : [],
    )
    assert(odd.length === 0, `trial ${n}: unexpected statuses ${odd.join(', ')}`)
  }),
)

await gate.check(
  'the signal met the load: writes succeeded, later ones got 503 + Connection: close + Retry-After',
  each((t, n) => {
    assert(writes(t).some(created), `trial ${n}: no write succeeded`)
    const refusals = t.sent.flatMap((s) =>
      s.outcome.kind === 'answered' && s.outcome.status === 503 ? [s.outcome.headers] : [],
    )
    assert(refusals.length > 0, `trial ${n}: no request reached the service while it shut down`)
    const bad = refusals.filter((h) => h.connection !== 'close' || !/^\d+$/.test(h['retry-after'] ?? ''))
    assert(bad.length === 0, `trial ${n}: a 503 without Connection: close and Retry-After`)
  }),
)

gate.finish()
