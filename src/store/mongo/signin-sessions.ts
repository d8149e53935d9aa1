/** Sign-in (SSO) sessions in `signin_sessions`, stored by the hash of their cookie only. */
import { type Collection, type Db, type IndexDescription, ObjectId } from 'mongodb'
import type { NewSignInSession, SignInSessionRecord, SignInSessionRepository } from '../types.ts'
import { toObjectId } from './common.ts'
import { guard } from './errors.ts'

interface SignInSessionDoc {
  _id: ObjectId
  tokenHash: string
  userId: ObjectId
  userSessionVersion: number
  authTime: Date
  createdAt: Date
  expiresAt: Date
  endedAt: Date | null
}

export const signInSessionIndexes: IndexDescription[] = [
  { key: { tokenHash: 1 }, name: 'signin_sessions_hash', unique: true },
  { key: { userId: 1 }, name: 'signin_sessions_user' },
  // Clean-up only: look-ups check `expiresAt` themselves (FerretDB v1 has no TTL indexes).
  { key: { expiresAt: 1 }, name: 'signin_sessions_ttl', expireAfterSeconds: 0 },
]

function toRecord(doc: SignInSessionDoc): SignInSessionRecord {
  return {
    id: doc._id.toHexString(),
    tokenHash: doc.tokenHash,
    userId: doc.userId.toHexString(),
    userSessionVersion: doc.userSessionVersion,
    authTime: doc.authTime,
    createdAt: doc.createdAt,
    expiresAt: doc.expiresAt,
    endedAt: doc.endedAt,
  }
}

/**
 * Every write here is a plain insert or a blind `$set` of `endedAt`: two racing ends on FerretDB v1
 * (non-atomic conditional writes) can at worst keep the later end time, so no compat seam is needed.
 */
export class MongoSignInSessionRepository implements SignInSessionRepository {
  private readonly sessions: Collection<SignInSessionDoc>

  constructor(db: Db) {
    this.sessions = db.collection<SignInSessionDoc>('signin_sessions')
  }

  create(session: NewSignInSession): Promise<SignInSessionRecord> {
    const userId = toObjectId(session.userId)
    if (!userId) return Promise.reject(new TypeError(`userId is not an id: ${session.userId}`))
    const doc: SignInSessionDoc = {
      _id: new ObjectId(),
      tokenHash: session.tokenHash,
      userId,
      userSessionVersion: session.userSessionVersion,
      authTime: session.authTime,
      createdAt: new Date(),
      expiresAt: session.expiresAt,
      endedAt: null,
    }
    return guard(async () => {
      await this.sessions.insertOne(doc)
      return toRecord(doc)
    })
  }

  findLiveByTokenHash(tokenHash: string, now: Date): Promise<SignInSessionRecord | null> {
    return guard(async () => {
      const doc = await this.sessions.findOne({ tokenHash, endedAt: null, expiresAt: { $gt: now } })
      return doc ? toRecord(doc) : null
    })
  }

  end(id: string, now: Date): Promise<void> {
    const _id = toObjectId(id)
    if (!_id) return Promise.resolve()
    return guard(async () => {
      await this.sessions.updateOne({ _id, endedAt: null }, { $set: { endedAt: now } })
    })
  }

  endAllForUser(userId: string, now: Date): Promise<void> {
    const _id = toObjectId(userId)
    if (!_id) return Promise.resolve()
    return guard(async () => {
      await this.sessions.updateMany({ userId: _id, endedAt: null }, { $set: { endedAt: now } })
    })
  }
}
