import { expect } from 'bun:test'
import { ObjectId } from 'bson'
import { ConflictError } from '../../../src/store/errors'
import type { NewProduct, NewRefreshToken, NewUser, Page, Store } from '../../../src/store/types'

/** The store under test; a getter because it is opened in `beforeAll`, after the tests are declared. */
export type GetStore = () => Store

/** Enough for every list a contract test builds, so one page shows them all. */
export const ALL: Page = { page: 1, limit: 100 }

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'

/**
 * Ten random lower-case letters. Tests share one store, so each one scopes its data (and its list
 * queries) with a fresh marker; letters only, so that upper-casing it really changes it.
 */
export function marker(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10))
  return Array.from(bytes, (byte) => LETTERS[byte % LETTERS.length]).join('')
}

/** A valid id that no record has. */
export function unknownId(): string {
  return new ObjectId().toHexString()
}

export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const m = marker()
  return {
    username: `u_${m}`,
    email: `${m}@example.test`,
    fullName: `Test ${m}`,
    role: 'user',
    disabled: false,
    passwordHash: `hash-${m}`,
    ...overrides,
  }
}

export function newProduct(overrides: Partial<NewProduct> = {}): NewProduct {
  return {
    name: `Product ${marker()}`,
    description: '',
    price: 10,
    stock: 1,
    tags: [],
    ownerId: unknownId(),
    ...overrides,
  }
}

export function newRefreshToken(overrides: Partial<NewRefreshToken> = {}): NewRefreshToken {
  const hash = new Bun.CryptoHasher('sha256').update(crypto.getRandomValues(new Uint8Array(32))).digest('hex')
  return {
    tokenHash: hash,
    userId: unknownId(),
    chainId: crypto.randomUUID(),
    expiresAt: new Date(Date.now() + 3_600_000),
    ...overrides,
  }
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject, but it resolved')
}

/** Asserts a `ConflictError` naming `field`. */
export function expectConflict(error: unknown, field: ConflictError['field']): void {
  expect(error).toBeInstanceOf(ConflictError)
  expect((error as ConflictError).field).toBe(field)
}

/** Creates one at a time, so creation order is well defined, and returns the records in that order. */
export async function createInOrder<I, R>(create: (input: I) => Promise<R>, inputs: I[]): Promise<R[]> {
  const records: R[] = []
  for (const input of inputs) records.push(await create(input))
  return records
}
