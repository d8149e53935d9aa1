/** Assertions and factories shared by the users and products HTTP suites. */
import { expect } from 'bun:test'
import type { Client, Reply } from './app'

/** A well-formed id that names nothing in any store. */
export const UNKNOWN_ID = '0123456789abcdef01234567'

/** Ids that are not 24 hex digits. */
export const MALFORMED_IDS = ['123', 'zzzzzzzzzzzzzzzzzzzzzzzz', '0123456789abcdef012345678']

/** Fields a client may never set on a user, with plausible values. */
export const USER_FORBIDDEN_FIELDS: Array<[string, unknown]> = [
  ['id', '0123456789abcdef01234567'],
  ['createdAt', '2020-01-01T00:00:00.000Z'],
  ['updatedAt', '2020-01-01T00:00:00.000Z'],
  ['passwordHash', '$argon2id$v=19$m=65536,t=2,p=1$abc$def'],
  ['ownerId', '0123456789abcdef01234567'],
]

let counter = 0

/** A short string no other test uses, safe inside usernames, product names and tags. */
export function unique(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${(++counter).toString(36)}${Math.random().toString(36).slice(2, 6)}`
}

/** Asserts an RFC 9457 problem with `status`, and a field error at `pointer` when given. */
export function expectProblem(reply: Reply, status: number, pointer?: string): void {
  expect(reply.status).toBe(status)
  expect(reply.headers.get('content-type')).toStartWith('application/problem+json')
  expect(reply.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  })
  if (pointer) expect(reply.body.errors).toContainEqual(expect.objectContaining({ pointer }))
}

/** Asserts a plain JSON success response. */
export function expectJson(reply: Reply, status: number): void {
  expect(reply.status).toBe(status)
  expect(reply.headers.get('content-type')).toStartWith('application/json')
}

/** Asserts that no key anywhere in `value` names a password or its hash. */
export function expectNoSecrets(value: unknown): void {
  const text = JSON.stringify(value) ?? ''
  expect(text).not.toMatch(/"password/i)
  expect(text).not.toMatch(/\$argon2/)
}

/** A strong ETag, as every single-resource response carries. */
export function etagOf(reply: Reply): string {
  const etag = reply.headers.get('etag')
  expect(etag).toMatch(/^"[^"]+"$/)
  return etag as string
}

export interface ProductFields {
  name?: string
  description?: string
  price?: number
  stock?: number
  tags?: string[]
}

/** Creates a product through the API as the owner of `token`; returns the 201 reply. */
export async function createProduct(
  client: Client,
  token: string,
  fields: ProductFields = {},
): Promise<Reply> {
  const reply = await client.post('/products', {
    token,
    body: { name: unique('product-'), price: 10, ...fields },
  })
  if (reply.status !== 201)
    throw new Error(`create product failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply
}
