import { OAuthError } from '../core/errors'
import { hashPassword, needsRehash, verifyPassword } from '../core/passwords'
import { type RequestContext, SecurityEvents } from '../core/security-events'
import type {
  AuthorizationCodeRepository,
  ClientRecord,
  RefreshTokenRecord,
  RefreshTokenRepository,
  UserRecord,
  UserRepository,
} from '../store/types'
import { isDocsClient } from './client-directory'
import type { IdTokens } from './id-tokens'
import { hashAuthorizationCode, verifierMatches } from './pkce'
import { grantScopes, narrowScopes } from './scopes'
import type { LoginThrottle } from './throttle'
import { needsClientAuthentication, requireOwnToken } from './token-request'
import { type AccessTokens, type Grant, hashRefreshToken, newRefreshToken } from './tokens'

/** The RFC 6749 section 5.1 token response; no refresh token for the client-credentials grant. */
export interface TokenPair {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  refresh_token?: string
  /** The authorization code grant with the `openid` scope (OpenID Connect Core section 3.1.3.3). */
  id_token?: string
  scope: string
}

/** What the authorization code grant is given (RFC 6749 section 4.1.3, RFC 7636 section 4.5). */
export interface CodeExchange {
  code: string
  redirectUri: string
  codeVerifier: string
}

export interface AuthServiceDeps {
  users: UserRepository
  refreshTokens: RefreshTokenRepository
  codes: AuthorizationCodeRepository
  accessTokens: AccessTokens
  idTokens: IdTokens
  throttle: LoginThrottle
  /** Seconds. */
  refreshTtl: number
  events?: SecurityEvents
  /** `REQUIRE_VERIFIED_EMAIL`: a right password of an unverified address is refused too. */
  requireVerifiedEmail?: boolean
}

const invalidGrant = (why: string) => new OAuthError('invalid_grant', why)
const BAD_CREDENTIALS = 'invalid username or password'

const UNVERIFIED =
  'verify your email first: follow the link we mailed you, or reset the password (POST /auth/password-reset), which confirms the address too'

/**
 * `verifyCredentials` refused: no such user or a wrong password (`invalid`), a disabled account,
 * or an unverified address while `REQUIRE_VERIFIED_EMAIL` is on. Only the first is told to who does
 * not know the password.
 */
export class CredentialsRefused extends Error {
  constructor(readonly reason: 'invalid' | 'disabled' | 'unverified') {
    super(
      reason === 'invalid' ? BAD_CREDENTIALS : reason === 'disabled' ? 'the account is disabled' : UNVERIFIED,
    )
    this.name = 'CredentialsRefused'
  }
}

/** The grants of the token endpoint, refresh-token rotation and logout. */
export class AuthService {
  private readonly users: UserRepository
  private readonly refreshTokens: RefreshTokenRepository
  private readonly codes: AuthorizationCodeRepository
  private readonly accessTokens: AccessTokens
  private readonly idTokens: IdTokens
  private readonly throttle: LoginThrottle
  private readonly refreshTtl: number
  private readonly events: SecurityEvents
  private readonly requireVerifiedEmail: boolean

  constructor(deps: AuthServiceDeps) {
    this.users = deps.users
    this.refreshTokens = deps.refreshTokens
    this.codes = deps.codes
    this.accessTokens = deps.accessTokens
    this.idTokens = deps.idTokens
    this.throttle = deps.throttle
    this.refreshTtl = deps.refreshTtl
    this.events = deps.events ?? SecurityEvents.none
    this.requireVerifiedEmail = deps.requireVerifiedEmail ?? false
  }

  /**
   * The password grant (RFC 6749 section 4.3) for `client`, with the scopes `scope` asks for.
   * `login` is a username or an email; `context.address` the caller's.
   */
  async login(
    login: string,
    password: string,
    context: RequestContext & { address: string },
    client: ClientRecord,
    scope?: string,
  ): Promise<TokenPair> {
    const scopes = grantScopes(client, scope)
    try {
      const user = await this.verifyCredentials(login, password, context)
      const pair = await this.issue(user, crypto.randomUUID(), { clientId: client.clientId, scopes })
      this.events.tokensIssued('password')
      return pair
    } catch (error) {
      if (!(error instanceof CredentialsRefused)) throw error
      // Only who knows the password learns that the account is disabled or unverified.
      throw invalidGrant(error.message)
    }
  }

