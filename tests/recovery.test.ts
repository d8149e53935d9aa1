/**
 * Email verification, password reset and email change (issue #13), through HTTP on both stores,
 * with a mail sender that keeps the mails (tests/recovery.mailpit.test.ts runs the flow through a
 * real SMTP server).
 */
import { expect, test } from 'bun:test'
import { userClaims } from '../src/auth/id-tokens'
import { type Client, login, newAccount } from './support/app'
import { Browser, csrfOf } from './support/browser'
import { type BaseFixture, forEachStore } from './support/fixture'
import { FakeMailSender, tokenIn } from './support/mail'

const TRUSTED = { TRUST_PROXY: 'true' }
let addresses = 0
/** A fresh client address (through the trusted proxy header), so that each test's throttling is its own. */
const freshAddress = () => {
  const n = ++addresses
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
}
const from = (address: string) => ({ 'x-forwarded-for': address })

/** Registers through the API without signing in (which `REQUIRE_VERIFIED_EMAIL` may refuse). */
async function register(client: Client, overrides: Parameters<typeof newAccount>[0] = {}) {
  const account = newAccount(overrides)
  const reply = await client.post('/auth/register', { body: account, headers: from(freshAddress()) })
  expect(reply.status).toBe(201)
  return { ...account, id: reply.body.id as string }
}

