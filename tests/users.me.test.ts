/** `/users/me`: self-service reads and changes (docs/api.md: Users). */
import { describe, expect, test } from 'bun:test'
import { login, newAccount } from './support/app'
import { etagOf, expectJson, expectNoSecrets, expectProblem } from './support/assertions'
import { forEachStore } from './support/fixture'
import { unique } from './support/unique'

forEachStore('users/me', (ctx) => {
  const loginFails = async (username: string, password: string) =>
    (await ctx.client.post('/auth/login', { form: { grant_type: 'password', username, password } }))
      .status === 400

  describe('GET /users/me', () => {
    test('answers the own user with an ETag and without secrets', async () => {
      const me = await ctx.registerUser()
      const reply = await ctx.client.get('/users/me', { token: me.token })
      expectJson(reply, 200)
      etagOf(reply)
      expect(reply.body).toMatchObject({ id: me.id, username: me.username, email: me.email, role: 'user' })
      expectNoSecrets(reply.body)
    })

    test('If-None-Match with the current ETag gets 304 with no body', async () => {
      const me = await ctx.registerUser()
      const etag = etagOf(await ctx.client.get('/users/me', { token: me.token }))
      const reply = await ctx.client.get('/users/me', { token: me.token, headers: { 'if-none-match': etag } })
      expect(reply.status).toBe(304)
      expect(reply.body).toBe('')
      expect(reply.headers.get('etag')).toBe(etag)
    })

    test('no token gets 401 with a Bearer challenge', async () => {
      const reply = await ctx.client.get('/users/me')
      expectProblem(reply, 401)
      expect(reply.headers.get('www-authenticate')).toStartWith('Bearer')
    })

    test('a garbage token gets 401 with error="invalid_token"', async () => {
      const reply = await ctx.client.get('/users/me', { token: 'not.a.jwt' })
      expectProblem(reply, 401)
      expect(reply.headers.get('www-authenticate')).toContain('error="invalid_token"')
    })
  })

  describe('PATCH /users/me', () => {
    test('changes fullName, trimmed, and answers a new ETag', async () => {
      const me = await ctx.registerUser()
      const before = etagOf(await ctx.client.get('/users/me', { token: me.token }))
      const reply = await ctx.client.patch('/users/me', {
        token: me.token,
        body: { fullName: '  Ada Lovelace ' },
      })
      expectJson(reply, 200)
      expect(reply.body).toMatchObject({ id: me.id, fullName: 'Ada Lovelace', username: me.username })
      expect(etagOf(reply)).not.toBe(before)
      expectNoSecrets(reply.body)
    })

    test('changes the email, stored lower-case', async () => {
      const me = await ctx.registerUser()
      const email = `${unique('me')}@Example.COM`
      const reply = await ctx.client.patch('/users/me', {
        token: me.token,
        body: { email, currentPassword: me.password },
      })
      expectJson(reply, 200)
      expect(reply.body.email).toBe(email.toLowerCase())
      expect((await ctx.client.get('/users/me', { token: me.token })).body.email).toBe(email.toLowerCase())
    })

    test('changing only the case of its own email is no conflict', async () => {
      const me = await ctx.registerUser()
      const reply = await ctx.client.patch('/users/me', {
        token: me.token,
        body: { email: me.email.toUpperCase(), currentPassword: me.password },
      })
      expectJson(reply, 200)
      expect(reply.body.email).toBe(me.email)
    })

    test('an email taken in another case gets 409 at /email and nothing changes', async () => {
      const me = await ctx.registerUser()
      const other = await ctx.registerUser()
      const reply = await ctx.client.patch('/users/me', {
        token: me.token,
        body: { email: other.email.toUpperCase(), currentPassword: me.password },
      })
      expectProblem(reply, 409, '/email')
      expect((await ctx.client.get('/users/me', { token: me.token })).body.email).toBe(me.email)
    })

    test('a new password with the right currentPassword: the new one logs in, the old one not', async () => {
      const me = await ctx.registerUser()
      const password = `new-${unique()}`
      const reply = await ctx.client.patch('/users/me', {
        token: me.token,
        body: { password, currentPassword: me.password },
      })
      expectJson(reply, 200)
      expectNoSecrets(reply.body)
      expect((await login(ctx.client, me.username, password)).token).toBeString()
      expect(await loginFails(me.username, me.password)).toBe(true)
    })

    test('changing the password revokes the refresh tokens', async () => {
      const me = await ctx.registerUser()
      const body = { password: `new-${unique()}`, currentPassword: me.password }
      expect((await ctx.client.patch('/users/me', { token: me.token, body })).status).toBe(200)
      const refresh = await ctx.client.post('/auth/refresh', { body: { refresh_token: me.refreshToken } })
      expect(refresh.status).toBe(400)
    })

    test('a new password without currentPassword gets 422 and the password stays', async () => {
      const me = await ctx.registerUser()
      const reply = await ctx.client.patch('/users/me', {
        token: me.token,
        body: { password: `new-${unique()}` },
      })
      expectProblem(reply, 422, '/currentPassword')
      expect((await login(ctx.client, me.username, me.password)).token).toBeString()
    })

    test('a wrong currentPassword gets 403 and the password stays', async () => {
      const me = await ctx.registerUser()
      const body = { password: `new-${unique()}`, currentPassword: 'wrong-password' }
      expectProblem(await ctx.client.patch('/users/me', { token: me.token, body }), 403)
      expect((await login(ctx.client, me.username, me.password)).token).toBeString()
    })

    test('a too short password gets 422 at /password', async () => {
      const me = await ctx.registerUser()
      const body = { password: 'short', currentPassword: me.password }
      expectProblem(await ctx.client.patch('/users/me', { token: me.token, body }), 422, '/password')
    })

    test.each([
      ['role', 'admin'],
      ['disabled', true],
      ['username', 'renamed_self'],
      ['id', '0123456789abcdef01234567'],
      ['createdAt', '2020-01-01T00:00:00.000Z'],
      ['passwordHash', '$argon2id$v=19$m=65536,t=2,p=1$abc$def'],
    ])('%p is refused with 422 and nothing changes', async (field, value) => {
      const me = await ctx.registerUser()
      const before = await ctx.client.get('/users/me', { token: me.token })
      const reply = await ctx.client.patch('/users/me', {
        token: me.token,
        body: { [field]: value, fullName: 'Sneaky' },
      })
      expectProblem(reply, 422, `/${field}`)
      expect((await ctx.client.get('/users/me', { token: me.token })).body).toEqual(before.body)
    })

    test('an admin cannot change its own role here either', async () => {
      const admin = await ctx.createAdmin()
      expectProblem(
        await ctx.client.patch('/users/me', { token: admin.token, body: { role: 'user' } }),
        422,
        '/role',
      )
    })

    test('a disabled user gets 403', async () => {
      const admin = await ctx.createAdmin()
      const me = await ctx.registerUser()
      await ctx.client.patch(`/users/${me.id}`, { token: admin.token, body: { disabled: true } })
      expectProblem(await ctx.client.patch('/users/me', { token: me.token, body: { fullName: 'x' } }), 403)
    })

    test('no token gets 401', async () => {
      expectProblem(await ctx.client.patch('/users/me', { body: { fullName: 'x' } }), 401)
    })

    test('a body that is not JSON gets 400', async () => {
      const me = await ctx.registerUser()
      expectProblem(await ctx.client.patch('/users/me', { token: me.token, body: '{"fullName":' }), 400)
    })
  })

  test('registering never answers a password or its hash', async () => {
    const reply = await ctx.client.post('/auth/register', { body: newAccount() })
    expect(reply.status).toBe(201)
    expectNoSecrets(reply.body)
  })
})
