/**
 * `authenticateClient` (RFC 6749 section 2.3.1), against an in-memory lookup: Basic with
 * form-encoded parts, the secret in the body, public clients, and every refusal.
 */
import { describe, expect, test } from 'bun:test'
import { authenticateClient, BASIC_CHALLENGE } from '../../src/auth/clients'
import { hashClientSecret } from '../../src/core/client-secrets'
import type { ClientAuthMethod } from '../../src/core/domain'
import { OAuthError, type OAuthErrorCode } from '../../src/core/errors'
import type { ClientRecord } from '../../src/store/types'
import { rejectionOf } from '../support/assertions'

const at = new Date('2026-11-28T09:30:00Z')

function client(clientId: string, method: ClientAuthMethod, secret: string | null): ClientRecord {
  return {
    clientId,
    secretHash: secret === null ? null : hashClientSecret(secret),
    name: clientId,
    redirectUris: [],
    postLogoutRedirectUris: [],
    grantTypes: ['client_credentials'],
    responseTypes: [],
    scopes: [],
    tokenEndpointAuthMethod: method,
    firstParty: false,
    version: 1,
    createdAt: at,
    updatedAt: at,
  }
}

/** A secret with everything that Basic and form-encoding must carry: ':', '%', '+', '&', '=', non-ASCII. */
const ODD_SECRET = 'p:ss%w+rd&x=y ünï 🔑'
const ODD_ID = 'id:with:colons é'

const registry = new Map(
  [
    client('basic-client', 'client_secret_basic', 'basic-secret'),
    client('post-client', 'client_secret_post', 'post-secret'),
    client('public-client', 'none', null),
    client(ODD_ID, 'client_secret_basic', ODD_SECRET),
    client('spaced-client', 'client_secret_basic', 'two words'),
  ].map((c) => [c.clientId, c]),
)
const clients = { findById: async (id: string) => registry.get(id) ?? null }

/** RFC 6749 appendix B: each part form-encoded (space as '+'), then joined and base64-encoded. */
const formEncode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+')
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`

const authenticate = (form: Record<string, unknown>, authorization?: string) =>
  authenticateClient(new Headers(authorization ? { authorization } : {}), form, clients)

/** The OAuthError a call fails with, checked for its code, status and challenge. */
async function expectRefusal(promise: Promise<unknown>, error: OAuthErrorCode, status: number) {
  const refusal = await rejectionOf(promise)
  expect(refusal).toBeInstanceOf(OAuthError)
  const oauth = refusal as OAuthError
  expect({ error: oauth.error, status: oauth.status }).toEqual({ error, status })
  if (status === 401) expect(oauth.headers['www-authenticate']).toBe(BASIC_CHALLENGE)
  return oauth
}

describe('client_secret_basic', () => {
  test('the right id and secret authenticate the client', async () => {
    const found = await authenticate({}, basic('basic-client', 'basic-secret'))
    expect(found.clientId).toBe('basic-client')
  })

  test('id and secret are form-decoded after base64: colons, %, +, &, = and non-ASCII survive', async () => {
    const found = await authenticate({}, basic(ODD_ID, ODD_SECRET))
    expect(found.clientId).toBe(ODD_ID)
  })

  test('a "+" in the encoded secret is a space', async () => {
    const header = `Basic ${Buffer.from('spaced-client:two+words').toString('base64')}`
    expect((await authenticate({}, header)).clientId).toBe('spaced-client')
  })

  test('the secret sent without form-encoding fails when it has reserved characters', async () => {
    const header = `Basic ${Buffer.from(`${formEncode(ODD_ID)}:${ODD_SECRET}`).toString('base64')}`
    await expectRefusal(authenticate({}, header), 'invalid_client', 401)
  })

  test('a wrong secret is invalid_client, 401 with the Basic challenge', async () => {
    await expectRefusal(authenticate({}, basic('basic-client', 'wrong')), 'invalid_client', 401)
  })

  test('an empty secret is invalid_client', async () => {
    await expectRefusal(authenticate({}, basic('basic-client', '')), 'invalid_client', 401)
  })

  test('an unknown client is invalid_client', async () => {
    await expectRefusal(authenticate({}, basic('nobody', 'basic-secret')), 'invalid_client', 401)
  })

  test.each([
    ['not base64', 'Basic !!!'],
    ['no colon', `Basic ${Buffer.from('basic-client').toString('base64')}`],
    ['bad percent-encoding', `Basic ${Buffer.from('basic-client:%zz').toString('base64')}`],
    ['not UTF-8', `Basic ${Buffer.from([0x62, 0x3a, 0xff]).toString('base64')}`],
    ['no credentials', 'Basic'],
  ])('malformed credentials (%s) are invalid_client', async (_, header) => {
    await expectRefusal(authenticate({}, header), 'invalid_client', 401)
  })

  test('a client registered for client_secret_post may not use Basic', async () => {
    await expectRefusal(authenticate({}, basic('post-client', 'post-secret')), 'invalid_client', 401)
  })

  test('Basic and client_secret in the body at once are invalid_request (400)', async () => {
    const both = authenticate({ client_secret: 'basic-secret' }, basic('basic-client', 'basic-secret'))
    await expectRefusal(both, 'invalid_request', 400)
  })

  test('a client_id in the body must be the Basic one', async () => {
    const same = await authenticate({ client_id: 'basic-client' }, basic('basic-client', 'basic-secret'))
    expect(same.clientId).toBe('basic-client')
    const other = authenticate({ client_id: 'post-client' }, basic('basic-client', 'basic-secret'))
    await expectRefusal(other, 'invalid_request', 400)
  })
})

describe('client_secret_post', () => {
  test('client_id and client_secret in the body authenticate the client', async () => {
    const found = await authenticate({ client_id: 'post-client', client_secret: 'post-secret' })
    expect(found.clientId).toBe('post-client')
  })

  test('a wrong or missing secret is invalid_client', async () => {
    await expectRefusal(authenticate({ client_id: 'post-client', client_secret: 'x' }), 'invalid_client', 401)
    await expectRefusal(authenticate({ client_id: 'post-client' }), 'invalid_client', 401)
  })

  test('a client registered for Basic may not send its secret in the body', async () => {
    const post = authenticate({ client_id: 'basic-client', client_secret: 'basic-secret' })
    await expectRefusal(post, 'invalid_client', 401)
  })

  test('a repeated field is invalid_request', async () => {
    const repeated = authenticate({ client_id: 'post-client', client_secret: ['post-secret', 'x'] })
    await expectRefusal(repeated, 'invalid_request', 400)
  })
})

describe('none (public clients)', () => {
  test('the client id alone authenticates a public client', async () => {
    expect((await authenticate({ client_id: 'public-client' })).clientId).toBe('public-client')
  })

  test('a confidential client may not leave its secret out', async () => {
    await expectRefusal(authenticate({ client_id: 'basic-client' }), 'invalid_client', 401)
  })

  test('a public client sending a secret is refused', async () => {
    await expectRefusal(
      authenticate({ client_id: 'public-client', client_secret: 'x' }),
      'invalid_client',
      401,
    )
  })

  test('no client id at all is invalid_client', async () => {
    await expectRefusal(authenticate({}), 'invalid_client', 401)
  })

  test('a Bearer header is no client authentication', async () => {
    await expectRefusal(authenticate({}, 'Bearer abc'), 'invalid_client', 401)
  })
})
