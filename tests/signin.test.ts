import { expect, test } from 'bun:test'
import { hashSessionToken, SESSION_COOKIE } from '../src/auth/signin'
import { HttpError } from '../src/core/errors'
import { StoreUnavailableError } from '../src/store/errors'
import { type Account, testApp } from './support/app'
import { Browser, csrfOf } from './support/browser'
import { forEachStore } from './support/fixture'

const MAX = 3
const SESSION = /^mercado_session=([A-Za-z0-9_-]{43}); Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax$/

forEachStore(
  'sign-in page',
  (ctx) => {
    let address = 0
    /** A browser at a fresh client address (through the trusted proxy header), so throttling is its own. */
    const browser = (app = ctx.app) => new Browser(app, { 'x-forwarded-for': `198.51.100.${++address}` })

    /** Opens the form, then posts it with `fields` on top of the form's own. */
    async function signIn(b: Browser, fields: Record<string, string>, next = '/products') {
      const form = await b.get(`/signin?next=${encodeURIComponent(next)}`)
      return b.post('/signin', { csrf: csrfOf(form), next, ...fields })
    }

    const signedIn = async (account: Account, b = browser()) => {
      const reply = await signIn(b, { username: account.username, password: account.password })
      expect(reply.status).toBe(303)
      return b
    }

    test('GET /signin is a script-free form with labels, autocomplete, autofocus and a strict CSP', async () => {
      const page = await browser().get('/signin?next=/products')
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(page.headers.get('cache-control')).toBe('no-store')
      const csp = page.headers.get('content-security-policy') ?? ''
      for (const directive of [
        "default-src 'none'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ])
        expect(csp).toContain(directive)
      expect(csp).not.toContain('script-src')
      expect(page.text).not.toContain('<script')
      expect(page.text).not.toContain('style=')
      expect(page.text).toContain('<html lang="en">')
      expect(page.text).toContain('<title>Sign in · Mercado</title>')
      expect(page.text).toContain('<link rel="stylesheet" href="/static/signin.css">')
      expect(page.text).toContain('<label for="username">Username or email</label>')
      expect(page.text).toContain('<label for="password">Password</label>')
      expect(page.text).toMatch(/<input id="username" [^>]*autocomplete="username"[^>]* autofocus>/)
      expect(page.text).toMatch(/<input id="password" [^>]*type="password" autocomplete="current-password"/)
      expect(page.text).toContain('<input type="hidden" name="next" value="/products">')
      expect(page.text).toContain('<button type="submit">Sign in</button>')
      expect(page.headers.getSetCookie()).toEqual([
        expect.stringMatching(/^mercado_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/),
      ])
    })

    test('its stylesheet is served by the app, with a visible focus style', async () => {
      const css = await browser().get('/static/signin.css')
      expect(css.status).toBe(200)
      expect(css.headers.get('content-type')).toStartWith('text/css')
      expect(css.text).toContain(':focus-visible')
    })

    test('next is escaped in the page; one that leaves the site is not carried at all', async () => {
      const b = browser()
      expect((await b.get(`/signin?next=${encodeURIComponent('/a"><b>')}`)).text).toContain(
        'name="next" value="/a&quot;&gt;&lt;b&gt;"',
      )
      expect((await b.get('/signin?next=//evil.example')).text).toContain('name="next" value=""')
    })

    test('the browser keeps its CSRF token across pages (two tabs do not spoil each other)', async () => {
      const b = browser()
      const first = csrfOf(await b.get('/signin'))
      const second = await b.get('/signin')
      expect(csrfOf(second)).toBe(first)
      expect(second.headers.getSetCookie()).toEqual([])
    })

    test('success: 303 to next, an exact session cookie, stored only as its hash', async () => {
      const b = browser()
      const before = Date.now()
      const reply = await signIn(
        b,
        { username: ctx.user.username, password: ctx.user.password },
        '/products?page=2',
      )
      expect(reply.status).toBe(303)
      expect(reply.headers.get('location')).toBe('/products?page=2')
      const [cookie] = reply.headers.getSetCookie()
      expect(cookie).toMatch(SESSION)
      const token = SESSION.exec(cookie ?? '')?.[1] ?? ''
      expect(await ctx.store.signInSessions.findLiveByTokenHash(token, new Date())).toBeNull()
      const session = await ctx.store.signInSessions.findLiveByTokenHash(hashSessionToken(token), new Date())
      expect(session).toMatchObject({ userId: ctx.user.id, endedAt: null })
      expect(session?.authTime.getTime()).toBeGreaterThanOrEqual(before - 1000)
      expect((session?.expiresAt.getTime() ?? 0) - (session?.authTime.getTime() ?? 0)).toBe(12 * 3600 * 1000)
    })

    test('the email signs in too, in any case', async () => {
      const b = browser()
      const reply = await signIn(b, { username: ctx.user.email.toUpperCase(), password: ctx.user.password })
      expect(reply.status).toBe(303)
    })

    test('without next, or with one that leaves the site, it lands on /signin/done: "Signed in as"', async () => {
      for (const next of [
        '',
        '//evil.example',
        'https://evil.example',
        '/\\evil.example',
        '/\t/evil.example',
        '\\\\evil.example',
        'javascript:alert(1)',
        ' /products',
      ]) {
        const b = browser()
        const reply = await signIn(b, { username: ctx.user.username, password: ctx.user.password }, next)
        expect({ next, status: reply.status, location: reply.headers.get('location') }).toEqual({
          next,
          status: 303,
          location: '/signin/done',
        })
      }
      const b = await signedIn(ctx.user)
      const done = await b.get('/signin/done')
      expect(done.status).toBe(200)
      expect(done.text).toContain(`Signed in as <strong>${ctx.user.username}</strong>`)
      expect(done.text).toContain('<form method="post" action="/signout">')
      expect(done.text).toContain(`value="${csrfOf(done)}"`)
    })

    test('/signin/done without a session sends the browser to /signin', async () => {
      const done = await browser().get('/signin/done')
      expect(done.status).toBe(303)
      expect(done.headers.get('location')).toBe('/signin')
    })

    test('CSRF: a missing or wrong token, or no cookie, is 403 and starts no session', async () => {
      const credentials = { username: ctx.user.username, password: ctx.user.password, next: '/' }
      const b = browser()
      const token = csrfOf(await b.get('/signin'))
      const attempts = [
        await b.post('/signin', credentials),
        await b.post('/signin', {
          ...credentials,
          csrf: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
        }),
        await b.post('/signin', { ...credentials, csrf: 'é'.repeat(43) }),
        await browser().post('/signin', { ...credentials, csrf: token }),
      ]
      for (const reply of attempts) {
        expect(reply.status).toBe(403)
        expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(reply.text).toContain('role="alert"')
        expect(reply.headers.getSetCookie()).toEqual([])
      }
      expect(b.cookies.has(SESSION_COOKIE)).toBe(false)
    })

    test('CSRF: a cross-site post is 403 even with the right token; a same-origin one goes through', async () => {
      const b = browser()
      const form = {
        csrf: csrfOf(await b.get('/signin')),
        username: ctx.user.username,
        password: ctx.user.password,
      }
      for (const headers of <Array<Record<string, string>>>[
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { origin: 'https://evil.example' },
        { origin: 'null' },
      ]) {
        const reply = await b.post('/signin', form, headers)
        expect({ headers, status: reply.status }).toEqual({ headers, status: 403 })
      }
      expect(b.cookies.has(SESSION_COOKIE)).toBe(false)
      const reply = await b.post('/signin', form, {
        'sec-fetch-site': 'same-origin',
        origin: 'http://localhost',
      })
      expect(reply.status).toBe(303)
    })

    test('wrong password, unknown user and a disabled account look the same', async () => {
      const b = browser()
      const wrong = await signIn(b, { username: ctx.user.username, password: 'wrong-password' })
      const unknown = await signIn(b, { username: 'nobody_at_all', password: 'wrong-password' })
      expect(wrong.status).toBe(400)
      expect(unknown.status).toBe(400)
      expect(wrong.text).toContain(
        '<p class="error" role="alert" id="signin-error">Incorrect username, email or password.</p>',
      )
      // The typed login is shown again; apart from it, not one byte differs.
      expect(unknown.text.replace('nobody_at_all', ctx.user.username)).toBe(wrong.text)

      const disabled = await ctx.registerUser()
      const d = browser()
      const wrongForDisabled = await signIn(d, { username: disabled.username, password: 'wrong-password' })
      await ctx.store.users.update(disabled.id, { disabled: true })
      const rightForDisabled = await signIn(d, { username: disabled.username, password: disabled.password })
      expect(rightForDisabled.status).toBe(400)
      expect(rightForDisabled.text).toBe(wrongForDisabled.text)
      expect(d.cookies.has(SESSION_COOKIE)).toBe(false)
    })

    test('a refused form keeps the login and moves the focus to the password', async () => {
      const reply = await signIn(browser(), { username: ctx.user.username, password: 'wrong-password' })
      expect(reply.text).toContain(`value="${ctx.user.username}"`)
      expect(reply.text).toMatch(/<input id="password" [^>]* autofocus>/)
      expect(reply.text).not.toMatch(/<input id="username" [^>]* autofocus>/)
    })

    test('an empty field is asked for again, without a password check', async () => {
      const reply = await signIn(browser(), { username: ctx.user.username, password: '' })
      expect(reply.status).toBe(400)
      expect(reply.text).toContain('Enter your username or email, and your password.')
    })

    test(`after ${MAX} failures: a 429 page with Retry-After, even for the right password`, async () => {
      const account = await ctx.registerUser()
      const b = browser()
      for (let i = 0; i < MAX; i++)
        expect((await signIn(b, { username: account.username, password: 'wrong-password' })).status).toBe(400)
      const blocked = await signIn(b, { username: account.username, password: account.password })
      expect(blocked.status).toBe(429)
      expect(blocked.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const retryAfter = Number(blocked.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThan(14 * 60)
      expect(retryAfter).toBeLessThanOrEqual(15 * 60)
      expect(blocked.text).toContain('Too many sign-in attempts. Try again in 15 minutes.')
      expect(blocked.text).toContain('role="alert"')
      expect(b.cookies.has(SESSION_COOKIE)).toBe(false)
    })

    test('the page and the password grant share one throttle', async () => {
      const account = await ctx.registerUser()
      const b = browser()
      for (let i = 0; i < MAX; i++)
        await signIn(b, { username: account.username, password: 'wrong-password' })
      const grant = await ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username: account.username, password: account.password },
        headers: { 'x-forwarded-for': `198.51.100.${address}` },
      })
      expect(grant.status).toBe(429)
    })

    test('a busy password check (503) is a page with Retry-After too', async () => {
      const { app, services } = testApp(ctx.store)
      services.auth.verifyCredentials = async () => {
        throw new HttpError(503, 'busy', { 'retry-after': '1' })
      }
      const reply = await signIn(new Browser(app), {
        username: ctx.user.username,
        password: ctx.user.password,
      })
      expect(reply.status).toBe(503)
      expect(reply.headers.get('retry-after')).toBe('1')
      expect(reply.text).toContain('The service is busy right now.')
    })

    test('a store outage on /signin/done or /signout is a 503 page with Retry-After', async () => {
      const { app, services } = testApp(ctx.store)
      const b = await signedIn(ctx.user, new Browser(app, { 'x-forwarded-for': `198.51.100.${++address}` }))
      const csrf = csrfOf(await b.get('/signin/done'))
      const down = async (): Promise<never> => {
        throw new StoreUnavailableError(new Error('down'))
      }
      services.signInSessions.signInSessionOf = down
      services.signInSessions.end = down
      for (const reply of [await b.get('/signin/done'), await b.post('/signout', { csrf })]) {
        expect(reply.status).toBe(503)
        expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(reply.headers.get('retry-after')).toBe('5')
      }
    })

    test('the session works on a second instance on the same store, until the user is disabled', async () => {
      const account = await ctx.registerUser()
      const b = await signedIn(account)
      const other = testApp(ctx.store)
      const elsewhere = new Browser(other.app)
      for (const [name, value] of b.cookies) elsewhere.cookies.set(name, value)
      expect((await elsewhere.get('/signin/done')).text).toContain(
        `Signed in as <strong>${account.username}</strong>`,
      )
      const request = new Request('http://localhost/', {
        headers: { cookie: `${SESSION_COOKIE}=${b.cookies.get(SESSION_COOKIE)}` },
      })
      expect((await other.services.signInSessions.signInSessionOf(request))?.user.id).toBe(account.id)

      await ctx.store.users.update(account.id, { disabled: true })
      expect((await elsewhere.get('/signin/done')).status).toBe(303)
      expect(await other.services.signInSessions.signInSessionOf(request)).toBeNull()
    })

    test('ending every session of the account (new password, logout-all) ends this one too', async () => {
      const account = await ctx.registerUser()
      const b = await signedIn(account)
      await ctx.client.post('/auth/logout-all', { token: account.token })
      expect((await b.get('/signin/done')).status).toBe(303)
    })

    test('signing in again ends the session the browser had', async () => {
      const b = await signedIn(ctx.user)
      const first = b.cookies.get(SESSION_COOKIE) ?? ''
      await signedIn(ctx.user, b)
      expect(b.cookies.get(SESSION_COOKIE)).not.toBe(first)
      expect(
        await ctx.store.signInSessions.findLiveByTokenHash(hashSessionToken(first), new Date()),
      ).toBeNull()
    })

    test('sign-out ends the session on every instance and clears the cookie; without CSRF it is 403', async () => {
      const b = await signedIn(ctx.user)
      const token = b.cookies.get(SESSION_COOKIE) ?? ''
      const done = await b.get('/signin/done')
      expect((await b.post('/signout', {})).status).toBe(403)
      expect(
        (await b.post('/signout', { csrf: csrfOf(done) }, { 'sec-fetch-site': 'cross-site' })).status,
      ).toBe(403)
      expect((await b.get('/signin/done')).status).toBe(200)

      const out = await b.post('/signout', { csrf: csrfOf(done) })
      expect(out.status).toBe(303)
      expect(out.headers.get('location')).toBe('/signin')
      expect(out.headers.getSetCookie()).toEqual([
        'mercado_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax',
      ])
      expect(
        await ctx.store.signInSessions.findLiveByTokenHash(hashSessionToken(token), new Date()),
      ).toBeNull()
      const other = new Browser(testApp(ctx.store).app)
      other.cookies.set(SESSION_COOKIE, token)
      expect((await other.get('/signin/done')).status).toBe(303)
    })

    test('over https (PUBLIC_URL) the cookies are Secure, and the CSRF cookie is __Host- prefixed', async () => {
      const { app } = testApp(ctx.store, { PUBLIC_URL: 'https://mercado.example', TRUST_PROXY: 'true' })
      const b = new Browser(app, { 'x-forwarded-for': `198.51.100.${++address}` })
      const form = await b.get('/signin')
      expect(form.headers.getSetCookie()).toEqual([
        expect.stringMatching(
          /^__Host-mercado_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
        ),
      ])
      const reply = await b.post('/signin', {
        csrf: csrfOf(form),
        username: ctx.user.username,
        password: ctx.user.password,
      })
      expect(reply.status).toBe(303)
      expect(reply.headers.getSetCookie()).toEqual([
        expect.stringMatching(
          /^mercado_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; Secure; SameSite=Lax$/,
        ),
      ])
    })
  },
  {
    accounts: { user: 'user' },
    env: { LOGIN_MAX_FAILURES: String(MAX), LOGIN_WINDOW: '15m', TRUST_PROXY: 'true' },
  },
)
