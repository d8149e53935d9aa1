/**
 * `bun run postman:generate`: builds the app in process, reads its OpenAPI document (GET /swagger/json),
 * converts it with openapi-to-postmanv2 and writes the runnable collection (scripts/postman-collection.ts)
 * and a local environment to postman/. tests/postman.test.ts fails when the committed files are stale.
 */
import { join } from 'node:path'
import type { CollectionResult } from 'openapi-to-postmanv2'
import { testApp } from '../tests/support/app'
import { freshSqliteStore } from '../tests/support/stores'
import { CONVERTER_OPTIONS, finishCollection } from './postman-collection'

const POSTMAN_DIR = join(import.meta.dir, '..', 'postman')
export const COLLECTION_PATH = join(POSTMAN_DIR, 'mercado.postman_collection.json')
export const ENVIRONMENT_PATH = join(POSTMAN_DIR, 'mercado.postman_environment.json')

/** The local environment: the service `bun dev` runs, and the admin `ADMIN_*` creates at start. */
export const ENVIRONMENT = {
  id: '5f1c7e2a-0d4b-4c61-9a57-3b8f7d1e2c40',
  name: 'Mercado (local)',
  values: [
    { key: 'baseUrl', value: 'http://localhost:3000', type: 'default', enabled: true },
    { key: 'username', value: 'admin', type: 'default', enabled: true },
    { key: 'password', value: 'change-me-admin-password', type: 'secret', enabled: true },
  ],
  _postman_variable_scope: 'environment',
}

/** The OpenAPI document of an app built in process on a throwaway SQLite store. */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const store = freshSqliteStore()
  try {
    const { app } = testApp(store)
    const response = await app.handle(new Request('http://localhost/swagger/json'))
    if (!response.ok) throw new Error(`GET /swagger/json answered ${response.status}`)
    return (await response.json()) as Record<string, unknown>
  } finally {
    await store.close()
  }
}

// The converter fakes values the document gives no example for with Math.random (its faker keeps a
// reference taken at load): a seeded generator, reset for each conversion, makes the output repeatable.
let seed = 0
function seededRandom(): number {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

async function loadConverter() {
  const random = Math.random
  Math.random = seededRandom
  try {
    return await import('openapi-to-postmanv2')
  } finally {
    Math.random = random
  }
}
let converter: ReturnType<typeof loadConverter> | undefined

/** The runnable Postman collection (v2.1) of `document`; the same document always gives the same one. */
export async function generateCollection(document: Record<string, unknown>): Promise<unknown> {
  converter ??= loadConverter()
  const { convert } = await converter
  const random = Math.random
  Math.random = seededRandom
  seed = 14
  try {
    const result = await new Promise<CollectionResult>((resolve, reject) =>
      convert({ type: 'json', data: document }, CONVERTER_OPTIONS, (error, result) =>
        error ? reject(error) : resolve(result as CollectionResult),
      ),
    )
    const output = result.result ? result.output?.[0]?.data : undefined
    if (!output) throw new Error(`openapi-to-postmanv2 failed: ${result.reason ?? 'no collection'}`)
    return finishCollection(output, document)
  } finally {
    Math.random = random
  }
}

/** How the files are written: two-space JSON and a final newline. */
export function serialize(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

if (import.meta.main) {
  const collection = await generateCollection(await openApiDocument())
  await Bun.write(COLLECTION_PATH, serialize(collection))
  await Bun.write(ENVIRONMENT_PATH, serialize(ENVIRONMENT))
  console.log(`wrote ${COLLECTION_PATH} and ${ENVIRONMENT_PATH}`)
}