  /**
   * The password check of every way to sign in (the password grant, the sign-in page): the login
   * throttle (429), the dummy hash for unknown names and the security events. Returns the user, or
   * throws `CredentialsRefused`; a 429 or a 503 (no password slot) passes through as it is.
   */
  async verifyCredentials(
    login: string,
    password: string,
    context: RequestContext & { address: string },
  ): Promise<UserRecord> {
    const name = login.trim().toLowerCase()
    const user = await this.users.findByLogin(name)
    const { reqId, address } = context
    const accountId = user?.id
    // One counter per account, whichever of its names is typed; unknown names count by name.
    const attempt = await this.events.throttled(
      () => this.throttle.begin(user ? `user:${user.id}` : `name:${name}`, address),
      { event: 'login_throttled', reqId, address, accountId },
    )
    // Unknown users are verified against a dummy hash: same time, same answer as a wrong password.
    if (!(await verifyPassword(password, user?.passwordHash)) || !user) {
      this.events.record({
        event: 'login_failed',
        reqId,
        address,
        accountId,
        outcome: user ? 'wrong_password' : 'unknown_account',
      })
      throw new CredentialsRefused('invalid')
    }
    await attempt.succeeded()
    if (user.disabled) {
      this.events.record({ event: 'login_failed', reqId, address, accountId, outcome: 'account_disabled' })
      throw new CredentialsRefused('disabled')
    }
    if (this.requireVerifiedEmail && !user.emailVerified) {
      this.events.record({ event: 'login_failed', reqId, address, accountId, outcome: 'email_unverified' })
      throw new CredentialsRefused('unverified')
    }
    await this.upgradeHash(user, password)
    this.events.loginSucceeded()
    return user
  }

  /**
   * Re-hashes the password of a successful login whose stored hash has other than the current
   * argon2id parameters (core/passwords.ts), so that older hashes move to them as users sign in:
   * the password is known only now. Written only if the account is unchanged since it was read
   * (its version; the write moves it on, like any). Best effort: a busy slot (503), a concurrent
   * change or a store error leaves the old hash, which still verifies, for the next login to upgrade.
   */
  private async upgradeHash(user: UserRecord, password: string): Promise<void> {
    if (!needsRehash(user.passwordHash)) return
    try {
      await this.users.update(user.id, { passwordHash: await hashPassword(password) }, user.version)
    } catch {
      // Left for the next login (see above); the sign-in itself has succeeded.
    }
  }

  /**
   * The authorization code grant (RFC 6749 section 4.1.3): the code is spent whatever follows; it
   * must have been issued to `client`, for this redirect URI, and `codeVerifier` must match its
   * PKCE challenge. A code presented a second time revokes what its first exchange issued
   * (section 4.1.2): the session it opened, refresh chain and access tokens alike.
   */
  async exchangeCode(
    { code, redirectUri, codeVerifier }: CodeExchange,
    client: ClientRecord,
    context: RequestContext = {},
  ): Promise<TokenPair> {
    const now = new Date()
    const result = await this.codes.redeem(hashAuthorizationCode(code), now)
    if (result.outcome === 'invalid') throw invalidGrant('the code is invalid or expired')
    const grant = result.code
    if (result.outcome === 'reused') {
      await this.endChain(grant.userId, grant.chainId, now)
      this.events.record({
        event: 'code_reused',
        reqId: context.reqId,
        address: context.address,
        accountId: grant.userId,
        outcome: 'session_revoked',
      })
      throw invalidGrant('the code was already used; what it gave has been revoked')
    }
    if (grant.clientId !== client.clientId) throw invalidGrant('the code was issued to another client')
    if (grant.redirectUri !== redirectUri)
      throw invalidGrant('redirect_uri differs from the authorization request')
    if (!verifierMatches(codeVerifier, grant.codeChallenge))
      throw invalidGrant('code_verifier does not match the code_challenge')
    const user = await this.users.findById(grant.userId)
    if (!user || user.disabled || user.sessionVersion !== grant.userSessionVersion)
      throw invalidGrant('the account is disabled, gone, or signed out everywhere since')
    const scopes = grant.scopes
    // Refresh tokens only for offline access, and only to a client that may refresh.
    const offline = scopes.includes('offline_access') && client.grantTypes.includes('refresh_token')
    const tokenGrant = { clientId: client.clientId, scopes }
    const pair = offline
      ? await this.issue(user, grant.chainId, tokenGrant)
      : {
          access_token: await this.accessTokens.sign(user, grant.chainId, tokenGrant),
          token_type: 'bearer' as const,
          expires_in: this.accessTokens.ttl,
          scope: scopes.join(' '),
        }
    // A second use that came while this one was issuing ended the session before its refresh
    // token was stored: look again, and finish the job (as `refresh` does).
    const now2 = await this.users.findById(user.id)
    if (!now2 || Object.hasOwn(now2.endedSessions, grant.chainId)) {
      await this.refreshTokens.revokeChain(grant.chainId, new Date())
      throw invalidGrant('the code was used twice; what it gave has been revoked')
    }
    this.events.tokensIssued('authorization_code')
    if (!scopes.includes('openid')) return pair
    const idToken = await this.idTokens.sign({
      user,
      clientId: client.clientId,
      scopes,
      authTime: grant.authTime,
      nonce: grant.nonce,
      sid: grant.chainId,
      accessToken: pair.access_token,
    })
    return { ...pair, id_token: idToken }
  }

  /**
   * Ends session `chainId` of `userId`: its refresh tokens are revoked and its access tokens,
   * which live at most one TTL from now, refused that long.
   */
  async endChain(userId: string, chainId: string, now = new Date()): Promise<void> {
    await this.refreshTokens.revokeChain(chainId, now)
    await this.users.endSession(userId, chainId, new Date(now.getTime() + this.accessTokens.ttl * 1000))
  }

