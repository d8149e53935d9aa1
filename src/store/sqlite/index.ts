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
}

/** How long a write waits for another process's lock before giving up with `StoreUnavailableError`. */
const BUSY_TIMEOUT_MS = 5_000

function openDatabase(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { create: true, readwrite: true, strict: true })
  // WAL lets readers run beside the writer, e.g. a second instance or a backup on the same file.
  db.run('PRAGMA journal_mode = WAL')
  db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
  // With WAL, NORMAL is durable against application crashes; only a power loss can drop the last commits.
  db.run('PRAGMA synchronous = NORMAL')
  migrate(db)
  return db
}

/** The embedded engine: one `bun:sqlite` file, for running without a MongoDB server. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const db = openDatabase(options.path)
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
