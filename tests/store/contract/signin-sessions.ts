import { describe, expect, test } from 'bun:test'
import type { NewSignInSession } from '../../../src/store/types'
import { type GetStore, unknownId } from './fixtures'

const hashOf = () => new Bun.CryptoHasher('sha256').update(crypto.randomUUID()).digest('hex')

function newSession(overrides: Partial<NewSignInSession> = {}): NewSignInSession {
  return {
    tokenHash: hashOf(),
    userId: unknownId(),
    userSessionVersion: 3,
    authTime: new Date(Date.now() - 1_234),
    expiresAt: new Date(Date.now() + 3_600_123),
    ...overrides,
  }
}

/** Sign-in (SSO) sessions: found by their cookie's hash while live, ended one by one or all at once. */
export function describeSignInSessionContract(store: GetStore): void {
  describe('signInSessions', () => {
    test('create returns the record; findLiveByTokenHash finds it to the millisecond', async () => {
      const input = newSession()
      const created = await store().signInSessions.create(input)
      expect(created).toEqual({
        ...input,
        id: expect.any(String),
        createdAt: expect.any(Date),
        endedAt: null,
      })
      expect(Math.abs(created.createdAt.getTime() - Date.now())).toBeLessThan(5_000)
      const found = await store().signInSessions.findLiveByTokenHash(input.tokenHash, new Date())
      expect(found).toEqual(created)
      expect(found?.authTime.getTime()).toBe(input.authTime.getTime())
      expect(found?.expiresAt.getTime()).toBe(input.expiresAt.getTime())
    })

    test('each session gets its own id', async () => {
      const [a, b] = await Promise.all([1, 2].map(() => store().signInSessions.create(newSession())))
      expect(a?.id).not.toBe(b?.id)
    })

    test('an unknown hash is null', async () => {
      expect(await store().signInSessions.findLiveByTokenHash(hashOf(), new Date())).toBeNull()
    })

    test('a session is not live at or after its expiry', async () => {
      const expiresAt = new Date(Date.now() + 60_000)
      const session = await store().signInSessions.create(newSession({ expiresAt }))
      const find = (at: number) => store().signInSessions.findLiveByTokenHash(session.tokenHash, new Date(at))
      expect(await find(expiresAt.getTime() - 1)).not.toBeNull()
      expect(await find(expiresAt.getTime())).toBeNull()
    })

    test('end makes it dead and keeps the first end time; the others live on', async () => {
      const userId = unknownId()
      const [ended, other] = await Promise.all(
        [1, 2].map(() => store().signInSessions.create(newSession({ userId }))),
      )
      if (!ended || !other) throw new Error('not created')
      await store().signInSessions.end(ended.id, new Date())
      await store().signInSessions.end(ended.id, new Date())
      expect(await store().signInSessions.findLiveByTokenHash(ended.tokenHash, new Date())).toBeNull()
      expect(await store().signInSessions.findLiveByTokenHash(other.tokenHash, new Date())).toEqual(other)
    })

    test('endAllForUser ends every session of that user and none of another', async () => {
      const userId = unknownId()
      const mine = await Promise.all(
        [1, 2, 3].map(() => store().signInSessions.create(newSession({ userId }))),
      )
      const theirs = await store().signInSessions.create(newSession())
      await store().signInSessions.endAllForUser(userId, new Date())
      for (const session of mine)
        expect(await store().signInSessions.findLiveByTokenHash(session.tokenHash, new Date())).toBeNull()
      expect(await store().signInSessions.findLiveByTokenHash(theirs.tokenHash, new Date())).toEqual(theirs)
    })

    test('ending an unknown or malformed id, or a user without sessions, does nothing', async () => {
      expect(await store().signInSessions.end(unknownId(), new Date())).toBeUndefined()
      expect(await store().signInSessions.end('not-an-id', new Date())).toBeUndefined()
      expect(await store().signInSessions.endAllForUser(unknownId(), new Date())).toBeUndefined()
      expect(await store().signInSessions.endAllForUser('not-an-id', new Date())).toBeUndefined()
    })
  })
}
