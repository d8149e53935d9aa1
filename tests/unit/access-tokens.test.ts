/**
 * `AccessTokens.verify` remembers tokens it has verified (issue #15), and must refuse exactly what
 * it refused before: a token past its `exp`, a token whose key left the key ring, and any string
 * that differs from a remembered token, however little.
 */
import { afterEach, beforeEach, expect, setSystemTime, test } from 'bun:test'
import { AccessTokens, InvalidTokenError } from '../../src/auth/tokens'
import { KeyCipher } from '../../src/keys/cipher'
import { KeyRing } from '../../src/keys/keyring'
import { createSqliteStore } from '../../src/store/sqlite'
import type { Store } from '../../src/store/types'

const TTL = 900
const user = { id: '66f1c0ffee0000000000beef', role: 'user' as const, sessionVersion: 0 }
const grant = { clientId: 'mercado-docs', scopes: ['products:write'] }

let store: Store
let clock: number
let keys: KeyRing
let tokens: AccessTokens

beforeEach(async () => {
  store = createSqliteStore({ path: ':memory:' })
  clock = Date.now()
  keys = new KeyRing(store.signingKeys, new KeyCipher('k'.repeat(32)), {
    activationDelay: 0,
    rotationInterval: 30 * 86_400,
    maxTokenTtl: TTL,
    now: () => clock,
  })
  await keys.ready()
  tokens = new AccessTokens({ keys, issuer: 'http://mercado.test', audience: 'mercado', ttl: TTL })
})

afterEach(() => {
  setSystemTime()
  keys.stop()
  store.close()
})

const refused = async (token: string) => {
  const error = await tokens.verify(token).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(InvalidTokenError)
  return (error as Error).message
}

test('a token verified again gives the same claims', async () => {
  const token = await tokens.sign(user, 'session-1', grant)
  const first = await tokens.verify(token)
  expect(first).toMatchObject({ kind: 'user', sub: user.id, sid: 'session-1', scope: 'products:write' })
  expect(await tokens.verify(token)).toEqual(first)
})

test('a remembered token does not vouch for a string that differs from it', async () => {
  const token = await tokens.sign(user, 'session-1', grant)
  await tokens.verify(token)
  const [header, claims, signature = ''] = token.split('.')
  // A character of the signature's middle: the last one also carries padding bits a decoder drops.
  const flipped = signature[20] === 'A' ? 'B' : 'A'
  await refused(`${header}.${claims}.${signature.slice(0, 20)}${flipped}${signature.slice(21)}`)
  const payload = Buffer.from(JSON.stringify({ sub: 'someone-else' })).toString('base64url')
  await refused(`${header}.${payload}.${signature}`)
})

test('a remembered token is refused from its exp on', async () => {
  const token = await tokens.sign(user, 'session-1', grant)
  const { exp } = await tokens.verify(token)
  setSystemTime(new Date(exp * 1000 - 1))
  expect((await tokens.verify(token)).exp).toBe(exp)
  setSystemTime(new Date(exp * 1000))
  expect(await refused(token)).toBe('the token has expired')
})

test('a remembered token is refused once its key has left the key ring', async () => {
  const token = await tokens.sign(user, 'session-1', grant)
  await tokens.verify(token)
  // A rotation retires the key; once its tokens can no longer be live it is deleted, and the
  // ring, reloaded, no longer holds it.
  clock += 1000
  await keys.rotate()
  clock += 2 * 86_400_000
  await keys.reload()
  expect(await refused(token)).toBe('the token is not signed by a key of this service')
})
