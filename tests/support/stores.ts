import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import { createMongoStore } from '../../src/store/mongo'
import { createSqliteStore } from '../../src/store/sqlite'
import type { Store } from '../../src/store/types'

/** The MongoDB server of this test run; `bun run test` starts one when `MONGODB_URI` is unset. */
export function mongoUri(): string {
  const uri = process.env.MONGODB_URI
  if (!uri) {
    throw new Error(
      'MONGODB_URI is not set: run the suite with `bun run test`, which starts a MongoDB-compatible server, or set MONGODB_URI to a MongoDB server',
    )
  }
  return uri
}

export interface StoreKind {
  name: 'sqlite' | 'mongodb'
  /** A fresh, empty store; closing it also deletes its data. */
  open(): Promise<Store>
}

let databases = 0

/** Both engines; every HTTP suite runs once per entry. The MongoDB one is never skipped. */
export const STORE_KINDS: StoreKind[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'mercado-test-'))
      const store = createSqliteStore({ path: join(dir, 'mercado.sqlite') })
      return withCleanup(store, async () => rmSync(dir, { recursive: true, force: true }))
    },
  },
  {
    name: 'mongodb',
    async open() {
      const uri = mongoUri()
      const dbName = `mercado_test_${process.pid}_${Date.now().toString(36)}_${++databases}`
      const store = await createMongoStore({ uri, dbName })
      return withCleanup(store, async () => {
        const client = new MongoClient(uri)
        try {
          await client.db(dbName).dropDatabase()
        } finally {
          await client.close()
        }
      })
    },
  },
]

function withCleanup(store: Store, cleanup: () => Promise<void>): Store {
  const close = store.close.bind(store)
  return Object.assign(store, {
    async close() {
      await close()
      await cleanup()
    },
  })
}
