/**
 * Short-lived write claims: a lock shared by every instance on one database, made of a document
 * whose `_id` names what is locked. Inserting into the unique `_id` is atomic on every server
 * (MongoDB, and FerretDB's SQLite primary key), so of several writers exactly one gets the claim.
 *
 * Uses: the last-enabled-admin rule (users.ts), which reads a count and then writes another
 * document, with no multi-document transaction on a standalone server; and the FerretDB v1 compat,
 * which runs findAndModify, update and delete as a read followed by a separate write with no
 * isolation between them (ten concurrent `findOneAndUpdate({_id, version: 1}, ...)` all "succeed").
 *
 * Hand-written: the lock libraries on npm (mongo-lock, mongodb-lock) are unmaintained and do the
 * same insert with a TTL index, which FerretDB v1 does not implement.
 */
import { type Collection, type Db, MongoServerError } from 'mongodb'
import { StoreUnavailableError } from '../errors.ts'

interface ClaimDoc {
  _id: string
  at: Date
}

export const CLAIMS_COLLECTION = 'write_claims'

/**
 * A claim is held for one store call, which ends within `MONGODB_TIMEOUT`: one older than twice
 * that (and at least this) was left by a process that died mid-write, and is taken over.
 */
const MIN_STALE_AFTER_MS = 10_000

/** How long a write waits for another writer of the same document to finish before it gives up (503). */
export const CLAIM_WAIT_MS = 2_000

/** How often a waiting writer tries again. */
const RETRY_MS = 5

/** Returned by `WriteClaims.run` when another writer holds the claim. */
export const CLAIMED = Symbol('claimed by another writer')

export class WriteClaims {
  private readonly claims: Collection<ClaimDoc>
  private readonly staleAfterMs: number

  /** `callTimeoutMs`: the deadline of one store call (`MONGODB_TIMEOUT`). */
  constructor(db: Db, callTimeoutMs: number) {
    this.claims = db.collection<ClaimDoc>(CLAIMS_COLLECTION)
    this.staleAfterMs = Math.max(MIN_STALE_AFTER_MS, 2 * callTimeoutMs)
  }

  /** Runs `write` while holding the claim `key`, or returns `CLAIMED` at once if it is held. */
  async run<T>(key: string, write: () => Promise<T>): Promise<T | typeof CLAIMED> {
    if (!(await this.acquire(key))) return CLAIMED
    return this.holding(key, write)
  }

  /**
   * Runs `write` while holding the claim `key`, waiting for it up to `waitMs`; past that the store
   * counts as unavailable (503), since only a writer that hangs holds a claim that long.
   */
  async exclusive<T>(key: string, waitMs: number, write: () => Promise<T>): Promise<T> {
    const giveUp = Date.now() + waitMs
    while (!(await this.acquire(key))) {
      if (Date.now() >= giveUp) throw new StoreUnavailableError(new Error(`write claim ${key} is held`))
      await Bun.sleep(RETRY_MS)
    }
    return this.holding(key, write)
  }

  private async holding<T>(key: string, write: () => Promise<T>): Promise<T> {
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
        // A taken `_id` is code 11000 on both servers.
        if (!(error instanceof MongoServerError && error.code === 11000)) throw error
        const stale = new Date(Date.now() - this.staleAfterMs)
        const { deletedCount } = await this.claims.deleteOne({ _id: key, at: { $lt: stale } })
        if (deletedCount === 0) return false
      }
    }
    return false
  }
}
