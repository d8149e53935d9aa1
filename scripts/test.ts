/**
 * `bun run test`: the whole suite, MongoDB suites included, against the server MONGODB_URI names
 * or, when it is unset, a FerretDB test server started here and stopped afterwards. Arguments are
 * passed on to `bun test`.
 */
import { spawn } from 'bun'
import { mongoServer } from './mongo-server'

const mongo = await mongoServer()
console.log(`test: MongoDB suites use ${mongo.source} (${mongo.uri.replace(/\/\/[^@/]*@/, '//***@')})`)

/**
 * Generous per-test timeout: some tests start the real server or hash passwords with argon2, and a
 * loaded 2-core machine can make them slow. (Bun 1.4 ignores a `timeout` in bunfig.toml.)
 */
const TEST_TIMEOUT_MS = '20000'
const args = process.argv.slice(2)
const timeout = args.some((arg) => arg.startsWith('--timeout')) ? [] : ['--timeout', TEST_TIMEOUT_MS]

const tests = spawn(['bun', 'test', ...timeout, ...args], {
  env: { ...process.env, MONGODB_URI: mongo.uri },
  stdio: ['inherit', 'inherit', 'inherit'],
})
process.on('SIGINT', () => tests.kill('SIGINT'))
process.on('SIGTERM', () => tests.kill('SIGTERM'))
const code = await tests.exited
mongo.stop()
process.exit(code)
