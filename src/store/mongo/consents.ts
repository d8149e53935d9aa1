/** Consents in `consents`: one document per user and client, by a unique index on the pair. */
import type { Collection, Db, IndexDescription, ObjectId } from 'mongodb'
import type { ConsentRecord, ConsentRepository } from '../types.ts'
import { toObjectId } from './common.ts'
import type { ServerCompat } from './compat/index.ts'
import { guard } from './errors.ts'

interface ConsentDoc {
  _id: ObjectId
  userId: ObjectId
  clientId: string
  scopes: string[]
  createdAt: Date
  updatedAt: Date
}

export const consentIndexes: IndexDescription[] = [
  // Also serves `listForUser`, by its prefix.
  { key: { userId: 1, clientId: 1 }, name: 'consents_user_client', unique: true },
]

function toRecord(doc: ConsentDoc): ConsentRecord {
  return {
    userId: doc.userId.toHexString(),
    clientId: doc.clientId,
    scopes: doc.scopes ?? [],
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

export class MongoConsentRepository implements ConsentRepository {
  protected readonly consents: Collection<ConsentDoc>

  constructor(
    db: Db,
    private readonly compat: ServerCompat,
  ) {
    this.consents = db.collection<ConsentDoc>('consents')
  }

  /**
   * One upsert that adds the scopes (`$addToSet`). Two first grants at once may both try to insert;
   * the unique index refuses one, which then finds the other's document and adds to it.
   */
  grant(userId: string, clientId: string, scopes: string[], now: Date): Promise<ConsentRecord> {
    const _id = toObjectId(userId)
    if (!_id) return Promise.reject(new TypeError(`userId is not an id: ${userId}`))
    return guard(async () => {
      try {
        return await this.upsert(_id, clientId, scopes, now)
      } catch (error) {
        const written = { userId: _id, clientId }
        const index = await this.compat.duplicateKeyIndex(error, this.consents, written, consentIndexes)
        if (index === undefined) throw error
        return await this.upsert(_id, clientId, scopes, now)
      }
    })
  }

  find(userId: string, clientId: string): Promise<ConsentRecord | null> {
    const _id = toObjectId(userId)
    if (!_id) return Promise.resolve(null)
    return guard(async () => {
      const doc = await this.consents.findOne({ userId: _id, clientId })
      return doc ? toRecord(doc) : null
    })
  }

  listForUser(userId: string): Promise<ConsentRecord[]> {
    const _id = toObjectId(userId)
    if (!_id) return Promise.resolve([])
    return guard(async () => {
      const docs = await this.consents.find({ userId: _id }).sort({ createdAt: 1, _id: 1 }).toArray()
      return docs.map(toRecord)
    })
  }

  revoke(userId: string, clientId: string): Promise<boolean> {
    const _id = toObjectId(userId)
    if (!_id) return Promise.resolve(false)
    return guard(async () => (await this.consents.deleteOne({ userId: _id, clientId })).deletedCount > 0)
  }

  private async upsert(
    userId: ObjectId,
    clientId: string,
    scopes: string[],
    now: Date,
  ): Promise<ConsentRecord> {
    const doc = await this.consents.findOneAndUpdate(
      { userId, clientId },
      {
        $addToSet: { scopes: { $each: [...new Set(scopes)] } },
        $setOnInsert: { createdAt: now },
        $set: { updatedAt: now },
      },
      { upsert: true, returnDocument: 'after' },
    )
    if (!doc) throw new Error('an upsert returned no document')
    return toRecord(doc)
  }
}
