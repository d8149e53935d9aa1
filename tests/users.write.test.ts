/** `PUT`, `PATCH` and `DELETE /users/{id}`: admin changes, uniqueness and who may make them (docs/api.md: Conventions, Accounts, Users). */
import { describe, expect, test } from 'bun:test'
import { login, newAccount, type Reply } from './support/app'
import { etagOf, expectJson, expectNoSecrets, expectProblem } from './support/assertions'
import { UNKNOWN_ID, USER_FORBIDDEN_FIELDS } from './support/crud'
import { forEachStore } from './support/fixture'
import { unique } from './support/unique'

forEachStore(
  'users',
  (ctx) => {
    const read = (id: string) => ctx.client.get(`/users/${id}`, { token: ctx.admin.token })
    const put = (id: string, token: string, body: unknown) => ctx.client.put(`/users/${id}`, { token, body })
    const patch = (id: string, token: string, body: unknown) =>
      ctx.client.patch(`/users/${id}`, { token, body })

    /**
     * Asserts that `write`, made on a new user, is refused with the problem `status` (at `pointer`
     * when given) and leaves the user as it was.
     */
    async function expectRefused(write: (id: string) => Promise<Reply>, status: number, pointer?: string) {
      const target = await ctx.createUser()
      expectProblem(await write(target.id), status, pointer)
      expect((await read(target.id)).body).toEqual(target)
    }

    describe('PUT /users/{id}', () => {
      const replacement = () => {
        const { username, email } = newAccount()
        return { username, email, fullName: 'Grace Hopper', role: 'user', disabled: false }
      }

      test('an admin replaces every field: 200, the new user and a new ETag', async () => {
        const target = await ctx.createUser({ fullName: 'Before' })
        const before = await read(target.id)
        const body = replacement()
        const reply = await put(target.id, ctx.admin.token, {
          ...body,
          email: body.email.toUpperCase(),
          fullName: '  Grace Hopper ',
        })
        expectJson(reply, 200)
        expect(reply.body).toMatchObject({ ...body, id: target.id, createdAt: target.createdAt })
        expect(etagOf(reply)).not.toBe(etagOf(before))
        expectNoSecrets(reply.body)
        expect((await read(target.id)).body).toEqual(reply.body)
      })

      test('a missing field gets 422, since PUT replaces the whole user', async () => {
        const target = await ctx.createUser()
        const { fullName: _, ...partial } = replacement()
        expectProblem(await put(target.id, ctx.admin.token, partial), 422, '/fullName')
      })

      test('a plain user gets 403 and the user is unchanged', async () => {
        await expectRefused((id) => put(id, ctx.user.token, replacement()), 403)
      })

      test('a user replacing itself as admin gets 403 and keeps its role', async () => {
        const body = { ...replacement(), username: ctx.user.username, email: ctx.user.email, role: 'admin' }
        expectProblem(await put(ctx.user.id, ctx.user.token, body), 403)
        expect((await read(ctx.user.id)).body.role).toBe('user')
      })

      test('a username taken in another case gets 409 and the user is unchanged', async () => {
        const body = { ...replacement(), username: ctx.user.username.toUpperCase() }
        await expectRefused((id) => put(id, ctx.admin.token, body), 409, '/username')
      })

      test('an email taken in another case gets 409 and the user is unchanged', async () => {
        const body = { ...replacement(), email: ctx.user.email.toUpperCase() }
        await expectRefused((id) => put(id, ctx.admin.token, body), 409, '/email')
      })

      test.each([...USER_FORBIDDEN_FIELDS, ['password', 'a-new-password']])(
        'an unknown field %p gets 422',
        async (field, value) => {
          const target = await ctx.createUser()
          const body = { ...replacement(), [field]: value }
          expectProblem(await put(target.id, ctx.admin.token, body), 422, `/${field}`)
        },
      )

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await put(UNKNOWN_ID, ctx.admin.token, replacement()), 404)
      })

      test('a malformed id gets 422', async () => {
        expectProblem(await put('nope', ctx.admin.token, replacement()), 422, '/id')
      })
    })

    describe('PATCH /users/{id}', () => {
      test('an admin changes one field and the others stay', async () => {
        const target = await ctx.createUser({ fullName: 'Old Name' })
        const reply = await patch(target.id, ctx.admin.token, { fullName: 'New Name' })
        expectJson(reply, 200)
        etagOf(reply)
        expect(reply.body).toEqual({ ...target, fullName: 'New Name', updatedAt: expect.any(String) })
        expectNoSecrets(reply.body)
      })

      test("an admin sets a user's password: the new one logs in, the old one does not", async () => {
        const account = newAccount()
        const target = await ctx.createUser(account)
        const password = `new-${unique()}`
        const reply = await patch(target.id, ctx.admin.token, { password })
        expect(reply.status).toBe(200)
        expectNoSecrets(reply.body)
        expect((await login(ctx.client, account.username, password)).token).toBeString()
        const old = await ctx.client.post('/auth/login', {
          form: { grant_type: 'password', username: account.username, password: account.password },
        })
        expect(old.status).toBe(400)
      })

      test('an admin disables a user, whose token then gets 403', async () => {
        const victim = await ctx.registerUser()
        const reply = await patch(victim.id, ctx.admin.token, { disabled: true })
        expect(reply.status).toBe(200)
        expect(reply.body.disabled).toBe(true)
        expectProblem(await ctx.client.get('/users/me', { token: victim.token }), 403)
      })

      test("disabling, or a new password from an admin, ends the user's sessions for good", async () => {
        for (const change of [{ disabled: true }, { password: `new-${unique()}` }]) {
          const victim = await ctx.registerUser()
          expect((await patch(victim.id, ctx.admin.token, change)).status).toBe(200)
          // Enabled again, the old session must still be dead: it was revoked, not just refused.
          await patch(victim.id, ctx.admin.token, { disabled: false })
          const refresh = await ctx.client.post('/auth/refresh', {
            body: { refresh_token: victim.refreshToken },
          })
          expect(refresh.body.error).toBe('invalid_grant')
        }
      })

      test('changing only the case of its own username is no conflict', async () => {
        const target = await ctx.createUser()
        const username = target.username.toUpperCase()
        const reply = await patch(target.id, ctx.admin.token, { username })
        expect(reply.status).toBe(200)
        expect(reply.body.username).toBe(username)
      })

      test('a plain user gets 403 and the user is unchanged', async () => {
        await expectRefused((id) => patch(id, ctx.user.token, { fullName: 'Hacked' }), 403)
      })

      test('a user promoting itself gets 403 and keeps its role', async () => {
        const reply = await patch(ctx.user.id, ctx.user.token, { role: 'admin' })
        expectProblem(reply, 403)
        expect((await read(ctx.user.id)).body.role).toBe('user')
      })

      test('a username taken in another case gets 409 and the user is unchanged', async () => {
        const body = { username: ctx.admin.username.toUpperCase() }
        await expectRefused((id) => patch(id, ctx.admin.token, body), 409, '/username')
      })

      test('an email taken in another case gets 409 and the user is unchanged', async () => {
        const body = { email: ctx.admin.email.toUpperCase() }
        await expectRefused((id) => patch(id, ctx.admin.token, body), 409, '/email')
      })

      test.each(USER_FORBIDDEN_FIELDS)(
        'an unknown field %p gets 422 and the user is unchanged',
        async (field, value) => {
          await expectRefused((id) => patch(id, ctx.admin.token, { [field]: value }), 422, `/${field}`)
        },
      )

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await patch(UNKNOWN_ID, ctx.admin.token, { fullName: 'x' }), 404)
      })

      test('a malformed id gets 422', async () => {
        expectProblem(await patch('nope', ctx.admin.token, { fullName: 'x' }), 422, '/id')
      })
    })

    describe('DELETE /users/{id}', () => {
      test('an admin deletes a user: 204 with no body, then 404', async () => {
        const target = await ctx.createUser()
        const reply = await ctx.client.delete(`/users/${target.id}`, { token: ctx.admin.token })
        expect(reply.status).toBe(204)
        expect(reply.body).toBe('')
        expectProblem(await read(target.id), 404)
      })

      test("the deleted user's access and refresh tokens stop working", async () => {
        const victim = await ctx.registerUser()
        expect((await ctx.client.delete(`/users/${victim.id}`, { token: ctx.admin.token })).status).toBe(204)
        expectProblem(await ctx.client.get('/users/me', { token: victim.token }), 401)
        const refresh = await ctx.client.post('/auth/refresh', {
          body: { refresh_token: victim.refreshToken },
        })
        expect(refresh.status).toBe(400)
      })

      test('a plain user gets 403 and the user still exists', async () => {
        await expectRefused((id) => ctx.client.delete(`/users/${id}`, { token: ctx.user.token }), 403)
      })

      test('a user deleting itself gets 403 and still exists', async () => {
        expectProblem(await ctx.client.delete(`/users/${ctx.user.id}`, { token: ctx.user.token }), 403)
        expect((await read(ctx.user.id)).status).toBe(200)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await ctx.client.delete(`/users/${UNKNOWN_ID}`, { token: ctx.admin.token }), 404)
      })

      test('a malformed id gets 422', async () => {
        expectProblem(await ctx.client.delete('/users/nope', { token: ctx.admin.token }), 422, '/id')
      })
    })
  },
  { accounts: { admin: 'admin', user: 'user' } },
)
