/**
 * The rules the OpenAPI document states and the service enforces agree (issue #9, defect 7): prices
 * with at most two decimals (`multipleOf: 0.01`), `password` needing `currentPassword`
 * (`dependentRequired`), and a missing required field answered as such at its own pointer. Each
 * test reads the rule from the served document and checks the service against it over HTTP.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createSqliteStore } from '../src/store/sqlite'
import type { Store } from '../src/store/types'
import { type Account, type Client, createAdmin, type Reply, registerUser, testApp } from './support/app'

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON
type Node = Record<string, any>

let store: Store
let client: Client
let user: Account
let admin: Account
let document: Node

beforeAll(async () => {
  store = createSqliteStore({ path: ':memory:' })
  ;({ client } = testApp(store))
  ;[user, admin] = await Promise.all([registerUser(client), createAdmin(client)])
  document = (await client.get('/swagger/json')).body
})
afterAll(() => store.close())

const schema = (name: string): Node => document.components.schemas[name]

/** The entries of a 422 problem's `errors`, after checking that it is one. */
const byPointer = (a: { pointer: string }, b: { pointer: string }) => a.pointer.localeCompare(b.pointer)

function fieldErrors(reply: Reply): Array<{ pointer: string; detail: string }> {
  expect(reply.status).toBe(422)
  expect(reply.headers.get('content-type')).toStartWith('application/problem+json')
  return reply.body.errors
}

/** Posts a product whose body is `json`, sent as written (so `19.990` stays `19.990`). */
const postProduct = (json: string) => client.post('/products', { token: user.token, body: json })

describe('prices: at most two decimals, as multipleOf 0.01', () => {
  test('every request schema with a price states multipleOf 0.01 and its bounds', () => {
    for (const name of ['CreateProduct', 'ReplaceProduct', 'PatchProduct']) {
      expect(schema(name).properties.price, name).toMatchObject({
        type: 'number',
        minimum: 0,
        maximum: 1_000_000_000,
        multipleOf: 0.01,
      })
    }
  })

  // Decimal multiples of 0.01 that binary floats cannot divide exactly (19.99 / 0.01 is 1998.99...).
  const valid = ['19.99', '0.07', '0.29', '1.1', '12.5', '0', '1e-2', '19.990', '999999999.99', '1000000000']
  for (const price of valid) {
    test(`${price} is a multiple of 0.01: 201, stored as that number`, async () => {
      const reply = await postProduct(`{"name":"Cup","price":${price}}`)
      expect(reply.status).toBe(201)
      expect(reply.body.price).toBe(Number(price))
    })
  }

  // 19.990000000000002 is what 1999 * 0.01 gives in floats; 0.30000000000000004 is 0.1 + 0.2.
  const invalid = ['19.991', '19.990000000000002', '0.30000000000000004', '0.001', '1e-7', '999999999.995']
  for (const price of invalid) {
    test(`${price} is not a multiple of 0.01: 422 at /price, nothing created`, async () => {
      const before = (await client.get('/products?limit=1')).body.total
      const errors = fieldErrors(await postProduct(`{"name":"Cup","price":${price}}`))
      expect(errors).toEqual([expect.objectContaining({ pointer: '/price' })])
      expect((await client.get('/products?limit=1')).body.total).toBe(before)
    })
  }

  test('PUT and PATCH judge the price by the same rule', async () => {
    const id = (await postProduct('{"name":"Cup","price":1}')).body.id
    const body = { name: 'Cup', description: '', price: 0.07, stock: 1, tags: [] }
    expect((await client.put(`/products/${id}`, { token: user.token, body })).status).toBe(200)
    const patch = (price: string) =>
      client.patch(`/products/${id}`, { token: user.token, body: `{"price":${price}}` })
    expect((await patch('19.99')).body.price).toBe(19.99)
    expect(fieldErrors(await patch('19.990000000000002'))[0]?.pointer).toBe('/price')
    const put = await client.put(`/products/${id}`, { token: user.token, body: { ...body, price: 2.005 } })
    expect(fieldErrors(put)[0]?.pointer).toBe('/price')
  })
})

describe('PATCH /users/me: password and email require currentPassword, as dependentRequired', () => {
  test('the document states it', () => {
    expect(schema('PatchMe').dependentRequired).toEqual({
      password: ['currentPassword'],
      email: ['currentPassword'],
    })
  })

  test('each field the document names, sent without its dependents, is a 422 at each missing one', async () => {
    const values: Record<string, string> = {
      password: 'a new long passphrase',
      email: 'someone.else@example.com',
    }
    for (const [field, needs] of Object.entries(
      schema('PatchMe').dependentRequired as Record<string, string[]>,
    )) {
      const reply = await client.patch('/users/me', { token: user.token, body: { [field]: values[field] } })
      const errors = fieldErrors(reply)
      for (const needed of needs)
        expect(errors).toContainEqual(expect.objectContaining({ pointer: `/${needed}` }))
    }
    // The password did not change.
    const login = await client.post('/auth/login', {
      body: { username: user.username, password: user.password },
    })
    expect(login.status).toBe(200)
  })

  test('with its dependent the body is valid: a wrong currentPassword is 403, not 422', async () => {
    const body = { password: 'a new long passphrase', currentPassword: 'not my password' }
    expect((await client.patch('/users/me', { token: user.token, body })).status).toBe(403)
  })
})

