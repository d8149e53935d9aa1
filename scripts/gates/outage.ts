/**
 * Database outage gate (issue #9): the real service on a real FerretDB server, under a mixed load
 * of reads and writes, while the database is SIGKILLed and started again on the same port with the
 * same data, over and over. Every trial must show what docs/api.md (Operation) promises:
 *
 * - while the database is down, 503 with Retry-After, never a 500, and no request waiting past the
 *   store deadline (MONGODB_TIMEOUT) plus a small margin;
 * - within a few seconds of the database's return, /ready and a data route answer 200 again, with
 *   the same service process (no restart);
 * - every product whose creation was answered 201 can be read back afterwards.
 *
 * Prints one line per trial and `outage: <passed> passed, <failed> failed`; exits 1 on any failure.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { callService, HttpLoad, type Sample, signUpWriter } from '../support/http-load.ts'
import { FerretServer, freePort, ServiceProcess } from '../support/processes.ts'

/**
 * How long each trial keeps the database down, in turn: a blip, longer than the driver's 10 s
 * heartbeat, and in between. OUTAGE_DOWN_MS (comma-separated) and OUTAGE_TRIALS override them.
 */
const DOWN_MS = (process.env.OUTAGE_DOWN_MS ?? '3000,11000,2000,5000').split(',').map(Number)
const TRIALS = Number(process.env.OUTAGE_TRIALS ?? 12)
if (!(TRIALS >= 1) || !DOWN_MS.every((ms) => ms > 0)) {
  console.error('outage: OUTAGE_TRIALS must be a positive number, OUTAGE_DOWN_MS positive milliseconds')
  process.exit(1)
}
/** Well inside the runner's 8 minutes, so that this gate always stops its servers itself. */
const GATE_LIMIT_MS = 6 * 60_000
/** Load against a healthy service before each kill, so that requests are in flight when it dies. */
const HEALTHY_MS = 2000
/** The service must answer 200 again this soon after the database is back. */
const RECOVERY_LIMIT_MS = 5000
/** Scheduling slack on a busy 2-core machine, on top of the configured store deadline. */
const LATENCY_MARGIN_MS = 1000

const work = mkdtempSync(join(tmpdir(), 'mercado-outage-'))
const env: Record<string, string> = {
  NODE_ENV: 'production',
  KEY_ENCRYPTION_SECRET: crypto.randomUUID() + crypto.randomUUID(),
  ACCESS_TOKEN_TTL: '1h',
  MONGODB_DB: 'mercado_outage',
  DATA_DIR: join(work, 'service'),
  LOG_LEVEL: 'warn',
}
// The deadline the service enforces is the one its own configuration reads, defaults included.
const deadlineMs = loadConfig({ ...env, MONGODB_URI: 'mongodb://127.0.0.1/' }).mongodbTimeoutMs
const latencyLimitMs = deadlineMs + LATENCY_MARGIN_MS

const ferret = new FerretServer(await freePort(), join(work, 'ferretdb'))
const service = new ServiceProcess(await freePort(), { ...env, MONGODB_URI: ferret.uri })
let load: HttpLoad | undefined

// Stopped from outside (Ctrl-C, a CI cancel): take the servers down too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    await Promise.all([service.stop(), ferret.stop()])
    rmSync(work, { recursive: true, force: true })
    process.exit(1)
  })
}

const call = (path: string) => callService(service.url, path, {}, latencyLimitMs)

/** Polls until /ready and a data route both answer 200; the time they did, or null past `until`. */
async function recovery(until: number): Promise<number | null> {
  while (performance.now() < until) {
    const answers = await Promise.all(
      ['/ready', '/products?limit=1'].map((path) =>
        call(path).then(
          (r) => r.status,
          () => 0,
        ),
      ),
    )
    if (answers.every((status) => status === 200)) return performance.now()
    await Bun.sleep(100)
  }
  return null
}

/** The products among `samples` answered 201 that cannot be read back with their name. */
async function missingWrites(samples: Sample[]): Promise<string[]> {
  const missing: string[] = []
  for (const { created } of samples) {
    if (!created) continue
    const read = await call(`/products/${created.id}`).catch(() => ({ status: 0, body: null }))
    if (read.status !== 200 || (read.body as { name?: string }).name !== created.name)
      missing.push(created.id)
  }
  return missing
}

