/**
 * Short-lived write claims, the FerretDB v1 compat's way to make conditional writes atomic.
 *
 * FerretDB v1 runs findAndModify, update and delete as a read followed by a separate write, with no
 * isolation between them: ten concurrent `findOneAndUpdate({_id, version: 1}, ...)` all match and
 * all "succeed", and so do two concurrent rotations of one refresh token. Inserting into a unique `_id` IS
 * atomic on FerretDB (SQLite's primary key), so a conditional write first inserts a claim named after
 * what it is about to change, and exactly one of the racers gets it.
 */
import { type Collection, type Db, MongoServerError } from 'mongodb'

interface ClaimDoc {
  _id: string
  at: Date
}

export const CLAIMS_COLLECTION = 'write_claims'

/** A claim older than this was left by a process that died mid-write, and is taken over. */
const STALE_AFTER_MS = 10_000

/** Returned by `WriteClaims.run` when another writer holds the claim. */
export const CLAIMED = Symbol('claimed by another writer')

export class WriteClaims {
  private readonly claims: Collection<ClaimDoc>

  constructor(db: Db) {
    this.claims = db.collection<ClaimDoc>(CLAIMS_COLLECTION)
  }

  /** Runs `write` while holding the claim `key`, or returns `CLAIMED` at once if it is held. */
  async run<T>(key: string, write: () => Promise<T>): Promise<T | typeof CLAIMED> {
    if (!(await this.acquire(key))) return CLAIMED
    try {
      return await write()
    } finally {
      // Released even after a failed write, so that a retry with the same version can go ahead.
      await this.claims.deleteOne({ _id: key }).catch(() => {})
    }
  }

  private async acquire(key: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.claims.insertOne({ _id: key, at: new Date() })
        return true
      } catch (error) {
        // FerretDB answers a taken `_id` with code 11000, like MongoDB.
        if (!(error instanceof MongoServerError && error.code === 11000)) throw error
        const stale = new Date(Date.now() - STALE_AFTER_MS)
        const { deletedCount } = await this.claims.deleteOne({ _id: key, at: { $lt: stale } })
        if (deletedCount === 0) return false
      }
    }
    return false
  }
}
