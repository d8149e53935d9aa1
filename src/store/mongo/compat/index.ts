/**
 * The one place where the engine's behaviour depends on the server it talks to. `createMongoStore`
 * picks an implementation once, at connect time; the repositories call it for these operations only.
 */
import type {
  Collection,
  Db,
  Document,
  Filter,
  IndexDescription,
  MongoClient,
  ObjectId,
  UpdateFilter,
  WithId,
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
import type { WriteClaims } from '../claims.ts'
import type { VersionedDoc } from '../common.ts'
import { FerretDBCompat } from './ferretdb.ts'
import { MongoDBCompat } from './mongodb.ts'

export type Server = 'mongodb' | 'ferretdb'

/** `auto` asks the server (`buildInfo`); the others force that server's behaviour. */
export type CompatMode = 'auto' | Server

/** Each collection's indexes, by collection name. */
export type IndexPlan = Record<string, IndexDescription[]>

/** A versioned write's filter: the document's `_id`, the version it must still have, and any scope. */
export type VersionFilter<D extends VersionedDoc> = Filter<D> & { _id: ObjectId; version?: number }

/** The operations whose implementation depends on the server. */
export interface ServerCompat {
  /** Creates the indexes `plan` lists, and anything else the server needs before the first write. */
  createIndexes(db: Db, plan: IndexPlan): Promise<void>
  /** Applies `update` to the document `filter` matches, if it still does: the document after, or null. */
  updateIfMatches<D extends VersionedDoc>(
    collection: Collection<D>,
    filter: VersionFilter<D>,
    update: UpdateFilter<D>,
  ): Promise<WithId<D> | null>
  /** Deletes the document `filter` matches, if it still does; false when nothing was deleted. */
  deleteIfMatches<D extends VersionedDoc>(
    collection: Collection<D>,
    filter: VersionFilter<D>,
  ): Promise<boolean>
  /**
   * The name of the unique index in `indexes` that a failed write of `written` to `collection`
   * collided with; `''` when it is none of them, `undefined` when `error` is no duplicate key.
   */
  duplicateKeyIndex<D extends Document>(
    error: unknown,
    collection: Collection<D>,
    written: Partial<D>,
    indexes: IndexDescription[],
  ): Promise<string | undefined>
  /** The refresh-token repository as this server needs it. */
  refreshTokens(db: Db): RefreshTokenRepository
  /** The failed-login counters as this server needs them. */
  loginAttempts(db: Db): LoginAttemptRepository
  /** The authorization codes as this server needs them (one redeem wins). */
  authorizationCodes(db: Db): AuthorizationCodeRepository
  /** The account tokens as this server needs them (one consume wins). */
  accountTokens(db: Db): AccountTokenRepository
  /** The consents as this server needs them (one record per user and client, grants never lost). */
  consents(db: Db): ConsentRepository
  /** The mail outbox as this server needs it (each mail claimed by one instance at a time). */
  outbox(db: Db): OutboxRepository
  /**
   * Watches `client` for failures the driver does not recover from by itself on this server, and
   * recovers from them; `stop` ends the watch before the client is closed.
   */
  supervise(client: MongoClient, logger?: Logger): Supervision
}

/** A running watch over the client; see `ServerCompat.supervise`. */
export interface Supervision {
  stop(): Promise<void>
}

/** The server whose behaviour to use: `mode` when forced, else the one `buildInfo` describes. */
export function chooseServer(mode: CompatMode, buildInfo?: Document): Server {
  if (mode !== 'auto') return mode
  return buildInfo && 'ferretdbVersion' in buildInfo ? 'ferretdb' : 'mongodb'
}

/**
 * The compat `mode` names for `db`, asking the server only when the mode is `auto`; `claims` are the
 * store's write claims, which the FerretDB compat takes around every conditional write.
 */
export async function openCompat(
  db: Db,
  mode: CompatMode | ServerCompat,
  claims: WriteClaims,
): Promise<ServerCompat> {
  if (typeof mode === 'object') return mode
  const buildInfo = mode === 'auto' ? await db.command({ buildInfo: 1 }) : undefined
  return chooseServer(mode, buildInfo) === 'ferretdb' ? new FerretDBCompat(claims) : new MongoDBCompat()
}
