import { OAuthError } from '../core/errors'
import { verifyPassword } from '../core/passwords'
import { type RequestContext, SecurityEvents } from '../core/security-events'
import type { RefreshTokenRepository, UserRecord, UserRepository } from '../store/types'
import type { LoginThrottle } from './throttle'
import { type AccessTokens, hashRefreshToken, newRefreshToken } from './tokens'

/** The RFC 6749 section 5.1 token response. */
export interface TokenPair {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  refresh_token: string
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

/** Login, refresh-token rotation and logout. */
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

  /** The password grant. `login` is a username or an email; `context.address` the client's. */
  async login(
    login: string,
    password: string,
    context: RequestContext & { address: string },
  ): Promise<TokenPair> {
    try {
      const user = await this.verifyCredentials(login, password, context)
      return await this.issue(user, crypto.randomUUID())
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
  async refresh(refreshToken: string, context: RequestContext = {}): Promise<TokenPair> {
    const now = new Date()
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
    const pair = await this.issue(user, result.token.chainId)
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
   * Ends the session of `refreshToken`: its chain is revoked and the access tokens issued in it
   * refused. Unknown tokens are ignored.
   */
  async logout(refreshToken: string): Promise<void> {
    const token = await this.refreshTokens.findByHash(hashRefreshToken(refreshToken))
    if (!token) return
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

  /** A token pair for `user` in session `chainId` (the session id, `sid`, of its access tokens). */
  private async issue(user: UserRecord, chainId: string): Promise<TokenPair> {
    const refreshToken = newRefreshToken()
    const [accessToken] = await Promise.all([
      this.accessTokens.sign(user, chainId),
      this.refreshTokens.insert({
        tokenHash: hashRefreshToken(refreshToken),
        userId: user.id,
        chainId,
        expiresAt: new Date(Date.now() + this.refreshTtl * 1000),
      }),
    ])
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: this.accessTokens.ttl,
      refresh_token: refreshToken,
    }
  }
}
