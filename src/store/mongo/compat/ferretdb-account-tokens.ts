/**
 * Account tokens on FerretDB v1. Its findAndModify lets two concurrent consumes of one token both
 * succeed, so a consume takes a write claim, as a code redeem does; the loser gets null, as a
 * second use would. Having no TTL indexes, it also deletes old records itself, now and then on insert.
 */
import type { Db } from 'mongodb'
import { PurgeSchedule } from '../../purge.ts'
import type { AccountTokenPurpose, AccountTokenRecord, NewAccountToken } from '../../types.ts'
import { MongoAccountTokenRepository } from '../account-tokens.ts'
import { CLAIMED, type WriteClaims } from '../claims.ts'
import { guard } from '../errors.ts'

export class FerretDBAccountTokenRepository extends MongoAccountTokenRepository {
  private readonly purgeSchedule = new PurgeSchedule()

  constructor(
    db: Db,
    private readonly claims: WriteClaims,
  ) {
    super(db)
  }

  override async insert(token: NewAccountToken): Promise<void> {
    const now = Date.now()
    if (this.purgeSchedule.due(now)) {
      await this.purge(new Date(now))
    }
    await super.insert(token)
  }

  override consume(
    tokenHash: string,
    purpose: AccountTokenPurpose,
    now: Date,
  ): Promise<AccountTokenRecord | null> {
    return guard(async () => {
      const result = await this.claims.run(`account_tokens:${tokenHash}`, () =>
        super.consume(tokenHash, purpose, now),
      )
      // Another caller is consuming it right now: to us it is used.
      return result === CLAIMED ? null : result
    })
  }
}
