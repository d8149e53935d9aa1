import { OAuthError } from '../core/errors'
import { verifyPassword } from '../core/passwords'
import { type RequestContext, SecurityEvents } from '../core/security-events'
import type {
  ClientRecord,
  RefreshTokenRecord,
  RefreshTokenRepository,
  UserRecord,
  UserRepository,
} from '../store/types'
import { DOCS_CLIENT } from './client-directory'
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
  scope: string
}

const invalidGrant = (why: string) => new OAuthError('invalid_grant', why)
const BAD_CREDENTIALS = 'invalid username or password'

/** `verifyCredentials` refused: no such user or a wrong password (`invalid`), or a disabled account. */
export class CredentialsRefused extends Error {
  constructor(readonly reason: 'invalid' | 'disabled') {
    super(reason === 'invalid' ? BAD_CREDENTIALS : 'the account is disabled')
    this.name = 'CredentialsRefused'
  }
}

/** The grants of the token endpoint, refresh-token rotation and logout. */
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly accessTokens: AccessTokens,
    private readonly throttle: LoginThrottle,
    /** Seconds. */
    private readonly refreshTtl: number,
    private readonly events: SecurityEvents = SecurityEvents.none,
  ) {}

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
      return await this.issue(user, crypto.randomUUID(), { clientId: client.clientId, scopes })
    } catch (error) {
      if (!(error instanceof CredentialsRefused)) throw error
      // Only who knows the password learns that the account is disabled.
      throw invalidGrant(error.reason === 'disabled' ? 'the account is disabled' : BAD_CREDENTIALS)
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
    return user
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
      if (client === DOCS_CLIENT) throw needsClientAuthentication()
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
    const now = new Date()
    await this.refreshTokens.revokeChain(token.chainId, now)
    // Its access tokens live at most one TTL from now: remembered that long.
    await this.users.endSession(
      token.userId,
      token.chainId,
      new Date(now.getTime() + this.accessTokens.ttl * 1000),
    )
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
