/**
 * `bun run client:generate`: a typed TypeScript client of the API (fetch, types, one function per
 * operation, named by its operationId) made by @hey-api/openapi-ts from the OpenAPI document of the app
 * built in process, into clients/typescript/. Only the built-in plugins run: nothing is fetched.
 * tests/generated-client.test.ts fails when the committed client is stale.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createClient } from '@hey-api/openapi-ts'
import { openApiDocument } from './postman-generate'

export const CLIENT_DIR = join(import.meta.dir, '..', 'clients', 'typescript')

/** Writes the client of `document` into `outputDir`, which it empties first. */
export async function generateClient(document: Record<string, unknown>, outputDir: string): Promise<void> {
  await createClient({
    input: document,
    output: { path: outputDir, clean: true },
    plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
    logs: { level: 'silent' },
  })
}

/** Every file under `dir`, by its path relative to `dir`, with its text. */
export function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files[relative(dir, path)] = readFileSync(path, 'utf8')
  }
  return files
}

if (import.meta.main) {
  await generateClient(await openApiDocument(), CLIENT_DIR)
  console.log(`wrote ${CLIENT_DIR}`)
}
