import type { Database } from 'bun:sqlite'
import type { ConsentRecord, ConsentRepository } from '../types'
import { guarded } from './errors'
import type { Params } from './query'

interface ConsentRow {
  user_id: string
  client_id: string
  scopes: string
  created_at: number
  updated_at: number
}

const COLUMNS = 'user_id, client_id, scopes, created_at, updated_at'

function toConsent(row: ConsentRow): ConsentRecord {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

/** Consents in SQLite, one row per user and client (the primary key); scopes are a JSON array. */
export class SqliteConsentRepository implements ConsentRepository {
  readonly #find
  readonly #upsert
  readonly #listForUser
  readonly #revoke

  constructor(private readonly db: Database) {
    this.#find = db.query<ConsentRow, Params>(
      `SELECT ${COLUMNS} FROM consents WHERE user_id = $userId AND client_id = $clientId`,
    )
    this.#upsert = db.query<ConsentRow, Params>(
      `INSERT INTO consents (${COLUMNS}) VALUES ($userId, $clientId, $scopes, $now, $now)
       ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at
       RETURNING ${COLUMNS}`,
    )
    // rowid breaks ties between consents given in the same millisecond: the order they were made.
    this.#listForUser = db.query<ConsentRow, Params>(
      `SELECT ${COLUMNS} FROM consents WHERE user_id = $userId ORDER BY created_at, rowid`,
    )
    this.#revoke = db.query<never, Params>(
      'DELETE FROM consents WHERE user_id = $userId AND client_id = $clientId',
    )
  }

  /**
   * The union is computed in a write transaction (BEGIN IMMEDIATE), so that another process
   * granting the same consent at once waits for this one instead of writing over it.
   */
  async grant(userId: string, clientId: string, scopes: string[], now: Date): Promise<ConsentRecord> {
    const row = guarded(() =>
      this.db
        .transaction(() => {
          const current = this.#find.get({ userId, clientId })
          const granted = current ? (JSON.parse(current.scopes) as string[]) : []
          const union = [...new Set([...granted, ...scopes])]
          return this.#upsert.get({ userId, clientId, scopes: JSON.stringify(union), now: now.getTime() })
        })
        .immediate(),
    )
    if (!row) throw new Error('INSERT ... RETURNING gave no row')
    return toConsent(row)
  }

  async find(userId: string, clientId: string): Promise<ConsentRecord | null> {
    const row = guarded(() => this.#find.get({ userId, clientId }))
    return row ? toConsent(row) : null
  }

  async listForUser(userId: string): Promise<ConsentRecord[]> {
    return guarded(() => this.#listForUser.all({ userId })).map(toConsent)
  }

  async revoke(userId: string, clientId: string): Promise<boolean> {
    return guarded(() => this.#revoke.run({ userId, clientId })).changes > 0
  }
}
