/**
 * `bun run test`: the whole suite, MongoDB suites included, against the server MONGODB_URI names
 * or, when it is unset, a FerretDB test server started here and stopped afterwards. Arguments are
 * passed on to `bun test`.
 */
import { spawn } from 'bun'
import { mongoServer } from './mongo-server'

const mongo = await mongoServer()
console.log(`test: MongoDB suites use ${mongo.source} (${mongo.uri.replace(/\/\/[^@/]*@/, '//***@')})`)

const tests = spawn(['bun', 'test', ...process.argv.slice(2)], {
  env: { ...process.env, MONGODB_URI: mongo.uri },
  stdio: ['inherit', 'inherit', 'inherit'],
})
process.on('SIGINT', () => tests.kill('SIGINT'))
process.on('SIGTERM', () => tests.kill('SIGTERM'))
const code = await tests.exited
mongo.stop()
process.exit(code)
