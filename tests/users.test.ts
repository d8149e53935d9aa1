/** `POST /users` and `GET /users/{id}`: creation, uniqueness, reads and who may do them (SPEC sections 2, 3, 5). */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Store } from '../src/store/types'
import {
  type Account,
  type Client,
  createAdmin,
  login,
  newAccount,
  registerUser,
  testApp,
} from './support/app'
import {
  etagOf,
  expectJson,
  expectNoSecrets,
  expectProblem,
  MALFORMED_IDS,
  UNKNOWN_ID,
  USER_FORBIDDEN_FIELDS,
} from './support/crud'
import { STORE_KINDS } from './support/stores'

for (const kind of STORE_KINDS) {
  describe(`users (${kind.name})`, () => {
    let store: Store
    let client: Client
    let admin: Account
    let user: Account

    beforeAll(async () => {
      store = await kind.open()
      ;({ client } = testApp(store))
      admin = await createAdmin(client)
      user = await registerUser(client)
    })
    afterAll(() => store.close())

    /** A fresh user created by the admin; returns the 201 body. */
    async function createUser(fields: Record<string, unknown> = {}) {
      const reply = await client.post('/users', { token: admin.token, body: { ...newAccount(), ...fields } })
      expect(reply.status).toBe(201)
      return reply.body
    }

    const read = (id: string) => client.get(`/users/${id}`, { token: admin.token })

    describe('POST /users', () => {
      test('an admin creates a user: 201 with Location, ETag and the user, without secrets', async () => {
        const account = newAccount({ fullName: '  Ada Lovelace  ' })
        const reply = await client.post('/users', { token: admin.token, body: account })
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
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        })
        expectNoSecrets(reply.body)
        expect((await read(reply.body.id)).body).toEqual(reply.body)
      })

      test('an admin may set role and disabled, and the email is stored lower-case', async () => {
        const account = newAccount()
        const body = { ...account, email: account.email.toUpperCase(), role: 'admin', disabled: true }
        const reply = await client.post('/users', { token: admin.token, body })
        expect(reply.status).toBe(201)
        expect(reply.body).toMatchObject({ email: account.email, role: 'admin', disabled: true })
      })

      test('the created user can log in with its password', async () => {
        const account = newAccount()
        await createUser(account)
        expect((await login(client, account.username, account.password)).token).toBeString()
      })

      test('a plain user gets 403 and nothing is created', async () => {
        const account = newAccount()
        const reply = await client.post('/users', { token: user.token, body: account })
        expectProblem(reply, 403)
        const list = await client.get(`/users?q=${account.username}`, { token: admin.token })
        expect(list.body.total).toBe(0)
      })

      test('no token gets 401 with a Bearer challenge', async () => {
        const reply = await client.post('/users', { body: newAccount() })
        expectProblem(reply, 401)
        expect(reply.headers.get('www-authenticate')).toStartWith('Bearer')
      })

      test('a username taken in another case gets 409 at /username', async () => {
        const reply = await client.post('/users', {
          token: admin.token,
          body: newAccount({ username: user.username.toUpperCase() }),
        })
        expectProblem(reply, 409, '/username')
      })

      test('an email taken in another case gets 409 at /email', async () => {
        const reply = await client.post('/users', {
          token: admin.token,
          body: newAccount({ email: user.email.toUpperCase() }),
        })
        expectProblem(reply, 409, '/email')
      })

      test.each(USER_FORBIDDEN_FIELDS)('an unknown field %p gets 422', async (field, value) => {
        const reply = await client.post('/users', {
          token: admin.token,
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
        const reply = await client.post('/users', {
          token: admin.token,
          body: { ...newAccount(), [field]: value },
        })
        expectProblem(reply, 422, `/${field}`)
      })
    })

    describe('GET /users/{id}', () => {
      test('an admin reads any user, with an ETag and without secrets', async () => {
        const reply = await read(user.id)
        expectJson(reply, 200)
        etagOf(reply)
        expect(reply.body).toMatchObject({
          id: user.id,
          username: user.username,
          email: user.email,
          role: 'user',
        })
        expectNoSecrets(reply.body)
      })

      test('a user reads itself', async () => {
        const reply = await client.get(`/users/${user.id}`, { token: user.token })
        expectJson(reply, 200)
        expect(reply.body.id).toBe(user.id)
      })

      test('a user reading another user gets 403', async () => {
        const reply = await client.get(`/users/${admin.id}`, { token: user.token })
        expectProblem(reply, 403)
      })

      test('a user reading an unknown id gets 403, so ids are not probed', async () => {
        expectProblem(await client.get(`/users/${UNKNOWN_ID}`, { token: user.token }), 403)
      })

      test('no token gets 401', async () => {
        expectProblem(await client.get(`/users/${user.id}`), 401)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await read(UNKNOWN_ID), 404)
      })

      test.each(MALFORMED_IDS)('a malformed id %p gets 422', async (id) => {
        expectProblem(await read(id), 422, '/id')
      })
    })
  })
}
