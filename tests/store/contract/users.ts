import { describe, expect, test } from 'bun:test'
import { PreconditionFailedError } from '../../../src/store/errors'
import { rejectionOf } from '../../support/assertions'
import { unique } from '../../support/unique'
import { ALL, expectConflict, type GetStore, newUser, unknownId } from './fixtures'

/** Single-user reads and writes: uniqueness ignoring case, versions, not-found. */
export function describeUserContract(store: GetStore): void {
  describe('users', () => {
    test('create returns the user with a 24-hex id, version 1 and equal timestamps', async () => {
      const input = newUser({ fullName: 'Ada Lovelace', role: 'admin' })
      const user = await store().users.create(input)
      expect(user).toEqual({
        ...input,
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        emailVerified: false,
        version: 1,
        sessionVersion: 0,
        endedSessions: {},
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      })
      expect(user.updatedAt.getTime()).toBe(user.createdAt.getTime())
      expect(Math.abs(user.createdAt.getTime() - Date.now())).toBeLessThan(5_000)
    })

    test('create and update store the email lower-cased', async () => {
      const m = unique()
      const user = await store().users.create(newUser({ email: `Mixed.${m}@Example.TEST` }))
      expect(user.email).toBe(`mixed.${m}@example.test`)
      const updated = await store().users.update(user.id, { email: `Other.${m}@Example.TEST` })
      expect(updated?.email).toBe(`other.${m}@example.test`)
      expect((await store().users.findById(user.id))?.email).toBe(`other.${m}@example.test`)
    })

    test('findById returns exactly what create returned', async () => {
      const user = await store().users.create(newUser())
      expect(await store().users.findById(user.id)).toEqual(user)
    })

    test('emailVerified defaults to false, round-trips on create and update, and other writes keep it', async () => {
      const plain = await store().users.create(newUser())
      expect(plain.emailVerified).toBe(false)
      const verified = await store().users.create(newUser({ emailVerified: true }))
      expect(verified.emailVerified).toBe(true)
      expect((await store().users.findById(verified.id))?.emailVerified).toBe(true)
      expect((await store().users.update(plain.id, { emailVerified: true }))?.emailVerified).toBe(true)
      expect((await store().users.update(plain.id, { fullName: 'Still verified' }))?.emailVerified).toBe(true)
      expect((await store().users.findByLogin(plain.username))?.emailVerified).toBe(true)
      const unverified = await store().users.update(plain.id, {
        email: `new.${plain.email}`,
        emailVerified: false,
      })
      expect(unverified?.emailVerified).toBe(false)
      expect((await store().users.findById(plain.id))?.emailVerified).toBe(false)
    })

    test('findById of an unknown id is null', async () => {
      expect(await store().users.findById(unknownId())).toBeNull()
    })

    test('a malformed id finds, updates and deletes nothing', async () => {
      expect(await store().users.findById('not-an-id')).toBeNull()
      expect(await store().users.update('not-an-id', { fullName: 'x' }, 1)).toBeNull()
      expect(await store().users.delete('not-an-id', 1)).toBe(false)
    })

    test('findByLogin finds a user by username in another case', async () => {
      const user = await store().users.create(newUser())
      expect((await store().users.findByLogin(user.username.toUpperCase()))?.id).toBe(user.id)
    })

    test('findByLogin finds a user by email in another case', async () => {
      const user = await store().users.create(newUser())
      expect((await store().users.findByLogin(user.email.toUpperCase()))?.id).toBe(user.id)
    })

    test('findByLogin of an unknown name is null', async () => {
      expect(await store().users.findByLogin(newUser().username)).toBeNull()
    })

    test('create with a username taken in another case throws ConflictError(username)', async () => {
      const first = await store().users.create(newUser())
      const error = await rejectionOf(
        store().users.create(newUser({ username: first.username.toUpperCase() })),
      )
      expectConflict(error, 'username')
      expect(await store().users.findByLogin(first.username)).toEqual(first)
    })

    test('create with an email taken in another case throws ConflictError(email)', async () => {
      const first = await store().users.create(newUser())
      const error = await rejectionOf(store().users.create(newUser({ email: first.email.toUpperCase() })))
      expectConflict(error, 'email')
      expect(await store().users.findByLogin(first.email)).toEqual(first)
    })

    test('20 concurrent creates with one email: one wins, 19 get ConflictError(email)', async () => {
      const email = newUser().email
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => store().users.create(newUser({ email }))),
      )
      const winners = results.filter((result) => result.status === 'fulfilled')
      const losers = results.filter((result) => result.status === 'rejected')
      expect(winners).toHaveLength(1)
      expect(losers).toHaveLength(19)
      for (const loser of losers) expectConflict(loser.reason, 'email')
      const stored = await store().users.list({ q: email }, { field: 'createdAt', descending: false }, ALL)
      expect(stored.total).toBe(1)
      expect(stored.items[0]?.id).toBe(winners[0]?.value.id)
    })

    test('a deleted user frees its username and email', async () => {
      const input = newUser()
      const first = await store().users.create(input)
      await store().users.delete(first.id)
      const second = await store().users.create(input)
      expect(second.id).not.toBe(first.id)
    })

    test('update applies the changes, bumps version and updatedAt, and keeps the rest', async () => {
      const user = await store().users.create(newUser())
      await Bun.sleep(5)
      const changes = {
        fullName: 'Grace Hopper',
        role: 'admin',
        disabled: true,
        passwordHash: 'new-hash',
      } as const
      const updated = await store().users.update(user.id, changes)
      expect(updated).toEqual({ ...user, ...changes, version: 2, updatedAt: expect.any(Date) })
      expect(updated?.updatedAt.getTime()).toBeGreaterThan(user.updatedAt.getTime())
      expect(await store().users.findById(user.id)).toEqual(updated)
    })

    test('update may change the case of the user’s own username', async () => {
      const user = await store().users.create(newUser())
      const updated = await store().users.update(user.id, { username: user.username.toUpperCase() })
      expect(updated?.username).toBe(user.username.toUpperCase())
    })

    test('update to a username taken in another case throws ConflictError(username) and changes nothing', async () => {
      const taken = await store().users.create(newUser())
      const user = await store().users.create(newUser())
      const error = await rejectionOf(
        store().users.update(user.id, { username: taken.username.toUpperCase() }),
      )
      expectConflict(error, 'username')
      expect(await store().users.findById(user.id)).toEqual(user)
    })

    test('update to an email taken in another case throws ConflictError(email) and changes nothing', async () => {
      const taken = await store().users.create(newUser())
      const user = await store().users.create(newUser())
      const error = await rejectionOf(store().users.update(user.id, { email: taken.email.toUpperCase() }))
      expectConflict(error, 'email')
      expect(await store().users.findById(user.id)).toEqual(user)
    })

    test('update with the current expectedVersion succeeds', async () => {
      const user = await store().users.create(newUser())
      const updated = await store().users.update(user.id, { fullName: 'v2' }, 1)
      expect(updated?.version).toBe(2)
      expect(updated?.fullName).toBe('v2')
    })

    test('update with a stale expectedVersion throws PreconditionFailedError and changes nothing', async () => {
      const user = await store().users.create(newUser())
      const current = await store().users.update(user.id, { fullName: 'v2' })
      const error = await rejectionOf(store().users.update(user.id, { fullName: 'lost update' }, 1))
      expect(error).toBeInstanceOf(PreconditionFailedError)
      expect(await store().users.findById(user.id)).toEqual(current)
    })

    test('10 concurrent updates with one expectedVersion: exactly one succeeds', async () => {
      const user = await store().users.create(newUser())
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store().users.update(user.id, { fullName: `writer ${i}` }, 1)),
      )
      const winners = results.filter((result) => result.status === 'fulfilled')
      const losers = results.filter((result) => result.status === 'rejected')
      expect(winners).toHaveLength(1)
      for (const loser of losers) expect(loser.reason).toBeInstanceOf(PreconditionFailedError)
      const stored = await store().users.findById(user.id)
      expect(stored?.version).toBe(2)
      expect(stored?.fullName).toBe(winners[0]?.value?.fullName ?? 'no winner')
    })

    test('update of an unknown id is null, with or without expectedVersion', async () => {
      expect(await store().users.update(unknownId(), { fullName: 'x' })).toBeNull()
      expect(await store().users.update(unknownId(), { fullName: 'x' }, 1)).toBeNull()
    })

    test('delete removes the user and returns true', async () => {
      const user = await store().users.create(newUser())
      expect(await store().users.delete(user.id)).toBe(true)
      expect(await store().users.findById(user.id)).toBeNull()
    })

    test('delete with the current expectedVersion removes the user', async () => {
      const user = await store().users.create(newUser())
      expect(await store().users.delete(user.id, 1)).toBe(true)
      expect(await store().users.findById(user.id)).toBeNull()
    })

    test('delete with a stale expectedVersion throws PreconditionFailedError and keeps the user', async () => {
      const user = await store().users.create(newUser())
      const current = await store().users.update(user.id, { fullName: 'v2' })
      expect(await rejectionOf(store().users.delete(user.id, 1))).toBeInstanceOf(PreconditionFailedError)
      expect(await store().users.findById(user.id)).toEqual(current)
    })

    test('delete of an unknown id is false, with or without expectedVersion', async () => {
      expect(await store().users.delete(unknownId())).toBe(false)
      expect(await store().users.delete(unknownId(), 1)).toBe(false)
    })

    test('countEnabledAdmins counts admins that are not disabled, and only them', async () => {
      const before = await store().users.countEnabledAdmins()
      const admin = await store().users.create(newUser({ role: 'admin' }))
      await store().users.create(newUser({ role: 'admin' }))
      await store().users.create(newUser({ role: 'admin', disabled: true }))
      await store().users.create(newUser({ role: 'user' }))
      expect(await store().users.countEnabledAdmins()).toBe(before + 2)
      await store().users.update(admin.id, { disabled: true })
      expect(await store().users.countEnabledAdmins()).toBe(before + 1)
    })
  })
}
