import { Database } from 'bun:sqlite'
import { mkdirSync, statfsSync } from 'node:fs'
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

/** Below this much free space on the database's disk (bytes), the store is not ready: disk full. */
const MIN_FREE_BYTES = 1024 * 1024

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

/**
 * Whether the file can take a write, without writing anything: a write lock (waiting as a request
 * would), a change to the header in memory, rolled back. That fails on a read-only file, folder or
 * mount, a lock held too long or a closed handle, for about 12 µs and no disk I/O (WAL mode writes
 * nothing before a commit). A full disk passes it, for the same reason; the free space tells that.
 */
function writeProbe(db: Database, path: string): () => void {
  const version = db.query<{ user_version: number }, []>('PRAGMA user_version')
  const folder = dirname(path)
  return () => {
    db.run('BEGIN IMMEDIATE')
    try {
      // PRAGMA takes no bound parameters; the value is the file's own, an integer.
      db.run(`PRAGMA user_version = ${version.get()?.user_version ?? 0}`)
    } finally {
      // An I/O error may have rolled the transaction back already.
      if (db.inTransaction) db.run('ROLLBACK')
    }
    if (path === ':memory:') return
    const disk = statfsSync(folder)
    // Root may also use the blocks the filesystem keeps in reserve.
    const free = (process.getuid?.() === 0 ? disk.bfree : disk.bavail) * disk.bsize
    if (free < MIN_FREE_BYTES) throw new Error(`the disk holding ${path} is full (${free} bytes free)`)
  }
}

/** The embedded engine: one `bun:sqlite` file, for running without a MongoDB server. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const db = openDatabase(options)
  const probe = writeProbe(db, options.path)
  return {
    kind: 'sqlite',
    users: new SqliteUserRepository(db),
    products: new SqliteProductRepository(db),
    refreshTokens: new SqliteRefreshTokenRepository(db),
    loginAttempts: new SqliteLoginAttemptRepository(db),
    async ping() {
      try {
        probe()
      } catch (error) {
        throw new StoreUnavailableError(error)
      }
    },
    async close() {
      db.close()
    },
  }
}
