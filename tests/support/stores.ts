/** The one way tests open a store: a fresh, empty one per engine, whose `close` also deletes its data. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import { createMongoStore, type MongoStoreOptions } from '../../src/store/mongo'
import { createSqliteStore } from '../../src/store/sqlite'
import type { Store } from '../../src/store/types'
import { unique } from './unique'

/** A storage engine, by the name its store gives as `kind`. */
export type Engine = Store['kind']

/** Both engines; every HTTP suite runs once per entry. The MongoDB one is never skipped. */
export const ENGINES: readonly Engine[] = ['sqlite', 'mongodb']

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

/** A database name no other suite, run or process uses. */
export function freshDatabaseName(): string {
  return `mercado_test_${process.pid}_${unique()}`
}

/** A fresh, empty store of `engine`; closing it also deletes its data. */
export async function freshStore(engine: Engine): Promise<Store> {
  return engine === 'sqlite' ? freshSqliteStore() : (await freshMongoStore()).store
}

/** A SQLite store on a new file in a new temporary folder, which closing the store removes. */
export function freshSqliteStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'mercado-test-'))
  const store = createSqliteStore({ path: join(dir, 'mercado.sqlite') })
  return withCleanup(store, async () => rmSync(dir, { recursive: true, force: true }))
}

/**
 * A MongoDB store on a new database of the test server, and the database's name; closing the store
 * drops the database (through the test server itself, so also when `options.uri` leads elsewhere,
 * such as to a proxy that is down by then).
 */
export async function freshMongoStore(
  options: Partial<MongoStoreOptions> = {},
): Promise<{ store: Store; dbName: string }> {
  const dbName = options.dbName ?? freshDatabaseName()
  const store = await createMongoStore({ uri: mongoUri(), ...options, dbName })
  return { store: withCleanup(store, () => dropDatabase(dbName)), dbName }
}

/** Two stores on one database, as two instances of the service have. */
export async function sharedStores(
  kind: Engine,
): Promise<{ stores: [Store, Store]; close(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mercado-shared-'))
    const path = join(dir, 'mercado.sqlite')
    const stores: [Store, Store] = [createSqliteStore({ path }), createSqliteStore({ path })]
    return {
      stores,
      close: async () => {
        for (const store of stores) await store.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const { store: first, dbName } = await freshMongoStore()
  const second = await createMongoStore({ uri: mongoUri(), dbName })
  return {
    stores: [first, second],
    close: async () => {
      await second.close()
      await first.close()
    },
  }
}

/** Drops `dbName` on the test server. */
export async function dropDatabase(dbName: string): Promise<void> {
  const client = new MongoClient(mongoUri())
  try {
    await client.db(dbName).dropDatabase()
  } finally {
    await client.close()
  }
}

function withCleanup(store: Store, cleanup: () => Promise<void>): Store {
  const close = store.close.bind(store)
  return Object.assign(store, {
    async close() {
      await close()
      await cleanup()
    },
  })
}
