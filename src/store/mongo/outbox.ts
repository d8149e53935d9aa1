import type { NewOutboxMail, OutboxMailRecord, OutboxRepository } from '../types.ts'

/** PLACEHOLDER (recovery-13): the outbox is built on branch mail-13, which replaces this file. */
export class MongoOutboxRepository implements OutboxRepository {
  enqueue(_mail: NewOutboxMail, _now: Date): Promise<OutboxMailRecord> {
    return Promise.reject(new Error('not implemented'))
  }

  claimDue(_now: Date, _lockedUntil: Date, _limit: number): Promise<OutboxMailRecord[]> {
    return Promise.reject(new Error('not implemented'))
  }

  markSent(_id: string, _now: Date): Promise<void> {
    return Promise.reject(new Error('not implemented'))
  }

  markFailed(_id: string, _error: string, _nextAttemptAt: Date): Promise<void> {
    return Promise.reject(new Error('not implemented'))
  }
}
