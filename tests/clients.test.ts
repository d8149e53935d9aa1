/** `POST /clients`: RFC 7591 registration by an admin, and every metadata refusal (docs/api.md: Clients). */
import { describe, expect, test } from 'bun:test'
import { hashClientSecret } from '../src/core/client-secrets'
import { SCOPES } from '../src/core/domain'
import { etagOf, expectJson, expectProblem } from './support/assertions'
import { webApp } from './support/clients'
import { forEachStore } from './support/fixture'

forEachStore(
  'client registration',
  (ctx) => {
    const register = (body: unknown, token = ctx.root.token) => ctx.client.post('/clients', { token, body })

    /** Asserts an RFC 7591 error: 400 `{ error, error_description }`, and nothing registered. */
    async function expectRefused(body: unknown, error: 'invalid_redirect_uri' | 'invalid_client_metadata') {
      const before = (await ctx.client.get('/clients?limit=1', { token: ctx.root.token })).body.total
      const reply = await register(body)
      expect({ status: reply.status, error: reply.body.error }).toEqual({ status: 400, error })
      expect(reply.body.error_description).toBeString()
      expect(reply.headers.get('content-type')).toStartWith('application/json')
      expect((await ctx.client.get('/clients?limit=1', { token: ctx.root.token })).body.total).toBe(before)
    }

    describe('who may register', () => {
      test('anonymous: 401 with a Bearer challenge', async () => {
        const reply = await ctx.client.post('/clients', { body: webApp() })
        expectProblem(reply, 401)
        expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="mercado"')
      })

      test('a signed-in user who is no admin: 403', async () => {
        expectProblem(await register(webApp(), ctx.alice.token), 403)
      })
    })

    describe('a confidential client', () => {
      test('201 with the metadata, the secret once, Location, ETag and no-store', async () => {
        const metadata = webApp()
        const reply = await register(metadata)
        expectJson(reply, 201)
        expect(reply.headers.get('cache-control')).toBe('no-store')
        expect(reply.headers.get('location')).toBe(`/clients/${reply.body.client_id}`)
        etagOf(reply)
        expect(reply.body).toEqual({
          ...metadata,
          client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22,}$/),
          client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
          client_secret_expires_at: 0,
          client_id_issued_at: expect.any(Number),
          post_logout_redirect_uris: [],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
          first_party: false,
        })
        expect(Math.abs(reply.body.client_id_issued_at - Date.now() / 1000)).toBeLessThan(60)
      })

      test('the store keeps only the SHA-256 of the secret, and GET never shows it', async () => {
        const { client_id, client_secret } = (await register(webApp())).body
        const record = await ctx.store.clients.findById(client_id)
        expect(record?.secretHash).toBe(hashClientSecret(client_secret))
        expect(JSON.stringify(record)).not.toContain(client_secret)
        const read = await ctx.client.get(`/clients/${client_id}`, { token: ctx.root.token })
        expect(read.status).toBe(200)
        expect(read.body.client_secret).toBeUndefined()
        expect(JSON.stringify(read.body)).not.toContain(client_secret)
      })

      test('every registration gets its own id and secret', async () => {
        const [a, b] = await Promise.all([register(webApp()), register(webApp())])
        expect(a.body.client_id).not.toBe(b.body.client_id)
        expect(a.body.client_secret).not.toBe(b.body.client_secret)
      })

      test('a machine client with client_credentials and client_secret_post, first-party', async () => {
        const reply = await register({
          client_name: 'Stock sync',
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_post',
          scope: 'products:read products:write',
          first_party: true,
        })
        expectJson(reply, 201)
        expect(reply.body).toMatchObject({
          redirect_uris: [],
          response_types: [],
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_post',
          scope: 'products:read products:write',
          first_party: true,
          client_secret: expect.any(String),
        })
      })

      test('defaults: authorization_code, code, client_secret_basic, the sign-in scopes', async () => {
        const reply = await register({ client_name: 'Minimal', redirect_uris: ['https://m.example.com/cb'] })
        expect(reply.body).toMatchObject({
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'openid profile email',
        })
      })

      test('unknown metadata and server-assigned fields are ignored (RFC 7591 section 2)', async () => {
        const reply = await register(
          webApp({ logo_uri: 'https://x.example/l.png', client_id: 'mine', client_secret: 's' }),
        )
        expectJson(reply, 201)
        expect(reply.body.client_id).not.toBe('mine')
        expect(reply.body.client_secret).not.toBe('s')
        expect(reply.body.logo_uri).toBeUndefined()
      })

      test('duplicate scopes, grants and URIs are kept once; the name is trimmed', async () => {
        const reply = await register(
          webApp({
            client_name: '  Spaced  ',
            scope: 'openid  openid products:read',
            grant_types: ['authorization_code', 'authorization_code'],
            redirect_uris: ['https://a.example/cb', 'https://a.example/cb'],
          }),
        )
        expect(reply.body).toMatchObject({
          client_name: 'Spaced',
          scope: 'openid products:read',
          grant_types: ['authorization_code'],
          redirect_uris: ['https://a.example/cb'],
        })
      })

      test('every known scope may be registered', async () => {
        const reply = await register(webApp({ scope: SCOPES.join(' ') }))
        expect(reply.body.scope).toBe(SCOPES.join(' '))
      })
    })

    describe('a public client', () => {
      test('token_endpoint_auth_method none: 201 without a secret', async () => {
        const reply = await register(webApp({ token_endpoint_auth_method: 'none' }))
        expectJson(reply, 201)
        expect(reply.body.token_endpoint_auth_method).toBe('none')
        expect(reply.body.client_secret).toBeUndefined()
        expect(reply.body.client_secret_expires_at).toBeUndefined()
        expect((await ctx.store.clients.findById(reply.body.client_id))?.secretHash).toBeNull()
      })

      test('loopback http redirect URIs are allowed', async () => {
        const uris = ['http://localhost:8080/cb', 'http://127.0.0.1/cb', 'http://[::1]:3000/cb']
        const reply = await register(webApp({ token_endpoint_auth_method: 'none', redirect_uris: uris }))
        expect(reply.status).toBe(201)
        expect(reply.body.redirect_uris).toEqual(uris)
      })
    })

    describe('refusals (RFC 7591 section 3.2.2)', () => {
      test.each([
        ['relative', '/callback'],
        ['not a URL', 'not a url'],
        ['with a fragment', 'https://app.example.com/cb#x'],
        ['with an empty fragment', 'https://app.example.com/cb#'],
        ['plain http off loopback', 'http://app.example.com/cb'],
        ['another scheme', 'ftp://app.example.com/cb'],
        ['a custom scheme', 'com.example.app:/cb'],
        ['with credentials', 'https://user:pw@app.example.com/cb'],
        ['http on a look-alike host', 'http://localhost.example.com/cb'],
      ])('a redirect URI %s: invalid_redirect_uri', async (_, uri) => {
        await expectRefused(webApp({ redirect_uris: [uri] }), 'invalid_redirect_uri')
      })

      test('a bad post-logout redirect URI: invalid_redirect_uri', async () => {
        await expectRefused(
          webApp({ post_logout_redirect_uris: ['http://app.example.com/bye'] }),
          'invalid_redirect_uri',
        )
      })

      test('authorization_code without a redirect URI: invalid_redirect_uri', async () => {
        await expectRefused(webApp({ redirect_uris: [] }), 'invalid_redirect_uri')
        await expectRefused({ client_name: 'No URIs' }, 'invalid_redirect_uri')
      })

      test.each([
        [
          'a public client with client_credentials',
          { grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' },
        ],
        ['refresh_token alone', { grant_types: ['refresh_token'] }],
        [
          'refresh_token with client_credentials only',
          { grant_types: ['client_credentials', 'refresh_token'] },
        ],
        [
          'response_types code without authorization_code',
          { grant_types: ['client_credentials'], response_types: ['code'] },
        ],
        ['no response type with authorization_code', { response_types: [] }],
        ['an unknown scope', { scope: 'openid admin' }],
        ['an unknown grant type', { grant_types: ['implicit'] }],
        ['an unknown response type', { response_types: ['token'] }],
        ['an unknown auth method', { token_endpoint_auth_method: 'private_key_jwt' }],
        ['no grant type', { grant_types: [] }],
        ['a blank name', { client_name: '   ' }],
        ['no name', { client_name: undefined }],
        ['a name too long', { client_name: 'x'.repeat(101) }],
        ['redirect_uris not a list', { redirect_uris: 'https://app.example.com/cb' }],
        ['first_party not a boolean', { first_party: 'yes' }],
        ['scope not a string', { scope: ['openid'] }],
      ])('%s: invalid_client_metadata', async (_, fields) => {
        await expectRefused(webApp(fields), 'invalid_client_metadata')
      })

      test('a body that is not JSON: invalid_client_metadata', async () => {
        const reply = await register('{"client_name":')
        expect({ status: reply.status, error: reply.body.error }).toEqual({
          status: 400,
          error: 'invalid_client_metadata',
        })
      })

      test('a body that is no object: invalid_client_metadata', async () => {
        await expectRefused([], 'invalid_client_metadata')
      })

      test('another media type stays a 415 problem', async () => {
        const reply = await ctx.client.post('/clients', {
          token: ctx.root.token,
          form: { client_name: 'x' },
        })
        expectProblem(reply, 415)
      })
    })
  },
  { accounts: { alice: 'user', root: 'admin' } },
)
