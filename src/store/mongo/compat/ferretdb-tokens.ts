/**
 * Refresh tokens on FerretDB v1, with revocations also stored in `refresh_token_revocations`.
 *
 * Revoking writes each token's `revokedAt`, but on FerretDB v1 two updates of one document at once
 * can lose one of them (it reads, then writes the whole document): a logout racing a rotation could
 * vanish. So every revocation is also inserted as a document of its own, which no concurrent write
 * can undo, and a token counts as revoked when either says so. Rotations take a write claim, since
 * FerretDB's findAndModify alone lets two concurrent rotations of one token both succeed.
 */
import { type Collection, type Db, type IndexDescription, ObjectId } from 'mongodb'
import type { RefreshTokenRecord, RotateResult } from '../../types.ts'
import { CLAIMED, type WriteClaims } from '../claims.ts'
import { toObjectId } from '../common.ts'
import { guard } from '../errors.ts'
import { MongoRefreshTokenRepository, toRecord } from '../tokens.ts'

/**
 * One revocation: a whole chain, or every token of a user created up to `at`, or only those the
 * user holds for `clientId`.
 */
interface RevocationDoc {
  _id: ObjectId
  chainId?: string
  userId?: ObjectId
  clientId?: string
  at: Date
}

export const REVOCATIONS = 'refresh_token_revocations'

export const revocationIndexes: IndexDescription[] = [
  { key: { chainId: 1, at: 1 }, name: 'revocations_chain' },
  { key: { userId: 1, at: 1 }, name: 'revocations_user' },
]

export class FerretDBRefreshTokenRepository extends MongoRefreshTokenRepository {
  private readonly revocations: Collection<RevocationDoc>

  constructor(
    db: Db,
    private readonly claims: WriteClaims,
  ) {
    super(db)
    this.revocations = db.collection<RevocationDoc>(REVOCATIONS)
  }

  override rotate(tokenHash: string, now: Date): Promise<RotateResult> {
    return guard(async () => {
      const result = await this.claims.run(`refresh_tokens:${tokenHash}`, () => super.rotate(tokenHash, now))
      if (result === CLAIMED) return this.rotatingElsewhere(tokenHash, now)
      // Its `revokedAt` may have been lost to a concurrent write.
      if (result.outcome === 'rotated' && (await this.revokedAt(result.token))) return { outcome: 'invalid' }
      return result
    })
  }

  override async findByHash(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const token = await super.findByHash(tokenHash)
    if (!token || token.revokedAt) return token
    return guard(async () => ({ ...token, revokedAt: await this.revokedAt(token) }))
  }

  override async revokeChain(chainId: string, now: Date): Promise<void> {
    await this.record({ chainId, at: now })
    await super.revokeChain(chainId, now)
  }

  override async revokeAllForUser(userId: string, now: Date): Promise<void> {
    const _id = toObjectId(userId)
    if (_id) await this.record({ userId: _id, at: now })
    await super.revokeAllForUser(userId, now)
  }

  override async revokeForClient(userId: string, clientId: string, now: Date): Promise<void> {
    const _id = toObjectId(userId)
    if (_id) await this.record({ userId: _id, clientId, at: now })
    await super.revokeForClient(userId, clientId, now)
  }

  private record(revocation: Omit<RevocationDoc, '_id'>): Promise<void> {
    return guard(async () => {
      await this.revocations.insertOne(revocation as RevocationDoc)
    })
  }

  /**
   * When `token` was first revoked by a revocation document, or null: its chain, or its user (all
   * clients, or its own) since it was made.
   */
  private async revokedAt(token: RefreshTokenRecord): Promise<Date | null> {
    const userId = ObjectId.createFromHexString(token.userId)
    const since = { $gte: token.createdAt }
    const first = await this.revocations
      .find({
        $or: [
          { chainId: token.chainId },
          { userId, clientId: { $exists: false }, at: since },
          { userId, clientId: token.clientId, at: since },
        ],
      })
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
}
