/** Signing keys in `signing_keys`; the slot is the `_id`, so a taken slot is a duplicate key. */
import { type Collection, type Db, type IndexDescription, MongoServerError } from 'mongodb'
import type { SigningKeyRecord, SigningKeyRepository } from '../types.ts'
import { guard } from './errors.ts'

interface SigningKeyDoc {
  /** The slot: `initial` or `after:<kid>`. */
  _id: string
  kid: string
  alg: string
  publicJwk: Record<string, string>
  encryptedPrivateJwk: string
  createdAt: Date
  activatesAt: Date
  retiresAt: Date | null
  expiresAt: Date | null
}

export const signingKeyIndexes: IndexDescription[] = [
  { key: { kid: 1 }, name: 'signing_keys_kid', unique: true },
  { key: { activatesAt: 1 }, name: 'signing_keys_activates_at' },
]

function toRecord({ _id, ...doc }: SigningKeyDoc): SigningKeyRecord {
  return { ...doc, slot: _id }
}

export class MongoSigningKeyRepository implements SigningKeyRepository {
  private readonly keys: Collection<SigningKeyDoc>

  constructor(db: Db) {
    this.keys = db.collection<SigningKeyDoc>('signing_keys')
  }

  /**
   * A plain insert with the slot as `_id`: MongoDB and FerretDB both answer 11000 to a second one,
   * atomically, so no conditional write (and no compat seam) is needed.
   */
  insert({ slot, ...key }: SigningKeyRecord): Promise<boolean> {
    return guard(async () => {
      try {
        await this.keys.insertOne({ _id: slot, ...key })
        return true
      } catch (error) {
        if (error instanceof MongoServerError && error.code === 11000) return false
        throw error
      }
    })
  }

  list(): Promise<SigningKeyRecord[]> {
    return guard(async () => {
      const docs = await this.keys.find().sort({ activatesAt: 1, kid: 1 }).toArray()
      return docs.map(toRecord)
    })
  }

  retireBefore(kid: string, at: Date, expiresAt: Date): Promise<void> {
    return guard(async () => {
      await this.keys.updateMany(
        {
          kid: { $ne: kid },
          activatesAt: { $lt: at },
          $or: [{ retiresAt: null }, { retiresAt: { $gt: at } }],
        },
        { $set: { retiresAt: at, expiresAt } },
      )
    })
  }

  deleteExpired(now: Date): Promise<number> {
    return guard(async () => {
      const { deletedCount } = await this.keys.deleteMany({ expiresAt: { $ne: null, $lte: now } })
      return deletedCount
    })
  }
}
