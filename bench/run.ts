/**
 * `bun run bench`: the performance instrument of issue #15. In one run, side by side:
 *
 * - throughput rows, each `wrk -t1 -c50 -d5s --latency`: a raw `Bun.serve` answering the same
 *   small JSON as `/health` (the floor, 1.00), a bare Elysia app, and Mercado's `/health`,
 *   `/products/{id}`, `/users/me` (bearer) and `/products?limit=20` on SQLite, and the floor of
 *   the two product reads (bench/raw-sqlite.ts: Bun.serve and bun:sqlite alone); then Mercado's
 *   `/products/{id}` on MongoDB (our FerretDB test server, or MONGODB_URI) against the driver's own
 *   `findOne` loop on the same server and document (the Mongo ceiling);
 * - p50/p99 latency of every row and the RSS of each Mercado process after its load;
 * - cold start of the compiled binary `dist/mercado`: median of several starts, start to the first
 *   200 on `/health`, with the peak RSS (VmHWM) and the idle RSS (VmRSS) 0.5 s after it;
 * - a login storm: 20 clients logging in flat out (password grant) while wrk measures `/health`:
 *   its p99 then, and Mercado's peak RSS during the storm.
 * - `/health` of a service with metrics on against one with metrics off, measured in turns.
 *
 * Mercado runs as deployed (Dockerfile): the compiled binary, rebuilt here when src/ is newer,
 * NODE_ENV=production, its required secret, default settings, one access-log line per request to
 * stdout (discarded here as a container runtime would collect it). Nothing is turned off or raised
 * for the benchmark.
 *
 * Prints one table and writes it as JSON to bench/results.json (overwritten each run, not in git:
 * it changes with every run and machine; bench/baseline-results.json is the committed reference
 * run, replaced on purpose when a change is meant to move the numbers, so that a diff shows it).
 *
 * `bun run bench:smoke` (BENCH_SMOKE=1) runs every row with the shortest durations, for CI: no
 * thresholds, it exits non-zero only when a row fails to run; it writes bench/results-smoke.json.
 *
 * Settings (environment): BENCH_DURATION (wrk -d, default 5s), BENCH_CONNECTIONS (50),
 * BENCH_THREADS (1), BENCH_WARMUP (unmeasured wrk load per row first, 1s; 0 in the smoke), BENCH_ROUNDS (1; more runs every throughput row that often, interleaved,
 * and keeps each row's best), BENCH_COLD_STARTS (5), BENCH_STORM_CLIENTS (20),
 * BENCH_STORM_DURATION (seconds, default 4), BENCH_OUT (the JSON file), MONGODB_URI (a MongoDB
 * server instead of FerretDB).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type Subprocess, spawn } from 'bun'
import { mongoServer } from '../scripts/mongo-server'

const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1'
const DURATION = process.env.BENCH_DURATION ?? (SMOKE ? '1s' : '5s')
/** Unmeasured load on every server before its rows (JIT, connection pools); `0`: none. */
const WARMUP = process.env.BENCH_WARMUP ?? (SMOKE ? '0' : '1s')
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const THREADS = Number(process.env.BENCH_THREADS ?? 1)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? (SMOKE ? 1 : 5))
/** Turns of metrics on and off, one after the other, for the metrics row. */
const METRICS_TURNS = SMOKE ? 1 : 2
const STORM_CLIENTS = Number(process.env.BENCH_STORM_CLIENTS ?? 20)
const STORM_SECONDS = Number(process.env.BENCH_STORM_DURATION ?? (SMOKE ? 1 : 4))
const ROOT = resolve(import.meta.dir, '..')
const OUT = process.env.BENCH_OUT ?? join(ROOT, 'bench', SMOKE ? 'results-smoke.json' : 'results.json')
const BINARY = join(ROOT, 'dist', 'mercado')

