import { Database } from 'bun:sqlite'
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statfsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../../core/log'
import { StoreUnavailableError } from '../errors'
import type { Store } from '../types'
import { SqliteAccountTokenRepository } from './account-tokens'
import { SqliteLoginAttemptRepository } from './attempts'
import { SqliteAuthorizationCodeRepository } from './authorization-codes'
import { SqliteClientRepository } from './clients'
import { SqliteConsentRepository } from './consents'
import { SqliteOutboxRepository } from './outbox'
import { SqliteProductRepository } from './products'
import { SqliteRevokedTokenRepository } from './revoked-tokens'
import { migrate } from './schema'
import { SqliteSignInSessionRepository } from './signin-sessions'
import { SqliteSigningKeyRepository } from './signing-keys'
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
  /** Told when a data folder is open to others, or a file's mode could not be tightened. */
  logger?: Pick<Logger, 'warn'>
}

const DEFAULT_BUSY_TIMEOUT_MS = 2_000

/** Below this much free space on the database's disk (bytes), the store is not ready: disk full. */
const MIN_FREE_BYTES = 1024 * 1024

/** The file holds password and refresh-token hashes: its owner alone reads it, and its folder. */
const FILE_MODE = 0o600
const FOLDER_MODE = 0o700

/**
 * Makes `file` (if it exists) mode 0600. An explicit chmod, not the umask: the umask can only take
 * bits away at creation, and does nothing to a file an earlier version left 0644.
 */
function tighten(file: string, logger: SqliteStoreOptions['logger']) {
  try {
    if ((statSync(file).mode & 0o777) !== FILE_MODE) chmodSync(file, FILE_MODE)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    // Not ours (EPERM) or a read-only mount: the service can still run; the operator must know.
    logger?.warn('cannot make the data file private (mode 0600)', { file, err: error })
  }
}

/**
 * The folder is created 0700; one that exists already is left as it is (it may be a mount or a
 * folder the operator chose), with a warning when others may enter it. The database file is made
 * 0600 before SQLite opens it, so that the `-wal` and `-shm` files, which SQLite creates with the
 * database file's mode, are 0600 from the start; all three are tightened if an earlier run left
 * them open.
 */
function prepareFiles(path: string, logger: SqliteStoreOptions['logger']) {
  const folder = dirname(path)
  if (existsSync(folder)) {
    const mode = statSync(folder).mode & 0o777
    if (mode & 0o077)
      logger?.warn('the data folder is open to other users; make it mode 0700', {
        folder,
        mode: mode.toString(8),
      })
  } else {
    mkdirSync(folder, { recursive: true, mode: FOLDER_MODE })
    // mkdir's mode is masked by the umask; an odd umask such as 0277 would lock the owner out.
    chmodSync(folder, FOLDER_MODE)
  }
  if (!existsSync(path)) closeSync(openSync(path, 'a', FILE_MODE))
  for (const file of [path, `${path}-wal`, `${path}-shm`]) tighten(file, logger)
}

function openDatabase({
  path,
  busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
  logger,
}: SqliteStoreOptions): Database {
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a whole number of milliseconds, got ${busyTimeoutMs}`)
  }
  if (path !== ':memory:') prepareFiles(path, logger)
  const db = new Database(path, { create: true, readwrite: true, strict: true })
  try {
    // Set first, so that switching to WAL and migrating also wait for another process's lock.
    db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
    // WAL lets readers run beside the writer, e.g. a second instance or a backup of the same file.
    db.run('PRAGMA journal_mode = WAL')
    // With WAL, NORMAL survives application crashes; only a power loss can drop the last commits.
    db.run('PRAGMA synchronous = NORMAL')
    migrate(db)
    // SQLite gives -wal and -shm the database file's mode; this covers a file replaced meanwhile.
    if (path !== ':memory:') for (const file of [`${path}-wal`, `${path}-shm`]) tighten(file, logger)
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
    revokedTokens: new SqliteRevokedTokenRepository(db),
    clients: new SqliteClientRepository(db),
    signingKeys: new SqliteSigningKeyRepository(db),
    signInSessions: new SqliteSignInSessionRepository(db),
    authorizationCodes: new SqliteAuthorizationCodeRepository(db),
    consents: new SqliteConsentRepository(db),
    outbox: new SqliteOutboxRepository(db),
    accountTokens: new SqliteAccountTokenRepository(db),
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
