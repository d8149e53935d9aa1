import { describe, expect, test } from 'bun:test'
import { LastAdminError } from '../../../src/store/errors'
import type { Store } from '../../../src/store/types'
import { rejectionOf } from '../../support/assertions'
import { freshStore } from '../../support/stores'
import { type GetStore, newUser } from './fixtures'

const inAMinute = () => new Date(Date.now() + 60_000)

/** Ending sessions (docs/api.md, Sessions) and the last-enabled-admin rule, as the store keeps them. */
export function describeSessionAndAdminContract(store: GetStore): void {
  describe('sessions', () => {
    test('endAllSessions moves sessionVersion on and leaves version (the ETag) alone', async () => {
      const user = await store().users.create(newUser())
      await store().users.endAllSessions(user.id)
      await store().users.endAllSessions(user.id)
      const stored = await store().users.findById(user.id)
      expect(stored?.sessionVersion).toBe(2)
      expect(stored?.version).toBe(1)
    })

    test('update with endSessions moves sessionVersion in the same write; without, it stays', async () => {
      const user = await store().users.create(newUser())
      const renamed = await store().users.update(user.id, { fullName: 'renamed' })
      expect(renamed?.sessionVersion).toBe(0)
      const ended = await store().users.update(user.id, { passwordHash: 'new-hash', endSessions: true }, 2)
      expect(ended).toMatchObject({ version: 3, sessionVersion: 1, passwordHash: 'new-hash' })
    })

    test('endSession records the session until its time, keeps the others, and forgets those past', async () => {
      const user = await store().users.create(newUser())
      const [first, second, past] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()]
      const until = inAMinute()
      await store().users.endSession(user.id, past, new Date(Date.now() + 30))
      await store().users.endSession(user.id, first, until)
      await Bun.sleep(40)
      await store().users.endSession(user.id, second, until)
      const stored = await store().users.findById(user.id)
      expect(stored?.endedSessions).toEqual({ [first]: until, [second]: until })
      expect(stored?.version).toBe(1)
    })

    test('10 sessions ended at once, while the user is edited: none is lost, nor the edit', async () => {
      const user = await store().users.create(newUser())
      const sids = Array.from({ length: 10 }, () => crypto.randomUUID())
      const until = inAMinute()
      await Promise.all([
        ...sids.map((sid) => store().users.endSession(user.id, sid, until)),
        store().users.update(user.id, { fullName: 'edited meanwhile' }),
        store().users.endAllSessions(user.id),
      ])
      const stored = await store().users.findById(user.id)
      expect(Object.keys(stored?.endedSessions ?? {}).sort()).toEqual(sids.sort())
      expect(stored).toMatchObject({ fullName: 'edited meanwhile', sessionVersion: 1, version: 2 })
    })

    test('ending sessions of an unknown or malformed id does nothing', async () => {
      expect(await store().users.endAllSessions('0123456789abcdef01234567')).toBeUndefined()
      expect(await store().users.endSession('not-an-id', crypto.randomUUID(), inAMinute())).toBeUndefined()
    })
  })

  describe('the last enabled admin', () => {
    /** A store of its own, where the admins a test makes are the only ones. */
    async function withFreshStore(run: (store: Store) => Promise<void>): Promise<void> {
      const own = await freshStore(store().kind)
      try {
        await run(own)
      } finally {
        await own.close()
      }
    }

    test('demoting, disabling or deleting it throws LastAdminError and writes nothing', async () => {
      await withFreshStore(async (own) => {
        const admin = await own.users.create(newUser({ role: 'admin' }))
        await own.users.create(newUser({ role: 'admin', disabled: true }))
        expect(await rejectionOf(own.users.update(admin.id, { role: 'user' }))).toBeInstanceOf(LastAdminError)
        expect(await rejectionOf(own.users.update(admin.id, { disabled: true }, 1))).toBeInstanceOf(
          LastAdminError,
        )
        expect(await rejectionOf(own.users.delete(admin.id))).toBeInstanceOf(LastAdminError)
        expect(await own.users.findById(admin.id)).toEqual(admin)
        // Changes that keep it an enabled admin go through.
        expect(await own.users.update(admin.id, { role: 'admin', fullName: 'still here' })).toMatchObject({
          role: 'admin',
          version: 2,
        })
      })
    })

    test('with two enabled admins one may go, the second may not', async () => {
      await withFreshStore(async (own) => {
        const [a, b] = await Promise.all([1, 2].map(() => own.users.create(newUser({ role: 'admin' }))))
        if (!a || !b) throw new Error('admins not created')
        expect(await own.users.delete(a.id)).toBe(true)
        expect(await rejectionOf(own.users.update(b.id, { role: 'user' }))).toBeInstanceOf(LastAdminError)
        expect(await own.users.countEnabledAdmins()).toBe(1)
      })
    })

    test('two admins demoting each other at once, 10 rounds: one wins each round, one admin is left', async () => {
      await withFreshStore(async (own) => {
        let survivor = await own.users.create(newUser({ role: 'admin' }))
        for (let round = 0; round < 10; round++) {
          const other = await own.users.create(newUser({ role: 'admin' }))
          const results = await Promise.allSettled([
            own.users.update(survivor.id, { role: 'user' }),
            round % 2 ? own.users.delete(other.id) : own.users.update(other.id, { disabled: true }),
          ])
          const refused = results.filter((result) => result.status === 'rejected')
          expect(refused).toHaveLength(1)
          expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(LastAdminError)
          expect(await own.users.countEnabledAdmins()).toBe(1)
          survivor = results[0].status === 'rejected' ? survivor : other
        }
      })
    })
  })
}