/** The rows of the SQLite reads' floor (bench/raw-sqlite.ts), and the Mercado row each is the floor of. */
const FLOOR_BY_ID = 'floor: Bun.serve + bun:sqlite, the read of GET /products/{id}'
const FLOOR_LIST = 'floor: Bun.serve + bun:sqlite, the read of GET /products?limit=20'
const LAST_MERCADO_ROW = 'Mercado GET /products?limit=20 (SQLite)'
const FLOORS: Record<string, string> = {
  [FLOOR_BY_ID]: 'Mercado GET /products/{id} (SQLite)',
  [FLOOR_LIST]: LAST_MERCADO_ROW,
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface Rate {
  rps: number
  p50Ms: number
  p99Ms: number
}

/** One table row; the JSON keeps the numbers, the table formats them. */
interface Row {
  name: string
  rps?: number
  /** To `of`: raw `Bun.serve` for the HTTP rows, the driver's `findOne` for the MongoDB one. */
  ratio?: number
  of?: string
  p50Ms?: number
  p99Ms?: number
  ms?: number
  rssMb?: number
  peakRssMb?: number
  idleRssMb?: number
  note?: string
  error?: string
}

const rows: Row[] = []
const children: Subprocess[] = []
// scripts/mongo-server.ts exits the process when no MongoDB server can start: no server outlives us.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill()
})
const tempDirs: string[] = []
let failed = 0

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const { port } = server
  server.stop(true)
  return port as number
}

/**
 * RSS and its high-water mark in MB, from /proc (Linux); and the RSS's parts: pages of files
 * (mostly the executable itself, mapped) and anonymous memory (the heaps).
 */
function memory(pid: number): { rssMb: number; hwmMb: number; fileMb: number; anonMb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN)
  return {
    rssMb: kb('VmRSS') / 1024,
    hwmMb: kb('VmHWM') / 1024,
    fileMb: kb('RssFile') / 1024,
    anonMb: kb('RssAnon') / 1024,
  }
}

/** Resets VmHWM to the current RSS (`echo 5 > /proc/<pid>/clear_refs`); false where refused. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return fetch(url, { headers }).then(
    async (r) => {
      await r.arrayBuffer()
      return r.status
    },
    () => 0,
  )
}

async function waitFor(url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await status(url)) === 200) return
    await Bun.sleep(20)
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
}

function toMs(value: string, unit: string): number {
  const n = Number(value)
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n
}

/** wrk with --latency; throws when it reports errors or answers other than 2xx/3xx. */
async function wrk(url: string, headers: Record<string, string> = {}, duration = DURATION): Promise<Rate> {
  const args = ['wrk', `-t${THREADS}`, `-c${CONNECTIONS}`, `-d${duration}`, '--latency', url]
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`)
  const child = spawn(args, { stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\b/m.exec(out)
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(out)
  if (code !== 0 || !rps || !p50 || !p99) throw new Error(`wrk failed (exit ${code}):\n${out}${err}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)
  if (non2xx) throw new Error(`${non2xx[1]} answers were not 2xx/3xx:\n${out}`)
  const socketErrors = /Socket errors:.*/.exec(out)
  if (socketErrors && /(connect|read|write|timeout) [1-9]/.test(socketErrors[0])) {
    throw new Error(`wrk: ${socketErrors[0]}`)
  }
  return {
    rps: Number(rps[1]),
    p50Ms: toMs(p50[1] as string, p50[2] as string),
    p99Ms: toMs(p99[1] as string, p99[2] as string),
  }
}

