/** `GET /users`: admin-only list with paging, filters, sort and literal search (docs/api.md: Lists, Users). */
import { beforeAll, describe, expect, test } from 'bun:test'
import { expectJson, expectNoSecrets, expectProblem } from './support/assertions'
import { createInOrder } from './support/crud'
import { forEachStore } from './support/fixture'
import { unique } from './support/unique'

forEachStore(
  'GET /users',
  (ctx) => {
    /** Creates users through the API, in order; each gets fresh fields plus its own overrides. */
    const createUsers = <const T extends Array<Record<string, unknown>>>(...overrides: T) =>
      createInOrder(ctx.createUser, overrides)
    const list = (query: string) => ctx.client.get(`/users?${query}`, { token: ctx.admin.token })
    const ids = (reply: { body: { items: Array<{ id: string }> } }) => reply.body.items.map((u) => u.id)

    describe('access', () => {
      test('an admin gets the envelope with the default page and limit, without secrets', async () => {
        const reply = await ctx.client.get('/users', { token: ctx.admin.token })
        expectJson(reply, 200)
        expect(reply.body).toMatchObject({ page: 1, limit: 20, total: expect.any(Number) })
        expect(reply.body.items.length).toBeGreaterThan(0)
        expectNoSecrets(reply.body)
      })

      test('a plain user gets 403', async () => {
        const user = await ctx.registerUser()
        expectProblem(await ctx.client.get('/users', { token: user.token }), 403)
      })

      test('no token gets 401', async () => {
        expectProblem(await ctx.client.get('/users'), 401)
      })
    })

    describe('paging', () => {
      const marker = unique('paging')
      let created: Array<{ id: string }>

      beforeAll(async () => {
        created = await createUsers(...Array.from({ length: 5 }, () => ({ fullName: marker })))
      })

      test('limit cuts pages, total counts every match, and pages do not overlap', async () => {
        const pages = await Promise.all([1, 2, 3].map((page) => list(`q=${marker}&limit=2&page=${page}`)))
        expect(pages.map((p) => p.body.items.length)).toEqual([2, 2, 1])
        for (const [i, p] of pages.entries())
          expect(p.body).toMatchObject({ page: i + 1, limit: 2, total: 5 })
        expect(pages.flatMap(ids)).toEqual(created.map((u) => u.id))
      })

      test('a page past the end is empty but keeps the total', async () => {
        const reply = await list(`q=${marker}&limit=2&page=4`)
        expectJson(reply, 200)
        expect(reply.body).toEqual({ items: [], page: 4, limit: 2, total: 5 })
      })

      test('limit 100 is allowed', async () => {
        expect((await list('limit=100')).body.limit).toBe(100)
      })

      test.each([
        ['limit=0', '/limit'],
        ['limit=101', '/limit'],
        ['limit=abc', '/limit'],
        ['page=0', '/page'],
        ['page=-1', '/page'],
        ['page=1.5', '/page'],
      ])('%p gets 422', async (query, pointer) => {
        expectProblem(await list(query), 422, pointer)
      })
    })

    describe('filters', () => {
      const marker = unique('filter')
      let plain: { id: string; username: string; email: string }
      let boss: { id: string }
      let blocked: { id: string }

      beforeAll(async () => {
        ;[plain, boss, blocked] = await createUsers(
          { fullName: `Plain ${marker}` },
          { fullName: `Boss ${marker}`, role: 'admin' },
          { fullName: `Blocked ${marker}`, disabled: true },
        )
      })

      test('q matches a username substring, ignoring case', async () => {
        const reply = await list(`q=${plain.username.slice(2).toUpperCase()}`)
        expect(ids(reply)).toEqual([plain.id])
      })

      test('q matches an email substring, ignoring case', async () => {
        const domainless = plain.email.split('@')[0] as string
        expect(ids(await list(`q=${domainless.slice(3).toUpperCase()}`))).toEqual([plain.id])
      })

      test('q matches a fullName substring, ignoring case', async () => {
        const reply = await list(`q=${encodeURIComponent(`boss ${marker.toUpperCase()}`)}`)
        expect(reply.body).toMatchObject({ total: 1, items: [{ id: boss.id }] })
      })

      test('q with no match gives an empty page and total 0', async () => {
        expect((await list(`q=${unique('nobody')}`)).body).toMatchObject({ items: [], total: 0 })
      })

      test('role=admin keeps only admins', async () => {
        expect(ids(await list(`q=${marker}&role=admin`))).toEqual([boss.id])
      })

      test('role=user keeps only plain users', async () => {
        expect(ids(await list(`q=${marker}&role=user`))).toEqual([plain.id, blocked.id])
      })

      test('disabled=true keeps only disabled users', async () => {
        expect(ids(await list(`q=${marker}&disabled=true`))).toEqual([blocked.id])
      })

      test('disabled=false keeps only enabled users', async () => {
        expect(ids(await list(`q=${marker}&disabled=false`))).toEqual([plain.id, boss.id])
      })

      test('filters combine', async () => {
        expect(ids(await list(`q=${marker}&role=user&disabled=false`))).toEqual([plain.id])
      })

      test.each([
        ['role=superuser', '/role'],
        ['disabled=maybe', '/disabled'],
      ])('%p gets 422', async (query, pointer) => {
        expectProblem(await list(query), 422, pointer)
      })
    })

    describe('q is a literal substring', () => {
      const marker = unique('literal')

      beforeAll(async () => {
        await createUsers({ fullName: `${marker}abc` }, { fullName: `${marker}${'a'.repeat(40)}!` })
      })

      test('regex metacharacters match nothing unless literally present', async () => {
        expect((await list(`q=${encodeURIComponent(`${marker}.*`)}`)).body.total).toBe(0)
        const [dotStar] = await createUsers({ fullName: `${marker}.*` })
        expect(ids(await list(`q=${encodeURIComponent(`${marker}.*`)}`))).toEqual([dotStar?.id])
      })

      test('?q=.* matches only a literal ".*"', async () => {
        const [literal] = await createUsers({ fullName: `x.*y ${unique()}` })
        const reply = await list('q=.*')
        expect(ids(reply)).toContain(literal?.id)
        for (const u of reply.body.items) expect(`${u.username} ${u.email} ${u.fullName}`).toContain('.*')
      })

      test('a catastrophic-backtracking pattern is matched literally', async () => {
        const reply = await list('q=^(a%2B)%2B$')
        expectJson(reply, 200)
        expect(reply.body.total).toBe(0)
        const [literal] = await createUsers({ fullName: `^(a+)+$ ${marker}` })
        expect(ids(await list('q=^(a%2B)%2B$'))).toEqual([literal?.id])
      })

      test('SQL wildcards match nothing unless literally present', async () => {
        expect((await list(`q=${marker}%25`)).body.total).toBe(0)
        const [percent] = await createUsers({ fullName: `${marker}%` })
        expect(ids(await list(`q=${marker}%25`))).toEqual([percent?.id])
      })

      test('q does not search password hashes', async () => {
        expect((await list(`q=${encodeURIComponent('$argon2')}`)).body.total).toBe(0)
      })

      test('q[$ne]=x is not a query operator', async () => {
        const all = await list('limit=1')
        const reply = await list('q[$ne]=x&limit=1')
        // Either refused, or an unknown parameter that filters nothing: never "every q except x".
        expect([200, 422]).toContain(reply.status)
        if (reply.status === 200) expect(reply.body.total).toBe(all.body.total)
        else expectProblem(reply, 422)
      })

      test('q[$regex]=.* is not a query operator', async () => {
        const plain = await list(`q=${marker}`)
        const reply = await list(`q=${marker}&q[$regex]=.*`)
        expect([200, 422]).toContain(reply.status)
        if (reply.status === 200) expect(reply.body.total).toBe(plain.body.total)
      })
    })

    describe('sort', () => {
      const marker = unique('sort')
      // Created in this order; usernames and emails sort in two other orders.
      let first: { id: string }
      let second: { id: string }
      let third: { id: string }

      beforeAll(async () => {
        ;[first, second, third] = await createUsers(
          { fullName: marker, username: `b_${marker}`, email: `c_${marker}@example.com` },
          { fullName: marker, username: `c_${marker}`, email: `a_${marker}@example.com` },
          { fullName: marker, username: `a_${marker}`, email: `b_${marker}@example.com` },
        )
      })

      const order = async (sort?: string) => ids(await list(`q=${marker}${sort ? `&sort=${sort}` : ''}`))

      test('default is createdAt ascending', async () => {
        expect(await order()).toEqual([first.id, second.id, third.id])
      })

      test.each([
        ['username', () => [third, first, second]],
        ['-username', () => [second, first, third]],
        ['email', () => [second, third, first]],
        ['-email', () => [first, third, second]],
        ['createdAt', () => [first, second, third]],
        ['-createdAt', () => [third, second, first]],
      ])('sort=%s', async (sort, expected) => {
        expect(await order(sort)).toEqual(expected().map((u) => u.id))
      })

      test.each(['password', 'fullName', '--username', 'username,email', '+email'])(
        'sort=%p gets 422',
        async (sort) => {
          expectProblem(await list(`sort=${encodeURIComponent(sort)}`), 422, '/sort')
        },
      )
    })
  },
  { accounts: { admin: 'admin' } },
)
