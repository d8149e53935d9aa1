import { beforeAll, describe, expect, test } from 'bun:test'
import { generateKeyPair, SignJWT } from 'jose'
import type { Services } from '../src/app'
import { API_SCOPES, DOCS_CLIENT_ID } from '../src/core/domain'
import { ARGON2_PARAMS, argon2Params } from '../src/core/passwords'
import { newAccount, TEST_SECRET } from './support/app'
import { expectOAuthError } from './support/assertions'
import { forEachStore } from './support/fixture'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** What signs a forged token: a key, its algorithm and the `kid` the header names. */
interface Signer {
  alg: string
  kid?: string
  key: CryptoKey | Uint8Array
}

/** The service's own current signing key, so that a forged token differs from ours only as told. */
async function ours(services: Services): Promise<Signer> {
  const key = await services.keys.signingKey()
  return { alg: key.alg, kid: key.kid, key: key.privateKey }
}

/** A token signed like ours by `signer`, with `options` applied to the claims or header. */
function forge(
  signer: Signer,
  sub: string,
  options: {
    iss?: string
    aud?: string
    exp?: number | null
    iat?: number
    typ?: string
  } = {},
) {
  const now = Math.floor(Date.now() / 1000)
  let jwt = new SignJWT({
    role: 'user',
    sid: crypto.randomUUID(),
    sv: 0,
    client_id: DOCS_CLIENT_ID,
    scope: API_SCOPES.join(' '),
  })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: options.typ ?? 'at+jwt' })
    .setSubject(sub)
    .setIssuer(options.iss ?? 'http://localhost:3000')
    .setAudience(options.aud ?? 'mercado')
    .setIssuedAt(options.iat ?? now - 10)
    .setJti(crypto.randomUUID())
  if (options.exp !== null) jwt = jwt.setExpirationTime(options.exp ?? now + 600)
  return jwt.sign(signer.key)
}

