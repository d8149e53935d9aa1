/** MongoDB's behaviour: every operation is the one driver call that does it. */
import {
  type Collection,
  type Db,
  type Document,
  type IndexDescription,
  type MongoClient,
  MongoServerError,
  type UpdateFilter,
  type WithId,
} from 'mongodb'
import type { Logger } from '../../../core/log.ts'
import type {
  AccountTokenRepository,
  AuthorizationCodeRepository,
  ConsentRepository,
  LoginAttemptRepository,
  OutboxRepository,
  RefreshTokenRepository,
} from '../../types.ts'
import { MongoAccountTokenRepository } from '../account-tokens.ts'
import { MongoLoginAttemptRepository } from '../attempts.ts'
import { MongoAuthorizationCodeRepository } from '../authorization-codes.ts'
import type { VersionedDoc } from '../common.ts'
import { MongoConsentRepository } from '../consents.ts'
import { MongoOutboxRepository } from '../outbox.ts'
import { MongoRefreshTokenRepository } from '../tokens.ts'
import type { IndexPlan, ServerCompat, Supervision, VersionFilter } from './index.ts'

export class MongoDBCompat implements ServerCompat {
  /** One `createIndexes` per collection, the collections in parallel. */
  async createIndexes(db: Db, plan: IndexPlan): Promise<void> {
    await Promise.all(
      Object.entries(plan).map(([name, indexes]) => db.collection(name).createIndexes(indexes)),
    )
  }

  updateIfMatches<D extends VersionedDoc>(
    collection: Collection<D>,
    filter: VersionFilter<D>,
    update: UpdateFilter<D>,
  ): Promise<WithId<D> | null> {
    return collection.findOneAndUpdate(filter, update, { returnDocument: 'after' })
  }

  async deleteIfMatches<D extends VersionedDoc>(
    collection: Collection<D>,
    filter: VersionFilter<D>,
  ): Promise<boolean> {
    const { deletedCount } = await collection.deleteOne(filter)
    return deletedCount > 0
  }

  /** Code 11000 names the colliding index's key in `keyPattern`. */
  async duplicateKeyIndex<D extends Document>(
    error: unknown,
    _collection: Collection<D>,
    _written: Partial<D>,
    indexes: IndexDescription[],
  ): Promise<string | undefined> {
    if (!(error instanceof MongoServerError) || error.code !== 11000) return undefined
    const pattern = keyOf(error.keyPattern ?? {})
    return indexes.find((index) => keyOf(index.key) === pattern)?.name ?? ''
  }

  refreshTokens(db: Db): RefreshTokenRepository {
    return new MongoRefreshTokenRepository(db)
  }

  loginAttempts(db: Db): LoginAttemptRepository {
    return new MongoLoginAttemptRepository(db)
  }

  authorizationCodes(db: Db): AuthorizationCodeRepository {
    return new MongoAuthorizationCodeRepository(db)
  }

  accountTokens(db: Db): AccountTokenRepository {
    return new MongoAccountTokenRepository(db)
  }

  consents(db: Db): ConsentRepository {
    return new MongoConsentRepository(db, this)
  }

  outbox(db: Db): OutboxRepository {
    return new MongoOutboxRepository(db)
  }

  /** Nothing to watch: the driver recovers from a server's restart by itself. */
  supervise(_client: MongoClient, _logger?: Logger): Supervision {
    return { stop: async () => {} }
  }
}

const keyOf = (key: object) => Object.keys(key).join()
