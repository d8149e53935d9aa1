import { describe, expect, test } from 'bun:test'
import type { SigningKeyRecord } from '../../../src/store/types'
import { unique } from '../../support/unique'
import type { GetStore } from './fixtures'

/** A key record as the key ring writes one; the "keys" are placeholders, the store never reads them. */
function newKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const kid = `kid-${unique()}`
  return {
    kid,
    slot: `after:${unique()}`,
    alg: 'RS256',
    publicJwk: { kty: 'RSA', n: `n-${kid}`, e: 'AQAB' },
    encryptedPrivateJwk: `sealed-${kid}`,
    createdAt: new Date(1_700_000_000_123),
    activatesAt: new Date(1_700_000_000_123),
    retiresAt: null,
    expiresAt: null,
    ...overrides,
  }
}

const at = (seconds: number) => new Date(1_700_000_000_000 + seconds * 1000)

/**
 * Signing keys: one key per rotation slot, retiring and deleting. `store` must be fresh for each
 * test (the repository acts on every key it holds, not on a scope).
 */
export function describeSigningKeyContract(store: GetStore): void {
  describe('signingKeys', () => {
    test('list returns inserted keys as written, by activation', async () => {
      const later = newKey({ activatesAt: at(60) })
      const earlier = newKey({ activatesAt: at(0), retiresAt: at(60), expiresAt: at(1000) })
      expect(await store().signingKeys.insert(later)).toBe(true)
      expect(await store().signingKeys.insert(earlier)).toBe(true)
      expect(await store().signingKeys.list()).toEqual([earlier, later])
    })

    test('a second key for a taken slot is refused and nothing of it is written', async () => {
      const first = newKey({ slot: 'initial' })
      expect(await store().signingKeys.insert(first)).toBe(true)
      expect(await store().signingKeys.insert(newKey({ slot: 'initial' }))).toBe(false)
      expect(await store().signingKeys.list()).toEqual([first])
    })

    test('of concurrent inserts for one slot exactly one wins', async () => {
      const slot = `after:${unique()}`
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store().signingKeys.insert(newKey({ slot }))),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      expect(await store().signingKeys.list()).toHaveLength(1)
    })

    test('retireBefore retires the keys that activated before, keeping an earlier retirement', async () => {
      const retired = newKey({ activatesAt: at(0), retiresAt: at(10), expiresAt: at(100) })
      const current = newKey({ activatesAt: at(10) })
      const pending = newKey({ activatesAt: at(20) })
      const next = newKey({ activatesAt: at(30) })
      for (const key of [retired, current, pending, next]) await store().signingKeys.insert(key)
      await store().signingKeys.retireBefore(next.kid, at(30), at(500))
      expect(await store().signingKeys.list()).toEqual([
        retired,
        { ...current, retiresAt: at(30), expiresAt: at(500) },
        { ...pending, retiresAt: at(30), expiresAt: at(500) },
        next,
      ])
    })

    test('deleteExpired deletes the keys expired at or before now, never one without expiry', async () => {
      const gone = newKey({ activatesAt: at(0), retiresAt: at(10), expiresAt: at(100) })
      const kept = newKey({ activatesAt: at(10), retiresAt: at(20), expiresAt: at(101) })
      const newest = newKey({ activatesAt: at(20) })
      for (const key of [gone, kept, newest]) await store().signingKeys.insert(key)
      expect(await store().signingKeys.deleteExpired(at(100))).toBe(1)
      expect(await store().signingKeys.list()).toEqual([kept, newest])
    })
  })
}
