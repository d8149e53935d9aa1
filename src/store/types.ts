/**
 * The repository contracts every storage engine implements. Nothing above `store/` sees a driver
 * type: engines map their own errors to the typed errors in `./errors`.
 */

import type { ClientAuthMethod, GrantType, ProductSortField, Role, UserSortField } from '../core/domain'

/** A stored user, including the password hash; never sent to a client as is. */
export interface UserRecord {
  id: string
  username: string
  email: string
  fullName: string
  role: Role
  disabled: boolean
  /** The address was proven by following a verification link sent to it (false for older records). */
  emailVerified: boolean
  passwordHash: string
  /** Incremented by every write; the ETag stands on it. */
  version: number
  /**
   * Access tokens carry the value they were issued under (`sv`); moving it on ends every session,
   * so that older access tokens are refused (docs/api.md, Sessions). Not part of `version`.
   */
  sessionVersion: number
  /**
   * Sessions ended one by one (logout), by session id, each kept until the last access token issued
   * in it has expired: tokens carrying one of these `sid`s are refused.
   */
  endedSessions: Record<string, Date>
  createdAt: Date
  updatedAt: Date
}

export type NewUser = Pick<
  UserRecord,
  'username' | 'email' | 'fullName' | 'role' | 'disabled' | 'passwordHash'
> & {
  /** False when left out. */
  emailVerified?: boolean
}
export type UserChanges = Partial<NewUser> & {
  /** Also move `sessionVersion` on, in the same write (a new password, a role change, disabling). */
  endSessions?: boolean
}

export interface ProductRecord {
  id: string
  name: string
  description: string
  price: number
  stock: number
  tags: string[]
  ownerId: string
  version: number
  createdAt: Date
  updatedAt: Date
}

export type NewProduct = Pick<ProductRecord, 'name' | 'description' | 'price' | 'stock' | 'tags' | 'ownerId'>
export type ProductChanges = Partial<Omit<NewProduct, 'ownerId'>>

/** A sort key: the field and its direction. */
export interface Sort<F extends string> {
  field: F
  descending: boolean
}

export interface Page {
  /** 1-based page number. */
  page: number
  limit: number
}

export interface Paged<T> {
  items: T[]
  total: number
}

export interface UserFilter {
  /** Case-insensitive substring of username, email or full name; matched literally. */
  q?: string
  role?: Role
  disabled?: boolean
}

export interface ProductFilter {
  /** Case-insensitive substring of name or description; matched literally. */
  q?: string
  /** A lower-case tag the product must carry. */
  tag?: string
  minPrice?: number
  maxPrice?: number
  inStock?: boolean
}

export interface UserRepository {
  /** Inserts a user; throws `ConflictError` naming `username` or `email` when taken (ignoring case). */
  create(input: NewUser): Promise<UserRecord>
  findById(id: string): Promise<UserRecord | null>
  /** Finds by username (ignoring case) or by email (ignoring case). */
  findByLogin(usernameOrEmail: string): Promise<UserRecord | null>
  list(filter: UserFilter, sort: Sort<UserSortField>, page: Page): Promise<Paged<UserRecord>>
  /**
   * Applies `changes` and bumps the version in one atomic write. With `expectedVersion`, writes only
   * if the stored version still matches, else throws `PreconditionFailedError`. Returns `null` when
   * no user has that id. Throws `ConflictError` for a taken username or email, and
   * `LastAdminError` when the change would leave no enabled admin: that check and the write are one
   * step, also between instances sharing the database.
   */
  update(id: string, changes: UserChanges, expectedVersion?: number): Promise<UserRecord | null>
  /** Deletes; same `expectedVersion` and last-admin rules as `update`. False when no user has that id. */
  delete(id: string, expectedVersion?: number): Promise<boolean>
  /** Number of enabled admins. */
  countEnabledAdmins(): Promise<number>
  /** Moves `sessionVersion` on, leaving `version` as it is; an unknown id is ignored. */
  endAllSessions(id: string): Promise<void>
  /**
   * Adds `sid` to `endedSessions` until `until`, leaving `version` as it is, and forgets entries
   * whose time has passed; an unknown id is ignored.
   */
  endSession(id: string, sid: string, until: Date): Promise<void>
}

