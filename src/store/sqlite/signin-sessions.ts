import type { Database } from 'bun:sqlite'
import { PurgeSchedule } from '../purge'
import type { NewSignInSession, SignInSessionRecord, SignInSessionRepository } from '../types'
import { guarded } from './errors'
import type { Params } from './query'

interface SessionRow {
  id: string
  token_hash: string
  user_id: string
  user_session_version: number
  auth_time: number
  created_at: number
  expires_at: number
  ended_at: number | null
}

const COLUMNS = 'id, token_hash, user_id, user_session_version, auth_time, created_at, expires_at, ended_at'

/** Expired sessions are deleted a day after expiry, now and then on `create` (MongoDB has a TTL index instead). */
const KEEP_EXPIRED_MS = 24 * 3600_000

function toSession(row: SessionRow): SignInSessionRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    userSessionVersion: row.user_session_version,
    authTime: new Date(row.auth_time),
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    endedAt: row.ended_at === null ? null : new Date(row.ended_at),
  }
}

/** Sign-in sessions in SQLite, by the hash of their cookie. */
export class SqliteSignInSessionRepository implements SignInSessionRepository {
  readonly #insert
  readonly #findLive
  readonly #end
  readonly #endAllForUser
  readonly #purge
  readonly #purgeSchedule = new PurgeSchedule()

  constructor(db: Database) {
    this.#insert = db.query<SessionRow, Params>(
      `INSERT INTO signin_sessions (${COLUMNS})
       VALUES ($id, $tokenHash, $userId, $userSessionVersion, $authTime, $now, $expiresAt, NULL)
       RETURNING ${COLUMNS}`,
    )
    this.#findLive = db.query<SessionRow, Params>(
      `SELECT ${COLUMNS} FROM signin_sessions
       WHERE token_hash = $tokenHash AND ended_at IS NULL AND expires_at > $now`,
    )
    // `ended_at IS NULL` keeps the first end time.
    this.#end = db.query<never, Params>(
      'UPDATE signin_sessions SET ended_at = $now WHERE id = $id AND ended_at IS NULL',
    )
    this.#endAllForUser = db.query<never, Params>(
      'UPDATE signin_sessions SET ended_at = $now WHERE user_id = $userId AND ended_at IS NULL',
    )
    this.#purge = db.query<never, Params>('DELETE FROM signin_sessions WHERE expires_at <= $before')
  }

  async create(session: NewSignInSession): Promise<SignInSessionRecord> {
    const now = Date.now()
    if (this.#purgeSchedule.due(now)) {
      guarded(() => this.#purge.run({ before: now - KEEP_EXPIRED_MS }))
    }
    const row = guarded(() =>
      this.#insert.get({
        id: crypto.randomUUID(),
        tokenHash: session.tokenHash,
        userId: session.userId,
        userSessionVersion: session.userSessionVersion,
        authTime: session.authTime.getTime(),
        expiresAt: session.expiresAt.getTime(),
        now,
      }),
    )
    if (!row) throw new Error('the inserted session was not returned')
    return toSession(row)
  }

  async findLiveByTokenHash(tokenHash: string, now: Date): Promise<SignInSessionRecord | null> {
    const row = guarded(() => this.#findLive.get({ tokenHash, now: now.getTime() }))
    return row ? toSession(row) : null
  }

  async end(id: string, now: Date): Promise<void> {
    guarded(() => this.#end.run({ id, now: now.getTime() }))
  }

  async endAllForUser(userId: string, now: Date): Promise<void> {
    guarded(() => this.#endAllForUser.run({ userId, now: now.getTime() }))
  }
}
