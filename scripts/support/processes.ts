/**
 * Real processes for the reliability gates: a FerretDB test server that can be SIGKILLed and
 * started again on the same port with the same data, and the service itself (`bun src/index.ts`).
 * Everything listens on loopback only.
 */
import { createServer } from 'node:net'
import { join } from 'node:path'
import { type Subprocess, spawn } from 'bun'

export const ROOT = join(import.meta.dir, '..', '..')

const READY = /^READY (mongodb:\/\/\S+)$/m
/** The binary is cached by `bun run test`; a first build with Go can take minutes. */
const FERRET_START_MS = 10 * 60_000
const SERVICE_START_MS = 60_000

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * The service from source on `port` in development mode, on a fresh embedded store in `dataDir`,
 * with an admin from `admin` and `env` on top, its output inherited: for the browser test and the
 * newman run. Resolves once `readyPath` answers 200 (within 30 s).
 */
export async function startDevService(
  port: number,
  dataDir: string,
  admin: { username: string; email: string; password: string },
  env: Record<string, string> = {},
  readyPath = '/health',
) {
  const all: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    // The origin clients use: the issuer and the docs client's redirect URI are built from it.
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_USERNAME: admin.username,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    ...env,
  }
  delete all.MONGODB_URI // the embedded store: these runs check pages and HTTP, not an engine
  const service = spawn(['bun', 'src/index.ts'], {
    cwd: ROOT,
    env: all,
    stdout: 'inherit',
    stderr: 'inherit',
  })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (service.exitCode !== null)
      throw new Error(`the service exited with ${service.exitCode} before it was up`)
    const up = await fetch(`${base}${readyPath}`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) return { service, base }
    await Bun.sleep(200)
  }
  service.kill()
  throw new Error(`the service did not answer ${readyPath} within 30 s`)
}

/** FerretDB on a fixed port and data dir, so that a restart looks like the same server coming back. */
export class FerretServer {
  private process: Subprocess<'ignore', 'pipe', 'inherit'> | undefined

  constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/`
  }

  /** Starts the server and resolves once it prints READY (it accepts connections then). */
  async start(): Promise<void> {
    const args = ['run', '-port', String(this.port), '-dir', this.dataDir, '-watch-parent']
    // `run` execs the binary, so this process is FerretDB itself and SIGKILL reaches it directly.
    const child = spawn(['bash', join(ROOT, 'scripts', 'mongo-test-server.sh'), ...args], {
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'inherit',
    })
    this.process = child
    const reader = child.stdout.getReader()
    const decoder = new TextDecoder()
    const timer = setTimeout(() => child.kill('SIGKILL'), FERRET_START_MS)
    let output = ''
    try {
      while (!READY.test(output)) {
        const { value, done } = await reader.read()
        if (done) throw new Error(`FerretDB exited (${await child.exited}) before READY: ${output.trim()}`)
        output += decoder.decode(value)
      }
    } finally {
      clearTimeout(timer)
      reader.releaseLock()
    }
  }

  /** Kills the server the way a crash would (SIGKILL: no goodbye to clients) and waits for it to go. */
  async kill(): Promise<void> {
    const child = this.process
    this.process = undefined
    if (!child) return
    child.kill('SIGKILL')
    await child.exited
  }

  /** A clean stop at the end of a run. */
  async stop(): Promise<void> {
    const child = this.process
    this.process = undefined
    if (!child) return
    child.kill('SIGTERM')
    await child.exited
  }
}

export interface LogLine {
  level?: string
  msg?: string
  [key: string]: unknown
}

/** The service as it runs in production: `bun src/index.ts`, configured through the environment. */
export class ServiceProcess {
  /**
   * The JSON log lines, latest last, each with the `performance.now()` it arrived at (bounded, so
   * that a long run does not grow without end).
   */
  readonly logs: Array<{ at: number; line: LogLine }> = []
  /** How many lines each level, and each message, logged over the whole run. */
  readonly levels = new Map<string, number>()
  readonly messages = new Map<string, number>()
  private process: Subprocess<'ignore', 'pipe', 'pipe'> | undefined
  private stderr = ''

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.process?.pid
  }

  /** True while the process that `start` began is still running. */
  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null
  }

  async start(): Promise<void> {
    const child = spawn(['bun', join(ROOT, 'src', 'index.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        HOST: '127.0.0.1',
        PORT: String(this.port),
        ...this.env,
      },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    })
    this.process = child
    void this.readLogs(child.stdout)
    void new Response(child.stderr).text().then((text) => {
      this.stderr = text
    })
    const deadline = Date.now() + SERVICE_START_MS
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`the service exited before answering: ${this.stderr.trim()}`)
      const up = await fetch(`${this.url}/health`).then(
        (reply) => reply.ok,
        () => false,
      )
      if (up) return
      await Bun.sleep(100)
    }
    throw new Error('the service did not answer /health in time')
  }

  async stop(): Promise<number | null> {
    const child = this.process
    if (!child) return null
    child.kill('SIGTERM')
    return child.exited
  }

  private async readLogs(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of stream) {
      buffer += decoder.decode(chunk)
      let newline = buffer.indexOf('\n')
      while (newline >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
        let entry: LogLine
        try {
          entry = JSON.parse(line)
        } catch {
          entry = { level: 'raw', msg: line }
        }
        const level = String(entry.level)
        this.levels.set(level, (this.levels.get(level) ?? 0) + 1)
        if (entry.msg) this.messages.set(entry.msg, (this.messages.get(entry.msg) ?? 0) + 1)
        this.logs.push({ at: performance.now(), line: entry })
        if (this.logs.length > 2000) this.logs.splice(0, 1000)
      }
    }
  }
}
