import { SQLiteError } from 'bun:sqlite'
import { ConflictError, StoreUnavailableError } from '../errors'

/**
 * Translates an SQLite error at the store boundary: a unique index → `ConflictError` naming the field,
 * a locked database (another process held it past `busy_timeout`) → `StoreUnavailableError`.
 * Anything else is a bug and is thrown as it is.
 */
export function translateError(error: unknown): never {
  if (error instanceof SQLiteError) {
    const code = error.code ?? ''
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      // The message names the column: "UNIQUE constraint failed: users.email".
      if (error.message.endsWith('users.username_key')) throw new ConflictError('username')
      if (error.message.endsWith('users.email')) throw new ConflictError('email')
    }
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new StoreUnavailableError(error)
    }
  }
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