export interface ProductRepository {
  create(input: NewProduct): Promise<ProductRecord>
  findById(id: string): Promise<ProductRecord | null>
  list(filter: ProductFilter, sort: Sort<ProductSortField>, page: Page): Promise<Paged<ProductRecord>>
  /**
   * Same contract as `UserRepository.update`. With `ownerId`, only a product of that owner is
   * written: one owned by someone else is left alone and answers null, as an unknown id does, so
   * the ownership check and the write are one atomic operation.
   */
  update(
    id: string,
    changes: ProductChanges,
    expectedVersion?: number,
    ownerId?: string,
  ): Promise<ProductRecord | null>
  /** Same rules as `update`; false when nothing was deleted for want of the product or its owner. */
  delete(id: string, expectedVersion?: number, ownerId?: string): Promise<boolean>
}

export interface RefreshTokenRecord {
  /** SHA-256 of the token, hex; the token itself is never stored. */
  tokenHash: string
  userId: string
  /** Every token issued by rotation from one login shares its chain. */
  chainId: string
  /** The client it was issued to (the docs client for tokens from before clients existed). */
  clientId: string
  /** The scopes it was granted, which its access tokens carry (every API scope for old tokens). */
  scopes: string[]
  expiresAt: Date
  createdAt: Date
  /** Set when the token was exchanged for a new pair. */
  rotatedAt: Date | null
  revokedAt: Date | null
}

export type NewRefreshToken = Pick<
  RefreshTokenRecord,
  'tokenHash' | 'userId' | 'chainId' | 'clientId' | 'scopes' | 'expiresAt'
>

/** Outcome of presenting a refresh token for rotation. */
export type RotateResult =
  | { outcome: 'rotated'; token: RefreshTokenRecord }
  /** Already rotated once: a sign of theft; the caller revokes the chain. */
  | { outcome: 'reused'; token: RefreshTokenRecord }
  /** Unknown, expired or revoked. */
  | { outcome: 'invalid' }

export interface RefreshTokenRepository {
  insert(token: NewRefreshToken): Promise<void>
  /**
   * Atomically marks a live token (not rotated, not revoked, not expired at `now`) as rotated.
   * Of two concurrent calls with one token exactly one gets `rotated`.
   */
  rotate(tokenHash: string, now: Date): Promise<RotateResult>
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | null>
  revokeChain(chainId: string, now: Date): Promise<void>
  revokeAllForUser(userId: string, now: Date): Promise<void>
  /** Revokes every live token of `userId` issued to `clientId` (a consent withdrawn). */
  revokeForClient(userId: string, clientId: string, now: Date): Promise<void>
}

/** Failed-login counters, shared by every instance through the store. */
export interface LoginAttemptRepository {
  /**
   * Records one attempt as failed under each key and returns its id; an attempt is forgotten after
   * `expiresAt`. Login records an attempt before it checks the password, so that attempts made at
   * once all count, and forgets it when the password was right.
   */
  recordFailure(keys: string[], at: Date, expiresAt: Date): Promise<string>
  /** Removes the records of one attempt under every key. */
  forget(attemptId: string): Promise<void>
  /** Failures under `key` at or after `since`, and the oldest of them. */
  failuresSince(key: string, since: Date): Promise<{ count: number; oldest: Date | null }>
}

