import { SQLiteError } from 'bun:sqlite'
import { ConflictError, StoreUnavailableError } from '../errors'

/** SQLite codes that mean the file cannot serve now, not that our SQL is wrong. */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/

/**
 * Translates an SQLite error at the store boundary: a unique index → `ConflictError` naming the field;
 * a locked, unwritable, full or closed database → `StoreUnavailableError` (503, as an unreachable
 * MongoDB). Anything else is a bug and is thrown as it is.
 */
export function translateError(error: unknown): never {
  if (error instanceof SQLiteError) {
    const code = error.code ?? ''
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      // The message names the column: "UNIQUE constraint failed: users.email".
      if (error.message.endsWith('users.username_key')) throw new ConflictError('username')
      if (error.message.endsWith('users.email')) throw new ConflictError('email')
    }
    if (UNAVAILABLE.test(code)) throw new StoreUnavailableError(error)
  }
  // bun:sqlite's own error for a call on a closed handle (no SQLite code).
  if (error instanceof Error && error.message === 'Database has closed')
    throw new StoreUnavailableError(error)
  throw error
}

/** Runs one synchronous database call, translating its errors. */
export function guarded<T>(work: () => T): T {
  try {
    return work()
  } catch (error) {
    translateError(error)
  }
}
