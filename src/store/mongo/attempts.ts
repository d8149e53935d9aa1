/** Failed-login counters in `login_attempts`: one document per failure and key. */
import type { Collection, Db, IndexDescription, ObjectId } from 'mongodb'
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
]

/** Clean-up only: queries check `expiresAt` themselves (FerretDB v1 has no TTL indexes). */
export const loginAttemptTtlIndex: IndexDescription = {
  key: { expiresAt: 1 },
  name: 'login_attempts_ttl',
  expireAfterSeconds: 0,
}

export class MongoLoginAttemptRepository implements LoginAttemptRepository {
  private readonly attempts: Collection<LoginAttemptDoc>

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

  /**
   * Count and oldest in parallel: FerretDB v1 cannot do both in one aggregate (`$min` in `$group`
   * answers NotImplemented).
   */
  failuresSince(key: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
    const query = { key, at: { $gte: since }, expiresAt: { $gt: new Date() } }
    return guard(async () => {
      const [count, oldest] = await Promise.all([
        this.attempts.countDocuments(query),
        this.attempts.findOne(query, { sort: { at: 1 }, projection: { at: 1 } }),
      ])
      return { count, oldest: count > 0 && oldest ? oldest.at : null }
    })
  }
}
