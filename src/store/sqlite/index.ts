import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { StoreUnavailableError } from '../errors'
import type { Store } from '../types'
import { SqliteLoginAttemptRepository } from './attempts'
import { SqliteProductRepository } from './products'
import { migrate } from './schema'
import { SqliteRefreshTokenRepository } from './tokens'
import { SqliteUserRepository } from './users'

export interface SqliteStoreOptions {
  /** The database file (its folder is created if missing), or `:memory:`. */
  path: string
  /**
   * How long a write waits for another process's lock before failing with `StoreUnavailableError`.
   * The wait blocks the event loop (bun:sqlite is synchronous), so keep it short.
   */
  busyTimeoutMs?: number
}

const DEFAULT_BUSY_TIMEOUT_MS = 2_000

function openDatabase({ path, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS }: SqliteStoreOptions): Database {
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a whole number of milliseconds, got ${busyTimeoutMs}`)
  }
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { create: true, readwrite: true, strict: true })
  try {
    // Set first, so that switching to WAL and migrating also wait for another process's lock.
    db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
    // WAL lets readers run beside the writer, e.g. a second instance or a backup of the same file.
    db.run('PRAGMA journal_mode = WAL')
    // With WAL, NORMAL survives application crashes; only a power loss can drop the last commits.
    db.run('PRAGMA synchronous = NORMAL')
    migrate(db)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

/** The embedded engine: one `bun:sqlite` file, for running without a MongoDB server. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const db = openDatabase(options)
  const ping = db.query<{ ok: number }, []>('SELECT 1 AS ok')
  return {
    kind: 'sqlite',
    users: new SqliteUserRepository(db),
    products: new SqliteProductRepository(db),
    refreshTokens: new SqliteRefreshTokenRepository(db),
    loginAttempts: new SqliteLoginAttemptRepository(db),
    async ping() {
      try {
        ping.get()
      } catch (error) {
        throw new StoreUnavailableError(error)
      }
    },
    async close() {
      db.close()
    },
  }
}