/** Runs one row; a failure is recorded, printed and counted, and the run goes on. */
async function row(name: string, measure: () => Promise<Omit<Row, 'name'>>): Promise<Row> {
  process.stderr.write(`bench: ${name} ...\n`)
  let result: Row
  try {
    result = { name, ...(await measure()) }
  } catch (error) {
    failed++
    result = { name, error: (error as Error).message }
    console.error(`bench: FAILED ${name}: ${(error as Error).message}`)
  }
  rows.push(result)
  return result
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** The deployed binary, rebuilt when missing or older than a file under src/ (or package.json). */
async function ensureBinary() {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    )
  const sources = Math.max(newest(join(ROOT, 'src')), statSync(join(ROOT, 'package.json')).mtimeMs)
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= sources) return
  process.stderr.write('bench: building dist/mercado (bun run build)\n')
  const build = spawn(['bun', 'run', 'build'], { cwd: ROOT, stdout: 'ignore', stderr: 'inherit' })
  if ((await build.exited) !== 0) throw new Error('bun run build failed')
}

/** The environment of Mercado as the container runs it: production, its secret, default settings. */
function mercadoEnv(port: number, dataDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    KEY_ENCRYPTION_SECRET: 'bench-key-encryption-secret-of-at-least-32-bytes',
  }
}

/** Mercado as the container runs it: the binary, in `mercadoEnv` and `extra`. */
function mercado(port: number, extra: Record<string, string> = {}, dataDir = tempDir('mercado-bench-data-')) {
  const cwd = tempDir('mercado-bench-cwd-')
  mkdirSync(dataDir, { recursive: true })
  const child = spawn([BINARY], {
    cwd,
    env: { ...mercadoEnv(port, dataDir), ...extra },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  children.push(child)
  return child
}

interface Account {
  username: string
  email: string
  password: string
}

async function register(base: string, account: Account) {
  const reply = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  })
  if (reply.status !== 201)
    throw new Error(`register ${account.username}: ${reply.status} ${await reply.text()}`)
}

async function login(base: string, account: Account): Promise<string> {
  const reply = await fetch(`${base}/auth/login`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      username: account.username,
      password: account.password,
    }),
  })
  if (reply.status !== 200)
    throw new Error(`login ${account.username}: ${reply.status} ${await reply.text()}`)
  return ((await reply.json()) as { access_token: string }).access_token
}

