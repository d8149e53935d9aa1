import { describe, expect, test } from 'bun:test'
import type { NewAuthorizationCode } from '../../../src/store/types'
import { type GetStore, unknownId } from './fixtures'

const hashOf = () => new Bun.CryptoHasher('sha256').update(crypto.randomUUID()).digest('hex')

function newCode(overrides: Partial<NewAuthorizationCode> = {}): NewAuthorizationCode {
  return {
    codeHash: hashOf(),
    clientId: 'contract-client',
    userId: unknownId(),
    redirectUri: 'https://app.example.test/callback?x=1',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    nonce: 'n-0S6_WzA2Mj',
    scopes: ['openid', 'profile', 'users:read'],
    signInSessionId: crypto.randomUUID(),
    authTime: new Date(Date.now() - 5_123),
    userSessionVersion: 4,
    chainId: crypto.randomUUID(),
    expiresAt: new Date(Date.now() + 60_123),
    ...overrides,
  }
}

/** Authorization codes: redeemed once, atomically; a second use is seen as one, even after expiry. */
export function describeAuthorizationCodeContract(store: GetStore): void {
  const insert = async (overrides: Partial<NewAuthorizationCode> = {}) => {
    const code = newCode(overrides)
    await store().authorizationCodes.insert(code)
    return code
  }

  describe('authorizationCodes', () => {
    test('redeem of a live code is redeemed, with every field to the millisecond and the use time', async () => {
      const code = await insert()
      const now = new Date()
      const result = await store().authorizationCodes.redeem(code.codeHash, now)
      expect(result).toEqual({
        outcome: 'redeemed',
        code: { ...code, createdAt: expect.any(Date), usedAt: now },
      })
      if (result.outcome !== 'redeemed') throw new Error('not redeemed')
      expect(result.code.authTime.getTime()).toBe(code.authTime.getTime())
      expect(result.code.expiresAt.getTime()).toBe(code.expiresAt.getTime())
      expect(Math.abs(result.code.createdAt.getTime() - Date.now())).toBeLessThan(5_000)
    })

    test('a code without a nonce keeps it null', async () => {
      const code = await insert({ nonce: null, scopes: [] })
      const result = await store().authorizationCodes.redeem(code.codeHash, new Date())
      expect(result.outcome === 'redeemed' && result.code).toMatchObject({ nonce: null, scopes: [] })
    })

    test('redeem of a code redeemed before is reused, with the code and its first use time', async () => {
      const code = await insert()
      const first = new Date()
      await store().authorizationCodes.redeem(code.codeHash, first)
      const result = await store().authorizationCodes.redeem(code.codeHash, new Date(first.getTime() + 1_000))
      expect(result).toEqual({
        outcome: 'reused',
        code: { ...code, createdAt: expect.any(Date), usedAt: first },
      })
    })

    test('ten concurrent redeems of one code: exactly one is redeemed, the others reused', async () => {
      const code = await insert()
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store().authorizationCodes.redeem(code.codeHash, new Date())),
      )
      const outcomes = results.map((result) => result.outcome)
      expect(outcomes.filter((outcome) => outcome === 'redeemed')).toHaveLength(1)
      expect(outcomes.filter((outcome) => outcome === 'reused')).toHaveLength(9)
      for (const result of results)
        expect(result.outcome !== 'invalid' && result.code.chainId).toBe(code.chainId)
    })

    test('redeem of an unused code is invalid once it expired, also at the exact expiry instant', async () => {
      const expired = await insert({ expiresAt: new Date(Date.now() - 1) })
      expect(await store().authorizationCodes.redeem(expired.codeHash, new Date())).toEqual({
        outcome: 'invalid',
      })
      const edge = await insert()
      expect(await store().authorizationCodes.redeem(edge.codeHash, edge.expiresAt)).toEqual({
        outcome: 'invalid',
      })
      // Refused at expiry, it was not used: before expiry it still redeems.
      const before = new Date(edge.expiresAt.getTime() - 1)
      expect((await store().authorizationCodes.redeem(edge.codeHash, before)).outcome).toBe('redeemed')
    })

    test('a used code stays reused after its expiry', async () => {
      const code = await insert()
      await store().authorizationCodes.redeem(code.codeHash, new Date())
      const late = new Date(code.expiresAt.getTime() + 3_600_000)
      expect((await store().authorizationCodes.redeem(code.codeHash, late)).outcome).toBe('reused')
    })

    test('redeem of an unknown hash is invalid', async () => {
      expect(await store().authorizationCodes.redeem(hashOf(), new Date())).toEqual({ outcome: 'invalid' })
    })

    test('codes are independent: redeeming one leaves another unused', async () => {
      const [a, b] = [await insert(), await insert()]
      await store().authorizationCodes.redeem(a.codeHash, new Date())
      expect((await store().authorizationCodes.redeem(b.codeHash, new Date())).outcome).toBe('redeemed')
    })
  })
}
