/**
 * `bun run test`: the whole suite, MongoDB suites included. They run against the server that
 * MONGODB_URI names; when it is unset, this script starts our FerretDB test server
 * (scripts/mongo-test-server.sh, built with Go on first use), and stops it afterwards.
 * Arguments are passed on to `bun test`.
 */
import { spawn } from 'bun'

const READY = /^READY (mongodb:\/\/\S+)$/m
/** The first run builds the server with Go, which can take a few minutes. */
const START_TIMEOUT_MS = 15 * 60_000

async function startMongo(): Promise<{ uri: string; stop: () => void }> {
  const server = spawn(['bash', 'scripts/mongo-test-server.sh', 'run', '-watch-parent'], {
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
      return { uri: match[1], stop: () => server.kill('SIGTERM') }
    }
  }
  clearTimeout(timeout)
  throw new Error(
    `the MongoDB test server did not start (exit code ${await server.exited}). ` +
      'It needs Go on the PATH to build it the first time; or set MONGODB_URI to a MongoDB server.',
  )
}

let mongo: Awaited<ReturnType<typeof startMongo>> | undefined
let uri = process.env.MONGODB_URI
if (uri) {
  console.log(`test: MongoDB suites use MONGODB_URI (${uri.replace(/\/\/[^@/]*@/, '//***@')})`)
} else {
  try {
    mongo = await startMongo()
  } catch (error) {
    console.error(`test: ${(error as Error).message}`)
    process.exit(1)
  }
  uri = mongo.uri
  console.log(`test: MongoDB suites use the FerretDB test server at ${uri}`)
}

const tests = spawn(['bun', 'test', ...process.argv.slice(2)], {
  env: { ...process.env, MONGODB_URI: uri },
  stdio: ['inherit', 'inherit', 'inherit'],
})
const forward = (signal: NodeJS.Signals) => tests.kill(signal)
process.on('SIGINT', () => forward('SIGINT'))
process.on('SIGTERM', () => forward('SIGTERM'))
const code = await tests.exited
mongo?.stop()
process.exit(code)
