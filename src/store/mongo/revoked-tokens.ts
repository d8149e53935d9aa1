/** Revoked client-credentials tokens in `revoked_tokens`, by `jti`. */
import { type Collection, type Db, type IndexDescription, MongoServerError } from 'mongodb'
import type { RevokedTokenRepository } from '../types.ts'
import { guard } from './errors.ts'

interface RevokedTokenDoc {
  /** The token's `jti`. */
  _id: string
  expiresAt: Date
}

export const revokedTokenIndexes: IndexDescription[] = [
  // Clean-up only: look-ups check `expiresAt` themselves.
  { key: { expiresAt: 1 }, name: 'revoked_tokens_ttl', expireAfterSeconds: 0 },
]

export class MongoRevokedTokenRepository implements RevokedTokenRepository {
  private readonly revoked: Collection<RevokedTokenDoc>

  constructor(db: Db) {
    this.revoked = db.collection<RevokedTokenDoc>('revoked_tokens')
  }

  revoke(jti: string, expiresAt: Date): Promise<void> {
    return guard(async () => {
      try {
        await this.revoked.insertOne({ _id: jti, expiresAt })
      } catch (error) {
        // Revoked already: nothing more to do (11000, duplicate `_id`, on every server).
        if (!(error instanceof MongoServerError && error.code === 11000)) throw error
      }
    })
  }

  isRevoked(jti: string): Promise<boolean> {
    return guard(
      async () => (await this.revoked.findOne({ _id: jti, expiresAt: { $gt: new Date() } })) !== null,
    )
  }
}
