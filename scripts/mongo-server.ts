/**
 * The MongoDB server for the test scripts: the one MONGODB_URI names, or else our FerretDB test
 * server (scripts/mongo-test-server.sh, built with Go on first use), stopped by `stop()`.
 */
import { spawn } from 'bun'

const READY = /^READY (mongodb:\/\/\S+)$/m
/** The first run builds the server with Go, which can take a few minutes. */
const START_TIMEOUT_MS = 15 * 60_000

export interface MongoServer {
  uri: string
  /** Where it came from, for the log. */
  source: string
  stop(): void
}

async function startFerret(): Promise<MongoServer> {
  const root = new URL('..', import.meta.url).pathname
  const server = spawn(['bash', `${root}scripts/mongo-test-server.sh`, 'run', '-watch-parent'], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = server.stdout.getReader()
  const decoder = new TextDecoder()
  let output = ''
  const timeout = setTimeout(() => server.kill(), START_TIMEOUT_MS)
  while (true) {
    const { value, done } = await reader.read()
    if (done) break
    output += decoder.decode(value)
    const match = READY.exec(output)
    if (match?.[1]) {
      clearTimeout(timeout)
      reader.releaseLock()
      return { uri: match[1], source: 'the FerretDB test server', stop: () => server.kill('SIGTERM') }
    }
  }
  clearTimeout(timeout)
  throw new Error(
    `the MongoDB test server did not start (exit code ${await server.exited}). ` +
      'It needs Go on the PATH to build it the first time; or set MONGODB_URI to a MongoDB server.',
  )
}

/** MONGODB_URI when set, else a FerretDB server of our own; exits the process with a reason if neither works. */
export async function mongoServer(): Promise<MongoServer> {
  const uri = process.env.MONGODB_URI
  if (uri) return { uri, source: 'MONGODB_URI', stop: () => {} }
  try {
    return await startFerret()
  } catch (error) {
    console.error(`mongo: ${(error as Error).message}`)
    process.exit(1)
  }
}
