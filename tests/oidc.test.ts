/**
 * Sign in with Mercado (issue #12), driven by a strict relying-party library nobody here wrote
 * (panva's openid-client): discovery, the authorization URL with PKCE, state and nonce, the sign-in
 * page and the consent page submitted as forms, the code exchange with the ID token validated by
 * the library, UserInfo, refresh and RP-initiated logout; and the refusals.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as oidc from 'openid-client'
import { DOCS_CLIENT_ID } from '../src/core/domain'
import { type Account, createAdmin, registerUser, testApp } from './support/app'
import { Browser, csrfOf, type PageReply } from './support/browser'
import { forEachStore } from './support/fixture'
import { ENGINES, sharedStores } from './support/stores'

const CALLBACK = 'https://rp.example/callback'
const SIGNED_OUT = 'https://rp.example/signed-out'
const SCOPE = 'openid profile email offline_access products:read users:read'

type App = ReturnType<typeof testApp>['app']

/** The value of hidden field `name` of a form page. */
const hiddenField = (page: PageReply, name: string) => {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(page.text)?.[1]
  if (value === undefined) throw new Error(`no ${name} field (status ${page.status}): ${page.text}`)
  return value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'")
}

const pathOf = (url: string | URL) => {
  const u = new URL(url)
  return `${u.pathname}${u.search}`
}

/** openid-client's options: every request goes to `app` in process, as it would over the network. */
const libraryOptions = (app: App) => ({
  execute: [oidc.allowInsecureRequests],
  [oidc.customFetch]: ((url: string, init?: RequestInit) =>
    app.handle(new Request(String(url), init))) as unknown as oidc.CustomFetch,
})

/** A relying party: a confidential client registered through RFC 7591, and its library config. */
async function registerRelyingParty(app: App, issuer: string, adminToken: string, metadata = {}) {
  return oidc.dynamicClientRegistration(
    new URL(issuer),
    {
      client_name: 'Shop front',
      redirect_uris: [CALLBACK],
      post_logout_redirect_uris: [SIGNED_OUT],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: SCOPE,
      token_endpoint_auth_method: 'client_secret_basic',
      ...metadata,
    },
    oidc.ClientSecretBasic(),
    { ...libraryOptions(app), initialAccessToken: adminToken },
  )
}

/** One authorization request's secrets, and its URL. */
async function authorizationRequest(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  })
  return { verifier, state, nonce, url }
}

/**
 * Follows the browser through /authorize: signs in on the sign-in page when sent there, allows on
 * the consent page when shown one; returns where it was sent at the end (the client's redirect URI).
 */
async function authorize(
  browser: Browser,
  url: URL | string,
  account: Account,
  seen: { signIn?: boolean; consent?: boolean } = {},
): Promise<URL> {
  let reply = await browser.get(pathOf(url))
  for (let step = 0; step < 5; step++) {
    const location = reply.headers.get('location')
    if (reply.status === 303 && location?.startsWith('/signin?')) {
      seen.signIn = true
      const form = await browser.get(location)
      reply = await browser.post('/signin', {
        csrf: csrfOf(form),
        next: hiddenField(form, 'next'),
        username: account.username,
        password: account.password,
      })
      continue
    }
    if (reply.status === 303 && location?.startsWith('/authorize')) {
      reply = await browser.get(location)
      continue
    }
    if (reply.status === 200 && reply.text.includes('action="/authorize/consent"')) {
      seen.consent = true
      reply = await browser.post('/authorize/consent', {
        csrf: csrfOf(reply),
        request: hiddenField(reply, 'request'),
        decision: 'allow',
      })
      continue
    }
    if (reply.status === 303 && location) return new URL(location)
    throw new Error(`unexpected ${reply.status} ${location ?? ''}: ${reply.text.slice(0, 300)}`)
  }
  throw new Error('too many steps')
}

