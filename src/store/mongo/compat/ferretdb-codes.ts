/**
 * Authorization codes on FerretDB v1. Its findAndModify lets two concurrent redeems of one code
 * both succeed, so a redeem takes a write claim, as a refresh-token rotation does. Having no TTL
 * indexes, it also deletes codes past their retention itself, now and then on insert.
 */
import type { Db } from 'mongodb'
import { PurgeSchedule } from '../../purge.ts'
import type { NewAuthorizationCode, RedeemResult } from '../../types.ts'
import { MongoAuthorizationCodeRepository, toRecord } from '../authorization-codes.ts'
import { CLAIMED, type WriteClaims } from '../claims.ts'
import { guard } from '../errors.ts'

export class FerretDBAuthorizationCodeRepository extends MongoAuthorizationCodeRepository {
  private readonly purgeSchedule = new PurgeSchedule()

  constructor(
    db: Db,
    private readonly claims: WriteClaims,
  ) {
    super(db)
  }

  override async insert(code: NewAuthorizationCode): Promise<void> {
    const now = Date.now()
    if (this.purgeSchedule.due(now)) {
      await guard(async () => {
        await this.codes.deleteMany({ deleteAt: { $lte: new Date(now) } })
      })
    }
    await super.insert(code)
  }

  override redeem(codeHash: string, now: Date): Promise<RedeemResult> {
    return guard(async () => {
      const result = await this.claims.run(`authorization_codes:${codeHash}`, () =>
        super.redeem(codeHash, now),
      )
      return result === CLAIMED ? this.redeemingElsewhere(codeHash, now) : result
    })
  }

  /** A concurrent caller holds the redeem claim: a used or live code is reused, to us. */
  private async redeemingElsewhere(codeHash: string, now: Date): Promise<RedeemResult> {
    const doc = await this.codes.findOne({ codeHash })
    if (!doc) return { outcome: 'invalid' }
    if (doc.usedAt) return { outcome: 'reused', code: toRecord(doc) }
    return doc.expiresAt > now
      ? { outcome: 'reused', code: toRecord({ ...doc, usedAt: now }) }
      : { outcome: 'invalid' }
  }
}
