import { describe, expect, test } from 'bun:test'
import type { NewAccountToken } from '../../../src/store/types'
import { type GetStore, unknownId } from './fixtures'

const hashOf = () => new Bun.CryptoHasher('sha256').update(crypto.randomUUID()).digest('hex')

function newToken(overrides: Partial<NewAccountToken> = {}): NewAccountToken {
  return {
    tokenHash: hashOf(),
    purpose: 'reset_password',
    userId: unknownId(),
    email: 'someone@example.test',
    userSessionVersion: 3,
    expiresAt: new Date(Date.now() + 60_123),
    ...overrides,
  }
}

/** Account tokens: consumed once, atomically, only for their purpose and before expiry; counted per user. */
export function describeAccountTokenContract(store: GetStore): void {
  const insert = async (overrides: Partial<NewAccountToken> = {}) => {
    const token = newToken(overrides)
    await store().accountTokens.insert(token)
    return token
  }

  describe('accountTokens', () => {
    test('consume of a live token returns it with every field and the use time', async () => {
      const token = await insert()
      const now = new Date()
      const record = await store().accountTokens.consume(token.tokenHash, 'reset_password', now)
      expect(record).toEqual({ ...token, createdAt: expect.any(Date), usedAt: now })
      expect(record?.expiresAt.getTime()).toBe(token.expiresAt.getTime())
      expect(Math.abs((record?.createdAt.getTime() ?? 0) - Date.now())).toBeLessThan(5_000)
    })

    test('a token is consumed once: the second consume is null', async () => {
      const token = await insert({ purpose: 'verify_email' })
      expect(await store().accountTokens.consume(token.tokenHash, 'verify_email', new Date())).not.toBeNull()
      expect(await store().accountTokens.consume(token.tokenHash, 'verify_email', new Date())).toBeNull()
    })

    test('of concurrent consumes of one token exactly one gets it', async () => {
      const token = await insert()
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          store().accountTokens.consume(token.tokenHash, 'reset_password', new Date()),
        ),
      )
      expect(results.filter((record) => record !== null)).toHaveLength(1)
    })

    test('an expired token is null, and stays unconsumed', async () => {
      const token = await insert({ expiresAt: new Date(Date.now() - 1) })
      expect(await store().accountTokens.consume(token.tokenHash, 'reset_password', new Date())).toBeNull()
      const before = new Date(token.expiresAt.getTime() - 1_000)
      expect(await store().accountTokens.consume(token.tokenHash, 'reset_password', before)).not.toBeNull()
    })

    test('a token of another purpose is null, and still serves its own purpose', async () => {
      const token = await insert({ purpose: 'verify_email' })
      expect(await store().accountTokens.consume(token.tokenHash, 'reset_password', new Date())).toBeNull()
      expect(await store().accountTokens.consume(token.tokenHash, 'verify_email', new Date())).not.toBeNull()
    })

    test('an unknown token is null', async () => {
      expect(await store().accountTokens.consume(hashOf(), 'reset_password', new Date())).toBeNull()
    })

    test('countSince counts one user’s tokens of one purpose created since a time, used or not', async () => {
      const userId = unknownId()
      const since = new Date(Date.now() - 1_000)
      const first = await insert({ userId })
      await insert({ userId })
      await insert({ userId, purpose: 'verify_email' })
      await insert()
      await store().accountTokens.consume(first.tokenHash, 'reset_password', new Date())
      expect(await store().accountTokens.countSince(userId, 'reset_password', since)).toBe(2)
      expect(await store().accountTokens.countSince(userId, 'verify_email', since)).toBe(1)
      expect(
        await store().accountTokens.countSince(userId, 'reset_password', new Date(Date.now() + 60_000)),
      ).toBe(0)
      expect(await store().accountTokens.countSince(unknownId(), 'reset_password', since)).toBe(0)
    })
  })
}
