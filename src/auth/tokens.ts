import { createHash, randomBytes } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import type { Role } from '../core/domain'

/** What a verified access token says. */
export interface AccessClaims {
  sub: string
  role: Role
  jti: string
  exp: number
  /** The session (refresh-token chain) the token was issued in; logging that session out refuses it. */
  sid: string
  /** The user's session version when the token was issued; ending all sessions moves it on. */
  sv: number
}

/** Whom a token is issued to, and in which session. */
export interface TokenSubject {
  id: string
  role: Role
  sessionVersion: number
}

export interface AccessTokenOptions {
  secret: string
  issuer: string
  audience: string
  /** Seconds. */
  ttl: number
}

/** Media type of access tokens (RFC 9068); checked so no other JWT of ours passes as one. */
const ACCESS_TOKEN_TYPE = 'at+jwt'

/**
 * Seconds an `iat` may lie ahead of our clock (instances whose clocks drift apart). A token issued
 * further in the future was not issued by a well-behaved instance of ours: refused.
 */
const IAT_SKEW = 60

/** Why a token was refused; said in `WWW-Authenticate`'s `error_description`. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError'
}

/**
 * Issues and verifies HS256 access tokens with `jose`. Verification pins the algorithm and requires
 * `exp`, `iss` and `aud`, which `@elysiajs/jwt`'s `verify` does not do unless told, and it would
 * hide why a token failed.
 */
export class AccessTokens {
  private readonly key: Uint8Array

  constructor(private readonly options: AccessTokenOptions) {
    this.key = new TextEncoder().encode(options.secret)
  }

  get ttl() {
    return this.options.ttl
  }

  /** An access token for `user` in session `sid`. */
  sign(user: TokenSubject, sid: string): Promise<string> {
    return new SignJWT({ role: user.role, sid, sv: user.sessionVersion })
      .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE })
      .setSubject(user.id)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttl}s`)
      .setJti(crypto.randomUUID())
      .sign(this.key)
  }

  /** Returns the claims of a valid token; throws `InvalidTokenError` saying why otherwise. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'sub', 'jti', 'sid'],
      })
      // jose checks `iat` against the clock only with `maxTokenAge`, and its `clockTolerance` would
      // loosen `exp` as well; this keeps `exp` exact and allows the skew to `iat` alone.
      if ((payload.iat as number) > Math.floor(Date.now() / 1000) + IAT_SKEW)
        throw new InvalidTokenError('the token was issued in the future')
      if (payload.role !== 'user' && payload.role !== 'admin')
        throw new InvalidTokenError('the token has no role')
      if (typeof payload.sid !== 'string' || !Number.isSafeInteger(payload.sv))
        throw new InvalidTokenError('the token names no session')
      return payload as unknown as AccessClaims
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('the token has expired')
      if (error instanceof errors.JOSEError) throw new InvalidTokenError('the token is invalid')
      throw error
    }
  }
}

/** A new opaque refresh token: 256 random bits, base64url. */
export const newRefreshToken = () => randomBytes(32).toString('base64url')

/** The only form in which a refresh token is stored. */
export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex')
