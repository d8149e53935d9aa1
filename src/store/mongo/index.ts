/** The MongoDB engine: one `MongoClient` per store, through the official driver only. */
import { type Db, type IndexDescription, MongoClient, MongoServerError } from 'mongodb'
import type { Store } from '../types.ts'
import { loginAttemptIndexes, loginAttemptTtlIndex, MongoLoginAttemptRepository } from './attempts.ts'
import { CLAIMS_COLLECTION, WriteClaims } from './claims.ts'
import { guard, mapUnavailable } from './errors.ts'
import { MongoProductRepository, productIndexes } from './products.ts'
import {
  MongoRefreshTokenRepository,
  REVOCATIONS,
  refreshTokenIndexes,
  refreshTokenTtlIndex,
  revocationIndexes,
} from './tokens.ts'
import { MongoUserRepository, userIndexes } from './users.ts'

export interface MongoStoreOptions {
  uri: string
  dbName: string
  /** How long an operation waits for a reachable server before failing; default 2000 ms. */
  serverSelectionTimeoutMS?: number
}

/** A server that accepts a connection but stops answering fails the request after this long. */
const SOCKET_TIMEOUT_MS = 10_000

/**
 * Connects, creates the indexes, and returns the store. Rejects with `StoreUnavailableError` when
 * no server answers within `serverSelectionTimeoutMS`; a malformed URI rejects with the driver's
 * parse error as is.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  const serverSelectionTimeoutMS = options.serverSelectionTimeoutMS ?? 2000
  const client = new MongoClient(options.uri, {
    serverSelectionTimeoutMS,
    connectTimeoutMS: Math.max(serverSelectionTimeoutMS, 1000),
    socketTimeoutMS: SOCKET_TIMEOUT_MS,
    ignoreUndefined: true,
    appName: 'mercado',
  })
  try {
    await client.connect()
    const db = client.db(options.dbName)
    const [ferretDB] = await Promise.all([isFerretDB(db), createIndexes(db)])
    if (ferretDB) await ensureCollection(db, CLAIMS_COLLECTION)
    return new MongoStore(client, db, ferretDB ? new WriteClaims(db) : null)
  } catch (error) {
    await client.close().catch(() => {})
    throw mapUnavailable(error)
  }
}

class MongoStore implements Store {
  readonly kind = 'mongodb' as const
  readonly users: MongoUserRepository
  readonly products: MongoProductRepository
  readonly refreshTokens: MongoRefreshTokenRepository
  readonly loginAttempts: MongoLoginAttemptRepository

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    claims: WriteClaims | null,
  ) {
    this.users = new MongoUserRepository(db, claims)
    this.products = new MongoProductRepository(db, claims)
    this.refreshTokens = new MongoRefreshTokenRepository(db, claims)
    this.loginAttempts = new MongoLoginAttemptRepository(db)
  }

  ping(): Promise<void> {
    return guard(async () => {
      await this.db.command({ ping: 1 })
    })
  }

  close(): Promise<void> {
    return this.client.close()
  }
}

/** FerretDB identifies itself in `buildInfo`; its conditional writes are not atomic (see claims.ts). */
async function isFerretDB(db: Db): Promise<boolean> {
  const info = await db.command({ buildInfo: 1 })
  return 'ferretdbVersion' in info
}

/**
 * One `createIndexes` command per index: FerretDB v1.24 panics and drops the connection when one
 * command names several indexes that already exist, as it does on every start after the first.
 * Collections go in parallel, each collection's indexes in turn.
 */
async function createIndexes(db: Db): Promise<void> {
  const plan: [string, IndexDescription[]][] = [
    ['users', userIndexes],
    ['products', productIndexes],
    ['refresh_tokens', [...refreshTokenIndexes, refreshTokenTtlIndex]],
    [REVOCATIONS, revocationIndexes],
    ['login_attempts', [...loginAttemptIndexes, loginAttemptTtlIndex]],
  ]
  await Promise.all(
    plan.map(async ([name, indexes]) => {
      for (const index of indexes) await createIndex(db, name, index)
    }),
  )
}

/**
 * TTL indexes only clean up expired documents on MongoDB; every query checks expiry itself.
 * FerretDB v1 answers code 238 (NotImplemented: `Index option "expireAfterSeconds" is not
 * implemented yet`), so there expired documents stay until someone removes them.
 */
async function createIndex(db: Db, collection: string, index: IndexDescription): Promise<void> {
  try {
    await db.collection(collection).createIndexes([index])
  } catch (error) {
    const ttlNotImplemented =
      index.expireAfterSeconds !== undefined && error instanceof MongoServerError && error.code === 238
    if (!ttlNotImplemented) throw error
  }
}

/** Creates a collection up front so that concurrent first inserts never race to create it. */
async function ensureCollection(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name)
  } catch (error) {
    // 48: NamespaceExists, on a store that ran before.
    if (!(error instanceof MongoServerError && error.code === 48)) throw error
  }
}
