/** The MongoDB engine: one `MongoClient` per store, through the official driver only. */
import { type CommandStartedEvent, type Db, MongoClient } from 'mongodb'
import type { Logger } from '../../core/log.ts'
import type {
  AccountTokenRepository,
  AuthorizationCodeRepository,
  ClientRepository,
  ConsentRepository,
  LoginAttemptRepository,
  OutboxRepository,
  RefreshTokenRepository,
  RevokedTokenRepository,
  SignInSessionRepository,
  SigningKeyRepository,
  Store,
} from '../types.ts'
import { accountTokenIndexes } from './account-tokens.ts'
import { loginAttemptIndexes } from './attempts.ts'
import { authorizationCodeIndexes } from './authorization-codes.ts'
import { WriteClaims } from './claims.ts'
import { clientIndexes, MongoClientRepository } from './clients.ts'
import {
  type CompatMode,
  type IndexPlan,
  openCompat,
  type ServerCompat,
  type Supervision,
} from './compat/index.ts'
import { consentIndexes } from './consents.ts'
import { bounded, within } from './deadline.ts'
import { guard, mapUnavailable } from './errors.ts'
import { outboxIndexes } from './outbox.ts'
import { MongoProductRepository, productIndexes } from './products.ts'
import { MongoRevokedTokenRepository, revokedTokenIndexes } from './revoked-tokens.ts'
import { MongoSignInSessionRepository, signInSessionIndexes } from './signin-sessions.ts'
import { MongoSigningKeyRepository, signingKeyIndexes } from './signing-keys.ts'
import { refreshTokenIndexes } from './tokens.ts'
import { MongoUserRepository, userIndexes } from './users.ts'

export type { CompatMode, ServerCompat } from './compat/index.ts'

export interface MongoStoreOptions {
  uri: string
  dbName: string
  /**
   * The deadline of every store call (`MONGODB_TIMEOUT`): past it the call fails with
   * `StoreUnavailableError`. Default 5000 ms; the driver's own timeouts are kept within it.
   */
  timeoutMS?: number
  /** How long an operation waits for a reachable server before failing; default 2000 ms or `timeoutMS`. */
  serverSelectionTimeoutMS?: number
  /**
   * Whose behaviour the store relies on: `auto` (the default) asks the server at connect time;
   * `mongodb` or `ferretdb` force one; a `ServerCompat` is used as it is.
   */
  compat?: CompatMode | ServerCompat
  /** Called as each command is sent (the driver's command monitoring), e.g. to count or log them. */
  onCommand?: (event: CommandStartedEvent) => void
  /** Where the engine reports what it does on its own, such as reconnecting. */
  logger?: Logger
}

/** `MONGODB_TIMEOUT`'s default too (config.ts), for stores opened without a configuration. */
const DEFAULT_TIMEOUT_MS = 5000
/** Long enough for a server to come back from a blip, short enough that clients hear of an outage soon. */
const SERVER_SELECTION_TIMEOUT_MS = 2000

const INDEXES: IndexPlan = {
  users: userIndexes,
  products: productIndexes,
  refresh_tokens: refreshTokenIndexes,
  login_attempts: loginAttemptIndexes,
  revoked_tokens: revokedTokenIndexes,
  clients: clientIndexes,
  signing_keys: signingKeyIndexes,
  signin_sessions: signInSessionIndexes,
  authorization_codes: authorizationCodeIndexes,
  consents: consentIndexes,
  outbox: outboxIndexes,
  account_tokens: accountTokenIndexes,
}

/**
 * Connects, creates the indexes, and returns the store. Rejects with `StoreUnavailableError` when
 * no server answers within `serverSelectionTimeoutMS`; a malformed URI rejects with the driver's
 * parse error as is.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  const timeoutMS = options.timeoutMS ?? DEFAULT_TIMEOUT_MS
  const serverSelectionTimeoutMS =
    options.serverSelectionTimeoutMS ?? Math.min(SERVER_SELECTION_TIMEOUT_MS, timeoutMS)
  const client = new MongoClient(options.uri, {
    serverSelectionTimeoutMS,
    connectTimeoutMS: Math.min(Math.max(serverSelectionTimeoutMS, 1000), timeoutMS),
    // A server that accepts a connection but stops answering, or a pool with no free connection,
    // fails the operation by itself at the deadline, so that it does not linger after its 503.
    socketTimeoutMS: timeoutMS,
    waitQueueTimeoutMS: timeoutMS,
    ignoreUndefined: true,
    appName: 'mercado',
    monitorCommands: options.onCommand !== undefined,
  })
  if (options.onCommand) client.on('commandStarted', options.onCommand)
  try {
    await client.connect()
    const db = client.db(options.dbName)
    const claims = new WriteClaims(db, timeoutMS)
    const compat = await openCompat(db, options.compat ?? 'auto', claims)
    await compat.createIndexes(db, INDEXES)
    const supervision = compat.supervise(client, options.logger)
    return new MongoStore(client, db, compat, claims, supervision, timeoutMS)
  } catch (error) {
    await client.close().catch(() => {})
    throw mapUnavailable(error)
  }
}

class MongoStore implements Store {
  readonly kind = 'mongodb' as const
  readonly users: MongoUserRepository
  readonly products: MongoProductRepository
  readonly refreshTokens: RefreshTokenRepository
  readonly loginAttempts: LoginAttemptRepository
  readonly revokedTokens: RevokedTokenRepository
  readonly clients: ClientRepository
  readonly signingKeys: SigningKeyRepository
  readonly signInSessions: SignInSessionRepository
  readonly authorizationCodes: AuthorizationCodeRepository
  readonly consents: ConsentRepository
  readonly outbox: OutboxRepository
  readonly accountTokens: AccountTokenRepository

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    compat: ServerCompat,
    claims: WriteClaims,
    private readonly supervision: Supervision,
    private readonly timeoutMS: number,
  ) {
    this.users = bounded(new MongoUserRepository(db, compat, claims, timeoutMS), timeoutMS)
    this.products = bounded(new MongoProductRepository(db, compat), timeoutMS)
    this.refreshTokens = bounded(compat.refreshTokens(db), timeoutMS)
    this.loginAttempts = bounded(compat.loginAttempts(db), timeoutMS)
    this.revokedTokens = bounded(new MongoRevokedTokenRepository(db), timeoutMS)
    this.clients = bounded(new MongoClientRepository(db, compat), timeoutMS)
    this.signingKeys = bounded(new MongoSigningKeyRepository(db), timeoutMS)
    this.signInSessions = bounded(new MongoSignInSessionRepository(db), timeoutMS)
    this.authorizationCodes = bounded(compat.authorizationCodes(db), timeoutMS)
    this.consents = bounded(compat.consents(db), timeoutMS)
    this.outbox = bounded(compat.outbox(db), timeoutMS)
    this.accountTokens = bounded(compat.accountTokens(db), timeoutMS)
  }

  ping(): Promise<void> {
    return within(this.timeoutMS, () =>
      guard(async () => {
        await this.db.command({ ping: 1 })
      }),
    )
  }

  async close(): Promise<void> {
    await this.supervision.stop()
    await this.client.close()
  }
}
