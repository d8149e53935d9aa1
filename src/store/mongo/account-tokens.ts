/** Account tokens (email verification, password reset) in `account_tokens`, stored by hash only. */
import type { Collection, Db, IndexDescription, ObjectId } from 'mongodb'
import type {
  AccountTokenPurpose,
  AccountTokenRecord,
  AccountTokenRepository,
  NewAccountToken,
} from '../types.ts'
import { guard } from './errors.ts'

/** The record as stored, with when the database may delete it. */
export type AccountTokenDoc = AccountTokenRecord & {
  _id: ObjectId
  /** A day past `expiresAt`: until then `countSince` still counts the token. */
  deleteAt: Date
}

/** How long a token's record outlives its expiry, for the per-account throttle. */
const RETENTION_MS = 24 * 60 * 60 * 1000

export const accountTokenIndexes: IndexDescription[] = [
  { key: { tokenHash: 1 }, name: 'account_tokens_hash', unique: true },
  { key: { userId: 1, purpose: 1, createdAt: 1 }, name: 'account_tokens_user' },
  // Clean-up only: `consume` checks `expiresAt` itself (FerretDB v1 has no TTL indexes).
  { key: { deleteAt: 1 }, name: 'account_tokens_ttl', expireAfterSeconds: 0 },
]

export function toRecord(doc: AccountTokenDoc): AccountTokenRecord {
  return {
    tokenHash: doc.tokenHash,
    purpose: doc.purpose,
    userId: doc.userId,
    email: doc.email,
    userSessionVersion: doc.userSessionVersion,
    expiresAt: doc.expiresAt,
    createdAt: doc.createdAt,
    usedAt: doc.usedAt,
  }
}

export class MongoAccountTokenRepository implements AccountTokenRepository {
  protected readonly tokens: Collection<AccountTokenDoc>

  constructor(db: Db) {
    this.tokens = db.collection<AccountTokenDoc>('account_tokens')
  }

  insert(token: NewAccountToken): Promise<void> {
    return guard(async () => {
      await this.tokens.insertOne({
        ...token,
        createdAt: new Date(),
        usedAt: null,
        deleteAt: new Date(token.expiresAt.getTime() + RETENTION_MS),
      } as AccountTokenDoc)
    })
  }

  /** One `findOneAndUpdate` that only an unused live token of `purpose` matches. */
  consume(tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<AccountTokenRecord | null> {
    return guard(async () => {
      const doc = await this.tokens.findOneAndUpdate(
        { tokenHash, purpose, usedAt: null, expiresAt: { $gt: now } },
        { $set: { usedAt: now } },
        { returnDocument: 'after' },
      )
      return doc ? toRecord(doc) : null
    })
  }

  countSince(userId: string, purpose: AccountTokenPurpose, since: Date): Promise<number> {
    return guard(() => this.tokens.countDocuments({ userId, purpose, createdAt: { $gte: since } }))
  }

  /** Deletes records past their retention (what the TTL index does on MongoDB). */
  protected purge(now: Date): Promise<void> {
    return guard(async () => {
      await this.tokens.deleteMany({ deleteAt: { $lte: now } })
    })
  }
}
