/**
 * Mercado as an authorization server, driven by a strict client library nobody here wrote
 * (panva's openid-client, on oauth4webapi): discovery, RFC 7591 registration with an admin's token,
 * client credentials, JWKS-only verification (the example resource server), introspection,
 * revocation, and a key rotation with old and new tokens both verifying (issue #11).
 */
import { describe, expect, test } from 'bun:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import * as oidc from 'openid-client'
import { resourceServer } from '../examples/resource-server'
import { API_SCOPES, OIDC_SCOPES } from '../src/core/domain'
import { forEachStore } from './support/fixture'

/** Short enough for a test to wait out: a rotated key signs one second after it is published. */
const env = { KEY_ACTIVATION_DELAY: '1s' }

forEachStore(
  'OAuth provider (openid-client)',
  (ctx) => {
    const issuer = () => ctx.config.publicUrl
    /** Every request of the library goes to the app in process, as it would over the network. */
    const fetcher = (url: string | URL, init?: RequestInit) => ctx.app.handle(new Request(String(url), init))
    const options = () => ({
      execute: [oidc.allowInsecureRequests],
      [oidc.customFetch]: fetcher as unknown as oidc.CustomFetch,
    })

    /** A confidential machine client, registered through RFC 7591 with the admin's token. */
    const register = (metadata: Partial<oidc.ClientMetadata> = {}) =>
      oidc.dynamicClientRegistration(
        new URL(issuer()),
        {
          client_name: 'reporting service',
          grant_types: ['client_credentials'],
          scope: 'products:read users:read',
          token_endpoint_auth_method: 'client_secret_basic',
          ...metadata,
        },
        // The method it registers: openid-client would default to client_secret_post.
        metadata.token_endpoint_auth_method === 'client_secret_post'
          ? oidc.ClientSecretPost()
          : oidc.ClientSecretBasic(),
        { ...options(), initialAccessToken: ctx.root.token },
      )

    test('discovery: the library accepts the metadata, and it lists what is implemented', async () => {
      const config = await oidc.discovery(new URL(issuer()), 'anyone', undefined, undefined, options())
      const metadata = config.serverMetadata()
      expect(metadata.issuer).toBe(issuer())
      expect(metadata.token_endpoint).toBe(`${issuer()}/auth/token`)
      expect(metadata.jwks_uri).toBe(`${issuer()}/.well-known/jwks.json`)
      expect(metadata.registration_endpoint).toBe(`${issuer()}/clients`)
      expect(metadata.introspection_endpoint).toBe(`${issuer()}/auth/introspect`)
      expect(metadata.revocation_endpoint).toBe(`${issuer()}/auth/revoke`)
      expect(metadata.grant_types_supported).toEqual([
        'authorization_code',
        'client_credentials',
        'refresh_token',
        'password',
      ])
      expect(metadata.scopes_supported).toEqual([...OIDC_SCOPES, ...API_SCOPES])
      // RFC 8414's document is the OpenID one without what only OpenID Connect defines.
      const openIdOnly = [
        'userinfo_endpoint',
        'end_session_endpoint',
        'subject_types_supported',
        'id_token_signing_alg_values_supported',
        'claims_supported',
        'prompt_values_supported',
        'request_parameter_supported',
        'request_uri_parameter_supported',
        'claims_parameter_supported',
      ]
      const rfc8414 = await ctx.client.get('/.well-known/oauth-authorization-server')
      expect(rfc8414.body).toEqual(
        Object.fromEntries(Object.entries(metadata).filter(([key]) => !openIdOnly.includes(key))),
      )
    })

    test('RFC 7591 registration needs an admin token: anonymous 401, a user 403', async () => {
      const body = { client_name: 'x', grant_types: ['client_credentials'], scope: 'products:read' }
      expect((await ctx.client.post('/clients', { body })).status).toBe(401)
      expect((await ctx.client.post('/clients', { token: ctx.alice.token, body })).status).toBe(403)
    })

    test('client credentials: a token for the client itself, verifiable with the JWKS alone', async () => {
      const config = await register()
      const { client_id } = config.clientMetadata()
      const tokens = await oidc.clientCredentialsGrant(config, { scope: 'products:read' })
      expect(tokens.token_type.toLowerCase()).toBe('bearer')
      expect(tokens.scope).toBe('products:read')
      expect(tokens.refresh_token).toBeUndefined()
      const jwks = (await ctx.client.get('/.well-known/jwks.json')).body
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
        issuer: issuer(),
        audience: ctx.config.jwtAudience,
        typ: 'at+jwt',
      })
      expect(protectedHeader.alg).toBe('RS256')
      expect(payload).toMatchObject({ sub: client_id, client_id, scope: 'products:read' })
      for (const claim of ['iat', 'exp', 'jti']) expect(payload).toHaveProperty(claim)
    })

    test('a scope the client is not registered for is invalid_scope; another grant unauthorized_client', async () => {
      const config = await register()
      const wide = await rejection(oidc.clientCredentialsGrant(config, { scope: 'users:write' }))
      expect(wide).toMatchObject({ error: 'invalid_scope' })
      const password = await rejection(
        oidc.genericGrantRequest(config, 'password', {
          username: ctx.alice.username,
          password: ctx.alice.password,
        }),
      )
      expect(password).toMatchObject({ error: 'unauthorized_client' })
    })

    test('a wrong secret is invalid_client, 401 with a Basic challenge', async () => {
      const registered = await register()
      const { client_id } = registered.clientMetadata()
      const config = new oidc.Configuration(
        registered.serverMetadata(),
        client_id,
        undefined,
        oidc.ClientSecretBasic('not-the-secret'),
      )
      oidc.allowInsecureRequests(config)
      config[oidc.customFetch] = fetcher as unknown as oidc.CustomFetch
      // The library refuses a 401 that carries a challenge before it reads the body: both are ours.
      const error = (await rejection(
        oidc.clientCredentialsGrant(config),
      )) as oidc.WWWAuthenticateChallengeError
      expect(error).toBeInstanceOf(oidc.WWWAuthenticateChallengeError)
      expect(error.status).toBe(401)
      expect(error.cause[0]?.scheme).toBe('basic')
      expect(await error.response.json()).toMatchObject({ error: 'invalid_client' })
    })

    test('a client-credentials token acts for no user: Mercado’s user routes answer it 403', async () => {
      const config = await register({ scope: 'users:read' })
      const tokens = await oidc.clientCredentialsGrant(config)
      const reply = await ctx.client.get('/users/me', { token: tokens.access_token })
      expect(reply.status).toBe(403)
    })

    test('the example resource server accepts the token by the JWKS only, and checks its scope', async () => {
      const config = await register()
      const rs = await resourceServer({
        issuer: issuer(),
        audience: ctx.config.jwtAudience,
        scope: 'products:read',
        fetch: (url) => fetcher(url),
      })
      const call = (token: string) =>
        rs.handle(
          new Request('http://resource.example/whoami', { headers: { authorization: `Bearer ${token}` } }),
        )
      const good = await oidc.clientCredentialsGrant(config, { scope: 'products:read' })
      const ok = await call(good.access_token)
      expect(ok.status).toBe(200)
      expect(await ok.json()).toMatchObject({ client_id: config.clientMetadata().client_id })
      const narrow = await oidc.clientCredentialsGrant(config, { scope: 'users:read' })
      const refused = await call(narrow.access_token)
      expect(refused.status).toBe(403)
      expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
      expect((await call('not.a.token')).status).toBe(401)
    })

    test('introspection: active with its claims, then inactive once revoked (RFC 7662, RFC 7009)', async () => {
      const config = await register()
      const tokens = await oidc.clientCredentialsGrant(config)
      const active = await oidc.tokenIntrospection(config, tokens.access_token)
      expect(active).toMatchObject({
        active: true,
        client_id: config.clientMetadata().client_id,
        scope: 'products:read users:read',
        token_type: 'Bearer',
        iss: issuer(),
      })
      await oidc.tokenRevocation(config, tokens.access_token)
      expectInactive(await oidc.tokenIntrospection(config, tokens.access_token))
      expectInactive(await oidc.tokenIntrospection(config, 'never-issued'))
    })

    test("a user's tokens introspect (refresh tokens only to their client); revoking one ends the session", async () => {
      const app = await register({ grant_types: ['password', 'refresh_token'] })
      const rs = await register()
      const tokens = await oidc.genericGrantRequest(app, 'password', {
        username: ctx.alice.username,
        password: ctx.alice.password,
      })
      const refreshToken = tokens.refresh_token ?? ''
      const refresh = await oidc.tokenIntrospection(app, refreshToken)
      expect(refresh).toMatchObject({
        active: true,
        username: ctx.alice.username,
        client_id: app.clientMetadata().client_id,
      })
      expect(refresh).not.toHaveProperty('token_type')
      // Another client learns nothing of it.
      expectInactive(await oidc.tokenIntrospection(rs, refreshToken))
      const access = await oidc.tokenIntrospection(rs, tokens.access_token)
      expect(access).toMatchObject({ active: true, username: ctx.alice.username, sub: ctx.alice.id })
      await oidc.tokenRevocation(app, tokens.access_token)
      expect((await ctx.client.get('/users/me', { token: tokens.access_token })).status).toBe(401)
      expectInactive(await oidc.tokenIntrospection(rs, tokens.access_token))
      expectInactive(await oidc.tokenIntrospection(app, refreshToken))
    })

    test('a public client revokes its tokens by its client_id; the docs client is one', async () => {
      const user = await ctx.registerUser()
      const revoked = await ctx.client.post('/auth/revoke', {
        form: { token: user.refreshToken, client_id: 'mercado-docs' },
      })
      expect(revoked.status).toBe(200)
      expect(revoked.body).toBe('')
      expect((await ctx.client.get('/users/me', { token: user.token })).status).toBe(401)
    })

    test("a client may not revoke another client's token: unauthorized_client, and it stays active", async () => {
      const [mine, theirs] = await Promise.all([register(), register()])
      const tokens = await oidc.clientCredentialsGrant(theirs)
      const error = await rejection(oidc.tokenRevocation(mine, tokens.access_token))
      expect(error).toMatchObject({ error: 'unauthorized_client' })
      expect(await oidc.tokenIntrospection(theirs, tokens.access_token)).toMatchObject({ active: true })
    })

    test('a public client may not introspect', async () => {
      const reply = await ctx.client.post('/auth/introspect', {
        form: { token: ctx.alice.token, client_id: 'mercado-docs' },
      })
      expect(reply.status).toBe(401)
      expect(reply.body.error).toBe('invalid_client')
    })

    test('a key rotation during use: tokens of the old and the new key both verify until the old retires', async () => {
      const config = await register()
      const before = await oidc.clientCredentialsGrant(config)
      const rotated = await ctx.client.post('/admin/keys/rotate', { token: ctx.root.token })
      expect(rotated.status).toBe(200)
      await Bun.sleep(Math.max(0, Date.parse(rotated.body.activatesAt) - Date.now()) + 50)
      const after = await oidc.clientCredentialsGrant(config)
      expect(decodeProtectedHeader(after.access_token).kid).toBe(rotated.body.kid)
      expect(decodeProtectedHeader(before.access_token).kid).not.toBe(rotated.body.kid)
      const jwks = createLocalJWKSet((await ctx.client.get('/.well-known/jwks.json')).body)
      for (const token of [before.access_token, after.access_token]) {
        await jwtVerify(token, jwks, { issuer: issuer(), audience: ctx.config.jwtAudience })
        expect(await oidc.tokenIntrospection(config, token)).toMatchObject({ active: true })
      }
    })

    describe('the password grant at /auth/token', () => {
      test('without a client it acts for the docs client, with every API scope unless fewer are asked', async () => {
        const all = await ctx.client.post('/auth/token', {
          form: { grant_type: 'password', username: ctx.alice.username, password: ctx.alice.password },
        })
        expect(all.status).toBe(200)
        expect(all.body.scope.split(' ')).toContain('products:write')
        const few = await ctx.client.post('/auth/token', {
          form: {
            grant_type: 'password',
            username: ctx.alice.username,
            password: ctx.alice.password,
            scope: 'users:read',
          },
        })
        expect(few.body.scope).toBe('users:read')
        // A token without users:write may read the account but not change it.
        expect((await ctx.client.get('/users/me', { token: few.body.access_token })).status).toBe(200)
        const change = await ctx.client.patch('/users/me', {
          token: few.body.access_token,
          body: { fullName: 'x' },
        })
        expect(change.status).toBe(403)
        expect(change.headers.get('www-authenticate')).toBe(
          'Bearer realm="mercado", error="insufficient_scope", scope="users:write"',
        )
      })

      test("Swagger UI's empty Basic credentials (`Basic Og==`) name no client: the docs client", async () => {
        const reply = await ctx.client.post('/auth/login', {
          headers: { authorization: 'Basic Og==' },
          form: { grant_type: 'password', username: ctx.alice.username, password: ctx.alice.password },
        })
        expect(reply.status).toBe(200)
        expect(reply.body.scope.split(' ')).toContain('users:read')
      })

      test("Swagger UI's Basic credentials of the docs client with an empty secret name the docs client", async () => {
        // What the password flow sends once the docs page sets `initOAuth({ clientId: 'mercado-docs' })`.
        const reply = await ctx.client.post('/auth/login', {
          headers: { authorization: `Basic ${btoa('mercado-docs:')}` },
          form: { grant_type: 'password', username: ctx.alice.username, password: ctx.alice.password },
        })
        expect(reply.status).toBe(200)
        expect(reply.body.scope.split(' ')).toContain('users:read')
        const wrong = await ctx.client.post('/auth/login', {
          headers: { authorization: `Basic ${btoa('mercado-docs:guess')}` },
          form: { grant_type: 'password', username: ctx.alice.username, password: ctx.alice.password },
        })
        expect(wrong.status).toBe(401)
        expect(wrong.body.error).toBe('invalid_client')
      })

      test('a refresh keeps the scopes, may narrow them, never widen them', async () => {
        const few = await ctx.client.post('/auth/token', {
          form: {
            grant_type: 'password',
            username: ctx.alice.username,
            password: ctx.alice.password,
            scope: 'users:read products:write',
          },
        })
        const kept = await ctx.client.post('/auth/token', {
          form: { grant_type: 'refresh_token', refresh_token: few.body.refresh_token },
        })
        expect(kept.body.scope).toBe('users:read products:write')
        const wider = await ctx.client.post('/auth/token', {
          form: { grant_type: 'refresh_token', refresh_token: kept.body.refresh_token, scope: 'users:write' },
        })
        expect(wider.body.error).toBe('invalid_scope')
      })

      test("a client's refresh token is refused to another client (invalid_grant) and to none (invalid_client)", async () => {
        const config = await register({ grant_types: ['password', 'refresh_token'] })
        const other = await register({ grant_types: ['password', 'refresh_token'] })
        const tokens = await oidc.genericGrantRequest(config, 'password', {
          username: ctx.alice.username,
          password: ctx.alice.password,
        })
        const anonymous = await ctx.client.post('/auth/token', {
          form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' },
        })
        expect(anonymous.status).toBe(401)
        expect(anonymous.body.error).toBe('invalid_client')
        const stolen = await rejection(oidc.refreshTokenGrant(other, tokens.refresh_token ?? ''))
        expect(stolen).toMatchObject({ error: 'invalid_grant' })
        const own = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')
        expect(own.access_token).toBeString()
      })

      test("logout and revocation of a registered client's token need that client: 401 without, unauthorized_client for another", async () => {
        const config = await register({ grant_types: ['password', 'refresh_token'] })
        const other = await register({ grant_types: ['password', 'refresh_token'] })
        const tokens = await oidc.genericGrantRequest(config, 'password', {
          username: ctx.alice.username,
          password: ctx.alice.password,
        })
        const refreshToken = tokens.refresh_token ?? ''
        for (const path of ['/auth/logout', '/auth/revoke']) {
          const field = path === '/auth/logout' ? 'refresh_token' : 'token'
          const anonymous = await ctx.client.post(path, { form: { [field]: refreshToken } })
          expect({ path, status: anonymous.status, error: anonymous.body.error }).toEqual({
            path,
            status: 401,
            error: 'invalid_client',
          })
        }
        expect(await rejection(oidc.tokenRevocation(other, refreshToken))).toMatchObject({
          error: 'unauthorized_client',
        })
        // Nothing was ended: the owner still refreshes.
        expect((await oidc.refreshTokenGrant(config, refreshToken)).access_token).toBeString()
      })

      test('client credentials without a client is invalid_client (401); a repeated parameter invalid_request', async () => {
        const anonymous = await ctx.client.post('/auth/token', { form: { grant_type: 'client_credentials' } })
        expect(anonymous.status).toBe(401)
        expect(anonymous.body.error).toBe('invalid_client')
        const repeated = await ctx.client.post('/auth/token', {
          body: 'grant_type=password&grant_type=client_credentials',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
        expect(repeated.body.error).toBe('invalid_request')
      })

      test('a narrowed refresh narrows the access token only: the next refresh may ask for the rest', async () => {
        const granted = await ctx.client.post('/auth/token', {
          form: {
            grant_type: 'password',
            username: ctx.alice.username,
            password: ctx.alice.password,
            scope: 'users:read products:write',
          },
        })
        const narrow = await ctx.client.post('/auth/token', {
          form: {
            grant_type: 'refresh_token',
            refresh_token: granted.body.refresh_token,
            scope: 'users:read',
          },
        })
        expect(narrow.body.scope).toBe('users:read')
        const again = await ctx.client.post('/auth/token', {
          form: { grant_type: 'refresh_token', refresh_token: narrow.body.refresh_token },
        })
        expect(again.body.scope).toBe('users:read products:write')
      })

      test('an unknown grant type is unsupported_grant_type; a missing one invalid_request', async () => {
        const unknown = await ctx.client.post('/auth/token', { form: { grant_type: 'urn:made:up' } })
        expect(unknown.body.error).toBe('unsupported_grant_type')
        const missing = await ctx.client.post('/auth/token', { form: { username: 'x' } })
        expect(missing.body.error).toBe('invalid_request')
      })
    })
  },
  { accounts: { alice: 'user', root: 'admin' }, env },
)

describe('PASSWORD_GRANT=false', () => {
  forEachStore(
    'password grant off',
    (ctx) => {
      test('the password grant is unsupported_grant_type, on /auth/token and /auth/login, and not advertised', async () => {
        const form = { grant_type: 'password', username: 'someone', password: 'whatever-it-is' }
        for (const path of ['/auth/token', '/auth/login']) {
          const reply = await ctx.client.post(path, { form })
          expect(reply.body.error).toBe('unsupported_grant_type')
        }
        const metadata = await ctx.client.get('/.well-known/oauth-authorization-server')
        expect(metadata.body.grant_types_supported).not.toContain('password')
      })
    },
    { env: { PASSWORD_GRANT: 'false' } },
  )
})

/** RFC 7662 section 2.2: an inactive token is `{ "active": false }` and nothing more. */
function expectInactive(introspection: unknown): void {
  expect(introspection).toEqual({ active: false })
}

/** The error a promise rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}
