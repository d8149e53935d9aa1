/**
 * The mail outbox on FerretDB v1. Its findAndModify reads, then writes, with nothing between: two
 * instances claiming at once would both get the same mail and send it twice. So a claim first
 * lists the due mails, then takes each one's write claim (skipping a mail another instance is
 * claiming) and checks it is still due under the claim. Sent and failed marks take the same write
 * claim, so that a claim running beside them cannot write back the mail as it was before.
 */
import type { Collection, Db } from 'mongodb'
import type { OutboxMailRecord } from '../../types.ts'
import { CLAIM_WAIT_MS, CLAIMED, type WriteClaims } from '../claims.ts'
import { guard } from '../errors.ts'
import { DUE_ORDER, dueAt, MongoOutboxRepository, type OutboxDoc, toRecord } from '../outbox.ts'

export class FerretDBOutboxRepository extends MongoOutboxRepository {
  constructor(
    db: Db,
    private readonly claims: WriteClaims,
  ) {
    super(db)
  }

  override claimDue(now: Date, lockedUntil: Date, limit: number): Promise<OutboxMailRecord[]> {
    return guard(async () => {
      const candidates = await this.mails
        .find(dueAt(now), { projection: { _id: 1 } })
        .sort(DUE_ORDER)
        .limit(limit)
        .toArray()
      const claimed: OutboxMailRecord[] = []
      for (const { _id } of candidates) {
        const doc = await this.claims.run(`outbox:${_id.toHexString()}`, () =>
          this.claimOne({ ...dueAt(now), _id }, lockedUntil),
        )
        if (doc !== CLAIMED && doc) claimed.push(toRecord(doc))
      }
      return claimed
    })
  }

  protected override write(
    id: string,
    update: Parameters<Collection<OutboxDoc>['updateOne']>[1],
  ): Promise<void> {
    return this.claims.exclusive(`outbox:${id}`, CLAIM_WAIT_MS, () => super.write(id, update))
  }
}
