import { describe, expect, test } from 'bun:test'
import { type GetStore, newRefreshToken, unknownId } from './fixtures'

/** Refresh tokens: atomic rotation, reuse detection, revocation. */
export function describeRefreshTokenContract(store: GetStore): void {
  const insert = async (overrides: Parameters<typeof newRefreshToken>[0] = {}) => {
    const token = newRefreshToken(overrides)
    await store().refreshTokens.insert(token)
    return token
  }

  describe('refreshTokens', () => {
    test('findByHash returns the inserted token, live, with its expiry to the millisecond', async () => {
      const token = await insert({ expiresAt: new Date(Date.now() + 3_600_123) })
      const found = await store().refreshTokens.findByHash(token.tokenHash)
      expect(found).toEqual({ ...token, createdAt: expect.any(Date), rotatedAt: null, revokedAt: null })
      expect(found?.expiresAt.getTime()).toBe(token.expiresAt.getTime())
      expect(Math.abs((found?.createdAt.getTime() ?? 0) - Date.now())).toBeLessThan(5_000)
    })

    test('findByHash of an unknown hash is null', async () => {
      expect(await store().refreshTokens.findByHash(newRefreshToken().tokenHash)).toBeNull()
    })

    test('rotate of a live token is rotated and records the time', async () => {
      const token = await insert()
      const now = new Date()
      const result = await store().refreshTokens.rotate(token.tokenHash, now)
      expect(result).toEqual({
        outcome: 'rotated',
        token: { ...token, createdAt: expect.any(Date), rotatedAt: now, revokedAt: null },
      })
      expect((await store().refreshTokens.findByHash(token.tokenHash))?.rotatedAt).toEqual(now)
    })

    test('rotate of a token rotated before is reused, with the token', async () => {
      const token = await insert()
      const first = new Date()
      await store().refreshTokens.rotate(token.tokenHash, first)
      const result = await store().refreshTokens.rotate(token.tokenHash, new Date(first.getTime() + 1_000))
      expect(result.outcome).toBe('reused')
      expect(result.outcome === 'reused' && result.token).toMatchObject({
        chainId: token.chainId,
        rotatedAt: first,
      })
    })

    test('two concurrent rotations of one token: exactly one is rotated, the other reused', async () => {
      const token = await insert()
      const results = await Promise.all([
        store().refreshTokens.rotate(token.tokenHash, new Date()),
        store().refreshTokens.rotate(token.tokenHash, new Date()),
      ])
      expect(results.map((result) => result.outcome).sort()).toEqual(['reused', 'rotated'])
    })

    test('rotate of an expired token is invalid, also at the exact expiry instant', async () => {
      const expiresAt = new Date(Date.now() - 1)
      const expired = await insert({ expiresAt })
      expect(await store().refreshTokens.rotate(expired.tokenHash, new Date())).toEqual({
        outcome: 'invalid',
      })
      const edge = await insert({ expiresAt: new Date(Date.now() + 60_000) })
      expect(await store().refreshTokens.rotate(edge.tokenHash, edge.expiresAt)).toEqual({
        outcome: 'invalid',
      })
      expect((await store().refreshTokens.findByHash(edge.tokenHash))?.rotatedAt).toBeNull()
    })

    test('rotate of an unknown hash is invalid', async () => {
      expect(await store().refreshTokens.rotate(newRefreshToken().tokenHash, new Date())).toEqual({
        outcome: 'invalid',
      })
    })

    test('revokeChain revokes every token of the chain and no other', async () => {
      const chainId = crypto.randomUUID()
      const a = await insert({ chainId })
      const b = await insert({ chainId })
      const other = await insert()
      const now = new Date()
      await store().refreshTokens.revokeChain(chainId, now)
      expect((await store().refreshTokens.findByHash(a.tokenHash))?.revokedAt).toEqual(now)
      expect((await store().refreshTokens.findByHash(b.tokenHash))?.revokedAt).toEqual(now)
      expect((await store().refreshTokens.findByHash(other.tokenHash))?.revokedAt).toBeNull()
    })

    test('rotate of a token whose chain was revoked is invalid', async () => {
      const token = await insert()
      await store().refreshTokens.revokeChain(token.chainId, new Date())
      expect(await store().refreshTokens.rotate(token.tokenHash, new Date())).toEqual({ outcome: 'invalid' })
    })

    test('rotate of a rotated token stays reused after its chain was revoked', async () => {
      const token = await insert()
      await store().refreshTokens.rotate(token.tokenHash, new Date())
      await store().refreshTokens.revokeChain(token.chainId, new Date())
      expect((await store().refreshTokens.rotate(token.tokenHash, new Date())).outcome).toBe('reused')
    })

    test('revoking again keeps the first revocation time', async () => {
      const token = await insert()
      const first = new Date(Date.now() - 10_000)
      await store().refreshTokens.revokeChain(token.chainId, first)
      await store().refreshTokens.revokeChain(token.chainId, new Date())
      await store().refreshTokens.revokeAllForUser(token.userId, new Date())
      expect((await store().refreshTokens.findByHash(token.tokenHash))?.revokedAt).toEqual(first)
    })

    test('revokeAllForUser revokes the user’s tokens in every chain and no one else’s', async () => {
      const userId = unknownId()
      const mine = [await insert({ userId }), await insert({ userId })]
      const theirs = await insert()
      const now = new Date()
      await store().refreshTokens.revokeAllForUser(userId, now)
      for (const token of mine) {
        expect((await store().refreshTokens.findByHash(token.tokenHash))?.revokedAt).toEqual(now)
        expect(await store().refreshTokens.rotate(token.tokenHash, new Date())).toEqual({
          outcome: 'invalid',
        })
      }
      expect((await store().refreshTokens.findByHash(theirs.tokenHash))?.revokedAt).toBeNull()
    })

    test('revokeForClient revokes the user’s tokens of that client in every chain, and no other', async () => {
      const [userId, clientId] = [unknownId(), `client-${crypto.randomUUID()}`]
      const mine = [await insert({ userId, clientId }), await insert({ userId, clientId })]
      const otherClient = await insert({ userId, clientId: `client-${crypto.randomUUID()}` })
      const otherUser = await insert({ clientId })
      const now = new Date()
      await store().refreshTokens.revokeForClient(userId, clientId, now)
      for (const token of mine) {
        expect((await store().refreshTokens.findByHash(token.tokenHash))?.revokedAt).toEqual(now)
        expect(await store().refreshTokens.rotate(token.tokenHash, new Date())).toEqual({
          outcome: 'invalid',
        })
      }
      for (const token of [otherClient, otherUser]) {
        expect((await store().refreshTokens.findByHash(token.tokenHash))?.revokedAt).toBeNull()
        expect((await store().refreshTokens.rotate(token.tokenHash, new Date())).outcome).toBe('rotated')
      }
    })

    test('revokeForClient keeps the first revocation time and spares tokens issued after it', async () => {
      const [userId, clientId] = [unknownId(), `client-${crypto.randomUUID()}`]
      const token = await insert({ userId, clientId })
      const first = new Date(Date.now() - 10_000)
      await store().refreshTokens.revokeChain(token.chainId, first)
      await store().refreshTokens.revokeForClient(userId, clientId, new Date())
      expect((await store().refreshTokens.findByHash(token.tokenHash))?.revokedAt).toEqual(first)
      const later = await insert({ userId, clientId })
      expect((await store().refreshTokens.findByHash(later.tokenHash))?.revokedAt).toBeNull()
      expect((await store().refreshTokens.rotate(later.tokenHash, new Date())).outcome).toBe('rotated')
    })

    test('revokeForClient of a malformed or unknown user does nothing', async () => {
      expect(await store().refreshTokens.revokeForClient('not-an-id', 'c', new Date())).toBeUndefined()
      expect(await store().refreshTokens.revokeForClient(unknownId(), 'c', new Date())).toBeUndefined()
    })
  })
}
