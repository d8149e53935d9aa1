/**
 * What every gate shares: its checks and their tally, the final `name: N passed, M failed` line and
 * exit code, and the real service on a fresh database of the MongoDB test server.
 */
import { type RunningServer, startServer } from '../../tests/support/server'
import { mongoServer } from '../mongo-server'

export class Gate {
  private passed = 0
  private failed = 0
  private readonly started = performance.now()

  constructor(readonly name: string) {}

  /** Runs one check; a throw fails it (and the gate), with the reason printed. */
  async check(title: string, run: () => Promise<void> | void): Promise<void> {
    const start = performance.now()
    try {
      await run()
      this.passed++
      console.log(`${this.name}: ok   ${title} (${seconds(start)} s)`)
    } catch (error) {
      this.failed++
      console.log(`${this.name}: FAIL ${title}: ${(error as Error).message}`)
    }
  }

  /** Prints the tally and exits: 0 only when every check passed and there was at least one. */
  finish(): never {
    console.log(`${this.name}: ${this.passed} passed, ${this.failed} failed in ${seconds(this.started)} s`)
    process.exit(this.failed === 0 && this.passed > 0 ? 0 : 1)
  }
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1)

/** Throws `message` unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

/** A MongoDB server for the gate (MONGODB_URI, or a FerretDB test server stopped at exit). */
export async function gateMongo(): Promise<string> {
  const mongo = await mongoServer()
  process.on('exit', () => mongo.stop())
  return mongo.uri
}

export const GATE_SECRET = 'gate-secret-that-is-at-least-32-bytes-long!'

const running = new Set<RunningServer>()
// A gate that fails half-way leaves no service behind.
process.on('exit', () => {
  for (const server of running) server.process.kill('SIGKILL')
})

/** The real service (`bun src/index.ts`, production mode) on database `db`; `env` on top. */
export async function startService(
  uri: string,
  db: string,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const server = await startServer({
    NODE_ENV: 'production',
    MONGODB_URI: uri,
    MONGODB_DB: db,
    KEY_ENCRYPTION_SECRET: GATE_SECRET,
    // info: startServer waits for the "listening" line.
    LOG_LEVEL: 'info',
    ...env,
  })
  running.add(server)
  server.process.exited.then(() => running.delete(server))
  return server
}

/** A database name of its own for each run and trial. */
export const freshDb = (gate: string, trial: number | string) =>
  `mercado_gate_${gate.replace(/\W/g, '_')}_${Date.now().toString(36)}_${trial}`

/** Registers a user and logs it in through `url`: its id, name, password and access token. */
export async function signUp(url: string, username: string, password = 'gate-password-1') {
  const registered = await fetch(`${url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, email: `${username}@example.com`, password }),
  })
  assert(registered.status === 201, `register ${username}: ${registered.status}`)
  const { id } = (await registered.json()) as { id: string }
  const login = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })
  assert(login.status === 200, `login ${username}: ${login.status}`)
  const tokens = (await login.json()) as { access_token: string; refresh_token: string }
  return { id, username, password, token: tokens.access_token, refresh: tokens.refresh_token }
}
