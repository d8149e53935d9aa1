/**
 * Fuzzing gate (issue #9): schemathesis against the live OpenAPI document of the real service
 * (`bun src/index.ts`), on both stores, anonymous, as a user and as an admin, with every check and
 * every phase, a fixed seed and a bounded number of examples. It passes only when no check fails,
 * the access log shows no 5xx, the server logs no error and stops cleanly, and the tokens still
 * work after their runs. Whatever keeps it from running (no Python, no MongoDB, a timeout) is a
 * failure: this gate never skips.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { MongoClient } from 'mongodb'
import { type RunningServer, startServer } from '../../tests/support/server'
import { ADMIN, type Identity, identities, signedIn } from '../fuzz-accounts'
import { mongoServer } from '../mongo-server'
import { runSchemathesis, schemathesisCommand } from '../schemathesis'

process.chdir(resolve(import.meta.dir, '../..'))
const started = Date.now()
/** Ends the runs with a summary before the runner's 8-minute limit kills the gate silently. */
const DEADLINE = started + 7 * 60_000
const SEED = 20261129
/** Cases per operation and phase (the coverage phase adds its own): about 10k requests in all. */
const MAX_EXAMPLES = 20
const FLAGS = [
  '--checks=all',
  '--phases=examples,coverage,fuzzing,stateful',
  `--seed=${SEED}`,
  `--max-examples=${MAX_EXAMPLES}`,
  // One worker: with two, hypothesis' `ast.parse` of its own lambdas failed on CPython 3.11 with
  // "AST constructor recursion depth mismatch", a CPython race. The two stores run side by side.
  '--workers=1',
  // Examples saved by earlier runs would change what this one sends: the seed alone decides.
  '--generation-database=none',
  // A request that hangs fails the run instead of stalling it.
  '--request-timeout=10',
  '--no-color',
]

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is plain JSON
type Node = Record<string, any>

/** Checks switched off, each with its reason. None: every check schemathesis has runs. */
const DISABLED_CHECKS: Array<{ check: string; reason: string }> = []

/**
 * Statuses `positive_data_acceptance` also takes from a schema-valid request, where an RFC answers
 * it with an error; fuzz-hooks.py then fails those statuses whenever they come otherwise.
 */
const RELAXATIONS = [
  {
    statuses: ['412'],
    operations: (document: Node) =>
      Object.values(document.paths as Node).flatMap((item) =>
        Object.values(item as Node)
          .filter((op: Node) => op.parameters?.some((p: Node) => p.in === 'header' && p.name === 'If-Match'))
          .map((op: Node) => op.operationId as string),
      ),
    reason:
      'RFC 9110 13.1.1: a well-formed If-Match naming no current version is a 412 (a 412 without If-Match fails)',
  },
  {
    statuses: ['400'],
    operations: () => ['refresh'],
    reason:
      'RFC 6749 5.2: an unknown refresh token is 400 invalid_grant; schemathesis allows it on tokenUrl, not refreshUrl (any other 400 fails)',
  },
  {
    statuses: ['400'],
    operations: () => ['token', 'revoke', 'logout'],
    reason:
      'RFC 6749 5.2 and RFC 7009 2.2: a schema-valid token request may name a grant type, grant, scope or token the server refuses with a 400 OAuth error (fuzz-hooks.py checks which)',
  },
  {
    statuses: ['400'],
    operations: () => ['registerClient', 'replaceClient'],
    reason:
      'RFC 7591 3.2.2: client metadata rules no schema states (redirect URI schemes, grant types against the auth method, known scopes) are 400 invalid_redirect_uri or invalid_client_metadata (a 400 for a schema rule fails)',
  },
  {
    statuses: ['400'],
    operations: () => ['verifyEmail', 'confirmPasswordReset'],
    reason:
      'docs/api.md, Password reset: a well-formed token that is unknown, used or expired is a 400 problem saying so (fuzz-hooks.py fails any other 400)',
  },
]
/** schemathesis 4.32's own list, which the relaxations extend. */
const POSITIVE_DEFAULT = ['2xx', '3xx', '401', '403', '404', '409', '429', '5xx']

