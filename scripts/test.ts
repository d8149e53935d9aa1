/**
 * `bun run test`: the whole suite, MongoDB suites included, against the server MONGODB_URI names
 * or, when it is unset, a FerretDB test server started here and stopped afterwards; the mail suites
 * against a Mailpit SMTP server started here (MAILPIT_SMTP_URL, MAILPIT_API_URL). Arguments are
 * passed on to `bun test`.
 */
import { spawn } from 'bun'
import { startMailServer } from './mail-server'
import { mongoServer } from './mongo-server'

const mongo = await mongoServer()
console.log(`test: MongoDB suites use ${mongo.source} (${mongo.uri.replace(/\/\/[^@/]*@/, '//***@')})`)
const mail = await startMailServer().catch((error: Error) => {
  console.error(`test: ${error.message}`)
  mongo.stop()
  process.exit(1)
})
console.log(`test: mail suites use Mailpit (SMTP ${mail.smtpUrl}, API ${mail.apiUrl})`)

/**
 * Generous per-test timeout: some tests start the real server or hash passwords with argon2, and a
 * loaded 2-core machine can make them slow. (Bun 1.4 ignores a `timeout` in bunfig.toml.)
 */
const TEST_TIMEOUT_MS = '20000'
const args = process.argv.slice(2)
const timeout = args.some((arg) => arg.startsWith('--timeout')) ? [] : ['--timeout', TEST_TIMEOUT_MS]

const tests = spawn(['bun', 'test', ...timeout, ...args], {
  env: {
    ...process.env,
    MONGODB_URI: mongo.uri,
    MAILPIT_SMTP_URL: mail.smtpUrl,
    MAILPIT_API_URL: mail.apiUrl,
  },
  stdio: ['inherit', 'inherit', 'inherit'],
})
process.on('SIGINT', () => tests.kill('SIGINT'))
process.on('SIGTERM', () => tests.kill('SIGTERM'))
const code = await tests.exited
mongo.stop()
mail.stop()
process.exit(code)
