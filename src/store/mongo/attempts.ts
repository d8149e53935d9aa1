/** Failed-login counters in `login_attempts`: one document per failure and key. */
import type { Collection, Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import type { LoginAttemptRepository } from '../types.ts'
import { guard } from './errors.ts'

interface LoginAttemptDoc {
  _id: ObjectId
  key: string
  at: Date
  expiresAt: Date
  attemptId: string
}

export const loginAttemptIndexes: IndexDescription[] = [
  { key: { key: 1, at: 1 }, name: 'login_attempts_key_at' },
  { key: { attemptId: 1 }, name: 'login_attempts_attempt' },
  // Clean-up only: queries check `expiresAt` themselves, so a late clean-up changes no answer.
  { key: { expiresAt: 1 }, name: 'login_attempts_ttl', expireAfterSeconds: 0 },
]

/** The failures under `key` at or after `since` that have not expired. */
export function failuresOf(key: string, since: Date): Filter<LoginAttemptDoc> {
  return { key, at: { $gte: since }, expiresAt: { $gt: new Date() } }
}

export class MongoLoginAttemptRepository implements LoginAttemptRepository {
  protected readonly attempts: Collection<LoginAttemptDoc>

  constructor(db: Db) {
    this.attempts = db.collection<LoginAttemptDoc>('login_attempts')
  }

  recordFailure(keys: string[], at: Date, expiresAt: Date): Promise<string> {
    const attemptId = crypto.randomUUID()
    if (keys.length === 0) return Promise.resolve(attemptId)
    return guard(async () => {
      await this.attempts.insertMany(
        keys.map((key) => ({ key, at, expiresAt, attemptId }) as LoginAttemptDoc),
        { ordered: false },
      )
      return attemptId
    })
  }

  forget(attemptId: string): Promise<void> {
    return guard(async () => {
      await this.attempts.deleteMany({ attemptId })
    })
  }

  failuresSince(key: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
    return guard(async () => {
      const [failures] = await this.attempts
        .aggregate<{ count: number; oldest: Date }>([
          { $match: failuresOf(key, since) },
          { $group: { _id: null, count: { $sum: 1 }, oldest: { $min: '$at' } } },
        ])
        .toArray()
      return { count: failures?.count ?? 0, oldest: failures?.oldest ?? null }
    })
  }
}