forEachStore('auth', (ctx) => {
  describe('register', () => {
    test('creates a user with role user, Location and no password in the body', async () => {
      const account = newAccount({ fullName: '  Ada Lovelace ' })
      const reply = await ctx.client.post('/auth/register', { body: account })
      expect(reply.status).toBe(201)
      expect(reply.headers.get('location')).toBe(`/users/${reply.body.id}`)
      expect(reply.body).toMatchObject({
        username: account.username,
        email: account.email,
        role: 'user',
        disabled: false,
      })
      expect(reply.body.fullName).toBe('Ada Lovelace')
      expect(JSON.stringify(reply.body)).not.toContain(account.password)
      expect(reply.body).not.toHaveProperty('passwordHash')
    })

    test('stores the email lower-case', async () => {
      const account = newAccount()
      const reply = await ctx.client.post('/auth/register', {
        body: { ...account, email: account.email.toUpperCase() },
      })
      expect(reply.status).toBe(201)
      expect(reply.body.email).toBe(account.email)
    })

    test('a username taken in another case is a 409 naming username', async () => {
      const first = newAccount()
      await ctx.client.post('/auth/register', { body: first })
      const reply = await ctx.client.post('/auth/register', {
        body: newAccount({ username: first.username.toUpperCase() }),
      })
      expect(reply.status).toBe(409)
      expect(reply.headers.get('content-type')).toBe('application/problem+json')
      expect(reply.body.errors).toEqual([{ pointer: '/username', detail: expect.any(String) }])
    })

    test('a taken email is a 409 naming email', async () => {
      const first = newAccount()
      await ctx.client.post('/auth/register', { body: first })
      const reply = await ctx.client.post('/auth/register', {
        body: newAccount({ email: first.email.toUpperCase() }),
      })
      expect(reply.status).toBe(409)
      expect(reply.body.errors[0].pointer).toBe('/email')
    })

    test('role cannot be chosen: an unknown field is a 422', async () => {
      const reply = await ctx.client.post('/auth/register', { body: { ...newAccount(), role: 'admin' } })
      expect(reply.status).toBe(422)
      expect(reply.body.errors).toContainEqual({ pointer: '/role', detail: 'unknown field' })
    })

    test('an address with the unusual characters the pattern allows is taken', async () => {
      const account = newAccount()
      const email = `o'hara!#$%&*+/=?^_{|}~-${account.email}`
      const reply = await ctx.client.post('/auth/register', { body: { ...account, email } })
      expect(reply.status).toBe(201)
      expect(reply.body.email).toBe(email)
    })

    test('a short password, a bad username and a bad email are each named', async () => {
      const reply = await ctx.client.post('/auth/register', {
        body: { username: 'a b', email: 'not-an-email', password: 'short' },
      })
      expect(reply.status).toBe(422)
      const pointers = reply.body.errors.map((e: { pointer: string }) => e.pointer).sort()
      expect(pointers).toEqual(['/email', '/password', '/username'])
    })
  })

  describe('login', () => {
    test('the form-encoded password grant returns a bearer pair, not cached', async () => {
      const account = newAccount()
      await ctx.client.post('/auth/register', { body: account })
      const reply = await ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username: account.username, password: account.password, scope: '' },
      })
      expect(reply.status).toBe(200)
      expect(reply.headers.get('cache-control')).toBe('no-store')
      expect(reply.body).toEqual({
        access_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
        refresh_token: expect.any(String),
        scope: expect.any(String),
      })
      expect(Buffer.from(reply.body.refresh_token, 'base64url').length).toBeGreaterThanOrEqual(32)
    })

    test('JSON with the email as username works too', async () => {
      const account = newAccount()
      await ctx.client.post('/auth/register', { body: account })
      const reply = await ctx.client.post('/auth/login', {
        body: { username: account.email.toUpperCase(), password: account.password },
      })
      expect(reply.status).toBe(200)
      const me = await ctx.client.get('/users/me', { token: reply.body.access_token })
      expect(me.body.username).toBe(account.username)
    })

    test('the access token carries sub, role, iss, aud, iat, exp and jti', async () => {
      const user = await ctx.registerUser()
      const [header, payload] = user.token
        .split('.')
        .slice(0, 2)
        .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()))
      expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) })
      expect(payload).toMatchObject({
        sub: user.id,
        role: 'user',
        iss: 'http://localhost:3000',
        aud: 'mercado',
      })
      expect(payload.exp - payload.iat).toBe(900)
      expect(typeof payload.jti).toBe('string')
    })

    test('an unknown user and a wrong password get the same answer', async () => {
      const user = await ctx.registerUser()
      const wrong = await ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username: user.username, password: 'wrong-password' },
      })
      const unknown = await ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username: `nobody_${user.username}`, password: 'wrong-password' },
      })
      expect(wrong.status).toBe(400)
      expect(unknown.status).toBe(400)
      expect(unknown.body).toEqual(wrong.body)
      expect(wrong.body.error).toBe('invalid_grant')
    })

    test('an unknown user costs about as much time as a wrong password', async () => {
      const user = await ctx.registerUser()
      const time = async (username: string) => {
        const start = performance.now()
        await ctx.client.post('/auth/login', { body: { username, password: 'wrong-password' } })
        return performance.now() - start
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
      const wrong: number[] = []
      const unknown: number[] = []
      for (let i = 0; i < 3; i++) {
        wrong.push(await time(user.username))
        unknown.push(await time(`ghost_${i}_${user.username}`))
      }
      // Without the dummy hash an unknown user answers in well under a tenth of the time.
      expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.3)
    })

    test('token errors are not cached either', async () => {
      const reply = await ctx.client.post('/auth/login', {
        body: { username: 'nobody_at_all', password: 'wrong-pw' },
      })
      expect(reply.status).toBe(400)
      expect(reply.headers.get('cache-control')).toBe('no-store')
    })

    test('a missing grant_type in a form is invalid_request', async () => {
      const reply = await ctx.client.post('/auth/login', {
        form: { username: 'someone', password: 'whatever-pw' },
      })
      expectOAuthError(reply, 'invalid_request')
    })

    test('another grant type is unsupported_grant_type', async () => {
      const reply = await ctx.client.post('/auth/login', {
        form: { grant_type: 'client_credentials', username: 'a', password: 'b' },
      })
      expectOAuthError(reply, 'unsupported_grant_type')
    })

    test('another grant type is unsupported_grant_type even without the password fields', async () => {
      const reply = await ctx.client.post('/auth/login', { form: { grant_type: 'client_credentials' } })
      expectOAuthError(reply, 'unsupported_grant_type')
      const refresh = await ctx.client.post('/auth/refresh', { form: { grant_type: 'password' } })
      expect(refresh.body.error).toBe('unsupported_grant_type')
    })

    test('parameters the grant does not know are ignored (RFC 6749 section 3.2)', async () => {
      const user = await ctx.registerUser()
      const reply = await ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username: user.username, password: user.password, audience: 'x' },
      })
      expect(reply.status).toBe(200)
    })

    test('a missing password is invalid_request', async () => {
      const reply = await ctx.client.post('/auth/login', {
        form: { grant_type: 'password', username: 'someone' },
      })
      expectOAuthError(reply, 'invalid_request')
    })

    test('operator objects in the body are refused, not queried', async () => {
      const user = await ctx.registerUser()
      for (const body of [
        { username: { $ne: null }, password: { $ne: null } },
        { username: user.username, password: { $gt: '' } },
      ]) {
        const reply = await ctx.client.post('/auth/login', { body })
        expectOAuthError(reply, 'invalid_request')
      }
    })

    test('malformed JSON is invalid_request', async () => {
      const reply = await ctx.client.post('/auth/login', {
        body: '{"username":',
        headers: { 'content-type': 'application/json' },
      })
      expectOAuthError(reply, 'invalid_request')
    })

    test('a body that is neither a form nor JSON is a 415', async () => {
      const reply = await ctx.client.post('/auth/login', {
        body: 'username=a',
        headers: { 'content-type': 'text/plain' },
      })
      expect(reply.status).toBe(415)
    })

    test('a disabled account gets invalid_grant after the right password', async () => {
      const user = await ctx.registerUser()
      await ctx.store.users.update(user.id, { disabled: true })
      const right = await ctx.client.post('/auth/login', {
        body: { username: user.username, password: user.password },
      })
      const wrong = await ctx.client.post('/auth/login', {
        body: { username: user.username, password: 'not-the-password' },
      })
      expectOAuthError(right, 'invalid_grant')
      expect(right.body.error_description).toContain('disabled')
      expect(wrong.body.error_description).not.toContain('disabled')
    })

    /** Gives `user` a hash of `password` with Bun's former default cost (64 MiB), as older accounts have. */
    const storeOldHash = async (userId: string, password: string) => {
      const old = await Bun.password.hash(password, { algorithm: 'argon2id' })
      expect(argon2Params(old)).not.toEqual(ARGON2_PARAMS)
      await ctx.store.users.update(userId, { passwordHash: old })
      return old
    }

    test('a login with a hash of older parameters succeeds and re-hashes it with the current ones', async () => {
      const user = await ctx.registerUser()
      await storeOldHash(user.id, user.password)
      const reply = await ctx.client.post('/auth/login', {
        body: { username: user.username, password: user.password },
      })
      expect(reply.status).toBe(200)
      const stored = await ctx.store.users.findById(user.id)
      expect(argon2Params(stored?.passwordHash ?? '')).toEqual(ARGON2_PARAMS)
      // The new hash is of the same password, and the sessions it opened go on.
      const again = await ctx.client.post('/auth/login', {
        body: { username: user.username, password: user.password },
      })
      expect(again.status).toBe(200)
      const me = await ctx.client.get('/users/me', { token: reply.body.access_token })
      expect(me.status).toBe(200)
    })

    test('a wrong password leaves a hash of older parameters as it is', async () => {
      const user = await ctx.registerUser()
      const old = await storeOldHash(user.id, user.password)
      const reply = await ctx.client.post('/auth/login', {
        body: { username: user.username, password: 'not-the-password' },
      })
      expectOAuthError(reply, 'invalid_grant')
      expect((await ctx.store.users.findById(user.id))?.passwordHash).toBe(old)
    })
  })

  describe('access tokens', () => {
    let userId: string
    let token: string
    beforeAll(async () => {
      const user = await ctx.registerUser()
      userId = user.id
      token = user.token
    })

    const rejects = async (bearer: string) => {
      const reply = await ctx.client.get('/users/me', { token: bearer })
      expect(reply.status).toBe(401)
      expect(reply.headers.get('www-authenticate')).toStartWith('Bearer ')
      expect(reply.headers.get('www-authenticate')).toContain('error="invalid_token"')
      expect(reply.headers.get('content-type')).toBe('application/problem+json')
    }

    test('a valid token is accepted', async () => {
      expect((await ctx.client.get('/users/me', { token })).status).toBe(200)
    })

    test('no token: 401 with a bare Bearer challenge', async () => {
      const reply = await ctx.client.get('/users/me')
      expect(reply.status).toBe(401)
      expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="mercado"')
    })

    test('alg none is refused, also naming our kid', async () => {
      const [header, payload] = token.split('.') as [string, string]
      const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString())
      await rejects(`${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`)
      await rejects(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`)
    })

    test('a token signed by a foreign key is refused, also when it names our kid', async () => {
      const { kid } = await ours(ctx.services)
      const { privateKey } = await generateKeyPair('RS256')
      await rejects(await forge({ alg: 'RS256', kid, key: privateKey }, userId))
      await rejects(await forge({ alg: 'RS256', kid: 'k'.repeat(43), key: privateKey }, userId))
      await rejects(await forge({ alg: 'RS256', key: privateKey }, userId))
    })

    test('HS256 is refused: with the retired JWT_SECRET, or with our public key as the HMAC secret', async () => {
      const { kid } = await ours(ctx.services)
      const jwk = (await ctx.client.get('/.well-known/jwks.json')).body.keys[0]
      for (const secret of [TEST_SECRET, JSON.stringify(jwk), jwk.n]) {
        await rejects(await forge({ alg: 'HS256', kid, key: new TextEncoder().encode(secret) }, userId))
      }
    })

    test('a tampered payload is refused', async () => {
      const [header, payload, signature] = token.split('.') as [string, string, string]
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
      await rejects(`${header}.${b64({ ...claims, role: 'admin' })}.${signature}`)
    })

    test('an expired token is refused', async () => {
      await rejects(
        await forge(await ours(ctx.services), userId, { exp: Math.floor(Date.now() / 1000) - 60 }),
      )
    })

    test('a token issued in the future (beyond the clock skew) is refused', async () => {
      const now = Math.floor(Date.now() / 1000)
      await rejects(await forge(await ours(ctx.services), userId, { iat: now + 3600, exp: now + 7200 }))
      await rejects(await forge(await ours(ctx.services), userId, { iat: now + 120, exp: now + 720 }))
    })

    test('a token issued within the clock skew is accepted', async () => {
      const now = Math.floor(Date.now() / 1000)
      const reply = await ctx.client.get('/users/me', {
        token: await forge(await ours(ctx.services), userId, { iat: now + 30 }),
      })
      expect(reply.status).toBe(200)
    })

    test('a token for another issuer is refused', async () => {
      await rejects(await forge(await ours(ctx.services), userId, { iss: 'someone-else' }))
    })

    test('a token for another audience is refused', async () => {
      await rejects(await forge(await ours(ctx.services), userId, { aud: 'someone-else' }))
    })

    test('a token without exp is refused', async () => {
      await rejects(await forge(await ours(ctx.services), userId, { exp: null }))
    })

    test('a JWT that is not an access token (typ) is refused', async () => {
      await rejects(await forge(await ours(ctx.services), userId, { typ: 'JWT' }))
    })

    test('a refresh token is not an access token', async () => {
      const user = await ctx.registerUser()
      await rejects(user.refreshToken)
    })

    test('a forged-by-us token for a deleted user is refused', async () => {
      await rejects(await forge(await ours(ctx.services), '0123456789abcdef01234567'))
    })

    test('a disabled user is locked out at once: 403', async () => {
      const user = await ctx.registerUser()
      await ctx.store.users.update(user.id, { disabled: true })
      const reply = await ctx.client.get('/users/me', { token: user.token })
      expect(reply.status).toBe(403)
    })

    test('a deleted user is locked out at once: 401', async () => {
      const user = await ctx.registerUser()
      await ctx.store.users.delete(user.id)
      await rejects(user.token)
    })

    test('a non-Bearer Authorization header is a 401', async () => {
      const reply = await ctx.client.get('/users/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } })
      expect(reply.status).toBe(401)
      expect(reply.headers.get('www-authenticate')).toStartWith('Bearer')
    })
  })

  describe('refresh and logout', () => {
    test('refresh returns a new pair and kills the old refresh token', async () => {
      const user = await ctx.registerUser()
      const first = await ctx.client.post('/auth/refresh', { body: { refresh_token: user.refreshToken } })
      expect(first.status).toBe(200)
      expect(first.headers.get('cache-control')).toBe('no-store')
      expect(first.body.refresh_token).not.toBe(user.refreshToken)
      expect((await ctx.client.get('/users/me', { token: first.body.access_token })).status).toBe(200)
      const again = await ctx.client.post('/auth/refresh', { body: { refresh_token: user.refreshToken } })
      expectOAuthError(again, 'invalid_grant')
    })

    test('refresh takes a form too', async () => {
      const user = await ctx.registerUser()
      const reply = await ctx.client.post('/auth/refresh', {
        form: { grant_type: 'refresh_token', refresh_token: user.refreshToken },
      })
      expect(reply.status).toBe(200)
    })

    test('reusing a rotated token revokes the whole chain', async () => {
      const user = await ctx.registerUser()
      const rotated = await ctx.client.post('/auth/refresh', { body: { refresh_token: user.refreshToken } })
      const reuse = await ctx.client.post('/auth/refresh', { body: { refresh_token: user.refreshToken } })
      expect(reuse.body.error).toBe('invalid_grant')
      const next = await ctx.client.post('/auth/refresh', {
        body: { refresh_token: rotated.body.refresh_token },
      })
      expectOAuthError(next, 'invalid_grant')
    })

    test('an unknown refresh token is invalid_grant', async () => {
      const reply = await ctx.client.post('/auth/refresh', { body: { refresh_token: 'not-a-token' } })
      expectOAuthError(reply, 'invalid_grant')
    })

    test('a missing refresh_token is invalid_request', async () => {
      const reply = await ctx.client.post('/auth/refresh', { body: {} })
      expectOAuthError(reply, 'invalid_request')
    })

    test('logout answers 204 and revokes the chain', async () => {
      const user = await ctx.registerUser()
      const rotated = await ctx.client.post('/auth/refresh', { body: { refresh_token: user.refreshToken } })
      const logout = await ctx.client.post('/auth/logout', {
        body: { refresh_token: rotated.body.refresh_token },
      })
      expect(logout.status).toBe(204)
      expect(logout.body).toBe('')
      const after = await ctx.client.post('/auth/refresh', {
        body: { refresh_token: rotated.body.refresh_token },
      })
      expect(after.body.error).toBe('invalid_grant')
    })

    test('a logout racing a refresh leaves no live token behind', async () => {
      for (let i = 0; i < 5; i++) {
        const user = await ctx.registerUser()
        const [refreshed] = await Promise.all([
          ctx.client.post('/auth/refresh', { body: { refresh_token: user.refreshToken } }),
          ctx.client.post('/auth/logout', { body: { refresh_token: user.refreshToken } }),
        ])
        if (refreshed.status !== 200) continue
        const after = await ctx.client.post('/auth/refresh', {
          body: { refresh_token: refreshed.body.refresh_token },
        })
        expect(after.body.error).toBe('invalid_grant')
      }
    })

    test('logout of an unknown token is also 204', async () => {
      const reply = await ctx.client.post('/auth/logout', { body: { refresh_token: 'never-issued' } })
      expect(reply.status).toBe(204)
    })

    test('a disabled user cannot refresh', async () => {
      const user = await ctx.registerUser()
      await ctx.store.users.update(user.id, { disabled: true })
      const reply = await ctx.client.post('/auth/refresh', { body: { refresh_token: user.refreshToken } })
      expect(reply.body.error).toBe('invalid_grant')
    })

    test('changing the password revokes every refresh token of the user', async () => {
      const user = await ctx.registerUser()
      const changed = await ctx.client.patch('/users/me', {
        token: user.token,
        body: { password: 'a-brand-new-password', currentPassword: user.password },
      })
      expect(changed.status).toBe(200)
      const reply = await ctx.client.post('/auth/refresh', { body: { refresh_token: user.refreshToken } })
      expect(reply.body.error).toBe('invalid_grant')
      const relogin = await ctx.client.post('/auth/login', {
        body: { username: user.username, password: 'a-brand-new-password' },
      })
      expect(relogin.status).toBe(200)
    })

    test('a password change needs the right current password', async () => {
      const user = await ctx.registerUser()
      const missing = await ctx.client.patch('/users/me', {
        token: user.token,
        body: { password: 'a-brand-new-password' },
      })
      expect(missing.status).toBe(422)
      const wrong = await ctx.client.patch('/users/me', {
        token: user.token,
        body: { password: 'a-brand-new-password', currentPassword: 'not-my-password' },
      })
      expect(wrong.status).toBe(403)
      const login = await ctx.client.post('/auth/login', {
        body: { username: user.username, password: user.password },
      })
      expect(login.status).toBe(200)
    })
  })
})
