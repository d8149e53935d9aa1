/**
 * FerretDB v1's behaviour (the SQLite handler the test server runs): each operation where it
 * differs from MongoDB is worked around here, and nowhere else.
 */
import {
  type Collection,
  type Db,
  type Document,
  type Filter,
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
import { failuresOf, MongoLoginAttemptRepository } from '../attempts.ts'
import { CLAIM_WAIT_MS, CLAIMS_COLLECTION, type WriteClaims } from '../claims.ts'
import type { VersionedDoc } from '../common.ts'
import { guard } from '../errors.ts'
import { FerretDBAccountTokenRepository } from './ferretdb-account-tokens.ts'
import { FerretDBAuthorizationCodeRepository } from './ferretdb-codes.ts'
import { FerretDBConsentRepository } from './ferretdb-consents.ts'
import { MonitorWatchdog } from './ferretdb-monitor.ts'
import { FerretDBOutboxRepository } from './ferretdb-outbox.ts'
import { FerretDBRefreshTokenRepository, REVOCATIONS, revocationIndexes } from './ferretdb-tokens.ts'
import type { IndexPlan, Supervision, VersionFilter } from './index.ts'
import { MongoDBCompat } from './mongodb.ts'

/** SQLite's message for a unique index hit, as FerretDB v1 passes it through: `index '<table>_<name>'`. */
const SQLITE_UNIQUE = /UNIQUE constraint failed: index '([^']+)'/

export class FerretDBCompat extends MongoDBCompat {
  constructor(private readonly claims: WriteClaims) {
    super()
  }

  /**
   * One `createIndexes` command per index: FerretDB v1.24 panics and drops the connection when one
   * command names several indexes that already exist, as it does on every start after the first.
   * Collections go in parallel, each collection's indexes in turn, this compat's own collections included.
   */
  override async createIndexes(db: Db, plan: IndexPlan): Promise<void> {
    const all = Object.entries({ ...plan, [REVOCATIONS]: revocationIndexes })
    await Promise.all(
      all.map(async ([name, indexes]) => {
        for (const index of indexes) await createIndex(db, name, index)
      }),
    )
    await ensureCollection(db, CLAIMS_COLLECTION)
  }

  override updateIfMatches<D extends VersionedDoc>(
    collection: Collection<D>,
    filter: VersionFilter<D>,
    update: UpdateFilter<D>,
  ): Promise<WithId<D> | null> {
    return this.claimed(collection, filter, () => super.updateIfMatches(collection, filter, update))
  }

  override deleteIfMatches<D extends VersionedDoc>(
    collection: Collection<D>,
    filter: VersionFilter<D>,
  ): Promise<boolean> {
    return this.claimed(collection, filter, () => super.deleteIfMatches(collection, filter))
  }

  /**
   * FerretDB v1 never sends `keyPattern`. On update or findAndModify it answers code 1
   * (InternalError) with the SQLite message `UNIQUE constraint failed: index
   * 'users_5e7cc513_users_email' (2067)`, whose index name ends with ours. On insert it answers
   * 11000 naming no index, and look-ups on this failure path tell which value is taken.
   */
  override async duplicateKeyIndex<D extends Document>(
    error: unknown,
    collection: Collection<D>,
    written: Partial<D>,
    indexes: IndexDescription[],
  ): Promise<string | undefined> {
    if (error instanceof MongoServerError && error.code === 1) {
      const sqliteIndex = SQLITE_UNIQUE.exec(error.message)?.[1]
      if (sqliteIndex === undefined) return undefined
      return indexes.find((index) => sqliteIndex.endsWith(`_${index.name}`))?.name ?? ''
    }
    const named = await super.duplicateKeyIndex(error, collection, written, indexes)
    return named === '' ? takenIndex(collection, written, indexes) : named
  }

  override refreshTokens(db: Db): RefreshTokenRepository {
    return new FerretDBRefreshTokenRepository(db, this.claims)
  }

  override loginAttempts(db: Db): LoginAttemptRepository {
    return new FerretDBLoginAttemptRepository(db)
  }

  override authorizationCodes(db: Db): AuthorizationCodeRepository {
    return new FerretDBAuthorizationCodeRepository(db, this.claims)
  }

  override accountTokens(db: Db): AccountTokenRepository {
    return new FerretDBAccountTokenRepository(db, this.claims)
  }

  override consents(db: Db): ConsentRepository {
    return new FerretDBConsentRepository(db, this, this.claims)
  }

  override outbox(db: Db): OutboxRepository {
    return new FerretDBOutboxRepository(db, this.claims)
  }

  /** A monitor check can hang for good on Bun, and only MongoDB lets the driver restart it (see ferretdb-monitor.ts). */
  override supervise(client: MongoClient, logger?: Logger): Supervision {
    return new MonitorWatchdog(client, logger)
  }

  /**
   * Runs a `write` of one document under that document's claim, waiting while another writer holds
   * it: FerretDB v1 writes back the whole document it read, so two writes of one document at once
   * can lose one, conditional or not. The filter is evaluated once the claim is held.
   */
  private claimed<D extends VersionedDoc, T>(
    collection: Collection<D>,
    filter: VersionFilter<D>,
    write: () => Promise<T>,
  ): Promise<T> {
    const key = `${collection.collectionName}:${filter._id.toHexString()}`
    return this.claims.exclusive(key, CLAIM_WAIT_MS, write)
  }
}

/** Count and oldest in parallel: FerretDB v1's `$group` answers NotImplemented to `$min`. */
class FerretDBLoginAttemptRepository extends MongoLoginAttemptRepository {
  override failuresSince(key: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
    const query = failuresOf(key, since)
    return guard(async () => {
      const [count, oldest] = await Promise.all([
        this.attempts.countDocuments(query),
        this.attempts.findOne(query, { sort: { at: 1 }, projection: { at: 1 } }),
      ])
      return { count, oldest: count > 0 && oldest ? oldest.at : null }
    })
  }
}

/**
 * The unique index whose key `written` fills and another document already holds. Candidates are
 * looked up in `indexes` order; the last one needs no look-up, since it is the only one left.
 */
async function takenIndex<D extends Document>(
  collection: Collection<D>,
  written: Partial<D>,
  indexes: IndexDescription[],
): Promise<string> {
  const fields = (index: IndexDescription) => Object.keys(index.key)
  const candidates = indexes.filter(
    (index) => index.unique && fields(index).every((field) => written[field] !== undefined),
  )
  for (const index of candidates.slice(0, -1)) {
    const filter = Object.fromEntries(fields(index).map((field) => [field, written[field]])) as Filter<D>
    if (await collection.findOne(filter, { projection: { _id: 1 } })) return index.name ?? ''
  }
  return candidates.at(-1)?.name ?? ''
}

/**
 * TTL indexes only clean up expired documents; every query checks expiry itself. FerretDB v1
 * answers code 238 (NotImplemented: `Index option "expireAfterSeconds" is not implemented yet`),
 * so there expired documents stay until someone removes them.
 */
async function createIndex(db: Db, collection: string, index: IndexDescription): Promise<void> {
  try {
    await db.collection(collection).createIndexes([index])
  } catch (error) {
    const ttlNotImplemented =
      index.expireAfterSeconds !== undefined && error instanceof MongoServerError && error.code === 238
    if (!ttlNotImplemented) throw error
  }
}

/** Creates a collection up front so that concurrent first inserts never race to create it. */
async function ensureCollection(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name)
  } catch (error) {
    // 48: NamespaceExists, on a store that ran before.
    if (!(error instanceof MongoServerError && error.code === 48)) throw error
  }
}
