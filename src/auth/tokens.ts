import { createHash, randomBytes } from 'node:crypto'
import { errors, type JWSHeaderParameters, jwtVerify, SignJWT } from 'jose'
import { LRUCache } from 'lru-cache'
import type { Role } from '../core/domain'
import { type KeyRing, SIGNING_ALG } from '../keys/keyring'
import type { UserRecord } from '../store/types'

/** What every verified access token says (RFC 9068 section 2.2). */
interface CommonClaims {
  iss: string
  aud: string | string[]
  jti: string
  iat: number
  exp: number
  /** The client the token was issued to. */
  client_id: string
  /** Space-separated granted scopes (RFC 9068 section 2.2.3). */
  scope: string
}

/** A token that acts for a user, issued in one of the user's sessions. */
export interface UserClaims extends CommonClaims {
  kind: 'user'
  /** The user id. */
  sub: string
  role: Role
  /** The session (refresh-token chain) the token was issued in; logging that session out refuses it. */
  sid: string
  /** The user's session version when the token was issued; ending all sessions moves it on. */
  sv: number
}

/** A client-credentials token: it acts for the client alone (`sub` is its `client_id`). */
export interface ClientClaims extends CommonClaims {
  kind: 'client'
  sub: string
}

export type AccessClaims = UserClaims | ClientClaims

/**
 * Whether the session a user's token was issued in has ended since (docs/api.md, Sessions): the
 * account's session version moved on, or that one session was logged out. Reads only `user`.
 */
export const sessionEnded = (
  claims: UserClaims,
  user: Pick<UserRecord, 'sessionVersion' | 'endedSessions'>,
) => claims.sv !== user.sessionVersion || Object.hasOwn(user.endedSessions, claims.sid)

/** Whom a token is issued to, and in which session. */
export interface TokenSubject {
  id: string
  role: Role
  sessionVersion: number
}

/** The client and the scopes a token is issued for. */
export interface Grant {
  clientId: string
  scopes: readonly string[]
}

export interface AccessTokenOptions {
  /** The shared signing keys: the current one signs, every published one verifies. */
  keys: KeyRing
  /** `PUBLIC_URL`. */
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

/**
 * How many verified tokens `AccessTokens` remembers (the most recently used): a few MB at most
 * (a token and its claims are about 1 KB), and far more than the callers active within one
 * token lifetime of a typical deployment.
 */
const VERIFIED_TOKENS = 4096

/** A token whose signature and claims were checked once: its claims, and the key that signed it. */
interface Verified {
  claims: AccessClaims
  kid: string
}

/** Why a token was refused; said in `WWW-Authenticate`'s `error_description`. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError'
}

/**
 * Issues and verifies access tokens with `jose`, signed by the key ring's current key and naming it
 * in `kid`. Verification pins the algorithm (so neither HS256 nor `none` passes) and requires
 * `exp`, `iss` and `aud`, which `@elysiajs/jwt`'s `verify` does not do unless told, and it would
 * hide why a token failed.
 */
export class AccessTokens {
  /**
   * Tokens already verified, by their exact string: a signature check (RS256, through WebCrypto)
   * costs more than the rest of a request, and a client sends the same token until it expires.
   * Only what the token itself proves is remembered; whether its user, session or client is still
   * live is checked on every request by the callers, so revocation stays immediate. An entry
   * counts until the token's `exp` and while its key is still held by the key ring (a key that
   * left the ring takes its tokens with it). `lru-cache` is the npm ecosystem's maintained LRU
   * with a size bound; failures are never remembered.
   */
  private readonly verified = new LRUCache<string, Verified>({ max: VERIFIED_TOKENS })

  constructor(private readonly options: AccessTokenOptions) {}

  /** The public key a token's header names: from memory when known (no store read, no import). */
  private readonly resolveKey = async (header: JWSHeaderParameters): Promise<CryptoKey> => {
    const key = await this.options.keys.verificationKey(header.kid)
    if (!key) throw new InvalidTokenError('the token is not signed by a key of this service')
    return key
  }

  get ttl() {
    return this.options.ttl
  }

  /** An access token for `user` in session `sid`, issued to `grant.clientId`. */
  sign(user: TokenSubject, sid: string, grant: Grant): Promise<string> {
    return this.issue(user.id, grant, { role: user.role, sid, sv: user.sessionVersion })
  }

  /** A client-credentials token: `sub` is the client itself. */
  signForClient(grant: Grant): Promise<string> {
    return this.issue(grant.clientId, grant, {})
  }

  private async issue(subject: string, grant: Grant, claims: Record<string, unknown>): Promise<string> {
    const key = await this.options.keys.signingKey()
    return new SignJWT({ ...claims, client_id: grant.clientId, scope: grant.scopes.join(' ') })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setSubject(subject)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttl}s`)
      .setJti(crypto.randomUUID())
      .sign(key.privateKey)
  }

  /** Returns the claims of a valid token; throws `InvalidTokenError` saying why otherwise. */
  async verify(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token)
    // jose's rule: a token is expired from its `exp` (in seconds) on.
    if (known && Date.now() < known.claims.exp * 1000 && this.options.keys.holds(known.kid))
      return known.claims
    const verified = await this.verifyAnew(token)
    this.verified.set(token, verified)
    return verified.claims
  }

  /** The full check of a token: signature, header and claims. */
  private async verifyAnew(token: string): Promise<{ claims: AccessClaims; kid: string }> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.resolveKey, {
        algorithms: [SIGNING_ALG],
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id', 'scope'],
      })
      // resolveKey found the key `kid` names, so it is a string here.
      const kid = protectedHeader.kid as string
      // jose checks `iat` against the clock only with `maxTokenAge`, and its `clockTolerance` would
      // loosen `exp` as well; this keeps `exp` exact and allows the skew to `iat` alone.
      if ((payload.iat as number) > Math.floor(Date.now() / 1000) + IAT_SKEW)
        throw new InvalidTokenError('the token was issued in the future')
      if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string')
        throw new InvalidTokenError('the token names no client or scope')
      if (payload.sid === undefined && payload.sv === undefined && payload.role === undefined) {
        if (payload.sub !== payload.client_id) throw new InvalidTokenError('the token names no user')
        return { claims: Object.freeze({ ...payload, kind: 'client' }) as ClientClaims, kid }
      }
      if (payload.role !== 'user' && payload.role !== 'admin')
        throw new InvalidTokenError('the token has no role')
      if (typeof payload.sid !== 'string' || !Number.isSafeInteger(payload.sv))
        throw new InvalidTokenError('the token names no session')
      return { claims: Object.freeze({ ...payload, kind: 'user' }) as UserClaims, kid }
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