/** A user, a token and 50 products; returns the bearer header and the last product's URL. */
async function seed(base: string) {
  const account = { username: 'bench_user', email: 'bench@example.com', password: 'bench-password-1' }
  await register(base, account)
  const auth = { authorization: `Bearer ${await login(base, account)}` }
  let productPath = ''
  for (let i = 0; i < 50; i++) {
    const created = await fetch(`${base}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ name: `Bench product ${i}`, price: i + 0.5, stock: i, tags: ['bench'] }),
    })
    if (created.status !== 201) throw new Error(`POST /products: ${created.status} ${await created.text()}`)
    productPath = created.headers.get('location') ?? ''
  }
  return { auth, productPath }
}

async function run(command: string[], stdin?: string): Promise<string> {
  const child = spawn(command, {
    cwd: ROOT,
    stdin: stdin ? new TextEncoder().encode(stdin) : 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  children.push(child)
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
  if (code !== 0) throw new Error(`${command.join(' ')} exited ${code}`)
  return out
}

// ---------------------------------------------------------------------------------------------
// The run

const startedAt = new Date()
const wallStart = performance.now()
let mongoStop = () => {}
let rawRps = Number.NaN
let mongoRef = Number.NaN

try {
  if (!Bun.which('wrk')) throw new Error('wrk is missing: apt-get install wrk')
  await ensureBinary()
  // Started first: on first use it builds the FerretDB test server with Go, which takes a while.
  const mongoPromise = mongoServer()

  // --- HTTP rows on SQLite ------------------------------------------------------------------
  const ports = { raw: freePort(), elysia: freePort(), mercado: freePort() }
  const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }
  const raw = spawn(['bun', join(ROOT, 'bench/raw.ts')], {
    env: { ...env, PORT: String(ports.raw) },
    stdout: 'ignore',
  })
  const elysia = spawn(['bun', join(ROOT, 'bench/elysia.ts')], {
    env: { ...env, PORT: String(ports.elysia) },
    stdout: 'ignore',
  })
  children.push(raw, elysia)
  const dataDir = tempDir('mercado-bench-data-')
  const server = mercado(ports.mercado, {}, dataDir)
  const base = `http://127.0.0.1:${ports.mercado}`
  await Promise.all([
    waitFor(`http://127.0.0.1:${ports.raw}/health`),
    waitFor(`http://127.0.0.1:${ports.elysia}/health`),
    waitFor(`${base}/health`),
  ])
  const { auth, productPath } = await seed(base)
  // The floor of the SQLite reads: Bun.serve and bun:sqlite alone, on Mercado's database file.
  const rawSqlitePort = freePort()
  const rawSqlite = spawn(['bun', join(ROOT, 'bench/raw-sqlite.ts'), join(dataDir, 'mercado.sqlite')], {
    env: { ...env, PORT: String(rawSqlitePort) },
    stdout: 'ignore',
  })
  children.push(rawSqlite)
  const floor = `http://127.0.0.1:${rawSqlitePort}`
  await waitFor(`${floor}${productPath}`)

  const cases: Array<{ name: string; url: string; headers?: Record<string, string> }> = [
    { name: 'raw Bun.serve /health (floor)', url: `http://127.0.0.1:${ports.raw}/health` },
    { name: 'bare Elysia /health', url: `http://127.0.0.1:${ports.elysia}/health` },
    { name: 'Mercado GET /health', url: `${base}/health` },
    { name: 'Mercado GET /products/{id} (SQLite)', url: `${base}${productPath}` },
    { name: 'Mercado GET /users/me (bearer, SQLite)', url: `${base}/users/me`, headers: auth },
    { name: 'Mercado GET /products?limit=20 (SQLite)', url: `${base}/products?limit=20` },
    { name: FLOOR_BY_ID, url: `${floor}${productPath}` },
    { name: FLOOR_LIST, url: `${floor}/products?limit=20` },
  ]
  for (const c of cases) {
    const code = await status(c.url, c.headers)
    if (code !== 200) throw new Error(`${c.name}: ${c.url} answered ${code}, not 200`)
  }
  if (WARMUP !== '0') for (const c of cases) await wrk(c.url, c.headers, WARMUP).catch(() => undefined)
  // Interleaved rounds, so that drift on a shared machine hits every row alike; each row's best.
  const best = new Map<string, Rate>()
  const errors = new Map<string, string>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      process.stderr.write(`bench: ${c.name} ...\n`)
      try {
        const rate = await wrk(c.url, c.headers)
        if ((best.get(c.name)?.rps ?? -1) < rate.rps) best.set(c.name, rate)
      } catch (error) {
        errors.set(c.name, (error as Error).message)
      }
    }
  }
  rawRps = best.get(cases[0]?.name as string)?.rps ?? Number.NaN
  const floorNote = (floorName: string, floorRps: number) => {
    const mercadoRps = best.get(FLOORS[floorName] as string)?.rps
    return mercadoRps
      ? `${FLOORS[floorName]} is ${(mercadoRps / floorRps).toFixed(2)} of this floor`
      : undefined
  }
  const rssAfterLoad = memory(server.pid).rssMb
  for (const c of cases) {
    const rate = best.get(c.name)
    if (!rate) {
      failed++
      rows.push({ name: c.name, error: errors.get(c.name) ?? 'no measurement' })
      console.error(`bench: FAILED ${c.name}: ${errors.get(c.name)}`)
      continue
    }
    rows.push({
      name: c.name,
      ...rate,
      ratio: rate.rps / rawRps,
      of: 'raw Bun.serve',
      // The Mercado process's RSS after all its rows, on its last one.
      ...(c.name === LAST_MERCADO_ROW ? { rssMb: rssAfterLoad } : {}),
      ...(FLOORS[c.name] ? { note: floorNote(c.name, rate.rps) } : {}),
    })
  }

  // --- Login storm: 20 clients log in flat out while wrk measures /health ----------------------
  await row(`login storm (${STORM_CLIENTS} clients, password grant): /health meanwhile`, async () => {
    const accounts: Account[] = Array.from({ length: STORM_CLIENTS }, (_, i) => ({
      username: `storm_${i}`,
      email: `storm_${i}@example.com`,
      password: `storm-password-${i}`,
    }))
    for (let i = 0; i < accounts.length; i += 5)
      await Promise.all(accounts.slice(i, i + 5).map((a) => register(base, a)))
    const exact = resetPeak(server.pid)
    let sampledPeak = memory(server.pid).rssMb
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, memory(server.pid).rssMb)
    }, 20)
    const storm = run(
      ['bun', 'bench/login-storm.ts', base, String(STORM_SECONDS * 1000)],
      JSON.stringify(accounts),
    )
    await Bun.sleep(200) // the storm under way before wrk starts
    const health = await wrk(`${base}/health`)
    const result = JSON.parse(await storm) as {
      logins: number
      failures: number
      rate: number
      statuses: object
    }
    clearInterval(sampler)
    const peak = exact ? memory(server.pid).hwmMb : sampledPeak
    if (result.logins === 0 || result.failures > 0) {
      throw new Error(`the storm's logins did not all succeed: ${JSON.stringify(result.statuses)}`)
    }
    return {
      rps: health.rps,
      ratio: health.rps / rawRps,
      of: 'raw Bun.serve',
      p50Ms: health.p50Ms,
      p99Ms: health.p99Ms,
      peakRssMb: peak,
      note: `${result.rate.toFixed(0)} logins/s during the storm; peak RSS ${exact ? 'VmHWM since the storm began' : 'sampled every 20 ms'}`,
    }
  })
  server.kill()
  await server.exited

  // --- Metrics on: /health of a service that records every request (METRICS_TOKEN set) --------
  // Against a second service with metrics off, measured in turns with it (best of each): one
  // measurement each, minutes apart, differed by more than the cost in question.
  await row('Mercado GET /health, metrics on (METRICS_TOKEN)', async () => {
    const [onPort, offPort] = [freePort(), freePort()]
    const metered = mercado(onPort, { METRICS_TOKEN: 'bench-metrics-token-of-some-length' })
    const plain = mercado(offPort)
    const on = `http://127.0.0.1:${onPort}/health`
    const off = `http://127.0.0.1:${offPort}/health`
    try {
      await Promise.all([waitFor(on), waitFor(off)])
      if (WARMUP !== '0') for (const url of [on, off]) await wrk(url, {}, WARMUP).catch(() => undefined)
      let onRate: Rate | undefined
      let offRate: Rate | undefined
      for (let turn = 0; turn < METRICS_TURNS; turn++) {
        const a = await wrk(on)
        const b = await wrk(off)
        if (!onRate || a.rps > onRate.rps) onRate = a
        if (!offRate || b.rps > offRate.rps) offRate = b
      }
      const rate = onRate as Rate
      return {
        ...rate,
        ratio: rate.rps / rawRps,
        of: 'raw Bun.serve',
        note: `${(rate.rps / (offRate as Rate).rps).toFixed(2)} of GET /health with metrics off, best of ${METRICS_TURNS} turns each (issue #14: ≥ 0.95)`,
      }
    } finally {
      for (const child of [metered, plain]) child.kill()
      await Promise.all([metered.exited, plain.exited])
    }
  })

  // --- MongoDB: Mercado's GET /products/{id} against the driver's own findOne ----------------
  const mongo = await mongoPromise
  mongoStop = mongo.stop
  const mongoDb = `mercado_bench_${Date.now().toString(36)}`
  const mongoPort = freePort()
  const mongoMercado = mercado(mongoPort, { MONGODB_URI: mongo.uri, MONGODB_DB: mongoDb })
  const mongoBase = `http://127.0.0.1:${mongoPort}`
  await waitFor(`${mongoBase}/health`)
  await waitFor(`${mongoBase}/ready`)
  const mongoSeed = await seed(mongoBase)
  const productId = mongoSeed.productPath.split('/').at(-1) as string
  await row('MongoDB driver findOne loop (ceiling)', async () => {
    const ms = (d: string) => (d === '0' ? 0 : Number.parseFloat(d) * (d.endsWith('m') ? 60_000 : 1000))
    const out = await run([
      'bun',
      'bench/mongo-findone.ts',
      mongo.uri,
      mongoDb,
      productId,
      String(CONNECTIONS),
      String(ms(DURATION)),
      String(ms(WARMUP)),
    ])
    const r = JSON.parse(out) as { rate: number; p50Ms: number; p99Ms: number }
    mongoRef = r.rate
    return { rps: r.rate, ratio: 1, of: 'driver findOne', p50Ms: r.p50Ms, p99Ms: r.p99Ms, note: mongo.source }
  })
  await row('Mercado GET /products/{id} (MongoDB)', async () => {
    const url = `${mongoBase}${mongoSeed.productPath}`
    const code = await status(url)
    if (code !== 200) throw new Error(`${url} answered ${code}`)
    if (WARMUP !== '0') await wrk(url, {}, WARMUP).catch(() => undefined)
    const rate = await wrk(url)
    return {
      ...rate,
      ratio: rate.rps / mongoRef,
      of: 'driver findOne',
      rssMb: memory(mongoMercado.pid).rssMb,
    }
  })
  mongoMercado.kill()
  await mongoMercado.exited
  mongoStop()
  mongoStop = () => {}
  if (mongo.source === 'MONGODB_URI') {
    const { MongoClient } = await import('mongodb')
    const client = await MongoClient.connect(mongo.uri)
    await client.db(mongoDb).dropDatabase()
    await client.close()
  }

  // --- Cold start: the binary as deployed, and raw Bun for reference -------------------------
  const coldStart = async (command: string[], spawnEnv: Record<string, string>, port: number) => {
    const times: number[] = []
    const peaks: number[] = []
    const idles: number[] = []
    const files: number[] = []
    const anons: number[] = []
    for (let i = 0; i < COLD_STARTS; i++) {
      const t0 = performance.now()
      const child = spawn(command, {
        cwd: tempDir('mercado-bench-cold-'),
        env: spawnEnv,
        stdout: 'ignore',
        stderr: 'inherit',
      })
      children.push(child)
      const deadline = t0 + 30_000
      while ((await status(`http://127.0.0.1:${port}/health`)) !== 200) {
        if (performance.now() > deadline || child.exitCode !== null)
          throw new Error(`${command[0]} did not start`)
        await Bun.sleep(1)
      }
      times.push(performance.now() - t0)
      await Bun.sleep(500)
      const m = memory(child.pid)
      peaks.push(m.hwmMb)
      idles.push(m.rssMb)
      files.push(m.fileMb)
      anons.push(m.anonMb)
      child.kill()
      await child.exited
    }
    return {
      ms: median(times),
      peakRssMb: median(peaks),
      idleRssMb: median(idles),
      times,
      idleParts: `idle RSS ${median(files).toFixed(0)} MB of files (the executable) + ${median(anons).toFixed(0)} MB anonymous`,
    }
  }
  await row(`cold start dist/mercado (median of ${COLD_STARTS})`, async () => {
    const port = freePort()
    const dataDir = tempDir('mercado-bench-cold-data-')
    // One start first, not counted: it creates the database and the signing keys, as a deploy's
    // first start does once; the counted starts are restarts on existing data.
    const first = mercado(port, {}, dataDir)
    await waitFor(`http://127.0.0.1:${port}/health`)
    first.kill()
    await first.exited
    const r = await coldStart([BINARY], mercadoEnv(port, dataDir), port)
    return {
      ms: r.ms,
      peakRssMb: r.peakRssMb,
      idleRssMb: r.idleRssMb,
      note: `start to first 200 on /health; each: ${r.times.map((t) => t.toFixed(0)).join(', ')} ms; ${r.idleParts}`,
    }
  })
  await row(`cold start raw Bun.serve, bun bench/raw.ts (median of ${COLD_STARTS})`, async () => {
    const port = freePort()
    const r = await coldStart(
      ['bun', join(ROOT, 'bench/raw.ts')],
      { PATH: process.env.PATH ?? '', PORT: String(port) },
      port,
    )
    return { ms: r.ms, peakRssMb: r.peakRssMb, idleRssMb: r.idleRssMb, note: `reference; ${r.idleParts}` }
  })
} catch (error) {
  failed++
  console.error(`bench: ${(error as Error).stack ?? error}`)
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill()
  await Promise.all(children.map((c) => c.exited))
  mongoStop()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
}

