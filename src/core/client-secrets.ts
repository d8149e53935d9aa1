/**
 * Client ids and secrets of registered OAuth clients: how they are made, stored and checked. The
 * clients feature makes them, the auth feature checks them; both take them from here.
 *
 * Written by hand with `node:crypto`: `oidc-provider` and the like bring whole authorization servers
 * for what is a random value, a hash and a constant-time comparison.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** 16 random bytes: a 22-character base64url id, 128 bits, which nobody guesses or collides with. */
const CLIENT_ID_BYTES = 16
/** 32 random bytes: 256 bits of secret, 43 base64url characters. */
const CLIENT_SECRET_BYTES = 32

/** A new client id: URL-safe (base64url, no padding), 22 characters. */
export const newClientId = () => randomBytes(CLIENT_ID_BYTES).toString('base64url')

/** A new client secret: 256 random bits, base64url, 43 characters. Shown once, never stored. */
export const newClientSecret = () => randomBytes(CLIENT_SECRET_BYTES).toString('base64url')

/**
 * The stored form of a client secret: its SHA-256, hex. Not argon2, unlike passwords: a password is
 * a low-entropy human choice that a slow hash must protect from guessing, while this secret is 256
 * random bits, which no offline search can find whatever the hash costs. A fast hash keeps client
 * authentication cheap (argon2 would take a `PasswordSlots` slot on every token request) and still
 * means a stolen database does not hand out usable secrets.
 */
export const hashClientSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex')

/**
 * True when `secret` is the one whose hash is `storedHash`. The hashes are compared, in constant
 * time: both have the same length whatever was sent, and the time taken tells nothing of how much
 * of a hash matched.
 */
export function clientSecretMatches(secret: string, storedHash: string): boolean {
  const sent = Buffer.from(hashClientSecret(secret), 'hex')
  const stored = Buffer.from(storedHash, 'hex')
  return sent.length === stored.length && timingSafeEqual(sent, stored)
}