/** Asks for a reset of `loginName` and waits for the mail work done after the 202. */
async function requestReset(ctx: BaseFixture, loginName: string, address = freshAddress()) {
  const reply = await ctx.client.post('/auth/password-reset', {
    body: { login: loginName },
    headers: from(address),
  })
  await ctx.services.recovery.settled()
  return reply
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

const mails = new FakeMailSender()

forEachStore(
  'email verification',
  (ctx) => {
    test('registration mails a link; following it verifies the address, in the user and its claims', async () => {
      const account = await register(ctx.client)
      const mail = mails.last(account.email)
      expect(mail.subject).toContain('Confirm your email')
      const token = tokenIn(mail, '/verify-email')
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(mail.text).toContain(`${ctx.config.publicUrl}/verify-email?token=${token}`)
      const { token: access } = await login(ctx.client, account.username, account.password)
      expect((await ctx.client.get('/users/me', { token: access })).body.emailVerified).toBe(false)

      const page = await new Browser(ctx.app).get(`/verify-email?token=${token}`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(page.text).toContain('<link rel="stylesheet" href="/static/signin.css">')
      expect(page.text).toContain('Email address confirmed')
      expect(page.text).not.toContain('<script')

      const me = await ctx.client.get('/users/me', { token: access })
      expect(me.body.emailVerified).toBe(true)
      const user = await ctx.store.users.findById(account.id)
      if (!user) throw new Error('the user is gone')
      expect(userClaims(user, ['openid', 'email'])).toMatchObject({
        email: account.email,
        email_verified: true,
      })
    })

    test('a verification link works once; a second visit is a 400 page', async () => {
      const account = await register(ctx.client)
      const token = tokenIn(mails.last(account.email), '/verify-email')
      expect((await new Browser(ctx.app).get(`/verify-email?token=${token}`)).status).toBe(200)
      const again = await new Browser(ctx.app).get(`/verify-email?token=${token}`)
      expect(again.status).toBe(400)
      expect(again.text).toContain('This link does not work')
      // Who cannot sign in (REQUIRE_VERIFIED_EMAIL) is sent where a reset also confirms the address.
      expect(again.text).toContain('<a href="/forgot-password">')
      expect(again.text).toContain('confirms your address too')
      expect((await new Browser(ctx.app).get('/verify-email?token=nonsense')).status).toBe(400)
    })

    test('POST /auth/verify-email takes the token as JSON: 204, then 400 for the used token', async () => {
      const account = await register(ctx.client)
      const token = tokenIn(mails.last(account.email), '/verify-email')
      expect((await ctx.client.post('/auth/verify-email', { body: { token } })).status).toBe(204)
      const again = await ctx.client.post('/auth/verify-email', { body: { token } })
      expect(again.status).toBe(400)
      expect(again.headers.get('content-type')).toContain('application/problem+json')
      expect((await ctx.store.users.findById(account.id))?.emailVerified).toBe(true)
    })

    test('a reset token does not verify an address, nor a verification token reset a password', async () => {
      const account = await register(ctx.client)
      const verify = tokenIn(mails.last(account.email), '/verify-email')
      await requestReset(ctx, account.email)
      const reset = tokenIn(mails.last(account.email), '/reset-password')
      expect((await ctx.client.post('/auth/verify-email', { body: { token: reset } })).status).toBe(400)
      const confirm = await ctx.client.post('/auth/password-reset/confirm', {
        body: { token: verify, newPassword: 'a brand new password' },
      })
      expect(confirm.status).toBe(400)
      // Both were refused for their purpose only, and still serve it.
      expect((await ctx.client.post('/auth/verify-email', { body: { token: verify } })).status).toBe(204)
    })

    test('resend: the account itself only, 409 once verified, at most 3 mails an hour (429 with Retry-After)', async () => {
      const account = await register(ctx.client)
      expect((await ctx.client.post('/auth/verify-email/resend')).status).toBe(401)
      const { token } = await login(ctx.client, account.username, account.password)
      expect((await ctx.client.post('/auth/verify-email/resend', { token })).status).toBe(204)
      expect((await ctx.client.post('/auth/verify-email/resend', { token })).status).toBe(204)
      const refused = await ctx.client.post('/auth/verify-email/resend', { token })
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(mails.to(account.email)).toHaveLength(3)
      const newest = tokenIn(mails.last(account.email), '/verify-email')
      expect((await ctx.client.post('/auth/verify-email', { body: { token: newest } })).status).toBe(204)
      expect((await ctx.client.post('/auth/verify-email/resend', { token })).status).toBe(409)
    })

    test('concurrent resends mail at most 3 verification links an hour (the limit does not race)', async () => {
      const account = await register(ctx.client)
      const { token } = await login(ctx.client, account.username, account.password)
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => ctx.client.post('/auth/verify-email/resend', { token })),
      )
      for (const reply of replies) expect([204, 429]).toContain(reply.status)
      expect(replies.some((reply) => reply.status === 429)).toBe(true)
      // The one of the registration included.
      expect(mails.to(account.email).length).toBeLessThanOrEqual(3)
    })

    test('5 email changes in a row: each is made, but at most 3 verification mails and 3 notices an hour', async () => {
      const account = await register(ctx.client)
      const { token: access } = await login(ctx.client, account.username, account.password)
      const addresses = [account.email]
      for (let i = 1; i <= 5; i++) {
        const email = `m${i}.${account.email}`
        const changed = await ctx.client.patch('/users/me', {
          token: access,
          body: { email, currentPassword: account.password },
        })
        expect(changed.status).toBe(200)
        expect(changed.body.email).toBe(email)
        addresses.push(email)
      }
      const all = addresses.flatMap((address) => mails.to(address))
      const verifications = all.filter((mail) => mail.subject.includes('Confirm your email'))
      const notices = all.filter((mail) => mail.subject.includes('email address was changed'))
      // The registration's link counts too: 1 + 2 changes mailed, the last 3 changes not.
      expect(verifications.length).toBeLessThanOrEqual(3)
      expect(notices.length).toBeLessThanOrEqual(3)
      expect(notices.length).toBeGreaterThan(0)
      expect(mails.to(addresses[5] ?? '')).toHaveLength(0)
      expect((await ctx.store.users.findById(account.id))?.email).toBe(addresses[5])
    })

    test('an email change unverifies; the new address gets a link, the old one a notice', async () => {
      const account = await register(ctx.client)
      const { token: access } = await login(ctx.client, account.username, account.password)
      const first = tokenIn(mails.last(account.email), '/verify-email')
      expect((await ctx.client.post('/auth/verify-email', { body: { token: first } })).status).toBe(204)
      const newEmail = `moved.${account.email}`
      const changed = await ctx.client.patch('/users/me', {
        token: access,
        body: { email: newEmail, currentPassword: account.password },
      })
      expect(changed.status).toBe(200)
      expect(changed.body).toMatchObject({ email: newEmail, emailVerified: false })

      const notice = mails.last(account.email)
      expect(notice.subject).toContain('email address was changed')
      expect(notice.text).toContain(newEmail)
      expect(notice.text).toContain('reset your password')
      expect(notice.text).not.toContain('token=')
      const link = tokenIn(mails.last(newEmail), '/verify-email')
      expect((await new Browser(ctx.app).get(`/verify-email?token=${link}`)).status).toBe(200)
      expect((await ctx.client.get('/users/me', { token: access })).body.emailVerified).toBe(true)
    })

    test('a link mailed to an address the account has left does not verify the new one', async () => {
      const account = await register(ctx.client)
      const { token: access } = await login(ctx.client, account.username, account.password)
      const old = tokenIn(mails.last(account.email), '/verify-email')
      await ctx.client.patch('/users/me', {
        token: access,
        body: { email: `other.${account.email}`, currentPassword: account.password },
      })
      expect((await ctx.client.post('/auth/verify-email', { body: { token: old } })).status).toBe(400)
      expect((await ctx.client.get('/users/me', { token: access })).body.emailVerified).toBe(false)
    })
  },
  { env: TRUSTED, mail: mails },
)

