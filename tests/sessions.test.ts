/**
 * Ending sessions (docs/api.md, Sessions; issue #10, finding 3): access tokens stop working when
 * their session or every session of the account ends, not at their `exp`.
 */
import { describe, expect, test } from 'bun:test'
import { type Account, login } from './support/app'
import { expectOAuthError, expectProblem } from './support/assertions'
import { forEachStore } from './support/fixture'

forEachStore(
  'sessions',
  (ctx) => {
    const me = (token: string) => ctx.client.get('/users/me', { token })
    const refresh = (refreshToken: string) =>
      ctx.client.post('/auth/refresh', { body: { refresh_token: refreshToken } })

    /** The account's access token is refused as RFC 6750 says: 401 with `error="invalid_token"`. */
    async function expectRefused(token: string) {
      const reply = await me(token)
      expect(reply.status).toBe(401)
      expect(reply.headers.get('www-authenticate')).toContain('error="invalid_token"')
    }

    /** A second, independent session of `account` (another device). */
    const secondSession = (account: Account) => login(ctx.client, account.username, account.password)

    describe('logout of one session', () => {
      test('refuses the access tokens issued in it, rotated ones too, and leaves other sessions alone', async () => {
        const user = await ctx.registerUser()
        const other = await secondSession(user)
        const rotated = await refresh(user.refreshToken)
        expect(rotated.status).toBe(200)
        expect((await me(rotated.body.access_token)).status).toBe(200)

        const logout = await ctx.client.post('/auth/logout', {
          body: { refresh_token: rotated.body.refresh_token },
        })
        expect(logout.status).toBe(204)

        await expectRefused(user.token)
        await expectRefused(rotated.body.access_token)
        expect((await me(other.token)).status).toBe(200)
        expect((await refresh(other.refreshToken)).status).toBe(200)
      })
    })

    describe('ending every session', () => {
      test('POST /auth/logout-all refuses every access and refresh token of the account; signing in again works', async () => {
        const user = await ctx.registerUser()
        const other = await secondSession(user)
        const before = await me(user.token)

        const reply = await ctx.client.post('/auth/logout-all', { token: user.token })
        expect(reply.status).toBe(204)
        expect(reply.headers.get('cache-control')).toBe('no-store')

        await expectRefused(user.token)
        await expectRefused(other.token)
        expectOAuthError(await refresh(user.refreshToken), 'invalid_grant')
        expectOAuthError(await refresh(other.refreshToken), 'invalid_grant')
        const fresh = await secondSession(user)
        const after = await me(fresh.token)
        expect(after.status).toBe(200)
        // Sessions are not part of the representation: its ETag stays.
        expect(after.headers.get('etag')).toBe(before.headers.get('etag'))
      })

      test('POST /auth/logout-all needs a bearer token', async () => {
        expectProblem(await ctx.client.post('/auth/logout-all'), 401)
      })

      test('a new password ends every session, the one that changed it included', async () => {
        const user = await ctx.registerUser()
        const other = await secondSession(user)
        const changed = await ctx.client.patch('/users/me', {
          token: user.token,
          body: { password: 'a-brand-new-password', currentPassword: user.password },
        })
        expect(changed.status).toBe(200)
        await expectRefused(user.token)
        await expectRefused(other.token)
        const fresh = await login(ctx.client, user.username, 'a-brand-new-password')
        expect((await me(fresh.token)).status).toBe(200)
      })

      test('refresh-token reuse refuses every access token of the account, the thief’s too', async () => {
        const user = await ctx.registerUser()
        const thief = await refresh(user.refreshToken)
        expect(thief.status).toBe(200)
        expectOAuthError(await refresh(user.refreshToken), 'invalid_grant')
        await expectRefused(thief.body.access_token)
        await expectRefused(user.token)
      })

      test("an admin's new password, role change or disabling ends the user's sessions", async () => {
        const changes = [{ password: 'set-by-an-admin-1' }, { role: 'admin' }, { disabled: true }]
        for (const change of changes) {
          const user = await ctx.registerUser()
          const reply = await ctx.client.patch(`/users/${user.id}`, { token: ctx.root.token, body: change })
          expect(reply.status).toBe(200)
          if (change.disabled) {
            // Enabled again: the tokens from before stay dead.
            const enabled = await ctx.client.patch(`/users/${user.id}`, {
              token: ctx.root.token,
              body: { disabled: false },
            })
            expect(enabled.status).toBe(200)
          }
          await expectRefused(user.token)
        }
      })

      test("an admin's change of the name or email leaves the user's sessions alone", async () => {
        const user = await ctx.registerUser()
        const reply = await ctx.client.patch(`/users/${user.id}`, {
          token: ctx.root.token,
          body: { fullName: 'Renamed By Admin', email: `renamed.${user.email}` },
        })
        expect(reply.status).toBe(200)
        expect((await me(user.token)).status).toBe(200)
      })
    })

    describe('changing the email', () => {
      test('needs currentPassword: 422 without it, 403 when wrong, 200 when right', async () => {
        const user = await ctx.registerUser()
        const email = `new.${user.email}`
        const missing = await ctx.client.patch('/users/me', { token: user.token, body: { email } })
        expectProblem(missing, 422, '/currentPassword')
        const wrong = await ctx.client.patch('/users/me', {
          token: user.token,
          body: { email, currentPassword: 'not-the-password' },
        })
        expectProblem(wrong, 403)
        expect((await me(user.token)).body.email).toBe(user.email)
        const right = await ctx.client.patch('/users/me', {
          token: user.token,
          body: { email, currentPassword: user.password },
        })
        expect(right.status).toBe(200)
        expect(right.body.email).toBe(email)
        // A new email does not end the session.
        expect((await me(user.token)).status).toBe(200)
      })

      test('a new full name alone needs no password', async () => {
        const user = await ctx.registerUser()
        const reply = await ctx.client.patch('/users/me', {
          token: user.token,
          body: { fullName: 'Just A Name' },
        })
        expect(reply.status).toBe(200)
      })
    })
  },
  { accounts: { root: 'admin' } },
)
