/** `UserService`: the last enabled admin rule (docs/api.md: Users), against in-memory repositories. */
import { describe, expect, test } from 'bun:test'
import { LoginThrottle } from '../../src/auth/throttle'
import type { UserRecord } from '../../src/store/types'
import { UserService } from '../../src/users/service'
import { expectHttpError } from '../support/assertions'
import {
  FakeLoginAttemptRepository,
  FakeRefreshTokenRepository,
  FakeUserRepository,
  newId,
} from '../support/fakes'

/** A service on empty fakes, with one enabled admin, `admin`, the only one. */
function lastAdmin() {
  const users = new FakeUserRepository()
  const service = new UserService(
    users,
    new FakeRefreshTokenRepository(),
    new LoginThrottle(new FakeLoginAttemptRepository(), { maxFailures: 5, window: 900 }),
  )
  const admin = users.seed({ role: 'admin' })
  return { users, service, admin, stored: (user: UserRecord) => users.records.get(user.id) }
}

describe('UserService: the last enabled admin', () => {
  test('update refuses to demote it: 409 at /role, and nothing is written', async () => {
    const { service, admin, stored } = lastAdmin()
    const error = await expectHttpError(service.update(admin.id, { role: 'user' }), 409)
    expect(error.errors).toEqual([{ pointer: '/role', detail: expect.any(String) }])
    expect(stored(admin)).toEqual(admin)
  })

  test('update refuses to disable it: 409, and nothing is written', async () => {
    const { service, admin, stored } = lastAdmin()
    await expectHttpError(service.update(admin.id, { disabled: true }), 409)
    expect(stored(admin)).toEqual(admin)
  })

  test('update refuses to demote and disable it at once: 409, and nothing is written', async () => {
    const { service, admin, stored } = lastAdmin()
    await expectHttpError(service.update(admin.id, { role: 'user', disabled: true }), 409)
    expect(stored(admin)).toEqual(admin)
  })

  test('delete refuses it: 409, and it is still stored', async () => {
    const { service, admin, stored } = lastAdmin()
    await expectHttpError(service.delete(admin.id), 409)
    expect(stored(admin)).toEqual(admin)
  })

  test('a disabled second admin does not count: demoting the enabled one is still a 409', async () => {
    const { users, service, admin, stored } = lastAdmin()
    users.seed({ role: 'admin', disabled: true })
    await expectHttpError(service.update(admin.id, { role: 'user' }), 409)
    expect(stored(admin)).toEqual(admin)
  })

  test('changing its other fields is allowed and written', async () => {
    const { service, admin, stored } = lastAdmin()
    const updated = await service.update(admin.id, { fullName: 'Root' })
    expect(updated).toMatchObject({ fullName: 'Root', role: 'admin', disabled: false })
    expect(stored(admin)).toEqual(updated)
  })

  test('setting role admin and disabled false on it again is no removal, and allowed', async () => {
    const { service, admin } = lastAdmin()
    expect(await service.update(admin.id, { role: 'admin', disabled: false })).toMatchObject({
      role: 'admin',
      disabled: false,
    })
  })

  test('demoting or deleting a plain user does not need another admin', async () => {
    const { users, service } = lastAdmin()
    const user = users.seed()
    expect((await service.update(user.id, { role: 'user', disabled: true })).disabled).toBe(true)
    await service.delete(user.id)
    expect(users.records.has(user.id)).toBe(false)
  })
})

describe('UserService: with another enabled admin', () => {
  test('update demotes one admin, and the change is written', async () => {
    const { users, service, admin, stored } = lastAdmin()
    users.seed({ role: 'admin' })
    const updated = await service.update(admin.id, { role: 'user' })
    expect(updated.role).toBe('user')
    expect(stored(admin)?.role).toBe('user')
    expect(await users.countEnabledAdmins()).toBe(1)
  })

  test('update disables one admin, and the change is written', async () => {
    const { users, service, admin, stored } = lastAdmin()
    users.seed({ role: 'admin' })
    await service.update(admin.id, { disabled: true })
    expect(stored(admin)?.disabled).toBe(true)
    expect(await users.countEnabledAdmins()).toBe(1)
  })

  test('delete deletes one admin', async () => {
    const { users, service, admin } = lastAdmin()
    users.seed({ role: 'admin' })
    await service.delete(admin.id)
    expect(users.records.has(admin.id)).toBe(false)
    expect(await users.countEnabledAdmins()).toBe(1)
  })

  test('of two admins, the second removal is refused: one enabled admin remains', async () => {
    const { users, service, admin } = lastAdmin()
    const other = users.seed({ role: 'admin' })
    await service.update(admin.id, { role: 'user' })
    await expectHttpError(service.delete(other.id), 409)
    expect(await users.countEnabledAdmins()).toBe(1)
  })
})

describe('UserService: unknown ids', () => {
  test('update of a role on an unknown id is a 404, and nothing is written', async () => {
    const { users, service } = lastAdmin()
    await expectHttpError(service.update(newId(), { role: 'user' }), 404)
    expect(users.records.size).toBe(1)
  })

  test('delete of an unknown id is a 404', async () => {
    const { users, service } = lastAdmin()
    await expectHttpError(service.delete(newId()), 404)
    expect(users.records.size).toBe(1)
  })
})
