/** Refresh tokens in `refresh_tokens`, stored by hash only. */
import type { Collection, Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import { API_SCOPES, DOCS_CLIENT_ID } from '../../core/domain.ts'
import type { NewRefreshToken, RefreshTokenRecord, RefreshTokenRepository, RotateResult } from '../types.ts'
import { toObjectId } from './common.ts'
import { guard } from './errors.ts'

interface RefreshTokenDoc {
  _id: ObjectId
  tokenHash: string
  userId: ObjectId
  chainId: string
  /** Absent on tokens from before clients existed: the docs client, every API scope. */
  clientId?: string
  scopes?: string[]
  expiresAt: Date
  createdAt: Date
  rotatedAt: Date | null
  revokedAt: Date | null
}

export const refreshTokenIndexes: IndexDescription[] = [
  { key: { tokenHash: 1 }, name: 'refresh_tokens_hash', unique: true },
  { key: { chainId: 1 }, name: 'refresh_tokens_chain' },
  { key: { userId: 1 }, name: 'refresh_tokens_user' },
  // Clean-up only: queries check `expiresAt` themselves, so a late clean-up changes no answer.
  { key: { expiresAt: 1 }, name: 'refresh_tokens_ttl', expireAfterSeconds: 0 },
]

/** Matches the tokens of `clientId`; a token without one is the docs client's, as `toRecord` reads it. */
function ofClient(clientId: string): Filter<RefreshTokenDoc> {
  return clientId === DOCS_CLIENT_ID
    ? { $or: [{ clientId }, { clientId: { $exists: false } }] }
    : { clientId }
}

/** The record of a stored token. */
export function toRecord(doc: RefreshTokenDoc): RefreshTokenRecord {
  return {
    tokenHash: doc.tokenHash,
    userId: doc.userId.toHexString(),
    chainId: doc.chainId,
    clientId: doc.clientId ?? DOCS_CLIENT_ID,
    scopes: doc.scopes ?? [...API_SCOPES],
    expiresAt: doc.expiresAt,
    createdAt: doc.createdAt,
    rotatedAt: doc.rotatedAt,
    revokedAt: doc.revokedAt,
  }
}

export class MongoRefreshTokenRepository implements RefreshTokenRepository {
  protected readonly tokens: Collection<RefreshTokenDoc>

  constructor(db: Db) {
    this.tokens = db.collection<RefreshTokenDoc>('refresh_tokens')
  }

  insert(token: NewRefreshToken): Promise<void> {
    const userId = toObjectId(token.userId)
    if (!userId) return Promise.reject(new TypeError(`userId is not an id: ${token.userId}`))
    return guard(async () => {
      await this.tokens.insertOne({
        tokenHash: token.tokenHash,
        userId,
        chainId: token.chainId,
        clientId: token.clientId,
        scopes: token.scopes,
        expiresAt: token.expiresAt,
        createdAt: new Date(),
        rotatedAt: null,
        revokedAt: null,
      } as RefreshTokenDoc)
    })
  }

  /** One `findOneAndUpdate` that only a live token matches; a read only when it matched nothing. */
  rotate(tokenHash: string, now: Date): Promise<RotateResult> {
    const live = { tokenHash, rotatedAt: null, revokedAt: null, expiresAt: { $gt: now } }
    return guard(async () => {
      const doc = await this.tokens.findOneAndUpdate(
        live,
        { $set: { rotatedAt: now } },
        { returnDocument: 'after' },
      )
      return doc ? { outcome: 'rotated', token: toRecord(doc) } : this.notRotated(tokenHash)
    })
  }

  findByHash(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return guard(async () => {
      const doc = await this.tokens.findOne({ tokenHash })
      return doc ? toRecord(doc) : null
    })
  }

  revokeChain(chainId: string, now: Date): Promise<void> {
    return guard(async () => {
      await this.tokens.updateMany({ chainId, revokedAt: null }, { $set: { revokedAt: now } })
    })
  }

  revokeAllForUser(userId: string, now: Date): Promise<void> {
    const _id = toObjectId(userId)
    if (!_id) return Promise.resolve()
    return guard(async () => {
      await this.tokens.updateMany({ userId: _id, revokedAt: null }, { $set: { revokedAt: now } })
    })
  }

  revokeForClient(userId: string, clientId: string, now: Date): Promise<void> {
    const _id = toObjectId(userId)
    if (!_id) return Promise.resolve()
    return guard(async () => {
      await this.tokens.updateMany(
        { userId: _id, ...ofClient(clientId), revokedAt: null },
        { $set: { revokedAt: now } },
      )
    })
  }

  /** A rotated token presented again is reused; anything else invalid. */
  private async notRotated(tokenHash: string): Promise<RotateResult> {
    const doc = await this.tokens.findOne({ tokenHash })
    return doc?.rotatedAt ? { outcome: 'reused', token: toRecord(doc) } : { outcome: 'invalid' }
  }
}