/** A registered OAuth client application (RFC 7591). */
export interface ClientRecord {
  /** The `client_id`: random, URL-safe, unique. */
  clientId: string
  /** SHA-256 of the secret, hex (`core/client-secrets.ts`); null for a public client. */
  secretHash: string | null
  name: string
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  grantTypes: GrantType[]
  /** `code`, or nothing: what `grantTypes` imply (RFC 7591 section 2.1). */
  responseTypes: 'code'[]
  /** The scopes the client may ask for, each once. */
  scopes: string[]
  tokenEndpointAuthMethod: ClientAuthMethod
  /** Set by an admin: a first-party client skips the consent screen. */
  firstParty: boolean
  version: number
  /** Also the `client_id_issued_at`. */
  createdAt: Date
  updatedAt: Date
}

export type NewClient = Omit<ClientRecord, 'version' | 'createdAt' | 'updatedAt'>
/** Everything but the id can change; a rotation changes `secretHash` alone. */
export type ClientChanges = Partial<Omit<NewClient, 'clientId'>>

export interface ClientRepository {
  /** Inserts a client. Its id is 128 random bits: a duplicate is a bug, and fails as one. */
  create(input: NewClient): Promise<ClientRecord>
  findById(clientId: string): Promise<ClientRecord | null>
  /** Clients in registration order (oldest first). */
  list(page: Page): Promise<Paged<ClientRecord>>
  /** Same contract as `UserRepository.update`: versioned, null for an unknown id, 412 when stale. */
  update(clientId: string, changes: ClientChanges, expectedVersion?: number): Promise<ClientRecord | null>
  /** Same rules as `update`; false when no client has that id. */
  delete(clientId: string, expectedVersion?: number): Promise<boolean>
}

/** A signing key as stored; the private half is opaque here (encrypted above the store). */
export interface SigningKeyRecord {
  /** The key id that tokens name in their header. */
  kid: string
  /**
   * Which rotation made the key: `initial`, or `after:<kid>` of the key it succeeds. Unique, so that
   * instances rotating at the same moment make one key between them.
   */
  slot: string
  alg: string
  /** The public JWK (`kty`, `n`, `e`...), without `kid`, `alg` or `use`. */
  publicJwk: Record<string, string>
  /** The private JWK, encrypted: the store never sees it in clear. */
  encryptedPrivateJwk: string
  createdAt: Date
  /** From when the key signs; before, it is only published. */
  activatesAt: Date
  /** When a newer key took over signing; null while it is the newest. */
  retiresAt: Date | null
  /** When the last token it signed has expired: it is unpublished and deleted after. */
  expiresAt: Date | null
}

