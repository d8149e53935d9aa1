import type { Database } from 'bun:sqlite'
import { PurgeSchedule } from '../purge'
import type {
  AccountTokenPurpose,
  AccountTokenRecord,
  AccountTokenRepository,
  NewAccountToken,
} from '../types'
import { guarded } from './errors'
import type { Params } from './query'

interface AccountTokenRow {
  token_hash: string
  purpose: AccountTokenPurpose
  user_id: string
  email: string
  user_session_version: number
  expires_at: number
  created_at: number
  used_at: number | null
}

const COLUMNS = 'token_hash, purpose, user_id, email, user_session_version, expires_at, created_at, used_at'

/** Rows are kept this long past their expiry, so that `countSince` sees the last day's tokens. */
const RETENTION_MS = 24 * 60 * 60 * 1000

function toRecord(row: AccountTokenRow): AccountTokenRecord {
  return {
    tokenHash: row.token_hash,
    purpose: row.purpose,
    userId: row.user_id,
    email: row.email,
    userSessionVersion: row.user_session_version,
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
    usedAt: row.used_at === null ? null : new Date(row.used_at),
  }
}

/** Account tokens in SQLite, by hash; consuming is one conditional UPDATE, so only one caller wins. */
export class SqliteAccountTokenRepository implements AccountTokenRepository {
  readonly #insert
  readonly #consume
  readonly #count
  readonly #purge
  readonly #purgeSchedule = new PurgeSchedule()

  constructor(db: Database) {
    this.#insert = db.query<never, Params>(
      `INSERT INTO account_tokens (${COLUMNS})
       VALUES ($tokenHash, $purpose, $userId, $email, $userSessionVersion, $expiresAt, $now, NULL)`,
    )
    this.#consume = db.query<AccountTokenRow, Params>(
      `UPDATE account_tokens SET used_at = $now
       WHERE token_hash = $tokenHash AND purpose = $purpose AND used_at IS NULL AND expires_at > $now
       RETURNING ${COLUMNS}`,
    )
    this.#count = db.query<{ count: number }, Params>(
      `SELECT count(*) AS count FROM account_tokens
       WHERE user_id = $userId AND purpose = $purpose AND created_at >= $since`,
    )
    this.#purge = db.query<never, Params>('DELETE FROM account_tokens WHERE expires_at <= $before')
  }

  async insert(token: NewAccountToken): Promise<void> {
    const now = Date.now()
    if (this.#purgeSchedule.due(now)) {
      guarded(() => this.#purge.run({ before: now - RETENTION_MS }))
    }
    guarded(() =>
      this.#insert.run({
        tokenHash: token.tokenHash,
        purpose: token.purpose,
        userId: token.userId,
        email: token.email,
        userSessionVersion: token.userSessionVersion,
        expiresAt: token.expiresAt.getTime(),
        now,
      }),
    )
  }

  async consume(
    tokenHash: string,
    purpose: AccountTokenPurpose,
    now: Date,
  ): Promise<AccountTokenRecord | null> {
    const row = guarded(() => this.#consume.get({ tokenHash, purpose, now: now.getTime() }))
    return row ? toRecord(row) : null
  }

  async countSince(userId: string, purpose: AccountTokenPurpose, since: Date): Promise<number> {
    return guarded(() => this.#count.get({ userId, purpose, since: since.getTime() })?.count ?? 0)
  }
}
