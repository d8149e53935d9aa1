/**
 * The key material of one signing key: making a new pair for the store, and turning a stored
 * record back into `CryptoKey`s. jose does each cryptographic step; the private half only ever
 * leaves here sealed by the cipher.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import type { SigningKeyRecord } from '../store/types'
import type { KeyCipher } from './cipher'

/**
 * The algorithm of every key. RS256 because it verifies fastest, and tokens are verified far more
 * often than signed (once per token and instance: `AccessTokens` remembers the result): with jose on Bun 1.4.5 (bench/jwt-verify.ts) RS256
 * verified in about 55-60 µs, ES256 in 105-130 µs and EdDSA in 95-125 µs, while RS256 signs in
 * about 1 ms against 45-75 µs. OpenID Connect also requires RS256 for ID tokens, so one key set
 * serves both.
 */
export const SIGNING_ALG = 'RS256'
const MODULUS_LENGTH = 2048

/** A new key pair as the store keeps it: the `kid` is its RFC 7638 thumbprint, the private half sealed. */
export async function newKeyRecord(
  cipher: KeyCipher,
  fields: Pick<SigningKeyRecord, 'slot' | 'createdAt' | 'activatesAt'>,
): Promise<SigningKeyRecord> {
  const pair = await generateKeyPair(SIGNING_ALG, { modulusLength: MODULUS_LENGTH, extractable: true })
  const { kty, n, e } = await exportJWK(pair.publicKey)
  const publicJwk = { kty, n, e } as Record<string, string>
  const kid = await calculateJwkThumbprint(publicJwk)
  const privateJwk = JSON.stringify(await exportJWK(pair.privateKey))
  return {
    ...fields,
    kid,
    alg: SIGNING_ALG,
    publicJwk,
    encryptedPrivateJwk: await cipher.seal(privateJwk, kid),
    retiresAt: null,
    expiresAt: null,
  }
}

/** The JWKS entry of a stored key (public members only) and its imported public key. */
export async function publicKeyOf(record: SigningKeyRecord): Promise<{ jwk: JWK; publicKey: CryptoKey }> {
  const jwk: JWK = { ...record.publicJwk, kid: record.kid, alg: record.alg, use: 'sig' }
  return { jwk, publicKey: (await importJWK(jwk, record.alg)) as CryptoKey }
}

/** The private key of a stored key; throws `KeyDecryptionError` when the cipher cannot open it. */
export async function privateKeyOf(cipher: KeyCipher, record: SigningKeyRecord): Promise<CryptoKey> {
  const jwk = JSON.parse(await cipher.open(record.encryptedPrivateJwk, record.kid)) as JWK
  return (await importJWK(jwk, record.alg)) as CryptoKey
}