// ---------------------------------------------------------------------------------------------
// The table and the JSON

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n)
    ? ''
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const table = rows.map((r) => ({
  row: r.name,
  value: r.error
    ? 'FAILED'
    : r.rps !== undefined
      ? `${fmt(r.rps)} req/s`
      : r.ms !== undefined
        ? `${fmt(r.ms)} ms`
        : '',
  ratio: r.ratio !== undefined ? `${fmt(r.ratio, 2)}${r.of === 'raw Bun.serve' ? '' : ` of ${r.of}`}` : '',
  p50: r.p50Ms !== undefined ? `${fmt(r.p50Ms, 2)} ms` : '',
  p99: r.p99Ms !== undefined ? `${fmt(r.p99Ms, 2)} ms` : '',
  rss:
    r.rssMb !== undefined
      ? `${fmt(r.rssMb)} MB after load`
      : r.peakRssMb !== undefined
        ? `peak ${fmt(r.peakRssMb)}${r.idleRssMb !== undefined ? ` / idle ${fmt(r.idleRssMb)}` : ''} MB`
        : '',
}))
const headers = { row: 'row', value: 'req/s or time', ratio: 'ratio', p50: 'p50', p99: 'p99', rss: 'RSS' }
const keys = Object.keys(headers) as Array<keyof typeof headers>
const width = (k: keyof typeof headers) => Math.max(headers[k].length, ...table.map((t) => t[k].length))
const line = (cells: Record<keyof typeof headers, string>) =>
  `| ${keys.map((k) => (k === 'row' ? cells[k].padEnd(width(k)) : cells[k].padStart(width(k)))).join(' | ')} |`