/** The run's schemathesis.toml: relaxations, and the bearer token, read from the environment. */
function config(document: Node, authenticated: boolean): string {
  // Schemathesis applies the first `[[operations]]` block an operation matches, so an operation
  // under several relaxations (replaceClient: 412 and 400) gets one block with all of them.
  const relaxed = new Map<string, string[]>()
  for (const { statuses, operations } of RELAXATIONS) {
    for (const id of operations(document)) relaxed.set(id, [...(relaxed.get(id) ?? []), ...statuses])
  }
  const byStatuses = new Map<string, string[]>()
  for (const [id, statuses] of relaxed) {
    const key = JSON.stringify([...POSITIVE_DEFAULT, ...new Set(statuses)])
    byStatuses.set(key, [...(byStatuses.get(key) ?? []), id])
  }
  const blocks = [...byStatuses].map(([statuses, ids]) =>
    [
      '[[operations]]',
      `include-operation-id = ${JSON.stringify(ids)}`,
      `checks.positive_data_acceptance.expected-statuses = ${statuses}`,
    ].join('\n'),
  )
  // Schemathesis would otherwise sign up and log in by itself, and the anonymous run would not be.
  blocks.push('[auth]\nauto-signup = false')
  // biome-ignore lint/suspicious/noTemplateCurlyInString: schemathesis substitutes it from its environment
  if (authenticated) blocks.push('[auth.openapi.BearerJWT]\nbearer = "${MERCADO_FUZZ_TOKEN}"')
  return `${blocks.join('\n\n')}\n`
}

const STORES = ['sqlite', 'mongodb'] as const
const AUTH = ['anonymous', 'user', 'admin'] as const

interface Run {
  store: string
  auth: string
  requests: number
  serverErrors: number
  seconds: number
  problems: string[]
}

const failure = (store: string, auth: string, problem: string): Run => {
  console.log(`fuzz ${store}, ${auth}: ${problem}`)
  return { store, auth, requests: 0, serverErrors: 0, seconds: 0, problems: [problem] }
}

/** One schemathesis run against `server`; its output is printed whole once it ends. */
async function fuzz(
  command: string[],
  server: RunningServer,
  document: Node,
  store: string,
  auth: string,
  { bearer, env }: Identity,
) {
  const dir = mkdtempSync(join(tmpdir(), 'mercado-fuzz-'))
  await Bun.write(join(dir, 'schemathesis.toml'), config(document, bearer !== undefined))
  const first = server.logs.length
  const start = performance.now()
  const { output, code, timedOut } = await runSchemathesis(
    command,
    ['--config-file=schemathesis.toml', 'run', `${server.url}/swagger/json`, ...FLAGS],
    {
      cwd: dir,
      env: {
        ...env,
        SCHEMATHESIS_HOOKS: join(import.meta.dir, 'fuzz-hooks.py'),
        MERCADO_FUZZ_TOKEN: bearer ?? '',
      },
      deadline: DEADLINE,
    },
  )
  rmSync(dir, { recursive: true, force: true })
  // The logger writes info lines once per event-loop turn: let the last ones arrive.
  await Bun.sleep(300)
  const lines = server.logs.slice(first)
  const access = lines.filter((l) => typeof l.status === 'number' && typeof l.method === 'string')
  const serverErrors = access.filter((l) => (l.status as number) >= 500).length
  const problems: string[] = []
  if (timedOut) problems.push('stopped at the deadline')
  else if (code !== 0) problems.push(`schemathesis exited with ${code}`)
  if (serverErrors > 0) problems.push(`${serverErrors} responses with status 5xx`)
  for (const line of lines.filter((l) => l.level === 'error').slice(0, 5))
    problems.push(`server error log: ${JSON.stringify(line)}`)
  if (bearer && !(await signedIn(server.url, bearer)))
    problems.push(`the ${auth} token stopped working during the run`)
  console.log(`\n== fuzz ${store}, ${auth}: ${problems.length === 0 ? 'pass' : 'FAIL'}\n${output}`)
  for (const problem of problems) console.log(`fuzz ${store}, ${auth}: ${problem}`)
  const seconds = Math.round((performance.now() - start) / 1000)
  return { store, auth, requests: access.length, serverErrors, seconds, problems }
}