/** The message at the bottom of a logged error's cause chain: what the driver said. */
function deepestCause(err: unknown): string {
  let error = err as { name?: string; message?: string; cause?: unknown } | undefined
  while (error?.cause) error = error.cause as typeof error
  return error ? `${error.name}: ${error.message}` : ''
}

const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never')

interface Timeline {
  /** When the trial began, the kill was sent, the server was gone, its restart began, it was READY. */
  from: number
  killAt: number
  downAt: number
  restartAt: number
  backAt: number
  /** When /ready and a data route both answered 200 again; null if they did not in time. */
  recoveredAt: number | null
}

/** One kill-and-restart under load. */
async function outage(downMs: number): Promise<Timeline> {
  const from = performance.now()
  await Bun.sleep(HEALTHY_MS)
  const killAt = performance.now()
  await ferret.kill()
  const downAt = performance.now()
  await Bun.sleep(downMs)
  const restartAt = performance.now()
  await ferret.start()
  const backAt = performance.now()
  const recoveredAt = await recovery(backAt + RECOVERY_LIMIT_MS)
  return { from, killAt, downAt, restartAt, backAt, recoveredAt }
}

/** What clients saw during one trial, against the promises of docs/api.md; an empty list is a pass. */
async function judge(samples: Sample[], t: Timeline): Promise<string[]> {
  const failures: string[] = []
  const describe = (list: Sample[]) =>
    [...new Set(list.map((s) => `${s.op} ${s.status || s.error}`))].slice(0, 5).join(', ')
  const odd = samples.filter((s) => ![200, 201, 503].includes(s.status))
  if (odd.length > 0) failures.push(`${odd.length} unexpected answers (${describe(odd)})`)
  const early = samples.filter((s) => s.end < t.killAt && s.status === 503)
  if (early.length > 0) failures.push(`${early.length} answers 503 before the database went down`)
  const bare = samples.filter((s) => s.status === 503 && !/^\d+$/.test(s.retryAfter ?? ''))
  if (bare.length > 0) failures.push(`${bare.length} answers 503 without Retry-After`)
  const slow = samples.filter((s) => s.end - s.start > latencyLimitMs)
  if (slow.length > 0)
    failures.push(`${slow.length} requests over ${seconds(latencyLimitMs)} (${describe(slow)})`)
  // Clients are told while the database is away, and nothing sent after it died succeeds before it is back.
  if (!aroundOutage(samples, t).some((s) => s.status === 503)) failures.push('no 503 around the outage')
  const impossible = samples.filter((s) => s.start >= t.downAt && s.end <= t.restartAt && s.status !== 503)
  if (impossible.length > 0) failures.push(`${impossible.length} answers other than 503 while down`)
  if (t.recoveredAt === null) failures.push(`no recovery within ${seconds(RECOVERY_LIMIT_MS)} of the return`)
  // Read back only from a service that answers again: a stuck one would fail every read, slowly.
  const missing = t.recoveredAt === null ? [] : await missingWrites(samples)
  if (missing.length > 0)
    failures.push(`${missing.length} acknowledged writes missing (${missing.slice(0, 3)})`)
  if (!service.running) failures.push('the service process is gone')
  return failures
}

/** The requests that were waiting on the database at some point while it was away. */
const aroundOutage = (samples: Sample[], t: Timeline) =>
  samples.filter((s) => s.end >= t.killAt && s.start < t.backAt)

