/** The last enabled admin cannot be removed, disabled or demoted (docs/api.md: Users). */
import { expect, test } from 'bun:test'
import { expectProblem } from './support/assertions'
import { forEachStore } from './support/fixture'

// A fresh store per test, so that `admin` really is the only admin.
forEachStore(
  'the last enabled admin',
  (ctx) => {
    const self = () => ctx.client.get(`/users/${ctx.admin.id}`, { token: ctx.admin.token })
    /** The admin changes itself by PATCH (the fields of `change`) or by PUT (all its fields, `change` on top). */
    const changeSelf = async (method: 'PATCH' | 'PUT', change: Record<string, unknown>) => {
      let body = change
      if (method === 'PUT') {
        const { id: _, createdAt: __, updatedAt: ___, emailVerified: ____, ...current } = (await self()).body
        body = { ...current, ...change }
      }
      return ctx.client.request(method, `/users/${ctx.admin.id}`, { token: ctx.admin.token, body })
    }

    test.each([
      ['disabling it by PATCH gets 409 and it stays enabled', 'PATCH', { disabled: true }],
      ['demoting it by PATCH gets 409 and it stays admin', 'PATCH', { role: 'user' }],
      ['demoting it by PUT gets 409 and it stays admin', 'PUT', { role: 'user' }],
      ['disabling it by PUT gets 409 and it stays enabled', 'PUT', { disabled: true }],
    ] as const)('%s', async (_, method, change) => {
      expectProblem(await changeSelf(method, change), 409)
      expect((await self()).body).toMatchObject({ role: 'admin', disabled: false })
    })

    test('deleting it gets 409 and it still exists', async () => {
      expectProblem(await ctx.client.delete(`/users/${ctx.admin.id}`, { token: ctx.admin.token }), 409)
      expect((await self()).status).toBe(200)
    })

    test('a disabled second admin does not count: demoting the enabled one still gets 409', async () => {
      const other = await ctx.createAdmin()
      expect(
        (await ctx.client.patch(`/users/${other.id}`, { token: ctx.admin.token, body: { disabled: true } }))
          .status,
      ).toBe(200)
      expectProblem(
        await ctx.client.patch(`/users/${ctx.admin.id}`, { token: ctx.admin.token, body: { role: 'user' } }),
        409,
      )
    })

    test('with a second enabled admin, one admin may be demoted', async () => {
      const other = await ctx.createAdmin()
      const reply = await ctx.client.patch(`/users/${ctx.admin.id}`, {
        token: other.token,
        body: { role: 'user' },
      })
      expect(reply.status).toBe(200)
      expect(reply.body.role).toBe('user')
    })

    test('with a second enabled admin, one admin may be deleted', async () => {
      const other = await ctx.createAdmin()
      expect((await ctx.client.delete(`/users/${ctx.admin.id}`, { token: other.token })).status).toBe(204)
    })

    test('an admin may still change its own other fields', async () => {
      const reply = await ctx.client.patch(`/users/${ctx.admin.id}`, {
        token: ctx.admin.token,
        body: { fullName: 'Root' },
      })
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ fullName: 'Root', role: 'admin', disabled: false })
    })
  },
  { accounts: { admin: 'admin' }, per: 'test' },
)

// Two admins racing to remove each other: whichever request loses sees 409, or 403/401 when the
// winner already took its own admin rights away; either way one enabled admin must remain.
forEachStore(
  'the last enabled admin under concurrency',
  (ctx) => {
    /** The enabled admins left, read with whichever admin token still works. */
    async function enabledAdmins(): Promise<number> {
      for (const admin of [ctx.a, ctx.b]) {
        const reply = await ctx.client.get('/users?role=admin&disabled=false', { token: admin.token })
        if (reply.status === 200) return reply.body.total
      }
      return 0
    }

    const succeeded = (replies: Array<{ status: number }>) => replies.filter((r) => r.status < 300).length

    test.each([
      ['two admins demoting each other at once leave one enabled admin', { role: 'user' }],
      ['two admins disabling each other at once leave one enabled admin', { disabled: true }],
    ] as const)('%s', async (_, change) => {
      const replies = await Promise.all([
        ctx.client.patch(`/users/${ctx.b.id}`, { token: ctx.a.token, body: change }),
        ctx.client.patch(`/users/${ctx.a.id}`, { token: ctx.b.token, body: change }),
      ])
      expect(succeeded(replies)).toBe(1)
      expect(await enabledAdmins()).toBe(1)
    })

    test('two admins disabling themselves at once leave one enabled admin', async () => {
      const replies = await Promise.all([
        ctx.client.patch(`/users/${ctx.a.id}`, { token: ctx.a.token, body: { disabled: true } }),
        ctx.client.patch(`/users/${ctx.b.id}`, { token: ctx.b.token, body: { disabled: true } }),
      ])
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409])
      expect(await enabledAdmins()).toBe(1)
    })

    test('two admins deleting each other at once leave one', async () => {
      const replies = await Promise.all([
        ctx.client.delete(`/users/${ctx.a.id}`, { token: ctx.b.token }),
        ctx.client.delete(`/users/${ctx.b.id}`, { token: ctx.a.token }),
      ])
      expect(succeeded(replies)).toBe(1)
      expect(await enabledAdmins()).toBe(1)
    })
  },
  { accounts: { a: 'admin', b: 'admin' }, per: 'test' },
)
