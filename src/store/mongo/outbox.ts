/** The mail outbox in `outbox` (issue #13): mails wait here until an instance has sent them. */
import { type Collection, type Db, type Filter, type IndexDescription, ObjectId } from 'mongodb'
import type { NewOutboxMail, OutboxMailRecord, OutboxRepository } from '../types.ts'
import { toObjectId } from './common.ts'
import { guard } from './errors.ts'

/** The record as stored: its id as `_id`. */
export type OutboxDoc = Omit<OutboxMailRecord, 'id'> & { _id: ObjectId }

export const outboxIndexes: IndexDescription[] = [
  { key: { sentAt: 1, nextAttemptAt: 1, _id: 1 }, name: 'outbox_due' },
]

/** Oldest due first; `_id` (creation order) breaks ties. */
export const DUE_ORDER = { nextAttemptAt: 1, _id: 1 } as const

/** Unsent, due at `now`, and free: never claimed, or its claim lapsed. */
export function dueAt(now: Date): Filter<OutboxDoc> {
  return {
    sentAt: null,
    nextAttemptAt: { $lte: now },
    $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }],
  }
}

export function toRecord(doc: OutboxDoc): OutboxMailRecord {
  return {
    id: doc._id.toHexString(),
    to: doc.to,
    subject: doc.subject,
    text: doc.text,
    html: doc.html,
    attempts: doc.attempts,
    nextAttemptAt: doc.nextAttemptAt,
    lockedUntil: doc.lockedUntil,
    sentAt: doc.sentAt,
    lastError: doc.lastError,
    createdAt: doc.createdAt,
  }
}

/**
 * On MongoDB each claim is one `findOneAndUpdate` of one mail, atomic on its own: of two instances
 * claiming at once, each mail goes to one. FerretDB v1 needs more (compat/ferretdb-outbox.ts).
 */
export class MongoOutboxRepository implements OutboxRepository {
  protected readonly mails: Collection<OutboxDoc>

  constructor(db: Db) {
    this.mails = db.collection<OutboxDoc>('outbox')
  }

  enqueue(mail: NewOutboxMail, now: Date): Promise<OutboxMailRecord> {
    const doc: OutboxDoc = {
      _id: new ObjectId(),
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      attempts: 0,
      nextAttemptAt: now,
      lockedUntil: null,
      sentAt: null,
      lastError: null,
      createdAt: now,
    }
    return guard(async () => {
      await this.mails.insertOne(doc)
      return toRecord(doc)
    })
  }

  claimDue(now: Date, lockedUntil: Date, limit: number): Promise<OutboxMailRecord[]> {
    return guard(async () => {
      const claimed: OutboxMailRecord[] = []
      while (claimed.length < limit) {
        const doc = await this.claimOne(dueAt(now), lockedUntil)
        if (!doc) break
        claimed.push(toRecord(doc))
      }
      return claimed
    })
  }

  markSent(id: string, now: Date): Promise<void> {
    return this.write(id, { $set: { sentAt: now, lockedUntil: null, lastError: null } })
  }

  markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void> {
    return this.write(id, {
      $set: { lastError: error, nextAttemptAt, lockedUntil: null },
      $inc: { attempts: 1 },
    })
  }

  /** Claims the first mail `filter` matches, in due order, until `lockedUntil`. */
  protected claimOne(filter: Filter<OutboxDoc>, lockedUntil: Date): Promise<OutboxDoc | null> {
    return this.mails.findOneAndUpdate(
      filter,
      { $set: { lockedUntil } },
      { sort: DUE_ORDER, returnDocument: 'after' },
    )
  }

  /** One update of an unsent mail; an unknown id changes nothing. */
  protected write(id: string, update: Parameters<Collection<OutboxDoc>['updateOne']>[1]): Promise<void> {
    const _id = toObjectId(id)
    if (!_id) return Promise.resolve()
    return guard(async () => {
      await this.mails.updateOne({ _id, sentAt: null }, update)
    })
  }
}
