/**
 * Consents on FerretDB v1, each write under the claim of its user and client: FerretDB writes back
 * the whole document it read, so two `$addToSet` grants at once could lose one's scopes, and its
 * upserts are no atomic insert-or-update either.
 */
import type { Db } from 'mongodb'
import type { ConsentRecord } from '../../types.ts'
import { CLAIM_WAIT_MS, type WriteClaims } from '../claims.ts'
import { toObjectId } from '../common.ts'
import { MongoConsentRepository } from '../consents.ts'
import { guard } from '../errors.ts'
import type { ServerCompat } from './index.ts'

export class FerretDBConsentRepository extends MongoConsentRepository {
  constructor(
    db: Db,
    compat: ServerCompat,
    private readonly claims: WriteClaims,
  ) {
    super(db, compat)
  }

  override grant(userId: string, clientId: string, scopes: string[], now: Date): Promise<ConsentRecord> {
    return this.claimed(userId, clientId, () => super.grant(userId, clientId, scopes, now))
  }

  override revoke(userId: string, clientId: string): Promise<boolean> {
    return this.claimed(userId, clientId, () => super.revoke(userId, clientId))
  }

  /** Runs `write` holding the claim of this consent; a malformed user id needs none (nothing is written). */
  private claimed<T>(userId: string, clientId: string, write: () => Promise<T>): Promise<T> {
    if (!toObjectId(userId)) return write()
    const key = `consents:${userId}:${clientId}`
    return guard(() => this.claims.exclusive(key, CLAIM_WAIT_MS, write))
  }
}
