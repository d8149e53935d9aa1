/** `PUT`, `PATCH` and `DELETE /users/{id}`: admin changes, uniqueness and who may make them (SPEC sections 2, 3, 5). */
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
  UNKNOWN_ID,
  USER_FORBIDDEN_FIELDS,
  unique,
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

    describe('PUT /users/{id}', () => {
      const replacement = () => {
        const { username, email } = newAccount()
        return { username, email, fullName: 'Grace Hopper', role: 'user', disabled: false }
      }

      test('an admin replaces every field: 200, the new user and a new ETag', async () => {
        const target = await createUser({ fullName: 'Before' })
        const before = await read(target.id)
        const body = replacement()
        const reply = await client.put(`/users/${target.id}`, {
          token: admin.token,
          body: { ...body, email: body.email.toUpperCase(), fullName: '  Grace Hopper ' },
        })
        expectJson(reply, 200)
        expect(reply.body).toMatchObject({ ...body, id: target.id, createdAt: target.createdAt })
        expect(etagOf(reply)).not.toBe(etagOf(before))
        expectNoSecrets(reply.body)
        expect((await read(target.id)).body).toEqual(reply.body)
      })

      test('a missing field gets 422, since PUT replaces the whole user', async () => {
        const target = await createUser()
        const { fullName: _, ...partial } = replacement()
        expectProblem(
          await client.put(`/users/${target.id}`, { token: admin.token, body: partial }),
          422,
          '/fullName',
        )
      })

      test('a plain user gets 403 and the user is unchanged', async () => {
        const target = await createUser()
        const reply = await client.put(`/users/${target.id}`, { token: user.token, body: replacement() })
        expectProblem(reply, 403)
        expect((await read(target.id)).body).toEqual(target)
      })

      test('a user replacing itself as admin gets 403 and keeps its role', async () => {
        const body = { ...replacement(), username: user.username, email: user.email, role: 'admin' }
        expectProblem(await client.put(`/users/${user.id}`, { token: user.token, body }), 403)
        expect((await read(user.id)).body.role).toBe('user')
      })

      test('a username taken in another case gets 409 and the user is unchanged', async () => {
        const target = await createUser()
        const body = { ...replacement(), username: user.username.toUpperCase() }
        expectProblem(await client.put(`/users/${target.id}`, { token: admin.token, body }), 409, '/username')
        expect((await read(target.id)).body).toEqual(target)
      })

      test('an email taken in another case gets 409 and the user is unchanged', async () => {
        const target = await createUser()
        const body = { ...replacement(), email: user.email.toUpperCase() }
        expectProblem(await client.put(`/users/${target.id}`, { token: admin.token, body }), 409, '/email')
        expect((await read(target.id)).body).toEqual(target)
      })

      test.each([...USER_FORBIDDEN_FIELDS, ['password', 'a-new-password']])(
        'an unknown field %p gets 422',
        async (field, value) => {
          const target = await createUser()
          const body = { ...replacement(), [field]: value }
          expectProblem(
            await client.put(`/users/${target.id}`, { token: admin.token, body }),
            422,
            `/${field}`,
          )
        },
      )

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(
          await client.put(`/users/${UNKNOWN_ID}`, { token: admin.token, body: replacement() }),
          404,
        )
      })

      test('a malformed id gets 422', async () => {
        expectProblem(
          await client.put('/users/nope', { token: admin.token, body: replacement() }),
          422,
          '/id',
        )
      })
    })

    describe('PATCH /users/{id}', () => {
      test('an admin changes one field and the others stay', async () => {
        const target = await createUser({ fullName: 'Old Name' })
        const reply = await client.patch(`/users/${target.id}`, {
          token: admin.token,
          body: { fullName: 'New Name' },
        })
        expectJson(reply, 200)
        etagOf(reply)
        expect(reply.body).toEqual({ ...target, fullName: 'New Name', updatedAt: expect.any(String) })
        expectNoSecrets(reply.body)
      })

      test("an admin sets a user's password: the new one logs in, the old one does not", async () => {
        const account = newAccount()
        const target = await createUser(account)
        const password = `new-${unique()}`
        const reply = await client.patch(`/users/${target.id}`, { token: admin.token, body: { password } })
        expect(reply.status).toBe(200)
        expectNoSecrets(reply.body)
        expect((await login(client, account.username, password)).token).toBeString()
        const old = await client.post('/auth/login', {
          form: { grant_type: 'password', username: account.username, password: account.password },
        })
        expect(old.status).toBe(400)
      })

      test('an admin disables a user, whose token then gets 403', async () => {
        const victim = await registerUser(client)
        const reply = await client.patch(`/users/${victim.id}`, {
          token: admin.token,
          body: { disabled: true },
        })
        expect(reply.status).toBe(200)
        expect(reply.body.disabled).toBe(true)
        expectProblem(await client.get('/users/me', { token: victim.token }), 403)
      })

      test("disabling, or a new password from an admin, ends the user's sessions for good", async () => {
        for (const change of [{ disabled: true }, { password: `new-${unique()}` }]) {
          const victim = await registerUser(client)
          expect(
            (await client.patch(`/users/${victim.id}`, { token: admin.token, body: change })).status,
          ).toBe(200)
          // Enabled again, the old session must still be dead: it was revoked, not just refused.
          await client.patch(`/users/${victim.id}`, { token: admin.token, body: { disabled: false } })
          const refresh = await client.post('/auth/refresh', { body: { refresh_token: victim.refreshToken } })
          expect(refresh.body.error).toBe('invalid_grant')
        }
      })

      test('changing only the case of its own username is no conflict', async () => {
        const target = await createUser()
        const username = target.username.toUpperCase()
        const reply = await client.patch(`/users/${target.id}`, { token: admin.token, body: { username } })
        expect(reply.status).toBe(200)
        expect(reply.body.username).toBe(username)
      })

      test('a plain user gets 403 and the user is unchanged', async () => {
        const target = await createUser()
        const reply = await client.patch(`/users/${target.id}`, {
          token: user.token,
          body: { fullName: 'Hacked' },
        })
        expectProblem(reply, 403)
        expect((await read(target.id)).body).toEqual(target)
      })

      test('a user promoting itself gets 403 and keeps its role', async () => {
        const reply = await client.patch(`/users/${user.id}`, { token: user.token, body: { role: 'admin' } })
        expectProblem(reply, 403)
        expect((await read(user.id)).body.role).toBe('user')
      })

      test('a username taken in another case gets 409 and the user is unchanged', async () => {
        const target = await createUser()
        const body = { username: admin.username.toUpperCase() }
        expectProblem(
          await client.patch(`/users/${target.id}`, { token: admin.token, body }),
          409,
          '/username',
        )
        expect((await read(target.id)).body).toEqual(target)
      })

      test('an email taken in another case gets 409 and the user is unchanged', async () => {
        const target = await createUser()
        const body = { email: admin.email.toUpperCase() }
        expectProblem(await client.patch(`/users/${target.id}`, { token: admin.token, body }), 409, '/email')
        expect((await read(target.id)).body).toEqual(target)
      })

      test.each(USER_FORBIDDEN_FIELDS)(
        'an unknown field %p gets 422 and the user is unchanged',
        async (field, value) => {
          const target = await createUser()
          const reply = await client.patch(`/users/${target.id}`, {
            token: admin.token,
            body: { [field]: value },
          })
          expectProblem(reply, 422, `/${field}`)
          expect((await read(target.id)).body).toEqual(target)
        },
      )

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(
          await client.patch(`/users/${UNKNOWN_ID}`, { token: admin.token, body: { fullName: 'x' } }),
          404,
        )
      })

      test('a malformed id gets 422', async () => {
        expectProblem(
          await client.patch('/users/nope', { token: admin.token, body: { fullName: 'x' } }),
          422,
          '/id',
        )
      })
    })

    describe('DELETE /users/{id}', () => {
      test('an admin deletes a user: 204 with no body, then 404', async () => {
        const target = await createUser()
        const reply = await client.delete(`/users/${target.id}`, { token: admin.token })
        expect(reply.status).toBe(204)
        expect(reply.body).toBe('')
        expectProblem(await read(target.id), 404)
      })

      test("the deleted user's access and refresh tokens stop working", async () => {
        const victim = await registerUser(client)
        expect((await client.delete(`/users/${victim.id}`, { token: admin.token })).status).toBe(204)
        expectProblem(await client.get('/users/me', { token: victim.token }), 401)
        const refresh = await client.post('/auth/refresh', { body: { refresh_token: victim.refreshToken } })
        expect(refresh.status).toBe(400)
      })

      test('a plain user gets 403 and the user still exists', async () => {
        const target = await createUser()
        expectProblem(await client.delete(`/users/${target.id}`, { token: user.token }), 403)
        expect((await read(target.id)).body).toEqual(target)
      })

      test('a user deleting itself gets 403 and still exists', async () => {
        expectProblem(await client.delete(`/users/${user.id}`, { token: user.token }), 403)
        expect((await read(user.id)).status).toBe(200)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await client.delete(`/users/${UNKNOWN_ID}`, { token: admin.token }), 404)
      })

      test('a malformed id gets 422', async () => {
        expectProblem(await client.delete('/users/nope', { token: admin.token }), 422, '/id')
      })
    })
  })
}
