/** `POST /users` and `GET /users/{id}`: creation, uniqueness, reads and who may do them (docs/api.md: Conventions, Accounts, Users). */
import { describe, expect, test } from 'bun:test'
import { login, newAccount } from './support/app'
import { etagOf, expectJson, expectNoSecrets, expectProblem } from './support/assertions'
import { MALFORMED_IDS, UNKNOWN_ID, USER_FORBIDDEN_FIELDS } from './support/crud'
import { forEachStore } from './support/fixture'

forEachStore(
  'users',
  (ctx) => {
    const read = (id: string) => ctx.client.get(`/users/${id}`, { token: ctx.admin.token })

    describe('POST /users', () => {
      test('an admin creates a user: 201 with Location, ETag and the user, without secrets', async () => {
        const account = newAccount({ fullName: '  Ada Lovelace  ' })
        const reply = await ctx.client.post('/users', { token: ctx.admin.token, body: account })
        expectJson(reply, 201)
        expect(reply.headers.get('location')).toBe(`/users/${reply.body.id}`)
        etagOf(reply)
        expect(reply.body).toEqual({
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          username: account.username,
          email: account.email,
          fullName: 'Ada Lovelace',
          role: 'user',
          disabled: false,
          emailVerified: false,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        })
        expectNoSecrets(reply.body)
        expect((await read(reply.body.id)).body).toEqual(reply.body)
      })

      test('an admin may set role and disabled, and the email is stored lower-case', async () => {
        const account = newAccount()
        const body = { ...account, email: account.email.toUpperCase(), role: 'admin', disabled: true }
        const reply = await ctx.client.post('/users', { token: ctx.admin.token, body })
        expect(reply.status).toBe(201)
        expect(reply.body).toMatchObject({ email: account.email, role: 'admin', disabled: true })
      })

      test('the created user can log in with its password', async () => {
        const account = newAccount()
        await ctx.createUser(account)
        expect((await login(ctx.client, account.username, account.password)).token).toBeString()
      })

      test('a plain user gets 403 and nothing is created', async () => {
        const account = newAccount()
        const reply = await ctx.client.post('/users', { token: ctx.user.token, body: account })
        expectProblem(reply, 403)
        const list = await ctx.client.get(`/users?q=${account.username}`, { token: ctx.admin.token })
        expect(list.body.total).toBe(0)
      })

      test('no token gets 401 with a Bearer challenge', async () => {
        const reply = await ctx.client.post('/users', { body: newAccount() })
        expectProblem(reply, 401)
        expect(reply.headers.get('www-authenticate')).toStartWith('Bearer')
      })

      test('a username taken in another case gets 409 at /username', async () => {
        const reply = await ctx.client.post('/users', {
          token: ctx.admin.token,
          body: newAccount({ username: ctx.user.username.toUpperCase() }),
        })
        expectProblem(reply, 409, '/username')
      })

      test('an email taken in another case gets 409 at /email', async () => {
        const reply = await ctx.client.post('/users', {
          token: ctx.admin.token,
          body: newAccount({ email: ctx.user.email.toUpperCase() }),
        })
        expectProblem(reply, 409, '/email')
      })

      test.each(USER_FORBIDDEN_FIELDS)('an unknown field %p gets 422', async (field, value) => {
        const reply = await ctx.client.post('/users', {
          token: ctx.admin.token,
          body: { ...newAccount(), [field]: value },
        })
        expectProblem(reply, 422, `/${field}`)
      })

      test.each([
        ['username', 'ab'],
        ['username', 'has space'],
        ['email', 'not-an-email'],
        ['password', 'short'],
        ['role', 'superuser'],
        ['fullName', 'x'.repeat(101)],
      ])('an invalid %p (%p) gets 422 at its pointer', async (field, value) => {
        const reply = await ctx.client.post('/users', {
          token: ctx.admin.token,
          body: { ...newAccount(), [field]: value },
        })
        expectProblem(reply, 422, `/${field}`)
      })
    })

    describe('GET /users/{id}', () => {
      test('an admin reads any user, with an ETag and without secrets', async () => {
        const reply = await read(ctx.user.id)
        expectJson(reply, 200)
        etagOf(reply)
        expect(reply.body).toMatchObject({
          id: ctx.user.id,
          username: ctx.user.username,
          email: ctx.user.email,
          role: 'user',
        })
        expectNoSecrets(reply.body)
      })

      test('a user reads itself', async () => {
        const reply = await ctx.client.get(`/users/${ctx.user.id}`, { token: ctx.user.token })
        expectJson(reply, 200)
        expect(reply.body.id).toBe(ctx.user.id)
      })

      test('a user reading another user gets 403', async () => {
        const reply = await ctx.client.get(`/users/${ctx.admin.id}`, { token: ctx.user.token })
        expectProblem(reply, 403)
      })

      test('a user reading an unknown id gets 403, so ids are not probed', async () => {
        expectProblem(await ctx.client.get(`/users/${UNKNOWN_ID}`, { token: ctx.user.token }), 403)
      })

      test('no token gets 401', async () => {
        expectProblem(await ctx.client.get(`/users/${ctx.user.id}`), 401)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await read(UNKNOWN_ID), 404)
      })

      test.each(MALFORMED_IDS)('a malformed id %p gets 422', async (id) => {
        expectProblem(await read(id), 422, '/id')
      })
    })
  },
  { accounts: { admin: 'admin', user: 'user' } },
)