/** The signing keys every instance shares. */
export interface SigningKeyRepository {
  /** Inserts `key` unless another key holds its `slot`: false then, and nothing is written. */
  insert(key: SigningKeyRecord): Promise<boolean>
  /** Every stored key, by `activatesAt` (oldest first). A handful: expired keys are deleted. */
  list(): Promise<SigningKeyRecord[]>
  /**
   * Retires every key other than `kid` that activated before `at` and does not retire before it
   * already: sets its `retiresAt` to `at` and its `expiresAt`.
   */
  retireBefore(kid: string, at: Date, expiresAt: Date): Promise<void>
  /** Deletes the keys whose `expiresAt` is at or before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>
}

/**
 * Revoked access tokens that no session covers (client-credentials tokens, RFC 7009), by `jti`,
 * each kept until the token would have expired anyway.
 */
export interface RevokedTokenRepository {
  /** Idempotent. */
  revoke(jti: string, expiresAt: Date): Promise<void>
  isRevoked(jti: string): Promise<boolean>
}

/**
 * A browser's sign-in (SSO) session: what the `mercado_session` cookie stands for. One sign-in on
 * the page serves later authorization requests, on any instance.
 */
export interface SignInSessionRecord {
  /** The session id (`sid` of what is issued in it). */
  id: string
  /** SHA-256 of the cookie value, hex; the value itself is never stored. */
  tokenHash: string
  userId: string
  /** The user's `sessionVersion` at sign-in: once it moves on (new password, disabling) the session is dead. */
  userSessionVersion: number
  /** When the password was checked (`auth_time`). */
  authTime: Date
  createdAt: Date
  expiresAt: Date
  /** Set when the session was ended (sign-out). */
  endedAt: Date | null
}

export type NewSignInSession = Pick<
  SignInSessionRecord,
  'tokenHash' | 'userId' | 'userSessionVersion' | 'authTime' | 'expiresAt'
>

export interface SignInSessionRepository {
  create(session: NewSignInSession): Promise<SignInSessionRecord>
  /** The session with this hash if it is neither ended nor expired at `now`; else null. */
  findLiveByTokenHash(tokenHash: string, now: Date): Promise<SignInSessionRecord | null>
  /** Ends the session (keeps the first end time); an unknown id is ignored. */
  end(id: string, now: Date): Promise<void>
  /** Ends every live session of `userId`; an unknown id is ignored. */
  endAllForUser(userId: string, now: Date): Promise<void>
}

/**
 * An authorization code (RFC 6749 section 4.1.2), bound to everything its request said: the
 * client, the redirect URI, the PKCE challenge, the nonce and the sign-in session.
 */
export interface AuthorizationCodeRecord {
  /** SHA-256 of the code, hex; the code itself is never stored. */
  codeHash: string
  clientId: string
  userId: string
  /** Exactly as the authorization request sent it. */
  redirectUri: string
  /** The PKCE `S256` challenge (RFC 7636 section 4.2). */
  codeChallenge: string
  nonce: string | null
  scopes: string[]
  /** The sign-in session the code was issued in. */
  signInSessionId: string
  /** When the user's password was checked (the ID token's `auth_time`). */
  authTime: Date
  /** The user's `sessionVersion` at issue: a code outlives no "end every session". */
  userSessionVersion: number
  /** The session id (`sid`, refresh chain) of what the code is exchanged for, chosen at issue. */
  chainId: string
  /** The code is refused from then on (at most 60 s after issue). */
  expiresAt: Date
  createdAt: Date
  /** Set by the one exchange. */
  usedAt: Date | null
}

export type NewAuthorizationCode = Omit<AuthorizationCodeRecord, 'createdAt' | 'usedAt'>

/** Outcome of presenting an authorization code at the token endpoint. */
export type RedeemResult =
  | { outcome: 'redeemed'; code: AuthorizationCodeRecord }
  /** Used before: the caller revokes what the first exchange issued (RFC 6749 section 4.1.2). */
  | { outcome: 'reused'; code: AuthorizationCodeRecord }
  /** Unknown, or expired unused. */
  | { outcome: 'invalid' }

/** How long a code's record outlives its expiry, so that a late second use is still seen as one. */
export const CODE_RETENTION_MS = 24 * 60 * 60 * 1000

export interface AuthorizationCodeRepository {
  insert(code: NewAuthorizationCode): Promise<void>
  /**
   * Atomically marks an unused code that has not expired at `now` as used: `redeemed`. Of two
   * concurrent calls with one code exactly one gets `redeemed`. A used code is `reused` (whatever
   * its expiry) for as long as its record is kept: `CODE_RETENTION_MS` past `expiresAt`, after
   * which the engine may delete it.
   */
  redeem(codeHash: string, now: Date): Promise<RedeemResult>
}

/** What a user allowed a client (the consent page), remembered so that it is asked once. */
export interface ConsentRecord {
  userId: string
  clientId: string
  /** Every scope granted so far, each once. */
  scopes: string[]
  createdAt: Date
  updatedAt: Date
}

export interface ConsentRepository {
  /**
   * Adds `scopes` to what `userId` granted `clientId` (the union, each once), creating the record
   * when there is none; one record per user and client, also under concurrent calls. Returns it.
   */
  grant(userId: string, clientId: string, scopes: string[], now: Date): Promise<ConsentRecord>
  find(userId: string, clientId: string): Promise<ConsentRecord | null>
  /** Every consent of `userId`, oldest first. */
  listForUser(userId: string): Promise<ConsentRecord[]>
  /** Forgets the consent: false when there was none. */
  revoke(userId: string, clientId: string): Promise<boolean>
}

/** A mail in the outbox (issue #13): stored by the request that causes it, sent by any instance. */
export interface OutboxMailRecord {
  id: string
  to: string
  subject: string
  text: string
  html: string
  /** Delivery attempts so far. */
  attempts: number
  /** Not tried again before this. */
  nextAttemptAt: Date
  /** Claimed by one instance's sender until then; null when free. */
  lockedUntil: Date | null
  sentAt: Date | null
  /** Why the last attempt failed; never a credential. */
  lastError: string | null
  createdAt: Date
}

export type NewOutboxMail = Pick<OutboxMailRecord, 'to' | 'subject' | 'text' | 'html'>

export interface OutboxRepository {
  /** Stores `mail`, due at once. */
  enqueue(mail: NewOutboxMail, now: Date): Promise<OutboxMailRecord>
  /**
   * Claims up to `limit` unsent mails due at `now` whose claim is free or lapsed, oldest first,
   * each until `lockedUntil`: another instance claiming meanwhile does not get them.
   */
  claimDue(now: Date, lockedUntil: Date, limit: number): Promise<OutboxMailRecord[]>
  markSent(id: string, now: Date): Promise<void>
  /** A failed attempt: `attempts` + 1, `lastError`, due again at `nextAttemptAt`, claim released. */
  markFailed(id: string, error: string, nextAttemptAt: Date): Promise<void>
}

/** What an account token (issue #13) is for. */
export type AccountTokenPurpose = 'verify_email' | 'reset_password'

/** A single-use token mailed to a user: an email verification link or a password reset. */
export interface AccountTokenRecord {
  /** SHA-256 of the token, hex; the token itself is only in the mail. */
  tokenHash: string
  purpose: AccountTokenPurpose
  userId: string
  /** The address it was sent to: a verification proves this one, and no other. */
  email: string
  /** The user's `sessionVersion` at issue: a new password (which moves it) kills reset tokens. */
  userSessionVersion: number
  expiresAt: Date
  createdAt: Date
  usedAt: Date | null
}

export type NewAccountToken = Omit<AccountTokenRecord, 'createdAt' | 'usedAt'>

export interface AccountTokenRepository {
  insert(token: NewAccountToken): Promise<void>
  /**
   * Atomically marks a token of `purpose` that is unused and not expired at `now` as used, and
   * returns it; null for anything else (unknown, another purpose, expired, used). Of two
   * concurrent calls with one token at most one gets it.
   */
  consume(tokenHash: string, purpose: AccountTokenPurpose, now: Date): Promise<AccountTokenRecord | null>
  /** Tokens of `userId` for `purpose` created at or after `since`: the per-account throttle. */
  countSince(userId: string, purpose: AccountTokenPurpose, since: Date): Promise<number>
}

/** One storage engine: the repositories plus its lifecycle. */
export interface Store {
  readonly kind: 'mongodb' | 'sqlite'
  readonly users: UserRepository
  readonly products: ProductRepository
  readonly refreshTokens: RefreshTokenRepository
  readonly loginAttempts: LoginAttemptRepository
  readonly clients: ClientRepository
  readonly revokedTokens: RevokedTokenRepository
  readonly signingKeys: SigningKeyRepository
  readonly signInSessions: SignInSessionRepository
  readonly authorizationCodes: AuthorizationCodeRepository
  readonly consents: ConsentRepository
  readonly outbox: OutboxRepository
  readonly accountTokens: AccountTokenRepository
  /** Resolves when the engine answers; rejects with `StoreUnavailableError` when it does not. */
  ping(): Promise<void>
  close(): Promise<void>
}
