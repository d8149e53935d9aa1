/**
 * `bun run postman:test`: runs the committed Postman collection with newman against a live service.
 * Starts `bun src/index.ts` on a free port with a fresh embedded store (a temporary DATA_DIR) and a
 * first admin (ADMIN_*), runs the requests of `RUN_ORDER` (scripts/postman-collection.ts) in that
 * order as that admin, prints newman's report and exits 1 on any failed request or assertion.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import newman, { type NewmanRunSummary } from 'newman'
import { key, RUN_ORDER } from './postman-collection'
import { COLLECTION_PATH, ENVIRONMENT_PATH } from './postman-generate'
import { freePort, startDevService } from './support/processes'

const ADMIN = {
  username: 'postman_admin',
  email: 'postman_admin@example.com',
  password: 'postman-admin-password',
}

// biome-ignore lint/suspicious/noExplicitAny: a Postman collection JSON
type Json = any

/**
 * The collection as one flat list: the requests of `RUN_ORDER`, in that order (a client registered
 * under `clients` is what `auth`'s introspection and revocation authenticate as).
 */
function runnableCollection(collection: Json): Json {
  const requests = new Map<string, Json>(
    collection.item.flatMap((folder: Json) => folder.item.map((item: Json) => [key(item), item])),
  )
  const item = RUN_ORDER.map((operation) => {
    const request = requests.get(operation)
    if (!request) throw new Error(`${operation} is in RUN_ORDER but not in the collection`)
    return request
  })
  return { ...collection, item }
}

function runNewman(options: newman.NewmanRunOptions): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) =>
    newman.run(options, (error, summary) => (error ? reject(error) : resolve(summary))),
  )
}

const started = performance.now()
const dataDir = mkdtempSync(join(tmpdir(), 'mercado-postman-'))
const { service, base } = await startDevService(await freePort(), dataDir, ADMIN, {}, '/ready')
let failed = true
try {
  const summary = await runNewman({
    collection: runnableCollection(await Bun.file(COLLECTION_PATH).json()),
    environment: await Bun.file(ENVIRONMENT_PATH).json(),
    envVar: [
      { key: 'baseUrl', value: base },
      { key: 'username', value: ADMIN.username },
      { key: 'password', value: ADMIN.password },
    ],
    reporters: ['cli'],
    timeoutRequest: 10_000,
  })
  const { assertions } = summary.run.stats
  // Items run, not requests sent: the collection's login script sends its own.
  const requests = new Set(summary.run.executions.map((execution) => execution.item.id)).size
  const failures = summary.run.failures.length
  failed = failures > 0 || requests !== RUN_ORDER.length
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(
    `newman: ${requests} requests (${RUN_ORDER.length} expected), ${assertions.total} assertions, ${failures} failures, ${seconds} s`,
  )
} finally {
  service.kill('SIGTERM')
  await Promise.race([service.exited, Bun.sleep(12_000).then(() => service.kill('SIGKILL'))])
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