forEachStore(
  'Sign in with Mercado (openid-client)',
  (ctx) => {
    const issuer = () => ctx.config.publicUrl
    let address = 0
    const browser = () => new Browser(ctx.app, { 'x-forwarded-for': `203.0.113.${++address}` })
    const relyingParty = (metadata = {}) => registerRelyingParty(ctx.app, issuer(), ctx.root.token, metadata)

    test('discovery advertises the sign-in flow, and the library accepts it', async () => {
      const config = await oidc.discovery(
        new URL(issuer()),
        'x',
        undefined,
        undefined,
        libraryOptions(ctx.app),
      )
      const metadata = config.serverMetadata()
      expect(metadata).toMatchObject({
        authorization_endpoint: `${issuer()}/authorize`,
        userinfo_endpoint: `${issuer()}/userinfo`,
        end_session_endpoint: `${issuer()}/logout`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      })
      expect(metadata.scopes_supported).toEqual(
        expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']),
      )
      expect(metadata.grant_types_supported).toContain('authorization_code')
    })

    test('the whole flow: sign-in, consent, code, ID token, UserInfo, refresh, RP-initiated logout', async () => {
      const config = await relyingParty()
      const { verifier, state, nonce, url } = await authorizationRequest(config)
      const b = browser()
      const seen: { signIn?: boolean; consent?: boolean } = {}
      const callback = await authorize(b, url, ctx.alice, seen)
      expect(seen).toEqual({ signIn: true, consent: true })
      expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK)
      // RFC 9207: the response names its issuer (and the library checks it).
      expect(callback.searchParams.get('iss')).toBe(issuer())
      expect(callback.searchParams.get('state')).toBe(state)

      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      })
      const claims = tokens.claims()
      if (!claims) throw new Error('no ID token')
      const clientId = config.clientMetadata().client_id
      expect(claims).toMatchObject({
        iss: issuer(),
        sub: ctx.alice.id,
        aud: clientId,
        azp: clientId,
        nonce,
        preferred_username: ctx.alice.username,
        email: ctx.alice.email,
        email_verified: false,
      })
      for (const claim of ['exp', 'iat', 'auth_time', 'at_hash', 'sid']) expect(claims).toHaveProperty(claim)
      expect(tokens.scope?.split(' ').sort()).toEqual(SCOPE.split(' ').sort())
      expect(tokens.refresh_token).toBeString()

      // The access token works on the API within its scopes.
      const me = await ctx.client.get('/users/me', { token: tokens.access_token })
      expect(me.status).toBe(200)
      expect(me.body.username).toBe(ctx.alice.username)

      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)
      expect(info).toMatchObject({
        sub: ctx.alice.id,
        preferred_username: ctx.alice.username,
        email: ctx.alice.email,
        email_verified: false,
      })

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string)
      expect(refreshed.access_token).not.toBe(tokens.access_token)
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)

      // A second authorization of the same client is not asked again (consent remembered, SSO).
      const again = await authorizationRequest(config)
      const seenAgain: { signIn?: boolean; consent?: boolean } = {}
      await authorize(b, again.url, ctx.alice, seenAgain)
      expect(seenAgain).toEqual({})

      const logoutState = oidc.randomState()
      const endSession = oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: SIGNED_OUT,
        state: logoutState,
      })
      const out = await b.get(pathOf(endSession))
      expect(out.status).toBe(303)
      expect(out.headers.get('location')).toBe(`${SIGNED_OUT}?state=${logoutState}`)
      // The session at the client is over: its refresh chain and access tokens.
      await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token as string)).rejects.toThrow()
      expect((await ctx.client.get('/userinfo', { token: refreshed.access_token })).status).toBe(401)
      // And the browser's: the next authorization goes through the sign-in page.
      const after = await b.get(pathOf((await authorizationRequest(config)).url))
      expect(after.headers.get('location')).toStartWith('/signin?')
    })

    test('a second use of a code is invalid_grant and revokes what the first use issued', async () => {
      const config = await relyingParty()
      const { verifier, state, nonce, url } = await authorizationRequest(config)
      const callback = await authorize(browser(), url, ctx.alice)
      const checks = { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }
      const first = await oidc.authorizationCodeGrant(config, callback, checks)
      const second = oidc.authorizationCodeGrant(config, callback, checks)
      await expect(second).rejects.toMatchObject({ error: 'invalid_grant' })
      expect((await ctx.client.get('/userinfo', { token: first.access_token })).status).toBe(401)
      await expect(oidc.refreshTokenGrant(config, first.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      })
    })

    test('a wrong code_verifier is invalid_grant', async () => {
      const config = await relyingParty()
      const { state, nonce, url } = await authorizationRequest(config)
      const callback = await authorize(browser(), url, ctx.alice)
      await expect(
        oidc.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
          expectedState: state,
          expectedNonce: nonce,
        }),
      ).rejects.toMatchObject({ error: 'invalid_grant' })
    })

    test('another client cannot exchange the code', async () => {
      const [owner, thief] = [await relyingParty(), await relyingParty()]
      const { verifier, state, url } = await authorizationRequest(owner)
      const callback = await authorize(browser(), url, ctx.alice)
      await expect(
        oidc.authorizationCodeGrant(thief, callback, { pkceCodeVerifier: verifier, expectedState: state }),
      ).rejects.toMatchObject({ error: 'invalid_grant' })
    })

    test('without PKCE, or with plain, the client hears invalid_request at its redirect URI, with state and iss', async () => {
      const config = await relyingParty()
      const b = browser()
      for (const params of [
        {} as Record<string, string>,
        { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' },
      ]) {
        const url = new URL(`${issuer()}/authorize`)
        const state = oidc.randomState()
        url.search = new URLSearchParams({
          response_type: 'code',
          client_id: config.clientMetadata().client_id,
          redirect_uri: CALLBACK,
          scope: 'openid',
          state,
          ...params,
        }).toString()
        const reply = await b.get(pathOf(url))
        expect(reply.status).toBe(303)
        const location = new URL(reply.headers.get('location') ?? '')
        expect(`${location.origin}${location.pathname}`).toBe(CALLBACK)
        expect(Object.fromEntries(location.searchParams)).toMatchObject({
          error: 'invalid_request',
          state,
          iss: issuer(),
        })
        expect(location.searchParams.get('error_description')).toContain('code_challenge')
        await expect(
          oidc.authorizationCodeGrant(config, location, { expectedState: state }),
        ).rejects.toThrow()
      }
    })

    test('an unregistered redirect URI or an unknown client is an error page: never a redirect', async () => {
      const config = await relyingParty()
      const { url } = await authorizationRequest(config)
      const cases = [
        ['redirect_uri', 'https://evil.example/callback'],
        ['redirect_uri', `${CALLBACK}/more`],
        ['client_id', 'no-such-client'],
      ] as const
      for (const [name, value] of cases) {
        const bad = new URL(url)
        bad.searchParams.set(name, value)
        const reply = await browser().get(pathOf(bad))
        expect(reply.status).toBe(400)
        expect(reply.headers.get('location')).toBeNull()
        expect(reply.headers.get('content-type')).toStartWith('text/html')
        expect(reply.text).not.toContain('evil.example')
      }
    })

    test('a callback whose state is not the one sent is refused by the client', async () => {
      const config = await relyingParty()
      const { verifier, url } = await authorizationRequest(config)
      const callback = await authorize(browser(), url, ctx.alice)
      await expect(
        oidc.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: verifier,
          expectedState: oidc.randomState(),
        }),
      ).rejects.toThrow()
    })

    test('prompt=none: login_required without a session, consent_required without consent', async () => {
      const config = await relyingParty()
      const noSession = await authorizationRequest(config, { prompt: 'none' })
      const reply = await browser().get(pathOf(noSession.url))
      expect(new URL(reply.headers.get('location') ?? '').searchParams.get('error')).toBe('login_required')

      const b = browser()
      // Signed in (through another client that needs no consent), never asked for this one.
      const docs = await docsClient()
      const viaDocs = await authorizationRequest(docs, {
        redirect_uri: `${issuer()}/swagger/oauth2-redirect.html`,
        scope: 'openid',
      })
      await authorize(b, viaDocs.url, ctx.alice)
      const noConsent = await authorizationRequest(config, { prompt: 'none' })
      const refused = await b.get(pathOf(noConsent.url))
      expect(new URL(refused.headers.get('location') ?? '').searchParams.get('error')).toBe(
        'consent_required',
      )
    })

    /** The built-in docs client (first-party, public) as the library sees it. */
    async function docsClient() {
      const server = (
        await oidc.discovery(
          new URL(issuer()),
          DOCS_CLIENT_ID,
          undefined,
          oidc.None(),
          libraryOptions(ctx.app),
        )
      ).serverMetadata()
      const docs = new oidc.Configuration(
        server,
        DOCS_CLIENT_ID,
        { redirect_uris: [`${issuer()}/swagger/oauth2-redirect.html`] },
        oidc.None(),
      )
      oidc.allowInsecureRequests(docs)
      docs[oidc.customFetch] = libraryOptions(ctx.app)[oidc.customFetch]
      return docs
    }

    test('a first-party client (the docs client) is not asked for consent; without offline_access, no refresh token', async () => {
      const docs = await docsClient()
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const redirect = `${issuer()}/swagger/oauth2-redirect.html`
      const url = oidc.buildAuthorizationUrl(docs, {
        redirect_uri: redirect,
        scope: 'openid users:read',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      })
      const seen: { signIn?: boolean; consent?: boolean } = {}
      const callback = await authorize(browser(), url, ctx.alice, seen)
      expect(seen).toEqual({ signIn: true })
      const tokens = await oidc.authorizationCodeGrant(docs, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      })
      expect(tokens.refresh_token).toBeUndefined()
      expect(tokens.claims()?.sub).toBe(ctx.alice.id)
      // No profile or email scope: the ID token and UserInfo say who, nothing more.
      expect(tokens.claims()).not.toHaveProperty('email')
      const info = await ctx.client.get('/userinfo', { token: tokens.access_token })
      expect(info.body).toEqual({ sub: ctx.alice.id })
    })

    test('prompt=login sends a signed-in browser through the sign-in page again', async () => {
      const config = await relyingParty()
      const b = browser()
      await authorize(b, (await authorizationRequest(config)).url, ctx.alice)
      const seen: { signIn?: boolean; consent?: boolean } = {}
      await authorize(b, (await authorizationRequest(config, { prompt: 'login' })).url, ctx.alice, seen)
      expect(seen).toEqual({ signIn: true })
    })

    test('prompt=login cannot be skipped: the way back from the sign-in page, taken without signing in, leads there again', async () => {
      const config = await relyingParty()
      const b = browser()
      await authorize(b, (await authorizationRequest(config)).url, ctx.alice)
      const { url } = await authorizationRequest(config, { prompt: 'login' })
      const toSignIn = await b.get(pathOf(url))
      const next = new URL(toSignIn.headers.get('location') ?? '', 'http://x').searchParams.get('next') ?? ''
      expect(next).toContain('prompt=login')
      expect(next).toContain('fresh_after=')
      const stripped = new URL(next, 'http://x')
      stripped.searchParams.delete('fresh_after')
      const older = new URL(next, 'http://x')
      const [, mac] = (older.searchParams.get('fresh_after') ?? '').split('.')
      older.searchParams.set('fresh_after', `0.${mac}`)
      for (const attempt of [next, pathOf(stripped), pathOf(older)]) {
        const reply = await b.get(attempt)
        expect(reply.status).toBe(303)
        expect(reply.headers.get('location')).toStartWith('/signin?')
      }
    })

    test('max_age: a sign-in older than max_age seconds is done again, and auth_time says when', async () => {
      const config = await relyingParty()
      const b = browser()
      await authorize(b, (await authorizationRequest(config)).url, ctx.alice)
      await Bun.sleep(1100)
      const request = await authorizationRequest(config, { max_age: '1' })
      const seen: { signIn?: boolean; consent?: boolean } = {}
      const callback = await authorize(b, request.url, ctx.alice, seen)
      expect(seen).toEqual({ signIn: true })
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        maxAge: 1,
      })
      expect(Math.abs((tokens.claims()?.auth_time ?? 0) - Date.now() / 1000)).toBeLessThan(3)
    })

    test('id_token_hint naming someone else than who is signed in: login_required with prompt=none', async () => {
      const config = await relyingParty()
      const b = browser()
      const first = await authorizationRequest(config)
      const tokens = await oidc.authorizationCodeGrant(config, await authorize(b, first.url, ctx.alice), {
        pkceCodeVerifier: first.verifier,
        expectedState: first.state,
        expectedNonce: first.nonce,
      })
      const other = browser()
      await authorize(other, (await authorizationRequest(config)).url, ctx.bob)
      const hinted = await authorizationRequest(config, {
        prompt: 'none',
        id_token_hint: tokens.id_token as string,
      })
      const reply = await other.get(pathOf(hinted.url))
      expect(new URL(reply.headers.get('location') ?? '').searchParams.get('error')).toBe('login_required')
      // The right user gets a code without a prompt.
      const own = await b.get(pathOf(hinted.url))
      expect(new URL(own.headers.get('location') ?? '').searchParams.get('code')).toBeString()
    })

    test('RP-initiated logout with a hint for another user asks the one signed in instead of signing them out', async () => {
      const config = await relyingParty()
      const first = await authorizationRequest(config)
      const tokens = await oidc.authorizationCodeGrant(
        config,
        await authorize(browser(), first.url, ctx.alice),
        { pkceCodeVerifier: first.verifier, expectedState: first.state, expectedNonce: first.nonce },
      )
      const victim = browser()
      await authorize(victim, (await authorizationRequest(config)).url, ctx.bob)
      const reply = await victim.get(
        pathOf(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token as string })),
      )
      expect(reply.status).toBe(200)
      expect(reply.text).toContain('Sign out of Mercado?')
      const still = await victim.get(pathOf((await authorizationRequest(config)).url))
      expect(new URL(still.headers.get('location') ?? '').searchParams.get('code')).toBeString()
    })

    test('offline_access is left out for a client that may not refresh', async () => {
      const config = await relyingParty({ grant_types: ['authorization_code'] })
      const request = await authorizationRequest(config)
      const tokens = await oidc.authorizationCodeGrant(
        config,
        await authorize(browser(), request.url, ctx.alice),
        {
          pkceCodeVerifier: request.verifier,
          expectedState: request.state,
          expectedNonce: request.nonce,
        },
      )
      expect(tokens.refresh_token).toBeUndefined()
      expect(tokens.scope?.split(' ')).not.toContain('offline_access')
    })

    test("a redirect URI's own query is kept as registered, the response's parameters after it", async () => {
      const callback = `${CALLBACK}?tenant=a%20b&x`
      const config = await relyingParty({ redirect_uris: [callback] })
      const request = await authorizationRequest(config, { redirect_uri: callback })
      const reply = await authorize(browser(), request.url, ctx.alice)
      expect(reply.href).toStartWith(`${callback}&code=`)
      expect(reply.searchParams.get('state')).toBe(request.state)
    })

    test('a state over 1024 characters is refused, and still echoed', async () => {
      const config = await relyingParty()
      const { url } = await authorizationRequest(config, { state: 's'.repeat(1025) })
      const reply = await browser().get(pathOf(url))
      const location = new URL(reply.headers.get('location') ?? '')
      expect(location.searchParams.get('error')).toBe('invalid_request')
      expect(location.searchParams.get('state')).toBe('s'.repeat(1025))
    })

    test('a token request repeating code, redirect_uri or code_verifier is invalid_request', async () => {
      for (const name of ['code', 'redirect_uri', 'code_verifier']) {
        const form = new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: DOCS_CLIENT_ID,
          code: 'c',
          redirect_uri: 'https://x.example/',
          code_verifier: 'v'.repeat(43),
        })
        form.append(name, 'again')
        const reply = await ctx.app.handle(
          new Request('http://localhost/auth/token', {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form,
          }),
        )
        expect(reply.status).toBe(400)
        expect(((await reply.json()) as { error: string }).error).toBe('invalid_request')
      }
    })

    test('denying consent sends access_denied; revoking it asks again and ends the refresh tokens', async () => {
      const config = await relyingParty()
      const clientId = config.clientMetadata().client_id
      const b = browser()
      const { url, state } = await authorizationRequest(config)
      let reply = await b.get(pathOf(url))
      const form = await b.get(reply.headers.get('location') ?? '')
      reply = await b.post('/signin', {
        csrf: csrfOf(form),
        next: hiddenField(form, 'next'),
        username: ctx.alice.username,
        password: ctx.alice.password,
      })
      const consent = await b.get(reply.headers.get('location') ?? '')
      expect(consent.text).toContain('Shop front')
      expect(consent.text).toContain('See your email address')
      const denied = await b.post('/authorize/consent', {
        csrf: csrfOf(consent),
        request: hiddenField(consent, 'request'),
        decision: 'deny',
      })
      const location = new URL(denied.headers.get('location') ?? '')
      expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: 'access_denied', state })

      const allowed = await authorizationRequest(config)
      const tokens = await oidc.authorizationCodeGrant(config, await authorize(b, allowed.url, ctx.alice), {
        pkceCodeVerifier: allowed.verifier,
        expectedState: allowed.state,
        expectedNonce: allowed.nonce,
      })
      const listed = await ctx.client.get('/users/me/consents', { token: ctx.alice.token })
      expect(listed.status).toBe(200)
      expect(listed.body).toContainEqual(
        expect.objectContaining({ client_id: clientId, client_name: 'Shop front' }),
      )
      expect(
        (await ctx.client.delete(`/users/me/consents/${clientId}`, { token: ctx.alice.token })).status,
      ).toBe(204)
      expect(
        (await ctx.client.delete(`/users/me/consents/${clientId}`, { token: ctx.alice.token })).status,
      ).toBe(404)
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      })
      const seen: { signIn?: boolean; consent?: boolean } = {}
      await authorize(b, (await authorizationRequest(config)).url, ctx.alice, seen)
      expect(seen).toEqual({ consent: true })
    })

    test('UserInfo refuses tokens without openid (403) and without a token (401), on GET and POST', async () => {
      expect((await ctx.client.get('/userinfo', { token: ctx.alice.token })).status).toBe(403)
      const anonymous = await ctx.client.post('/userinfo')
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toStartWith('Bearer')
    })

    test('RP-initiated logout without a hint asks first; an unregistered post_logout_redirect_uri is an error page', async () => {
      const config = await relyingParty()
      const clientId = config.clientMetadata().client_id
      const b = browser()
      await authorize(b, (await authorizationRequest(config)).url, ctx.alice)
      const ask = await b.get(
        `/logout?client_id=${clientId}&post_logout_redirect_uri=${encodeURIComponent(SIGNED_OUT)}&state=s1`,
      )
      expect(ask.status).toBe(200)
      expect(ask.text).toContain('Sign out of Mercado?')
      const done = await b.post('/logout', {
        csrf: csrfOf(ask),
        client_id: clientId,
        post_logout_redirect_uri: SIGNED_OUT,
        state: 's1',
      })
      expect(done.status).toBe(303)
      expect(done.headers.get('location')).toBe(`${SIGNED_OUT}?state=s1`)
      const bad = await b.get(
        `/logout?client_id=${clientId}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
      )
      expect(bad.status).toBe(400)
      expect(bad.headers.get('location')).toBeNull()
    })
  },
  { accounts: { alice: 'user', bob: 'user', root: 'admin' } },
)

for (const kind of ENGINES) {
  describe(`sign-in flow, two instances on one store (${kind})`, () => {
    let shared: Awaited<ReturnType<typeof sharedStores>>
    let a: ReturnType<typeof testApp>
    let b: ReturnType<typeof testApp>
    beforeAll(async () => {
      shared = await sharedStores(kind)
      a = testApp(shared.stores[0])
      b = testApp(shared.stores[1])
      await Promise.all([a.services.keys.start(), b.services.keys.start()])
    })
    afterAll(async () => {
      a.services.keys.stop()
      b.services.keys.stop()
      await shared.close()
    })

    test('signed in and consented on A, authorized on B, code exchanged on A, logged out on B', async () => {
      const admin = await createAdmin(a.client)
      const user = await registerUser(b.client)
      const rpA = await registerRelyingParty(a.app, a.config.publicUrl, admin.token)
      const onB = (config: oidc.Configuration) => {
        const copy = new oidc.Configuration(
          config.serverMetadata(),
          config.clientMetadata().client_id,
          config.clientMetadata(),
          oidc.ClientSecretBasic(config.clientMetadata().client_secret as string),
        )
        oidc.allowInsecureRequests(copy)
        copy[oidc.customFetch] = libraryOptions(b.app)[oidc.customFetch]
        return copy
      }
      const browserA = new Browser(a.app)
      // Sign-in session and consent made on A.
      const first = await authorizationRequest(rpA)
      await authorize(browserA, first.url, user)
      // The same cookies on B: signed in, consent known, a code at once.
      const browserB = new Browser(b.app)
      for (const [name, value] of browserA.cookies) browserB.cookies.set(name, value)
      const second = await authorizationRequest(rpA)
      const seen: { signIn?: boolean; consent?: boolean } = {}
      const callback = await authorize(browserB, second.url, user, seen)
      expect(seen).toEqual({})
      // The code from B is exchanged on A, once.
      const tokens = await oidc.authorizationCodeGrant(rpA, callback, {
        pkceCodeVerifier: second.verifier,
        expectedState: second.state,
        expectedNonce: second.nonce,
      })
      await expect(
        oidc.authorizationCodeGrant(onB(rpA), callback, {
          pkceCodeVerifier: second.verifier,
          expectedState: second.state,
          expectedNonce: second.nonce,
        }),
      ).rejects.toMatchObject({ error: 'invalid_grant' })
      // Logged out on B: the session ends for A too.
      const out = await browserB.get(
        pathOf(oidc.buildEndSessionUrl(rpA, { id_token_hint: tokens.id_token as string })),
      )
      expect(out.status).toBe(200)
      const after = await browserA.get(pathOf((await authorizationRequest(rpA)).url))
      expect(after.headers.get('location')).toStartWith('/signin?')
      expect((await a.client.get('/userinfo', { token: tokens.access_token })).status).toBe(401)
    })
  })
}
