import type { Database } from 'bun:sqlite'
import { PurgeSchedule } from '../purge'
import type { LoginAttemptRepository } from '../types'
import { guarded } from './errors'
import type { Params } from './query'

/** Failed logins in SQLite: one row per key and attempt. */
export class SqliteLoginAttemptRepository implements LoginAttemptRepository {
  readonly #record
  readonly #forget
  readonly #purgeExpired
  readonly #failuresSince
  readonly #purgeSchedule = new PurgeSchedule()

  constructor(private readonly db: Database) {
    this.#record = db.query<never, Params>(
      'INSERT INTO login_attempts (key, at, expires_at, attempt_id) VALUES ($key, $at, $expiresAt, $attemptId)',
    )
    this.#forget = db.query<never, Params>('DELETE FROM login_attempts WHERE attempt_id = $attemptId')
    this.#purgeExpired = db.query<never, Params>('DELETE FROM login_attempts WHERE expires_at <= $now')
    this.#failuresSince = db.query<{ count: number; oldest: number | null }, Params>(
      `SELECT count(*) AS count, min(at) AS oldest FROM login_attempts
       WHERE key = $key AND at >= $since AND expires_at > $now`,
    )
  }

  async recordFailure(keys: string[], at: Date, expiresAt: Date): Promise<string> {
    // Expiry is judged by the wall clock, as a TTL index would, not by the caller's `at`.
    const now = Date.now()
    const purge = this.#purgeSchedule.due(now)
    const attemptId = crypto.randomUUID()
    guarded(() =>
      this.db.transaction(() => {
        if (purge) this.#purgeExpired.run({ now })
        for (const key of keys) {
          this.#record.run({ key, at: at.getTime(), expiresAt: expiresAt.getTime(), attemptId })
        }
      })(),
    )
    return attemptId
  }

  async forget(attemptId: string): Promise<void> {
    guarded(() => this.#forget.run({ attemptId }))
  }

  async failuresSince(key: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
    // Expired rows may linger until the next purge; they no longer count.
    const row = guarded(() => this.#failuresSince.get({ key, since: since.getTime(), now: Date.now() }))
    const oldest = row?.oldest ?? null
    return { count: row?.count ?? 0, oldest: oldest === null ? null : new Date(oldest) }
  }
}
