/** Constants and factories shared by the users and products HTTP suites. */
import { expect } from 'bun:test'
import type { Product } from '../../src/products/model'
import type { User } from '../../src/users/model'
import { type Client, newAccount, type Reply } from './app'
import { unique } from './unique'

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

/** A 201 reply whose body is the resource created. */
export interface Created<T> extends Reply {
  body: T
}

/**
 * Creates a user through `POST /users` as the admin of `adminToken`, from fresh registration fields
 * with `fields` on top; expects the 201 and returns it.
 */
export async function createUser(
  client: Client,
  adminToken: string,
  fields: Record<string, unknown> = {},
): Promise<Created<User>> {
  const reply = await client.post('/users', { token: adminToken, body: { ...newAccount(), ...fields } })
  expect(reply.status).toBe(201)
  return reply
}

/**
 * Creates one at a time, so creation order is well defined, and returns the results in that order:
 * one per input (a tuple for a tuple of inputs).
 */
export async function createInOrder<const T extends readonly unknown[], R>(
  create: (input: T[number]) => Promise<R>,
  inputs: T,
): Promise<{ -readonly [K in keyof T]: R }> {
  const created: R[] = []
  for (const input of inputs) created.push(await create(input))
  return created as { -readonly [K in keyof T]: R }
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
): Promise<Created<Product>> {
  const reply = await client.post('/products', {
    token,
    body: { name: unique('product-'), price: 10, ...fields },
  })
  if (reply.status !== 201)
    throw new Error(`create product failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply
}
