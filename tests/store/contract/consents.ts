import { describe, expect, test } from 'bun:test'
import { unique } from '../../support/unique'
import { type GetStore, unknownId } from './fixtures'

/** Consents: one record per user and client, whose scopes only grow until it is revoked. */
export function describeConsentContract(store: GetStore): void {
  const client = () => `client-${unique()}`

  describe('consents', () => {
    test('grant creates the record; find returns it to the millisecond', async () => {
      const [userId, clientId, now] = [unknownId(), client(), new Date(Date.now() - 1_234)]
      const granted = await store().consents.grant(userId, clientId, ['openid', 'profile'], now)
      expect(granted).toEqual({
        userId,
        clientId,
        scopes: ['openid', 'profile'],
        createdAt: now,
        updatedAt: now,
      })
      expect(await store().consents.find(userId, clientId)).toEqual(granted)
    })

    test('grant again adds the new scopes, each once, and keeps the creation time', async () => {
      const [userId, clientId] = [unknownId(), client()]
      const first = new Date(Date.now() - 10_000)
      await store().consents.grant(userId, clientId, ['openid', 'profile'], first)
      const later = new Date()
      const granted = await store().consents.grant(userId, clientId, ['profile', 'email', 'email'], later)
      expect([...granted.scopes].sort()).toEqual(['email', 'openid', 'profile'])
      expect(granted.createdAt).toEqual(first)
      expect(granted.updatedAt).toEqual(later)
      expect(await store().consents.find(userId, clientId)).toEqual(granted)
    })

    test('ten concurrent grants with different scopes make one record holding them all', async () => {
      const [userId, clientId] = [unknownId(), client()]
      const scopes = Array.from({ length: 10 }, (_, i) => `scope:${i}`)
      await Promise.all(scopes.map((scope) => store().consents.grant(userId, clientId, [scope], new Date())))
      const list = await store().consents.listForUser(userId)
      expect(list).toHaveLength(1)
      expect([...(list[0]?.scopes ?? [])].sort()).toEqual([...scopes].sort())
    })

    test('find is null for another user or another client', async () => {
      const [userId, clientId] = [unknownId(), client()]
      await store().consents.grant(userId, clientId, ['openid'], new Date())
      expect(await store().consents.find(unknownId(), clientId)).toBeNull()
      expect(await store().consents.find(userId, client())).toBeNull()
    })

    test('listForUser lists the user’s consents oldest first, and no one else’s', async () => {
      const userId = unknownId()
      const [a, b, c] = [client(), client(), client()]
      const at = (ms: number) => new Date(Date.now() - ms)
      await store().consents.grant(userId, b, ['openid'], at(2_000))
      await store().consents.grant(userId, c, ['openid'], at(1_000))
      await store().consents.grant(userId, a, ['openid'], at(3_000))
      await store().consents.grant(unknownId(), a, ['openid'], at(4_000))
      // A later grant moves updatedAt, not the place in the list.
      await store().consents.grant(userId, a, ['profile'], at(0))
      const list = await store().consents.listForUser(userId)
      expect(list.map((consent) => consent.clientId)).toEqual([a, b, c])
      expect(await store().consents.listForUser(unknownId())).toEqual([])
    })

    test('revoke forgets the consent and is true; again, false; other consents stay', async () => {
      const [userId, clientId, other] = [unknownId(), client(), client()]
      await store().consents.grant(userId, clientId, ['openid'], new Date())
      const kept = await store().consents.grant(userId, other, ['openid'], new Date())
      expect(await store().consents.revoke(userId, clientId)).toBe(true)
      expect(await store().consents.find(userId, clientId)).toBeNull()
      expect(await store().consents.revoke(userId, clientId)).toBe(false)
      expect(await store().consents.listForUser(userId)).toEqual([kept])
    })

    test('a grant after a revoke starts afresh', async () => {
      const [userId, clientId] = [unknownId(), client()]
      await store().consents.grant(userId, clientId, ['openid', 'profile'], new Date(Date.now() - 5_000))
      await store().consents.revoke(userId, clientId)
      const now = new Date()
      expect(await store().consents.grant(userId, clientId, ['email'], now)).toEqual({
        userId,
        clientId,
        scopes: ['email'],
        createdAt: now,
        updatedAt: now,
      })
    })

    test('a malformed user id has no consent: find null, list empty, revoke false', async () => {
      expect(await store().consents.find('not-an-id', client())).toBeNull()
      expect(await store().consents.listForUser('not-an-id')).toEqual([])
      expect(await store().consents.revoke('not-an-id', client())).toBe(false)
    })
  })
}
