import type { Database } from 'bun:sqlite'
import type { NewOutboxMail, OutboxMailRecord, OutboxRepository } from '../types'
import { guarded } from './errors'
import type { Params } from './query'

interface OutboxRow {
  id: string
  recipient: string
  subject: string
  text_body: string
  html_body: string
  attempts: number
  next_attempt_at: number
  locked_until: number | null
  sent_at: number | null
  last_error: string | null
  created_at: number
}

const COLUMNS = `id, recipient, subject, text_body, html_body, attempts, next_attempt_at, locked_until,
  sent_at, last_error, created_at`

const date = (ms: number | null) => (ms === null ? null : new Date(ms))

function toRecord(row: OutboxRow): OutboxMailRecord {
  return {
    id: row.id,
    to: row.recipient,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    attempts: row.attempts,
    nextAttemptAt: new Date(row.next_attempt_at),
    lockedUntil: date(row.locked_until),
    sentAt: date(row.sent_at),
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
  }
}

/**
 * The mail outbox in SQLite. A claim is one `UPDATE ... RETURNING` in an immediate transaction:
 * the write lock makes it atomic against every other connection to the file, other processes too.
 */
export class SqliteOutboxRepository implements OutboxRepository {
  readonly #db: Database
  readonly #insert
  readonly #claim
  readonly #markSent
  readonly #markFailed

  constructor(db: Database) {
    this.#db = db
    this.#insert = db.query<OutboxRow, Params>(
      `INSERT INTO outbox (${COLUMNS})
       VALUES ($id, $to, $subject, $text, $html, 0, $now, NULL, NULL, NULL, $now)
       RETURNING ${COLUMNS}`,
    )
    this.#claim = db.query<OutboxRow, Params>(
      `UPDATE outbox SET locked_until = $lockedUntil
       WHERE id IN (
         SELECT id FROM outbox
         WHERE sent_at IS NULL AND next_attempt_at <= $now AND (locked_until IS NULL OR locked_until <= $now)
         ORDER BY next_attempt_at, created_at, id LIMIT $limit
       )
       RETURNING ${COLUMNS}`,
    )
    this.#markSent = db.query<never, Params>(
      'UPDATE outbox SET sent_at = $now, locked_until = NULL, last_error = NULL WHERE id = $id',
    )
    this.#markFailed = db.query<never, Params>(
      `UPDATE outbox SET attempts = attempts + 1, last_error = $error, next_attempt_at = $nextAttemptAt,
         locked_until = NULL
       WHERE id = $id AND sent_at IS NULL`,
    )
  }

  async enqueue(mail: NewOutboxMail, now: Date): Promise<OutboxMailRecord> {
    const row = guarded(() =>
      this.#insert.get({
        id: crypto.randomUUID(),
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        now: now.getTime(),
      }),
    )
    if (!row) throw new Error('the outbox insert returned no row')
    return toRecord(row)
  }

  async claimDue(now: Date, lockedUntil: Date, limit: number): Promise<OutboxMailRecord[]> {
    const params = { now: now.getTime(), lockedUntil: lockedUntil.getTime(), limit }
    const rows = guarded(() => this.#db.transaction(() => this.#claim.all(params)).immediate())
    // RETURNING gives rows in no promised order.
    return rows.map(toRecord).sort(oldestFirst)
  }

  async markSent(id: string, now: Date): Promise<void> {
    guarded(() => this.#markSent.run({ id, now: now.getTime() }))
  }

  async markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void> {
    guarded(() => this.#markFailed.run({ id, error, nextAttemptAt: nextAttemptAt.getTime() }))
  }
}

/** Due first; among those due together, created first. */
function oldestFirst(a: OutboxMailRecord, b: OutboxMailRecord): number {
  return (
    a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
}
