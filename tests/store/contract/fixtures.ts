import { expect } from 'bun:test'
import { ObjectId } from 'bson'
import { ConflictError } from '../../../src/store/errors'
import type { NewProduct, NewRefreshToken, NewUser, Page, Store } from '../../../src/store/types'
import { unique } from '../../support/unique'

/**
 * The store under test; a getter because it is opened in `beforeAll`, after the tests are declared.
 * Tests share one store, so each one scopes its data (and its list queries) with a fresh `unique()`.
 */
export type GetStore = () => Store

/** Enough for every list a contract test builds, so one page shows them all. */
export const ALL: Page = { page: 1, limit: 100 }

/** A valid id that no record has. */
export function unknownId(): string {
  return new ObjectId().toHexString()
}

export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const m = unique()
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
    name: `Product ${unique()}`,
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
    clientId: 'contract-client',
    scopes: ['users:read', 'products:write'],
    expiresAt: new Date(Date.now() + 3_600_000),
    ...overrides,
  }
}

/** Asserts a `ConflictError` naming `field`. */
export function expectConflict(error: unknown, field: ConflictError['field']): void {
  expect(error).toBeInstanceOf(ConflictError)
  expect((error as ConflictError).field).toBe(field)
}