console.log(
  `\nbench${SMOKE ? ' (smoke)' : ''}: wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}, ratios to raw Bun.serve unless said; bun ${Bun.version}`,
)
console.log(line(headers))
console.log(
  `|${keys.map((k) => (k === 'row' ? '-'.repeat(width(k) + 2) : `${'-'.repeat(width(k) + 1)}:`)).join('|')}|`,
)
for (const t of table) console.log(line(t))
for (const r of rows) if (r.note) console.log(`  ${r.name}: ${r.note}`)

const wallSeconds = (performance.now() - wallStart) / 1000
writeFileSync(
  OUT,
  `${JSON.stringify(
    {
      date: startedAt.toISOString(),
      smoke: SMOKE,
      bun: Bun.version,
      cpus: navigator.hardwareConcurrency,
      settings: {
        duration: DURATION,
        connections: CONNECTIONS,
        threads: THREADS,
        rounds: ROUNDS,
        coldStarts: COLD_STARTS,
        stormClients: STORM_CLIENTS,
        stormSeconds: STORM_SECONDS,
      },
      wallSeconds,
      rows,
    },
    null,
    2,
  )}\n`,
)
console.log(
  `\nbench: ${rows.length} rows in ${wallSeconds.toFixed(1)} s, written to ${OUT}${failed ? `; ${failed} FAILED` : ''}`,
)
process.exit(failed ? 1 : 0)
