/**
 * Encryption of the private signing keys at rest. The store holds each private JWK as a compact
 * JWE (`dir`, `A256GCM`, made by jose: a standard format, nothing hand-rolled) whose protected
 * header names the key's `kid`: GCM authenticates the header, so a record whose ciphertext was
 * moved to another `kid` fails to open. The AES-256 key is derived from `KEY_ENCRYPTION_SECRET`
 * with HKDF-SHA-256 (WebCrypto), so that the secret itself is never used as a key and a future key
 * for another purpose can be derived from it with another `info`.
 */
import { CompactEncrypt, compactDecrypt, errors } from 'jose'

/** Fixed, public HKDF inputs: the secret is the only entropy, and it is at least 32 bytes. */
const SALT = new TextEncoder().encode('mercado/keys')
const INFO = new TextEncoder().encode('private signing keys: A256GCM v1')

/** A private key in the store cannot be decrypted: the secret is not the one it was encrypted with. */
export class KeyDecryptionError extends Error {
  constructor(readonly kid: string) {
    super(
      `cannot decrypt the signing key ${kid} kept in the store: KEY_ENCRYPTION_SECRET is not the secret it was encrypted with`,
    )
    this.name = 'KeyDecryptionError'
  }
}

/** Seals and opens private JWKs with the key derived from `secret`. */
export class KeyCipher {
  readonly #key: Promise<CryptoKey>

  constructor(secret: string) {
    this.#key = deriveKey(secret)
  }

  /** The compact JWE of `plaintext`, bound to `kid`. */
  async seal(plaintext: string, kid: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid })
      .encrypt(await this.#key)
  }

  /** The plaintext `seal` was given for `kid`; throws `KeyDecryptionError` otherwise. */
  async open(sealed: string, kid: string): Promise<string> {
    let result: Awaited<ReturnType<typeof compactDecrypt>>
    try {
      result = await compactDecrypt(sealed, await this.#key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      })
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new KeyDecryptionError(kid)
      throw error
    }
    if (result.protectedHeader.kid !== kid) throw new KeyDecryptionError(kid)
    return new TextDecoder().decode(result.plaintext)
  }
}

async function deriveKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'HKDF', false, [
    'deriveKey',
  ])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: INFO },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}
