/**
 * Token introspection (RFC 7662) and revocation (RFC 7009), for access tokens and refresh tokens
 * alike. An access token acting for a user is revoked by ending its session (RFC 7009 section 2.1
 * lets revoking one token revoke others of the same grant): its refresh chain and every access token
 * issued in it. A client-credentials token, which has no session, is remembered by `jti` until it
 * expires.
 */
import type {
  ClientRecord,
  RefreshTokenRecord,
  RefreshTokenRepository,
  RevokedTokenRepository,
  UserRecord,
  UserRepository,
} from '../store/types'
import type { ClientDirectory } from './client-directory'
import type { AuthService } from './service'
import { requireOwnToken } from './token-request'
import {
  type AccessClaims,
  type AccessTokens,
  hashRefreshToken,
  InvalidTokenError,
  sessionEnded,
} from './tokens'

/** The RFC 7662 section 2.2 answer: `{ active: false }` says nothing more. */
export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>)

const INACTIVE: Introspection = { active: false }
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/
const seconds = (date: Date) => Math.floor(date.getTime() / 1000)

export class TokenInspector {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly users: UserRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly revokedTokens: RevokedTokenRepository,
    private readonly clients: ClientDirectory,
    /** Ends a refresh token's session, as logout does. */
    private readonly auth: Pick<AuthService, 'endSession'>,
    /** `PUBLIC_URL`. */
    private readonly issuer: string,
  ) {}

  /**
   * Whether `token` is active now, and what it is, as `caller` may learn it: any access token (a
   * resource server checks tokens issued to others), but only its own refresh tokens.
   */
  async introspect(token: string, caller: ClientRecord): Promise<Introspection> {
    const claims = await this.accessClaims(token)
    if (claims) {
      const holder = await this.accessTokenHolder(claims)
      return holder ? describeAccess(claims, holder.username) : INACTIVE
    }
    const refresh = await this.refreshTokens.findByHash(hashRefreshToken(token))
    if (!refresh || refresh.clientId !== caller.clientId) return INACTIVE
    const user = await this.liveRefreshUser(refresh)
    return user ? this.describeRefresh(refresh, user) : INACTIVE
  }

  /**
   * Revokes `token` for `client` (RFC 7009 section 2.1): an unknown, invalid or expired token is no
   * error (200 all the same); a token issued to another client is refused (`unauthorized_client`).
   */
  async revoke(token: string, client: ClientRecord): Promise<void> {
    const claims = await this.accessClaims(token)
    if (claims) {
      requireOwnToken(claims.client_id, client)
      if (claims.kind === 'client') {
        await this.revokedTokens.revoke(claims.jti, new Date(claims.exp * 1000))
        return
      }
      await this.refreshTokens.revokeChain(claims.sid, new Date())
      await this.users.endSession(claims.sub, claims.sid, new Date(claims.exp * 1000))
      return
    }
    const refresh = await this.refreshTokens.findByHash(hashRefreshToken(token))
    if (refresh) await this.auth.endSession(refresh, client)
  }

  /** The claims of a well-formed access token of ours that has not expired, or null. */
  private async accessClaims(token: string): Promise<AccessClaims | null> {
    if (!JWT_SHAPE.test(token)) return null
    try {
      return await this.accessTokens.verify(token)
    } catch (error) {
      if (error instanceof InvalidTokenError) return null
      throw error
    }
  }

  /**
   * Whom an active access token acts for (the user's name, or none for a client), or null when it
   * is not active: the same rules as the API's own guard (docs/api.md, Sessions), and revocations.
   */
  private async accessTokenHolder(claims: AccessClaims): Promise<{ username?: string } | null> {
    if (claims.kind === 'client') {
      const [client, revoked] = await Promise.all([
        this.clients.findById(claims.client_id),
        this.revokedTokens.isRevoked(claims.jti),
      ])
      return client !== null && !revoked ? {} : null
    }
    const user = await this.users.findById(claims.sub)
    return user && !user.disabled && !sessionEnded(claims, user) ? { username: user.username } : null
  }

  /** The user of a refresh token that could be exchanged now, or null. */
  private async liveRefreshUser(token: RefreshTokenRecord): Promise<UserRecord | null> {
    if (token.rotatedAt || token.revokedAt || token.expiresAt.getTime() <= Date.now()) return null
    const user = await this.users.findById(token.userId)
    return user && !user.disabled ? user : null
  }

  private describeRefresh(token: RefreshTokenRecord, user: UserRecord): Introspection {
    return {
      active: true,
      scope: token.scopes.join(' '),
      client_id: token.clientId,
      username: user.username,
      // No token_type: RFC 7662 means the access-token types of RFC 6749 section 7.1.
      exp: seconds(token.expiresAt),
      iat: seconds(token.createdAt),
      sub: user.id,
      iss: this.issuer,
    }
  }
}

function describeAccess(claims: AccessClaims, username: string | undefined): Introspection {
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    ...(username === undefined ? {} : { username }),
    token_type: 'Bearer',
    exp: claims.exp,
    iat: claims.iat,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
  }
}
