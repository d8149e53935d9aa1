/**
 * `bun run bench`: requests per second of Mercado's routes against a bare Elysia app, measured in
 * the same run with wrk (apt-get install wrk), so that only ratios are compared. Both servers run
 * with their logs discarded; Mercado logs one line per request as in production.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn, spawnSync } from 'bun'

const DURATION = process.env.BENCH_DURATION ?? '4s'
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? '64'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)

if (spawnSync(['which', 'wrk']).exitCode !== 0) {
  console.error('bench: wrk is missing; apt-get install wrk')
  process.exit(1)
}

const dataDir = mkdtempSync(join(tmpdir(), 'mercado-bench-'))
const ports = {
  baseline: 41_000 + Math.floor(Math.random() * 1000),
  mercado: 42_000 + Math.floor(Math.random() * 1000),
  // The same service with metrics on (METRICS_TOKEN): what recording every request costs.
  metered: 43_000 + Math.floor(Math.random() * 1000),
}
const meteredDataDir = mkdtempSync(join(tmpdir(), 'mercado-bench-metered-'))
const METRICS_TOKEN = 'bench-metrics-token-0123456789'
const env = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'info' }
const servers = [
  spawn(['bun', 'bench/baseline.ts'], { env: { ...env, PORT: String(ports.baseline) }, stdout: 'ignore' }),
  spawn(['bun', 'src/index.ts'], {
    env: {
      ...env,
      PORT: String(ports.mercado),
      DATA_DIR: dataDir,
      KEY_ENCRYPTION_SECRET: 'bench-secret-bench-secret-bench-secret',
      LOGIN_MAX_FAILURES: '1000',
    },
    stdout: 'ignore',
  }),
  spawn(['bun', 'src/index.ts'], {
    env: {
      ...env,
      PORT: String(ports.metered),
      DATA_DIR: meteredDataDir,
      KEY_ENCRYPTION_SECRET: 'bench-secret-bench-secret-bench-secret',
      METRICS_TOKEN,
    },
    stdout: 'ignore',
  }),
]

async function waitFor(url: string) {
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return
    await Bun.sleep(50)
  }
  throw new Error(`${url} did not come up`)
}

function wrk(url: string, headers: Record<string, string> = {}): number {
  const args = ['wrk', '-t1', `-c${CONNECTIONS}`, `-d${DURATION}`, url]
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`)
  const out = spawnSync(args).stdout.toString()
  const match = /Requests\/sec:\s+([\d.]+)/.exec(out)
  if (!match) throw new Error(`wrk gave no rate:\n${out}`)
  return Number(match[1])
}

try {
  const base = `http://127.0.0.1:${ports.mercado}`
  const metered = `http://127.0.0.1:${ports.metered}`
  await Promise.all([
    waitFor(`http://127.0.0.1:${ports.baseline}/health`),
    waitFor(`${base}/health`),
    waitFor(`${metered}/health`),
  ])

  const account = { username: 'bench_user', email: 'bench@example.com', password: 'bench-password' }
  await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  })
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      username: account.username,
      password: account.password,
    }),
  })
  const { access_token: token } = (await login.json()) as { access_token: string }
  const auth = { authorization: `Bearer ${token}` }
  let productUrl = ''
  for (let i = 0; i < 50; i++) {
    const created = await fetch(`${base}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ name: `Bench product ${i}`, price: i + 0.5, stock: i, tags: ['bench'] }),
    })
    productUrl = `${base}${created.headers.get('location')}`
  }

  const cases: Array<[string, string, Record<string, string>?]> = [
    ['baseline: bare Elysia GET /health', `http://127.0.0.1:${ports.baseline}/health`],
    ['GET /health', `${base}/health`],
    ['GET /health (metrics on)', `${metered}/health`],
    ['GET /products/{id} (sqlite read)', productUrl],
    ['GET /products?limit=20 (sqlite list + count)', `${base}/products?limit=20`],
    ['GET /users/me (JWT verify + user read)', `${base}/users/me`, auth],
  ]
  const rates = new Map<string, number[]>()
  // Interleaved rounds, so that drift on a shared machine hits every case alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url, headers] of cases) rates.set(name, [...(rates.get(name) ?? []), wrk(url, headers)])
  }
  const best = (name: string) => Math.max(...(rates.get(name) ?? [0]))
  const baseline = best(cases[0]?.[0] as string)
  console.log(`\n${'route'.padEnd(48)} ${'req/s'.padStart(9)}  vs baseline`)
  for (const [name] of cases) {
    const rate = best(name)
    console.log(`${name.padEnd(48)} ${rate.toFixed(0).padStart(9)}  ${(rate / baseline).toFixed(2)}`)
  }
  const on = best('GET /health (metrics on)')
  const off = best('GET /health')
  console.log(
    `\nmetrics on vs off, GET /health: ${(on / off).toFixed(3)} (${((1 - on / off) * 100).toFixed(1)}% cost)`,
  )
} finally {
  for (const server of servers) server.kill()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(meteredDataDir, { recursive: true, force: true })
}
