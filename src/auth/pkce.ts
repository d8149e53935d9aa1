/** Authorization codes and their PKCE check (RFC 7636), with the platform's hashing. */
import { createHash, timingSafeEqual } from 'node:crypto'

/** A new authorization code: 256 random bits, base64url. */
export const newAuthorizationCode = () =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')

/** The only form in which a code is stored. */
export const hashAuthorizationCode = (code: string) => createHash('sha256').update(code).digest('hex')

/** RFC 7636 section 4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

/** Whether `verifier` is well formed and its S256 (section 4.2) is `challenge`. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!VERIFIER.test(verifier)) return false
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'))
  const expected = Buffer.from(challenge)
  return computed.length === expected.length && timingSafeEqual(computed, expected)
}
