import { describe, expect, test } from 'bun:test'
import { newAccount } from './support/app'
import { useFixture } from './support/fixture'

/**
 * Issue #9, defect 6: a body that is not valid UTF-8 is refused with a 400 (an OAuth2
 * invalid_request on the token routes), never stored with U+FFFD in place of its bad bytes. Forms
 * are checked after percent-decoding too.
 */

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))))

/** Sequences a strict decoder refuses: a stray byte, an overlong '/', an encoded surrogate, a cut-off '€'. */
const INVALID: Array<[string, number[]]> = [
  ['0xFF', [0xff]],
  ['overlong', [0xc0, 0xaf]],
  ['surrogate', [0xed, 0xa0, 0x80]],
  ['truncated', [0xe2, 0x82]],
]

describe('invalid UTF-8 in bodies', () => {
  const ctx = useFixture('sqlite')

  async function post(path: string, type: string, payload: Uint8Array | string) {
    const response = await ctx.app.handle(
      new Request(`http://localhost${path}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: payload,
      }),
    )
    // biome-ignore lint/suspicious/noExplicitAny: the tests read answers of every shape
    const body: any = await response.json()
    return { status: response.status, type: response.headers.get('content-type'), body }
  }

  for (const [name, sequence] of INVALID) {
    test(`JSON with ${name} is a 400 problem and nothing is stored`, async () => {
      const account = newAccount()
      const body = bytes(
        `{"username":"${account.username}","email":"${account.email}","password":"${account.password}","fullName":"A`,
        sequence,
        '"}',
      )
      const reply = await post('/auth/register', 'application/json', body)
      expect(reply.status).toBe(400)
      expect(reply.type).toBe('application/problem+json')
      expect(reply.body.detail).toBe('the body is not valid UTF-8')
      expect(await ctx.store.users.findByLogin(account.username)).toBeNull()
    })

    test(`a token request with ${name}, as JSON, a raw form or a percent-escape, is invalid_request`, async () => {
      const escapes = sequence.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
      const cases: Array<[string, Uint8Array | string]> = [
        ['application/json', bytes('{"username":"a', sequence, '","password":"b"}')],
        [
          'application/x-www-form-urlencoded',
          bytes('grant_type=password&username=a', sequence, '&password=b'),
        ],
        ['application/x-www-form-urlencoded', `grant_type=password&username=a${escapes}&password=b`],
      ]
      for (const [type, body] of cases) {
        const reply = await post('/auth/login', type, body)
        expect(reply.status).toBe(400)
        expect(reply.body.error).toBe('invalid_request')
      }
    })
  }

  test('valid multi-byte text is stored as sent, in JSON and in forms', async () => {
    const account = newAccount({ password: 'pässwörd-😀-€uro', fullName: 'Zoë 😀' })
    const registered = await post('/auth/register', 'application/json', JSON.stringify(account))
    expect(registered.status).toBe(201)
    expect(registered.body.fullName).toBe('Zoë 😀')
    const form = new URLSearchParams({
      grant_type: 'password',
      username: account.username,
      password: account.password,
    })
    const login = await post('/auth/login', 'application/x-www-form-urlencoded', form.toString())
    expect(login.status).toBe(200)
  })

  test('a form keeps a % that starts no escape literally, as browsers send it', async () => {
    const account = newAccount({ password: 'pw-100%-sure-%zz' })
    expect((await post('/auth/register', 'application/json', JSON.stringify(account))).status).toBe(201)
    const raw = `grant_type=password&username=${account.username}&password=pw-100%-sure-%zz`
    expect((await post('/auth/login', 'application/x-www-form-urlencoded', raw)).status).toBe(200)
  })

  test('a UTF-8 byte order mark before JSON is dropped', async () => {
    const account = newAccount()
    const reply = await post(
      '/auth/register',
      'application/json',
      bytes([0xef, 0xbb, 0xbf], JSON.stringify(account)),
    )
    expect(reply.status).toBe(201)
  })
})
