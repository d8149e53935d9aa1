/**
 * Length limits count Unicode characters, as the OpenAPI document's `minLength` and `maxLength` mean
 * them (JSON Schema), not UTF-16 code units: found by the fuzzing gate, where a password of 4 emoji
 * (8 code units) passed a documented minimum of 8 characters.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { loadConfig } from '../src/config'
import { textLength } from '../src/core/domain'
import { createSqliteStore } from '../src/store/sqlite'
import type { Store } from '../src/store/types'
import { type Account, type Client, registerUser, TEST_SECRET, testApp } from './support/app'

/** One character outside the Basic Multilingual Plane: two UTF-16 code units. */
const EMOJI = '😀'
const emoji = (n: number) => EMOJI.repeat(n)

let store: Store
let client: Client
let user: Account
let serial = 0

beforeAll(async () => {
  store = createSqliteStore({ path: ':memory:' })
  ;({ client } = testApp(store))
  user = await registerUser(client)
})
afterAll(() => store.close())

/** A 422 with one entry, at `pointer`. */
function expectRefusedAt(
  reply: { status: number; body: { errors?: Array<{ pointer: string }> } },
  pointer: string,
) {
  expect(reply.status).toBe(422)
  expect(reply.body.errors?.map((e) => e.pointer)).toEqual([pointer])
}

const register = (password: string, fullName = '') => {
  const name = `len_${Date.now().toString(36)}_${++serial}`
  return client.post('/auth/register', {
    body: { username: name, email: `${name}@example.com`, password, fullName },
  })
}

describe('textLength', () => {
  test('counts characters: a surrogate pair is one, a lone surrogate one, anything else one per unit', () => {
    expect(textLength('')).toBe(0)
    expect(textLength('abc')).toBe(3)
    expect(textLength(emoji(4))).toBe(4)
    expect(textLength(`a${EMOJI}b`)).toBe(3)
    expect(textLength('\ud83d')).toBe(1)
    expect(textLength('\ude00\ud83d')).toBe(2)
    expect(textLength(`\ud83d${EMOJI}`)).toBe(2)
    // é as e + a combining accent is two code points, as JSON Schema counts it.
    expect(textLength('e\u0301')).toBe(2)
  })
})

describe('length limits count characters', () => {
  test('a password of 4 emoji is under the minimum of 8 characters: 422 at /password', async () => {
    expectRefusedAt(await register(emoji(4)), '/password')
  })

  test('passwords of 8 and 128 emoji are within limits: 201, and they log in', async () => {
    for (const password of [emoji(8), emoji(128)]) {
      const reply = await register(password)
      expect(reply.status).toBe(201)
      const login = await client.post('/auth/login', { body: { username: reply.body.username, password } })
      expect(login.status).toBe(200)
    }
    expectRefusedAt(await register(emoji(129)), '/password')
  })

  test('a full name of 100 emoji is taken, 101 is not', async () => {
    expect((await register('long enough password', emoji(100))).status).toBe(201)
    expectRefusedAt(await register('long enough password', emoji(101)), '/fullName')
  })

  test('product name, description and tags take their limits in emoji', async () => {
    const body = { name: emoji(200), description: emoji(2000), price: 1, tags: [emoji(40)] }
    const created = await client.post('/products', { token: user.token, body })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: body.name, description: body.description, tags: body.tags })
    for (const [field, value] of [
      ['name', emoji(201)],
      ['description', emoji(2001)],
      ['tags', [emoji(41)]],
    ] as const) {
      const reply = await client.post('/products', { token: user.token, body: { ...body, [field]: value } })
      expect(reply.status, field).toBe(422)
      expect(reply.body.errors[0].pointer, field).toStartWith(`/${field}`)
    }
  })

  test('query limits count characters too: q of 100 emoji is a search, 101 a 422 at /q', async () => {
    expect((await client.get(`/products?q=${encodeURIComponent(emoji(100))}`)).status).toBe(200)
    expectRefusedAt(await client.get(`/products?q=${encodeURIComponent(emoji(101))}`), '/q')
  })

  test('ADMIN_PASSWORD is held to the same count', () => {
    const env = {
      KEY_ENCRYPTION_SECRET: TEST_SECRET,
      ADMIN_USERNAME: 'root',
      ADMIN_EMAIL: 'root@example.com',
    }
    expect(loadConfig({ ...env, ADMIN_PASSWORD: emoji(8) }).admin?.password).toBe(emoji(8))
    expect(() => loadConfig({ ...env, ADMIN_PASSWORD: emoji(4) })).toThrow('ADMIN_PASSWORD')
  })
})
