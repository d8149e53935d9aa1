import { expect, test } from 'bun:test'
import { testApp } from './support/app'
import { forEachStore } from './support/fixture'

const MAX = 3

forEachStore(
  'login throttling',
  (ctx) => {
    let address = 0

    /** A fresh client address per test, through the trusted proxy header. */
    const nextAddress = () => `203.0.113.${++address}`
    const attempt = (username: string, password: string, from: string) =>
      ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username, password },
        headers: { 'x-forwarded-for': from },
      })

    test(`after ${MAX} failures even the right password gets 429 with Retry-After`, async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      for (let i = 0; i < MAX; i++)
        expect((await attempt(user.username, 'wrong-password', from)).status).toBe(400)
      const blocked = await attempt(user.username, user.password, from)
      expect(blocked.status).toBe(429)
      expect(blocked.headers.get('content-type')).toBe('application/problem+json')
      const retryAfter = Number(blocked.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    })

    test('the lock is per username and address: another address still logs in', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      for (let i = 0; i < MAX; i++) await attempt(user.username, 'wrong-password', from)
      expect((await attempt(user.username, user.password, nextAddress())).status).toBe(200)
    })

    test('the email counts as the same username', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      for (let i = 0; i < MAX; i++) await attempt(user.email, 'wrong-password', from)
      expect((await attempt(user.email.toUpperCase(), user.password, from)).status).toBe(429)
    })

    test('attempts sent all at once count too', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      const burst = await Promise.all(
        Array.from({ length: MAX * 3 }, () => attempt(user.username, 'wrong-password', from)),
      )
      const statuses = burst.map((r) => r.status)
      const guessed = statuses.filter((s) => s === 400).length
      expect(guessed).toBeLessThanOrEqual(MAX)
      expect(statuses.filter((s) => s !== 400 && s !== 429)).toEqual([])
      // Whatever the burst got checked, the account allows MAX wrong guesses in all.
      for (let i = guessed; i < MAX; i++) {
        expect((await attempt(user.username, 'wrong-password', from)).status).toBe(400)
      }
      expect((await attempt(user.username, user.password, from)).status).toBe(429)
    })

    test('another spelling of the same account does not reset its count', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      const spellings = [user.username, ` ${user.email} `, user.username.toUpperCase()]
      for (let i = 0; i < MAX; i++) {
        expect(
          (await attempt(spellings[i % spellings.length] as string, 'wrong-password', from)).status,
        ).toBe(400)
      }
      expect((await attempt(user.email, user.password, from)).status).toBe(429)
    })

    test('successful logins do not count', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      for (let i = 0; i < MAX + 2; i++)
        expect((await attempt(user.username, user.password, from)).status).toBe(200)
    })

    test('failures under a limit do not lock anyone out', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      for (let i = 0; i < MAX - 1; i++) await attempt(user.username, 'wrong-password', from)
      expect((await attempt(user.username, user.password, from)).status).toBe(200)
    })

    test('one address failing across many usernames is stopped at four times the limit', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      for (let i = 0; i < MAX * 4; i++) {
        expect((await attempt(`nobody_${i}_${user.username}`, 'wrong-password', from)).status).toBe(400)
      }
      expect((await attempt(user.username, user.password, from)).status).toBe(429)
    })

    test(`one account is locked after ${MAX * 4} failures from any mix of addresses`, async () => {
      const user = await ctx.registerUser()
      for (let i = 0; i < 4; i++) {
        const from = nextAddress()
        for (let j = 0; j < MAX; j++)
          expect((await attempt(user.username, 'wrong-password', from)).status).toBe(400)
      }
      const blocked = await attempt(user.username, user.password, nextAddress())
      expect(blocked.status).toBe(429)
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    })

    test('every IPv6 address of one /64 shares the per-address count', async () => {
      const user = await ctx.registerUser()
      const net = `2001:db8:${++address}:7`
      for (let i = 1; i <= MAX; i++)
        expect((await attempt(user.username, 'wrong-password', `${net}::${i}`)).status).toBe(400)
      expect((await attempt(user.username, user.password, `${net}:ffff:ffff:ffff:ffff`)).status).toBe(429)
      // Another /64 is another client.
      expect((await attempt(user.username, user.password, `2001:db8:${address}:8::1`)).status).toBe(200)
    })

    test('an IPv4-mapped IPv6 address counts as its IPv4 address', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      for (let i = 0; i < MAX; i++) await attempt(user.username, 'wrong-password', from)
      expect((await attempt(user.username, user.password, `::ffff:${from}`)).status).toBe(429)
    })

    test(`wrong currentPassword guesses on PATCH /users/me count as failed logins: 429 after ${MAX}`, async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      const change = (currentPassword: string) =>
        ctx.client.patch('/users/me', {
          token: user.token,
          headers: { 'x-forwarded-for': from },
          body: { currentPassword, password: 'a-brand-new-password' },
        })
      for (let i = 0; i < MAX; i++) expect((await change('wrong-password')).status).toBe(403)
      const blocked = await change(user.password)
      expect(blocked.status).toBe(429)
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
      // The same counter as the login's: logging in from there is locked too.
      expect((await attempt(user.username, user.password, from)).status).toBe(429)
    })

    test('a right currentPassword on PATCH /users/me does not count', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      // A new email needs currentPassword too, and (unlike a new password) keeps the session.
      for (let i = 0; i < MAX + 1; i++) {
        const reply = await ctx.client.patch('/users/me', {
          token: user.token,
          headers: { 'x-forwarded-for': from },
          body: { currentPassword: user.password, email: `r${i}.${user.email}` },
        })
        expect(reply.status).toBe(200)
      }
    })

    test('the window passing lets the user in again', async () => {
      const user = await ctx.registerUser()
      const from = nextAddress()
      const { client: quick } = testApp(ctx.store, {
        LOGIN_MAX_FAILURES: '1',
        LOGIN_WINDOW: '1s',
        TRUST_PROXY: 'true',
      })
      const login = (password: string) =>
        quick.post('/auth/login', {
          form: { grant_type: 'password', username: user.username, password },
          headers: { 'x-forwarded-for': from },
        })
      expect((await login('wrong-password')).status).toBe(400)
      expect((await login(user.password)).status).toBe(429)
      await Bun.sleep(1100)
      expect((await login(user.password)).status).toBe(200)
    })

    test('X-Forwarded-For is ignored unless TRUST_PROXY is set', async () => {
      const user = await ctx.registerUser()
      const { client: direct } = testApp(ctx.store, { LOGIN_MAX_FAILURES: String(MAX) })
      const login = (password: string, from: string) =>
        direct.post('/auth/login', {
          form: { grant_type: 'password', username: user.username, password },
          headers: { 'x-forwarded-for': from },
        })
      for (let i = 0; i < MAX; i++) await login('wrong-password', nextAddress())
      // Every attempt came from the same real peer, whatever the header claimed.
      expect((await login(user.password, nextAddress())).status).toBe(429)
    })
  },
  { env: { LOGIN_MAX_FAILURES: String(MAX), LOGIN_WINDOW: '15m', TRUST_PROXY: 'true' } },
)