  /**
   * Exchanges a refresh token for a new pair; the old one dies. A token presented again after it
   * was rotated means it leaked: the whole chain is revoked.
   */
  async refresh(
    refreshToken: string,
    client: ClientRecord,
    scope?: string,
    context: RequestContext = {},
  ): Promise<TokenPair> {
    const now = new Date()
    // RFC 6749 section 6: the token must be the client's own; another's is not even rotated.
    const presented = await this.refreshTokens.findByHash(hashRefreshToken(refreshToken))
    if (presented && presented.clientId !== client.clientId) {
      // A request naming no client cannot use a registered client's token: that client must
      // authenticate (RFC 6749 section 6).
      if (isDocsClient(client)) throw needsClientAuthentication()
      throw invalidGrant('the refresh token was issued to another client')
    }
    const result = await this.refreshTokens.rotate(hashRefreshToken(refreshToken), now)
    if (result.outcome === 'invalid') throw invalidGrant('the refresh token is invalid, expired or revoked')
    if (result.outcome === 'reused') {
      // Someone holds a stolen token: end the chain, and every access token of the account.
      await this.refreshTokens.revokeChain(result.token.chainId, now)
      await this.users.endAllSessions(result.token.userId)
      this.events.record({
        event: 'refresh_reused',
        reqId: context.reqId,
        address: context.address,
        accountId: result.token.userId,
        outcome: 'session_revoked',
      })
      throw invalidGrant('the refresh token was already used; its session has been revoked')
    }
    const user = await this.users.findById(result.token.userId)
    if (!user || user.disabled) {
      await this.refreshTokens.revokeChain(result.token.chainId, now)
      throw invalidGrant('the account is disabled or gone')
    }
    // A narrower `scope` narrows this access token only: the new refresh token keeps the grant's
    // scopes (RFC 6749 section 6), so a later refresh may ask for them again.
    const scopes = narrowScopes(result.token.scopes, scope)
    const pair = await this.issue(
      user,
      result.token.chainId,
      { clientId: client.clientId, scopes },
      result.token.scopes,
    )
    // A revocation (logout, reuse, password change) that landed between the rotation and the
    // insert above missed the new token; it marked the old one, so look there and finish the job.
    const old = await this.refreshTokens.findByHash(result.token.tokenHash)
    if (old?.revokedAt) {
      await this.refreshTokens.revokeChain(result.token.chainId, new Date())
      throw invalidGrant('the session was revoked')
    }
    this.events.tokensIssued('refresh_token')
    return pair
  }

  /**
   * Ends the session of `refreshToken` for `client`, whose token it must be (RFC 7009 section 2.1):
   * its chain is revoked and the access tokens issued in it refused. Unknown tokens are ignored.
   */
  async logout(refreshToken: string, client: ClientRecord): Promise<void> {
    const token = await this.refreshTokens.findByHash(hashRefreshToken(refreshToken))
    if (token) await this.endSession(token, client)
  }

  /** Ends the session of the stored refresh token `token` for `client`, whose token it must be. */
  async endSession(token: RefreshTokenRecord, client: ClientRecord): Promise<void> {
    requireOwnToken(token.clientId, client)
    await this.endChain(token.userId, token.chainId)
  }

  /** Ends every session of `userId`: all refresh tokens revoked, all access tokens refused. */
  async logoutEverywhere(userId: string): Promise<void> {
    await this.refreshTokens.revokeAllForUser(userId, new Date())
    await this.users.endAllSessions(userId)
  }

  /**
   * The client-credentials grant (RFC 6749 section 4.4): a token for the client itself, with no
   * user and no refresh token.
   */
  async clientCredentials(client: ClientRecord, scope?: string): Promise<TokenPair> {
    const scopes = grantScopes(client, scope)
    this.events.tokensIssued('client_credentials')
    return {
      access_token: await this.accessTokens.signForClient({ clientId: client.clientId, scopes }),
      token_type: 'bearer',
      expires_in: this.accessTokens.ttl,
      scope: scopes.join(' '),
    }
  }

  /** A token pair for `user` in session `chainId` (the session id, `sid`, of its access tokens). */
  private async issue(
    user: UserRecord,
    chainId: string,
    grant: Grant,
    /** The refresh token's scopes, when they are wider than this access token's. */
    refreshScopes: readonly string[] = grant.scopes,
  ): Promise<TokenPair> {
    const refreshToken = newRefreshToken()
    const [accessToken] = await Promise.all([
      this.accessTokens.sign(user, chainId, grant),
      this.refreshTokens.insert({
        tokenHash: hashRefreshToken(refreshToken),
        userId: user.id,
        chainId,
        clientId: grant.clientId,
        scopes: [...refreshScopes],
        expiresAt: new Date(Date.now() + this.refreshTtl * 1000),
      }),
    ])
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: this.accessTokens.ttl,
      refresh_token: refreshToken,
      scope: grant.scopes.join(' '),
    }
  }
}
