/**
 * ID tokens (OpenID Connect Core 1.0 section 2): signed with the key ring's current RS256 key, the
 * same keys as access tokens, told apart from them by `typ` (`JWT` here, `at+jwt` there) and by
 * `aud` (the client here, the API there), so that neither passes as the other.
 */
import { createHash } from 'node:crypto'
import { errors, type JWSHeaderParameters, jwtVerify, SignJWT } from 'jose'
import { type KeyRing, SIGNING_ALG } from '../keys/keyring'
import type { UserRecord } from '../store/types'

export interface IdTokenOptions {
  keys: KeyRing
  /** `PUBLIC_URL`. */
  issuer: string
  /** Seconds. */
  ttl: number
}

/** What an ID token is issued for: one authorization of `clientId` by `user`. */
export interface IdTokenGrant {
  user: UserRecord
  clientId: string
  scopes: readonly string[]
  /** When the user's password was checked. */
  authTime: Date
  nonce: string | null
  /** The session at the client (the refresh chain of this authorization): RP-initiated logout ends it. */
  sid: string
  /** The access token issued beside it, for `at_hash`. */
  accessToken: string
}

/** What a verified `id_token_hint` says: whom, for which client, in which session. */
export interface IdTokenHint {
  sub: string
  clientId: string
  sid: string | undefined
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000)

/**
 * `at_hash` (Core section 3.1.3.6): the left half of the SHA-256 of the access token's ASCII,
 * base64url, for an RS256 ID token.
 */
export const accessTokenHash = (accessToken: string) =>
  createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url')

/**
 * The claims of `user` that `scopes` release (Core section 5.4): `profile` gives the username,
 * the name and when the account last changed; `email` the address, and whether its owner proved it
 * by following the link mailed to it.
 */
export function userClaims(user: UserRecord, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.id }
  if (scopes.includes('profile')) {
    claims.preferred_username = user.username
    // An empty value is left out rather than sent (Core section 5.3.2).
    if (user.fullName !== '') claims.name = user.fullName
    claims.updated_at = seconds(user.updatedAt)
  }
  if (scopes.includes('email')) {
    claims.email = user.email
    claims.email_verified = user.emailVerified
  }
  return claims
}

export class InvalidIdTokenHintError extends Error {
  override name = 'InvalidIdTokenHintError'
}

export class IdTokens {
  constructor(private readonly options: IdTokenOptions) {}

  private readonly resolveKey = async (header: JWSHeaderParameters): Promise<CryptoKey> => {
    const key = await this.options.keys.verificationKey(header.kid)
    if (!key) throw new InvalidIdTokenHintError('the ID token is not signed by a key of this service')
    return key
  }

  async sign(grant: IdTokenGrant): Promise<string> {
    const key = await this.options.keys.signingKey()
    const { sub: _, ...claims } = userClaims(grant.user, grant.scopes)
    return new SignJWT({
      ...claims,
      auth_time: seconds(grant.authTime),
      ...(grant.nonce !== null && { nonce: grant.nonce }),
      at_hash: accessTokenHash(grant.accessToken),
      azp: grant.clientId,
      sid: grant.sid,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setSubject(grant.user.id)
      .setIssuer(this.options.issuer)
      .setAudience(grant.clientId)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttl}s`)
      .sign(key.privateKey)
  }

  /**
   * Reads an `id_token_hint` (RP-initiated logout): one of our ID tokens, signed by one of our
   * keys, and expired ones too (the spec allows them: a user often signs out after it expired).
   */
  async verifyHint(token: string): Promise<IdTokenHint> {
    try {
      const { payload } = await jwtVerify(token, this.resolveKey, {
        algorithms: [SIGNING_ALG],
        issuer: this.options.issuer,
        typ: 'JWT',
        requiredClaims: ['sub', 'aud', 'iat'],
        // Expired hints still say who is signing out; only the signature and issuer must hold.
        currentDate: new Date(0),
      })
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
      const clientId = typeof payload.azp === 'string' ? payload.azp : aud[0]
      if (typeof clientId !== 'string' || typeof payload.sub !== 'string')
        throw new InvalidIdTokenHintError('the ID token names no client')
      return { sub: payload.sub, clientId, sid: typeof payload.sid === 'string' ? payload.sid : undefined }
    } catch (error) {
      if (error instanceof InvalidIdTokenHintError) throw error
      if (error instanceof errors.JOSEError) throw new InvalidIdTokenHintError('the ID token is invalid')
      throw error
    }
  }
}
