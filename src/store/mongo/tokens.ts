/**
 * Refresh tokens in `refresh_tokens`, stored by hash only, and revocations in
 * `refresh_token_revocations`.
 *
 * Revoking also writes each token's `revokedAt`, but on FerretDB v1 two updates of one document at
 * once can lose one of them (it reads, then writes the whole document): a logout racing a rotation
 * could vanish. So every revocation is also inserted as a document of its own, which no concurrent
 * write can undo, and a token counts as revoked when either says so. On MongoDB both agree.
 */
import type { Collection, Db, IndexDescription, ObjectId } from 'mongodb'
import type { NewRefreshToken, RefreshTokenRecord, RefreshTokenRepository, RotateResult } from '../types.ts'
import { CLAIMED, type WriteClaims } from './claims.ts'
import { toObjectId } from './common.ts'
import { guard } from './errors.ts'

interface RefreshTokenDoc {
  _id: ObjectId
  tokenHash: string
  userId: ObjectId
  chainId: string
  expiresAt: Date
  createdAt: Date
  rotatedAt: Date | null
  revokedAt: Date | null
}

/** One revocation: a whole chain, or every token of a user created up to `at`. */
interface RevocationDoc {
  _id: ObjectId
  chainId?: string
  userId?: ObjectId
  at: Date
}

export const REVOCATIONS = 'refresh_token_revocations'

export const revocationIndexes: IndexDescription[] = [
  { key: { chainId: 1, at: 1 }, name: 'revocations_chain' },
  { key: { userId: 1, at: 1 }, name: 'revocations_user' },
]

export const refreshTokenIndexes: IndexDescription[] = [
  { key: { tokenHash: 1 }, name: 'refresh_tokens_hash', unique: true },
  { key: { chainId: 1 }, name: 'refresh_tokens_chain' },
  { key: { userId: 1 }, name: 'refresh_tokens_user' },
]

/** Clean-up only: queries check `expiresAt` themselves (FerretDB v1 has no TTL indexes). */
export const refreshTokenTtlIndex: IndexDescription = {
  key: { expiresAt: 1 },
  name: 'refresh_tokens_ttl',
  expireAfterSeconds: 0,
}

function toRecord(doc: RefreshTokenDoc): RefreshTokenRecord {
  return {
    tokenHash: doc.tokenHash,
    userId: doc.userId.toHexString(),
    chainId: doc.chainId,
    expiresAt: doc.expiresAt,
    createdAt: doc.createdAt,
    rotatedAt: doc.rotatedAt,
    revokedAt: doc.revokedAt,
  }
}

export class MongoRefreshTokenRepository implements RefreshTokenRepository {
  private readonly tokens: Collection<RefreshTokenDoc>
  private readonly revocations: Collection<RevocationDoc>

  /** `claims` is set on FerretDB only, where findAndModify alone is not atomic (see claims.ts). */
  constructor(
    db: Db,
    private readonly claims: WriteClaims | null,
  ) {
    this.tokens = db.collection<RefreshTokenDoc>('refresh_tokens')
    this.revocations = db.collection<RevocationDoc>(REVOCATIONS)
  }

  insert(token: NewRefreshToken): Promise<void> {
    const userId = toObjectId(token.userId)
    if (!userId) return Promise.reject(new TypeError(`userId is not an id: ${token.userId}`))
    return guard(async () => {
      await this.tokens.insertOne({
        tokenHash: token.tokenHash,
        userId,
        chainId: token.chainId,
        expiresAt: token.expiresAt,
        createdAt: new Date(),
        rotatedAt: null,
        revokedAt: null,
      } as RefreshTokenDoc)
    })
  }

  rotate(tokenHash: string, now: Date): Promise<RotateResult> {
    const live = { tokenHash, rotatedAt: null, revokedAt: null, expiresAt: { $gt: now } }
    const markRotated = () =>
      this.tokens.findOneAndUpdate(live, { $set: { rotatedAt: now } }, { returnDocument: 'after' })
    return guard(async () => {
      const doc = this.claims
        ? await this.claims.run(`refresh_tokens:${tokenHash}`, markRotated)
        : await markRotated()
      if (doc === CLAIMED) return this.rotatingElsewhere(tokenHash, now)
      if (!doc) return this.notRotated(tokenHash)
      // Its `revokedAt` may have been lost to a concurrent write (see above).
      if (await this.revokedAt(doc)) return { outcome: 'invalid' }
      return { outcome: 'rotated', token: toRecord(doc) }
    })
  }

  findByHash(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return guard(async () => {
      const doc = await this.tokens.findOne({ tokenHash })
      if (!doc) return null
      return toRecord(doc.revokedAt ? doc : { ...doc, revokedAt: await this.revokedAt(doc) })
    })
  }

  revokeChain(chainId: string, now: Date): Promise<void> {
    return guard(async () => {
      await this.revocations.insertOne({ chainId, at: now } as RevocationDoc)
      await this.tokens.updateMany({ chainId, revokedAt: null }, { $set: { revokedAt: now } })
    })
  }

  revokeAllForUser(userId: string, now: Date): Promise<void> {
    const _id = toObjectId(userId)
    if (!_id) return Promise.resolve()
    return guard(async () => {
      await this.revocations.insertOne({ userId: _id, at: now } as RevocationDoc)
      await this.tokens.updateMany({ userId: _id, revokedAt: null }, { $set: { revokedAt: now } })
    })
  }

  /** When `doc` was first revoked by a revocation document, or null: its chain, or its user since it was made. */
  private async revokedAt(doc: RefreshTokenDoc): Promise<Date | null> {
    const first = await this.revocations
      .find({ $or: [{ chainId: doc.chainId }, { userId: doc.userId, at: { $gte: doc.createdAt } }] })
      .sort({ at: 1 })
      .limit(1)
      .next()
    return first?.at ?? null
  }

  /** A concurrent caller holds the rotation claim: a live or rotated token is reused, to us. */
  private async rotatingElsewhere(tokenHash: string, now: Date): Promise<RotateResult> {
    const doc = await this.tokens.findOne({ tokenHash })
    if (!doc) return { outcome: 'invalid' }
    if (doc.rotatedAt) return { outcome: 'reused', token: toRecord(doc) }
    const live = doc.revokedAt === null && doc.expiresAt > now
    return live ? { outcome: 'reused', token: toRecord({ ...doc, rotatedAt: now }) } : { outcome: 'invalid' }
  }

  /** Only on the failure path: a rotated token presented again is reused; anything else invalid. */
  private async notRotated(tokenHash: string): Promise<RotateResult> {
    const doc = await this.tokens.findOne({ tokenHash })
    return doc?.rotatedAt ? { outcome: 'reused', token: toRecord(doc) } : { outcome: 'invalid' }
  }
}