/** A fresh server on `store`, and the three runs against it: the admin last, since it may change users. */
async function fuzzStore(
  command: string[],
  store: (typeof STORES)[number],
  mongoUri: string,
): Promise<Run[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mercado-fuzz-data-'))
  const database = `mercado_fuzz_${process.pid}_${Date.now().toString(36)}`
  const runs: Run[] = []
  let server: RunningServer | undefined
  try {
    server = await startServer({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      KEY_ENCRYPTION_SECRET: 'fuzz-secret-that-is-at-least-32-bytes-long',
      ACCESS_TOKEN_TTL: '1h',
      // The fuzzer logs in with made-up names thousands of times: the throttle (tested on its
      // own) would answer almost all of them 429 and hide the password grant from it.
      LOGIN_MAX_FAILURES: '1000',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ...(store === 'sqlite' ? { DATA_DIR: dataDir } : { MONGODB_URI: mongoUri, MONGODB_DB: database }),
    })
    const accounts = await identities(server.url)
    const document = (await (await fetch(`${server.url}/swagger/json`)).json()) as Node
    for (const auth of AUTH) runs.push(await fuzz(command, server, document, store, auth, accounts[auth]))
  } catch (error) {
    runs.push(failure(store, 'setup', (error as Error).message))
  } finally {
    const code = await server?.stop()
    if (code !== undefined && code !== 0)
      runs.push(failure(store, 'shutdown', `the server exited with ${code}`))
    rmSync(dataDir, { recursive: true, force: true })
    if (store === 'mongodb') {
      const client = new MongoClient(mongoUri)
      await client
        .db(database)
        .dropDatabase()
        .catch((error) => runs.push(failure(store, 'cleanup', `dropping ${database}: ${error.message}`)))
        .finally(() => client.close())
    }
  }
  return runs
}

let runs: Run[] = []
try {
  const command = await schemathesisCommand((line) => console.log(`fuzz: ${line}`))
  const version = (
    await runSchemathesis(command, ['--version'], { cwd: '.', env: {}, deadline: DEADLINE })
  ).output.trim()
  console.log(`fuzz: ${version}; ${FLAGS.join(' ')}`)
  for (const { check, reason } of DISABLED_CHECKS) console.log(`fuzz: check ${check} disabled: ${reason}`)
  for (const { statuses, reason } of RELAXATIONS)
    console.log(`fuzz: positive_data_acceptance also takes ${statuses.join(', ')}: ${reason}`)
  const mongo = await mongoServer()
  try {
    runs = (await Promise.all(STORES.map((store) => fuzzStore(command, store, mongo.uri)))).flat()
  } finally {
    mongo.stop()
  }
} catch (error) {
  console.error(`fuzz: could not run: ${(error as Error).stack ?? error}`)
  process.exit(1)
}

console.log(`\n== fuzz summary (seed ${SEED}, ${MAX_EXAMPLES} examples per operation and phase)`)
console.log('store    auth       requests  5xx  result  time')
for (const r of runs) {
  const cells = [
    r.store.padEnd(8),
    r.auth.padEnd(10),
    String(r.requests).padStart(8),
    String(r.serverErrors).padStart(4),
  ]
  console.log(`${cells.join(' ')}  ${(r.problems.length === 0 ? 'pass' : 'FAIL').padEnd(6)}  ${r.seconds} s`)
}
const failed = runs.filter((r) => r.problems.length > 0)
const total = runs.reduce((sum, r) => sum + r.requests, 0)
const seconds = Math.round((Date.now() - started) / 1000)
console.log(`fuzz: ${runs.length} runs, ${total} requests, ${failed.length} failed (${seconds} s)`)
process.exit(failed.length === 0 && runs.length === STORES.length * AUTH.length ? 0 : 1)