forEachStore(
  'password reset',
  (ctx) => {
    test('JSON: 202, a mailed link, the new password works, the old one and every session do not', async () => {
      const account = await ctx.registerUser({})
      const browser = new Browser(ctx.app, from(freshAddress()))
      const signInForm = await browser.get('/signin')
      const signedIn = await browser.post('/signin', {
        csrf: csrfOf(signInForm),
        next: '',
        username: account.username,
        password: account.password,
      })
      expect(signedIn.status).toBe(303)
      expect((await browser.get('/signin/done')).status).toBe(200)
      const reply = await requestReset(ctx, account.username)
      expect(reply.status).toBe(202)
      expect(reply.body).toEqual({
        status: 'accepted',
        detail: 'If an account matches, a link to choose a new password is on its way to its email address.',
      })
      const mail = mails.last(account.email)
      expect(mail.subject).toContain('Reset your Mercado password')
      const token = tokenIn(mail, '/reset-password')
      const newPassword = 'a much better password'
      const confirm = await ctx.client.post('/auth/password-reset/confirm', { body: { token, newPassword } })
      expect(confirm.status).toBe(204)

      expect((await ctx.client.get('/users/me', { token: account.token })).status).toBe(401)
      // The browser's sign-in session is over too.
      expect((await browser.get('/signin/done')).status).toBe(303)
      const refresh = await ctx.client.post('/auth/refresh', {
        body: { refresh_token: account.refreshToken },
      })
      expect(refresh.status).toBe(400)
      expect(refresh.body.error).toBe('invalid_grant')
      const old = await ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username: account.username, password: account.password },
      })
      expect(old.status).toBe(400)
      await login(ctx.client, account.username, newPassword)
      // Single use.
      const again = await ctx.client.post('/auth/password-reset/confirm', {
        body: { token, newPassword: 'yet another password' },
      })
      expect(again.status).toBe(400)
    })

    test('the page: a script-free form with CSRF and new-password fields; the post resets and links to sign-in', async () => {
      const account = await ctx.registerUser({})
      await requestReset(ctx, account.email)
      const token = tokenIn(mails.last(account.email), '/reset-password')
      const browser = new Browser(ctx.app, from(freshAddress()))
      const form = await browser.get(`/reset-password?token=${token}`)
      expect(form.status).toBe(200)
      expect(form.text).not.toContain('<script')
      expect(form.text).toContain('<link rel="stylesheet" href="/static/signin.css">')
      expect(form.text).toMatch(/<input id="password" [^>]*type="password" autocomplete="new-password"/)
      expect(form.text).toMatch(/<input id="confirm" [^>]*type="password" autocomplete="new-password"/)
      expect(form.text).toContain('<label for="password">New password</label>')
      expect(form.text).toContain('<label for="confirm">New password, again</label>')
      expect(form.text).toContain('<button type="submit">')
      expect(form.headers.get('content-security-policy')).toContain("form-action 'self'")
      const csrf = csrfOf(form)

      // Without the CSRF token nothing happens.
      const forged = await browser.post('/reset-password', {
        token,
        password: 'x-password-1',
        confirm: 'x-password-1',
      })
      expect(forged.status).toBe(403)
      const mismatch = await browser.post('/reset-password', {
        csrf,
        token,
        password: 'first new password',
        confirm: 'second new password',
      })
      expect(mismatch.status).toBe(400)
      expect(mismatch.text).toContain('Enter the same new password twice.')
      const short = await browser.post('/reset-password', {
        csrf,
        token,
        password: 'short',
        confirm: 'short',
      })
      expect(short.status).toBe(400)

      const newPassword = 'the page set this one'
      const done = await browser.post('/reset-password', {
        csrf,
        token,
        password: newPassword,
        confirm: newPassword,
      })
      expect(done.status).toBe(303)
      const location = done.headers.get('location') ?? ''
      const after = await browser.get(location)
      expect(after.status).toBe(200)
      expect(after.text).toContain('Password changed')
      expect(after.text).toContain('href="/signin"')
      await login(ctx.client, account.username, newPassword)
      const reused = await browser.post('/reset-password', {
        csrf,
        token,
        password: 'another one here',
        confirm: 'another one here',
      })
      expect(reused.status).toBe(400)
      expect(reused.text).toContain('This link does not work')
    })

    test('the forgot-password page asks for a login and answers the same whether or not it exists', async () => {
      const account = await ctx.registerUser({})
      const browser = new Browser(ctx.app, from(freshAddress()))
      expect((await browser.get('/signin')).text).toContain(
        '<a href="/forgot-password">Forgot your password?</a>',
      )
      const form = await browser.get('/forgot-password')
      expect(form.status).toBe(200)
      expect(form.text).toMatch(/<input id="login" [^>]*autocomplete="username"/)
      const known = await browser.post('/forgot-password', { csrf: csrfOf(form), login: account.email })
      const unknown = await browser.post('/forgot-password', { csrf: csrfOf(form), login: 'nobody-at-all' })
      expect(known.status).toBe(200)
      expect(unknown.text).toBe(known.text)
      await ctx.services.recovery.settled()
      tokenIn(mails.last(account.email), '/reset-password')
    })

    test('POST /auth/password-reset takes JSON only: a form body (no CSRF token) is 415 and mails nothing', async () => {
      const account = await ctx.registerUser({})
      const reply = await ctx.client.post('/auth/password-reset', {
        form: { login: account.username },
        headers: from(freshAddress()),
      })
      expect(reply.status).toBe(415)
      await ctx.services.recovery.settled()
      expect(mails.to(account.email).filter((m) => m.subject.includes('Reset'))).toHaveLength(0)
    })

    test('the reset page sends Referrer-Policy: no-referrer (one value), so its token does not leak in a Referer', async () => {
      for (const path of ['/reset-password?token=abcdefghijklmnopqrstuvwxyz', '/reset-password?token=']) {
        const page = await new Browser(ctx.app).get(path)
        expect(page.headers.get('referrer-policy')).toBe('no-referrer')
      }
      // The other pages keep theirs.
      expect((await new Browser(ctx.app).get('/forgot-password')).headers.get('referrer-policy')).toBe(
        'same-origin',
      )
    })

    test("a token of user A sets A's password only", async () => {
      const a = await ctx.registerUser({})
      const b = await ctx.registerUser({})
      await requestReset(ctx, a.email)
      const token = tokenIn(mails.last(a.email), '/reset-password')
      const newPassword = 'only for account A'
      expect(
        (await ctx.client.post('/auth/password-reset/confirm', { body: { token, newPassword } })).status,
      ).toBe(204)
      await login(ctx.client, b.username, b.password)
      const bWithA = await ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username: b.username, password: newPassword },
      })
      expect(bWithA.status).toBe(400)
      expect(mails.to(b.email).filter((m) => m.subject.includes('Reset'))).toHaveLength(0)
    })

    test('a password changed after the mail (PATCH /users/me) kills the reset token', async () => {
      const account = await ctx.registerUser({})
      await requestReset(ctx, account.email)
      const token = tokenIn(mails.last(account.email), '/reset-password')
      const changed = await ctx.client.patch('/users/me', {
        token: account.token,
        body: { password: 'changed by the owner', currentPassword: account.password },
      })
      expect(changed.status).toBe(200)
      const confirm = await ctx.client.post('/auth/password-reset/confirm', {
        body: { token, newPassword: 'the attacker wants this' },
      })
      expect(confirm.status).toBe(400)
      await login(ctx.client, account.username, 'changed by the owner')
    })

    test('a completed reset kills the other reset tokens of the account', async () => {
      const account = await ctx.registerUser({})
      await requestReset(ctx, account.email)
      const first = tokenIn(mails.last(account.email), '/reset-password')
      await requestReset(ctx, account.email)
      const second = tokenIn(mails.last(account.email), '/reset-password')
      expect(second).not.toBe(first)
      const body = (token: string) => ({ body: { token, newPassword: 'reset by the second link' } })
      expect((await ctx.client.post('/auth/password-reset/confirm', body(second))).status).toBe(204)
      expect((await ctx.client.post('/auth/password-reset/confirm', body(first))).status).toBe(400)
    })

    test('of concurrent confirms with one token exactly one sets the password', async () => {
      const account = await ctx.registerUser({})
      await requestReset(ctx, account.email)
      const token = tokenIn(mails.last(account.email), '/reset-password')
      const passwords = Array.from({ length: 5 }, (_, i) => `concurrent password ${i}`)
      const replies = await Promise.all(
        passwords.map((newPassword) =>
          ctx.client.post('/auth/password-reset/confirm', { body: { token, newPassword } }),
        ),
      )
      const statuses = replies.map((reply) => reply.status)
      expect(statuses.filter((status) => status === 204)).toHaveLength(1)
      expect(statuses.filter((status) => status === 400)).toHaveLength(4)
      await login(ctx.client, account.username, passwords[statuses.indexOf(204)] ?? '')
    })

    test('the new password follows the rules of registration (422), and the token survives a 422', async () => {
      const account = await ctx.registerUser({})
      await requestReset(ctx, account.email)
      const token = tokenIn(mails.last(account.email), '/reset-password')
      const short = await ctx.client.post('/auth/password-reset/confirm', {
        body: { token, newPassword: 'short' },
      })
      expect(short.status).toBe(422)
      const ok = await ctx.client.post('/auth/password-reset/confirm', {
        body: { token, newPassword: 'long enough now' },
      })
      expect(ok.status).toBe(204)
    })

    test('a flood of requests: at most 3 mails per account, then still 202, and 429 per address past 10', async () => {
      const account = await ctx.registerUser({})
      const address = freshAddress()
      const statuses: number[] = []
      for (let i = 0; i < 10; i++) statuses.push((await requestReset(ctx, account.email, address)).status)
      expect(statuses).toEqual(Array(10).fill(202))
      expect(mails.to(account.email).filter((m) => m.subject.includes('Reset'))).toHaveLength(3)
      const refused = await requestReset(ctx, account.email, address)
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      // From elsewhere the account still gets no fourth mail within the hour.
      expect((await requestReset(ctx, account.username)).status).toBe(202)
      expect(mails.to(account.email).filter((m) => m.subject.includes('Reset'))).toHaveLength(3)
    })

    test('10 concurrent requests for one account from 10 addresses mail at most 3 links (the limit does not race)', async () => {
      const account = await ctx.registerUser({})
      const replies = await Promise.all(
        Array.from({ length: 10 }, () =>
          ctx.client.post('/auth/password-reset', {
            body: { login: account.email },
            headers: from(freshAddress()),
          }),
        ),
      )
      expect(replies.map((reply) => reply.status)).toEqual(Array(10).fill(202))
      await ctx.services.recovery.settled()
      // Each request counts after storing its token: all may see the limit passed, none more than 3 room.
      expect(mails.to(account.email).filter((m) => m.subject.includes('Reset')).length).toBeLessThanOrEqual(3)
    })

    test('no enumeration: the same status and body for a known and an unknown login, in similar time', async () => {
      const account = await ctx.registerUser({})
      const reset = (name: string) =>
        ctx.client.post('/auth/password-reset', { body: { login: name }, headers: from(freshAddress()) })
      const known = await reset(account.email)
      const unknown = await reset(`nobody.${account.email}`)
      expect(unknown.status).toBe(known.status)
      expect(unknown.body).toEqual(known.body)
      expect(known.status).toBe(202)
      // Warm both paths, then time them alternately.
      const times = { known: [] as number[], unknown: [] as number[] }
      for (let i = 0; i < 5; i++) {
        for (const [kind, name] of [
          ['known', account.username],
          ['unknown', `nobody_${i}_${account.username}`],
        ] as const) {
          const started = performance.now()
          await reset(name)
          times[kind].push(performance.now() - started)
          await ctx.services.recovery.settled()
        }
      }
      const [k, u] = [median(times.known), median(times.unknown)]
      expect(Math.max(k, u) / Math.max(0.5, Math.min(k, u))).toBeLessThan(2.5)
    })

    test('a disabled account is mailed nothing, and answered the same', async () => {
      const account = await ctx.registerUser({})
      await ctx.store.users.update(account.id, { disabled: true })
      expect((await requestReset(ctx, account.email)).status).toBe(202)
      expect(mails.to(account.email).filter((m) => m.subject.includes('Reset'))).toHaveLength(0)
    })
  },
  { env: TRUSTED, mail: mails },
)

