/** The last enabled admin cannot be removed, disabled or demoted (SPEC section 5). */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import type { Store } from '../src/store/types'
import { type Account, type Client, createAdmin, testApp } from './support/app'
import { expectProblem } from './support/crud'
import { STORE_KINDS } from './support/stores'

for (const kind of STORE_KINDS) {
  // A fresh store per test, so that `admin` really is the only admin.
  describe(`the last enabled admin (${kind.name})`, () => {
    let store: Store
    let client: Client
    let admin: Account

    beforeEach(async () => {
      store = await kind.open()
      ;({ client } = testApp(store))
      admin = await createAdmin(client)
    })
    afterEach(() => store.close())

    const self = () => client.get(`/users/${admin.id}`, { token: admin.token })

    test('disabling it by PATCH gets 409 and it stays enabled', async () => {
      const reply = await client.patch(`/users/${admin.id}`, { token: admin.token, body: { disabled: true } })
      expectProblem(reply, 409)
      expect((await self()).body).toMatchObject({ role: 'admin', disabled: false })
    })

    test('demoting it by PATCH gets 409 and it stays admin', async () => {
      const reply = await client.patch(`/users/${admin.id}`, { token: admin.token, body: { role: 'user' } })
      expectProblem(reply, 409)
      expect((await self()).body).toMatchObject({ role: 'admin', disabled: false })
    })

    test('demoting it by PUT gets 409 and it stays admin', async () => {
      const { id: _, createdAt: __, updatedAt: ___, ...current } = (await self()).body
      const reply = await client.put(`/users/${admin.id}`, {
        token: admin.token,
        body: { ...current, role: 'user' },
      })
      expectProblem(reply, 409)
      expect((await self()).body).toMatchObject({ role: 'admin', disabled: false })
    })

    test('disabling it by PUT gets 409 and it stays enabled', async () => {
      const { id: _, createdAt: __, updatedAt: ___, ...current } = (await self()).body
      const reply = await client.put(`/users/${admin.id}`, {
        token: admin.token,
        body: { ...current, disabled: true },
      })
      expectProblem(reply, 409)
      expect((await self()).body).toMatchObject({ role: 'admin', disabled: false })
    })

    test('deleting it gets 409 and it still exists', async () => {
      expectProblem(await client.delete(`/users/${admin.id}`, { token: admin.token }), 409)
      expect((await self()).status).toBe(200)
    })

    test('a disabled second admin does not count: demoting the enabled one still gets 409', async () => {
      const other = await createAdmin(client)
      expect(
        (await client.patch(`/users/${other.id}`, { token: admin.token, body: { disabled: true } })).status,
      ).toBe(200)
      expectProblem(
        await client.patch(`/users/${admin.id}`, { token: admin.token, body: { role: 'user' } }),
        409,
      )
    })

    test('with a second enabled admin, one admin may be demoted', async () => {
      const other = await createAdmin(client)
      const reply = await client.patch(`/users/${admin.id}`, { token: other.token, body: { role: 'user' } })
      expect(reply.status).toBe(200)
      expect(reply.body.role).toBe('user')
    })

    test('with a second enabled admin, one admin may be deleted', async () => {
      const other = await createAdmin(client)
      expect((await client.delete(`/users/${admin.id}`, { token: other.token })).status).toBe(204)
    })

    test('an admin may still change its own other fields', async () => {
      const reply = await client.patch(`/users/${admin.id}`, {
        token: admin.token,
        body: { fullName: 'Root' },
      })
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ fullName: 'Root', role: 'admin', disabled: false })
    })
  })
}

for (const kind of STORE_KINDS) {
  // Two admins racing to remove each other: whichever request loses sees 409, or 403/401 when the
  // winner already took its own admin rights away; either way one enabled admin must remain.
  describe(`the last enabled admin under concurrency (${kind.name})`, () => {
    let store: Store
    let client: Client
    let a: Account
    let b: Account

    beforeEach(async () => {
      store = await kind.open()
      ;({ client } = testApp(store))
      ;[a, b] = await Promise.all([createAdmin(client), createAdmin(client)])
    })
    afterEach(() => store.close())

    /** The enabled admins left, read with whichever admin token still works. */
    async function enabledAdmins(): Promise<number> {
      for (const admin of [a, b]) {
        const reply = await client.get('/users?role=admin&disabled=false', { token: admin.token })
        if (reply.status === 200) return reply.body.total
      }
      return 0
    }

    const succeeded = (replies: Array<{ status: number }>) => replies.filter((r) => r.status < 300).length

    test('two admins demoting each other at once leave one enabled admin', async () => {
      const replies = await Promise.all([
        client.patch(`/users/${b.id}`, { token: a.token, body: { role: 'user' } }),
        client.patch(`/users/${a.id}`, { token: b.token, body: { role: 'user' } }),
      ])
      expect(succeeded(replies)).toBe(1)
      expect(await enabledAdmins()).toBe(1)
    })

    test('two admins disabling each other at once leave one enabled admin', async () => {
      const replies = await Promise.all([
        client.patch(`/users/${b.id}`, { token: a.token, body: { disabled: true } }),
        client.patch(`/users/${a.id}`, { token: b.token, body: { disabled: true } }),
      ])
      expect(succeeded(replies)).toBe(1)
      expect(await enabledAdmins()).toBe(1)
    })

    test('two admins disabling themselves at once leave one enabled admin', async () => {
      const replies = await Promise.all([
        client.patch(`/users/${a.id}`, { token: a.token, body: { disabled: true } }),
        client.patch(`/users/${b.id}`, { token: b.token, body: { disabled: true } }),
      ])
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409])
      expect(await enabledAdmins()).toBe(1)
    })

    test('two admins deleting each other at once leave one', async () => {
      const replies = await Promise.all([
        client.delete(`/users/${a.id}`, { token: b.token }),
        client.delete(`/users/${b.id}`, { token: a.token }),
      ])
      expect(succeeded(replies)).toBe(1)
      expect(await enabledAdmins()).toBe(1)
    })
  })
}
