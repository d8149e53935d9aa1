import { describe, expect, test } from 'bun:test'
import type { GetStore } from './fixtures'

/** Revoked client-credentials tokens, by `jti`, until their expiry. */
export function describeRevokedTokenContract(store: GetStore): void {
  describe('revokedTokens', () => {
    test('a revoked jti is revoked until its expiry; others are not; revoking twice is no error', async () => {
      const jti = crypto.randomUUID()
      expect(await store().revokedTokens.isRevoked(jti)).toBe(false)
      await store().revokedTokens.revoke(jti, new Date(Date.now() + 60_000))
      await store().revokedTokens.revoke(jti, new Date(Date.now() + 60_000))
      expect(await store().revokedTokens.isRevoked(jti)).toBe(true)
      expect(await store().revokedTokens.isRevoked(crypto.randomUUID())).toBe(false)
    })

    test('past its expiry a revocation no longer counts (the token is dead anyway)', async () => {
      const jti = crypto.randomUUID()
      await store().revokedTokens.revoke(jti, new Date(Date.now() + 30))
      await Bun.sleep(50)
      expect(await store().revokedTokens.isRevoked(jti)).toBe(false)
    })
  })
}