forEachStore(
  'password reset, short-lived tokens',
  (ctx) => {
    test('an expired reset token is refused', async () => {
      const account = await ctx.registerUser({})
      await requestReset(ctx, account.email)
      const token = tokenIn(mails.last(account.email), '/reset-password')
      expect(mails.last(account.email).text).toContain('for 1 second')
      await Bun.sleep(1_100)
      const confirm = await ctx.client.post('/auth/password-reset/confirm', {
        body: { token, newPassword: 'too late for this' },
      })
      expect(confirm.status).toBe(400)
      await login(ctx.client, account.username, account.password)
    })
  },
  { env: { ...TRUSTED, RESET_TOKEN_TTL: '1s' }, mail: mails },
)

forEachStore(
  'REQUIRE_VERIFIED_EMAIL',
  (ctx) => {
    const passwordGrant = (username: string, password: string) =>
      ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username, password },
        headers: from(freshAddress()),
      })

    test('the password grant refuses an unverified user, saying so only after the right password', async () => {
      const account = await register(ctx.client)
      const right = await passwordGrant(account.username, account.password)
      expect(right.status).toBe(400)
      expect(right.body).toMatchObject({ error: 'invalid_grant' })
      expect(right.body.error_description).toContain('verify your email first')
      const wrong = await passwordGrant(account.username, 'not the password')
      expect(wrong.body.error_description).not.toContain('verify')
      const token = tokenIn(mails.last(account.email), '/verify-email')
      expect((await ctx.client.post('/auth/verify-email', { body: { token } })).status).toBe(204)
      expect((await passwordGrant(account.username, account.password)).status).toBe(200)
    })

    test('the sign-in page says the address is unverified only after the right password', async () => {
      const account = await register(ctx.client)
      const browser = new Browser(ctx.app, from(freshAddress()))
      const form = await browser.get('/signin')
      const right = await browser.post('/signin', {
        csrf: csrfOf(form),
        next: '',
        username: account.username,
        password: account.password,
      })
      expect(right.status).toBe(400)
      expect(right.text).toContain('not verified')
      const wrong = await browser.post('/signin', {
        csrf: csrfOf(form),
        next: '',
        username: account.username,
        password: 'not the password',
      })
      expect(wrong.text).not.toContain('not verified')
      expect(wrong.text).toContain('Incorrect username, email or password.')
    })

    test('a password reset verifies the address, so the new password signs in', async () => {
      const account = await register(ctx.client)
      await requestReset(ctx, account.email)
      const token = tokenIn(mails.last(account.email), '/reset-password')
      const newPassword = 'reset and verified'
      expect(
        (await ctx.client.post('/auth/password-reset/confirm', { body: { token, newPassword } })).status,
      ).toBe(204)
      expect((await passwordGrant(account.username, newPassword)).status).toBe(200)
    })
  },
  { env: { ...TRUSTED, REQUIRE_VERIFIED_EMAIL: 'true' }, mail: mails },
)