let passed = 0
let failed = 0
const started = performance.now()
try {
  await ferret.start()
  await service.start()
  const pid = service.pid
  const { token, productId } = await signUpWriter(service.url, latencyLimitMs)
  load = new HttpLoad({ url: service.url, token, workers: 6, pauseMs: 20, hangMs: latencyLimitMs + 10_000 })
  load.known.push(productId)
  console.log(
    `outage: FerretDB on 127.0.0.1:${ferret.port}, service on 127.0.0.1:${service.port} (pid ${pid}), ` +
      `store deadline ${seconds(deadlineMs)}, ${TRIALS} trials`,
  )
  load.start()
  const worst = { afterReturn: 0, afterKill: 0, latency: 0 }
  let stuck = 0
  for (let n = 1; n <= TRIALS; n++) {
    if (performance.now() - started > GATE_LIMIT_MS || stuck >= 2) {
      failed += TRIALS - n + 1
      console.log(
        `outage: FAIL trials ${n} to ${TRIALS} not run: ${stuck >= 2 ? 'no recovery twice' : 'over time'}`,
      )
      break
    }
    const downMs = DOWN_MS[(n - 1) % DOWN_MS.length] ?? 3000
    const t = await outage(downMs)
    const to = t.recoveredAt ?? performance.now()
    await load.settled(to)
    const samples = load.between(t.from, to)
    const failures = await judge(samples, t)
    const latency = Math.max(0, ...aroundOutage(samples, t).map((s) => s.end - s.start))
    worst.latency = Math.max(worst.latency, latency)
    worst.afterReturn = Math.max(worst.afterReturn, (t.recoveredAt ?? Number.POSITIVE_INFINITY) - t.backAt)
    worst.afterKill = Math.max(worst.afterKill, (t.recoveredAt ?? Number.POSITIVE_INFINITY) - t.killAt)
    stuck = t.recoveredAt === null ? stuck + 1 : 0
    if (failures.length === 0) passed++
    else failed++
    // What the service said on its own about the database, timed from the kill.
    const notes = service.logs
      .filter(({ at, line }) => at >= t.killAt && at < to && line.msg?.startsWith('mongodb:'))
      .map(({ at, line }) => `\n        ${line.msg} at +${seconds(at - t.killAt)}`)
    const recovered =
      t.recoveredAt === null ? 'no recovery' : `recovered ${seconds(t.recoveredAt - t.backAt)}`
    console.log(
      `outage: ${failures.length === 0 ? 'ok  ' : 'FAIL'} trial ${n}: down ${seconds(downMs)}, ${recovered} ` +
        `after the database was back, slowest request ${seconds(latency)}, ` +
        `${samples.filter((s) => s.created).length} acknowledged writes` +
        (failures.length === 0 ? '' : `: ${failures.join('; ')}`) +
        notes.join(''),
    )
  }
  await load.stop()
  // After the last restart: every acknowledged write of the whole run, the same process, no errors logged.
  const all = load.samples.filter((s) => s.created)
  const answering = stuck === 0
  const missing = answering ? await missingWrites(all) : []
  const samePid = service.running && service.pid === pid
  const errors = service.levels.get('error') ?? 0
  const finalOk = answering && missing.length === 0 && samePid && errors === 0
  if (finalOk) passed++
  else failed++
  console.log(
    `outage: ${finalOk ? 'ok  ' : 'FAIL'} all ${all.length} acknowledged writes read back` +
      (answering ? '' : ': not checked, the service does not answer') +
      (missing.length > 0 ? `: ${missing.length} missing` : '') +
      (samePid ? '' : '; the service process did not survive') +
      (errors === 0 ? '' : `; ${errors} error lines in the service log`),
  )
  const restarts = service.messages.get('mongodb: a server check has not ended; restarting the client') ?? 0
  console.log(
    `outage: ${load.samples.length} requests; worst recovery ${seconds(worst.afterReturn)} after the ` +
      `database was back (${seconds(worst.afterKill)} after the kill); slowest request around an outage ` +
      `${seconds(worst.latency)} (limit ${seconds(latencyLimitMs)}); ${restarts} client restarts by the ` +
      `FerretDB monitor watchdog; ${seconds(performance.now() - started)} in all`,
  )
} catch (error) {
  failed++
  console.error(`outage: FAIL ${(error as Error).stack ?? error}`)
} finally {
  await load?.stop()
  if (failed > 0) {
    console.error('outage: the service log ends with (each error by its deepest cause):')
    for (const { line } of service.logs.slice(-10))
      console.error(`  ${line.level} ${line.msg}: ${deepestCause(line.err)}`)
  }
  await service.stop()
  await ferret.stop()
  rmSync(work, { recursive: true, force: true })
}
console.log(`outage: ${passed} passed, ${failed} failed`)
process.exit(failed === 0 && passed > 0 ? 0 : 1)
