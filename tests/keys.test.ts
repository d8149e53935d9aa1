/**
 * Signing keys (docs/api.md, Tokens and keys): the JWKS, verification from the JWKS alone,
 * rotation on demand with publish-before-use, encryption at rest, and two instances on one store.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { type Account, type Client, createAdmin, login, registerUser, testApp } from './support/app'
import { eventually } from './support/assertions'
import { forEachStore } from './support/fixture'
import { ENGINES, sharedStores } from './support/stores'

/** Short enough for tests to wait out: a rotated key signs one second after it is published. */
const env = { KEY_ACTIVATION_DELAY: '1s' }
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

const kidOf = (token: string) => decodeProtectedHeader(token).kid
const jwksOf = async (client: Client) => (await client.get('/.well-known/jwks.json')).body
const kidsOf = async (client: Client) => (await jwksOf(client)).keys.map((key: { kid: string }) => key.kid)

/** Verifies `token` as a resource server would: with the published JWKS only, no secret. */
async function verifyWithJwks(client: Client, token: string, issuer: string) {
  return jwtVerify(token, createLocalJWKSet(await jwksOf(client)), {
    issuer,
    audience: 'mercado',
    typ: 'at+jwt',
    algorithms: ['RS256'],
  })
}

const me = async (client: Client, token: string) => (await client.get('/users/me', { token })).status

/** Waits until `at` (an ISO time) has passed, and a little more. */
const until = (at: string) => Bun.sleep(Math.max(0, Date.parse(at) - Date.now()) + 50)

forEachStore(
  'signing keys',
  (ctx) => {
    describe('GET /.well-known/jwks.json', () => {
      test('lists the signing key of our tokens: public members only, cacheable, no authentication', async () => {
        const reply = await ctx.client.get('/.well-known/jwks.json')
        expect(reply.status).toBe(200)
        expect(reply.headers.get('content-type')).toStartWith('application/json')
        expect(reply.headers.get('cache-control')).toBe('public, max-age=1')
        expect(reply.body.keys.length).toBeGreaterThanOrEqual(1)
        for (const key of reply.body.keys) {
          expect(key).toEqual({
            kty: 'RSA',
            kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
            alg: 'RS256',
            use: 'sig',
            n: expect.any(String),
            e: 'AQAB',
          })
          for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member)
        }
        expect(reply.body.keys.map((key: { kid: string }) => key.kid)).toContain(kidOf(ctx.alice.token))
      })

      test('an access token verifies with the JWKS alone, issued by PUBLIC_URL', async () => {
        const { payload, protectedHeader } = await verifyWithJwks(
          ctx.client,
          ctx.alice.token,
          ctx.config.publicUrl,
        )
        expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' })
        expect(payload).toMatchObject({ sub: ctx.alice.id, iss: 'http://localhost:3000', aud: 'mercado' })
      })

      test('is described in the OpenAPI document as a public route', async () => {
        const document = (await ctx.client.get('/swagger/json')).body
        const operation = document.paths['/.well-known/jwks.json'].get
        expect(operation.operationId).toBe('getJwks')
        expect(operation.security ?? []).toEqual([])
        expect(document.paths['/admin/keys/rotate'].post.security).toBeDefined()
      })
    })

    describe('POST /admin/keys/rotate', () => {
      test('anonymous gets 401, a user 403, and no key is made', async () => {
        const before = await ctx.store.signingKeys.list()
        expect((await ctx.client.post('/admin/keys/rotate')).status).toBe(401)
        expect((await ctx.client.post('/admin/keys/rotate', { token: ctx.alice.token })).status).toBe(403)
        expect(await ctx.store.signingKeys.list()).toEqual(before)
      })

      test('the new key is published at once, signs only from its activation; old tokens keep verifying', async () => {
        const oldToken = (await login(ctx.client, ctx.alice.username, ctx.alice.password)).token
        const oldKid = kidOf(oldToken)
        const reply = await ctx.client.post('/admin/keys/rotate', { token: ctx.root.token })
        expect(reply.status).toBe(200)
        expect(reply.headers.get('cache-control')).toBe('no-store')
        const { kid, alg, activatesAt } = reply.body
        expect(alg).toBe('RS256')
        expect(kid).not.toBe(oldKid)
        expect(Date.parse(activatesAt) - Date.now()).toBeGreaterThan(0)
        expect(Date.parse(activatesAt) - Date.now()).toBeLessThanOrEqual(1_000)

        // Published before use: both keys are in the JWKS, the old one still signs.
        expect(await kidsOf(ctx.client)).toEqual(expect.arrayContaining([oldKid, kid]))
        const beforeActivation = (await login(ctx.client, ctx.alice.username, ctx.alice.password)).token
        expect(kidOf(beforeActivation)).toBe(oldKid)

        await until(activatesAt)
        const afterActivation = (await login(ctx.client, ctx.alice.username, ctx.alice.password)).token
        expect(kidOf(afterActivation)).toBe(kid)

        // The old key is retired but still published: its tokens verify, here and from the JWKS.
        expect(await kidsOf(ctx.client)).toEqual(expect.arrayContaining([oldKid, kid]))
        for (const token of [oldToken, beforeActivation, afterActivation]) {
          expect(await me(ctx.client, token)).toBe(200)
          await verifyWithJwks(ctx.client, token, ctx.config.publicUrl)
        }
      })
    })

    describe('private keys at rest', () => {
      test('are encrypted in the store record: no private member in clear', async () => {
        const records = await ctx.store.signingKeys.list()
        expect(records.length).toBeGreaterThanOrEqual(1)
        for (const record of records) {
          expect(Object.keys(record.publicJwk).sort()).toEqual(['e', 'kty', 'n'])
          const sealed = record.encryptedPrivateJwk
          // A compact JWE: five base64url parts, the header naming the key it belongs to.
          expect(sealed.split('.')).toHaveLength(5)
          expect(decodeProtectedHeader(sealed)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: record.kid })
          const raw = JSON.stringify(record)
          for (const member of PRIVATE_MEMBERS) expect(raw).not.toContain(`"${member}":`)
          // The private JWK holds the modulus too: not readable in the ciphertext either.
          expect(sealed).not.toContain(String(record.publicJwk.n).slice(0, 40))
        }
      })

      test('another KEY_ENCRYPTION_SECRET on the same store fails at start, saying so', async () => {
        const other = testApp(ctx.store, {
          ...env,
          KEY_ENCRYPTION_SECRET: 'another-secret-of-32-bytes-or-more!!',
        })
        await expect(other.services.keys.start()).rejects.toThrow(
          'KEY_ENCRYPTION_SECRET is not the secret it was encrypted with',
        )
        other.services.keys.stop()
      })
    })
  },
  { accounts: { alice: 'user', root: 'admin' }, env },
)