describe('a missing or mistyped field is a 422 saying so, at its pointer', () => {
  /** Operations with a JSON body whose schema requires fields, and who may call them. */
  const bodies = (): Array<{ method: string; path: string; required: string[]; token?: () => string }> => {
    const out = []
    for (const [path, item] of Object.entries(document.paths as Node)) {
      for (const [method, operation] of Object.entries(item as Node)) {
        const ref = operation.requestBody?.content?.['application/json']?.schema?.$ref
        // The token routes answer RFC 6749 errors instead of problems (tests/auth.test.ts has them),
        // and the client routes RFC 7591 ones (tests/clients.test.ts).
        const oauth = (path.startsWith('/auth/') && path !== '/auth/register') || path.startsWith('/clients')
        if (!ref || oauth) continue
        const required = schema(ref.split('/').pop()).required ?? []
        if (required.length === 0) continue
        const token =
          operation.security.length === 0 ? undefined : path.startsWith('/users') ? adminToken : userToken
        out.push({ method, path, required, token })
      }
    }
    return out
  }
  const userToken = () => user.token
  const adminToken = () => admin.token

  test('an empty body names every required field "is required", at its own pointer', async () => {
    const product = (await postProduct('{"name":"Cup","price":1}')).body.id
    const operations = bodies()
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(
      expect.arrayContaining([
        'post /auth/register',
        'post /products',
        'put /products/{id}',
        'put /users/{id}',
      ]),
    )
    for (const { method, path, required, token } of operations) {
      const url = path.replace('{id}', path.startsWith('/users') ? user.id : product)
      const reply = await client.request(method.toUpperCase(), url, { token: token?.(), body: {} })
      expect(fieldErrors(reply), `${method} ${path}`).toEqual(
        required.map((field) => ({ pointer: `/${field}`, detail: 'is required' })),
      )
    }
  })

  test('a PUT missing some fields names only those; a present bad value keeps its own message', async () => {
    const id = (await postProduct('{"name":"Cup","price":1}')).body.id
    const reply = await client.put(`/products/${id}`, {
      token: user.token,
      body: { name: 'Cup', description: 'x'.repeat(2001), price: 1 },
    })

    expect(fieldErrors(reply).sort(byPointer)).toEqual([
      { pointer: '/description', detail: 'must be at most 2000 characters' },
      { pointer: '/stock', detail: 'is required' },
      { pointer: '/tags', detail: 'is required' },
    ])
  })

  test('a value of the wrong JSON type says the type, not the rule for a value of the right one', async () => {
    const body = '{"name":null,"description":3,"price":"12","stock":1.5,"tags":"x"}'
    const reply = await client.post('/products', { token: user.token, body })
    expect(fieldErrors(reply).sort(byPointer)).toEqual([
      { pointer: '/description', detail: 'must be a string' },
      { pointer: '/name', detail: 'must be a string' },
      { pointer: '/price', detail: 'must be a number' },
      // A number, but not whole: the schema's own rule.
      { pointer: '/stock', detail: 'must be an integer from 0' },
      { pointer: '/tags', detail: 'must be an array' },
    ])
    const role = await client.put(`/users/${user.id}`, {
      token: admin.token,
      body: { username: user.username, email: user.email, fullName: '', role: 'root', disabled: 'no' },
    })
    expect(fieldErrors(role).sort(byPointer)).toEqual([
      { pointer: '/disabled', detail: 'must be true or false' },
      { pointer: '/role', detail: 'must be "user" or "admin"' },
    ])
  })
})

describe("the OAuth2 flows the document states are the service's own endpoints", () => {
  const flows = () =>
    Object.entries(document.components.securitySchemes as Node)
      .filter(([, scheme]) => scheme.type === 'oauth2')
      .flatMap(([name, scheme]) =>
        Object.entries(scheme.flows as Node).map(([flow, urls]) => ({ where: `${name} ${flow}`, urls })),
      )

  test('every token and refresh URL is a POST operation of the document, answering OAuth2 errors', async () => {
    for (const { where, urls } of flows()) {
      for (const url of [urls.tokenUrl, urls.refreshUrl].filter(Boolean)) {
        expect(document.paths[url]?.post, `${where}: ${url}`).toBeDefined()
        const reply = await client.post(url, { form: { grant_type: 'authorization_code_x' } })
        expect(reply.status, `${where}: ${url}`).toBe(400)
        expect(reply.body.error, `${where}: ${url}`).toBe('unsupported_grant_type')
      }
    }
  })

  test('the authorization code flow uses the authorization endpoint discovery names, once it names one', async () => {
    const code = flows().find((f) => f.where === 'OAuth2AuthorizationCode authorizationCode')
    expect(code?.urls.authorizationUrl).toBe('/authorize')
    const discovery = (await client.get('/.well-known/openid-configuration')).body
    if (discovery.authorization_endpoint !== undefined) {
      expect(discovery.authorization_endpoint).toBe(`${discovery.issuer}${code?.urls.authorizationUrl}`)
      expect(discovery.token_endpoint).toBe(`${discovery.issuer}${code?.urls.tokenUrl}`)
    }
  })
})