for (const kind of ENGINES) {
  describe(`signing keys, two instances on one store (${kind})`, () => {
    let shared: Awaited<ReturnType<typeof sharedStores>>
    let a: ReturnType<typeof testApp>
    let b: ReturnType<typeof testApp>
    let admin: Account
    let user: Account
    beforeAll(async () => {
      shared = await sharedStores(kind)
      a = testApp(shared.stores[0], env)
      b = testApp(shared.stores[1], env)
      // Both start at once on an empty store: one first key between them.
      await Promise.all([a.services.keys.start(), b.services.keys.start()])
      admin = await createAdmin(a.client)
      user = await registerUser(b.client)
    })
    afterAll(async () => {
      a.services.keys.stop()
      b.services.keys.stop()
      await shared.close()
    })

    test('share one key from the start, and accept each other’s tokens', async () => {
      expect(await shared.stores[0].signingKeys.list()).toHaveLength(1)
      expect(await kidsOf(a.client)).toEqual(await kidsOf(b.client))
      expect(await me(a.client, user.token)).toBe(200)
      expect(await me(b.client, admin.token)).toBe(200)
    })

    test('a rotation on one is picked up by the other without a restart: published, then signing', async () => {
      const reply = await a.client.post('/admin/keys/rotate', { token: admin.token })
      expect(reply.status).toBe(200)
      const { kid, activatesAt } = reply.body
      // B reloads on its own (at least twice within the activation delay).
      await eventually(async () => expect(await kidsOf(b.client)).toContain(kid))
      await until(activatesAt)
      const fromB = (await login(b.client, user.username, user.password)).token
      expect(kidOf(fromB)).toBe(kid)
      expect(await me(a.client, fromB)).toBe(200)
      expect(await me(b.client, admin.token)).toBe(200)
    })

    test('a token from a key the other has not loaded yet is verified after one reload', async () => {
      // C holds the key set of before the rotation and has no timer: only the unknown kid tells it.
      const c = testApp(shared.stores[1], env)
      await c.services.keys.ready()
      const { kid, activatesAt } = await a.services.keys.rotate()
      expect(await kidsOf(c.client)).not.toContain(kid)
      await until(activatesAt.toISOString())
      const fresh = (await login(a.client, user.username, user.password)).token
      expect(kidOf(fresh)).toBe(kid)
      expect(await me(c.client, fresh)).toBe(200)
      expect(await kidsOf(c.client)).toContain(kid)
    })

    test('two instances rotating at the same moment make one key', async () => {
      const before = (await shared.stores[0].signingKeys.list()).length
      const [fromA, fromB] = await Promise.all([a.services.keys.rotate(), b.services.keys.rotate()])
      expect(fromA.kid).toBe(fromB.kid)
      expect(await shared.stores[0].signingKeys.list()).toHaveLength(before + 1)
    })
  })
}
