import { describe, expect, test } from 'bun:test'
import { PreconditionFailedError } from '../../../src/store/errors'
import { rejectionOf } from '../../support/assertions'
import { type GetStore, newProduct, unknownId } from './fixtures'

/** Single-product reads and writes: round-trips, versions, not-found. */
export function describeProductContract(store: GetStore): void {
  describe('products', () => {
    test('create returns the product with a 24-hex id, version 1 and equal timestamps', async () => {
      const input = newProduct({ description: 'A fine thing', price: 19.99, stock: 7, tags: ['red', 'sale'] })
      const product = await store().products.create(input)
      expect(product).toEqual({
        ...input,
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        version: 1,
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      })
      expect(product.updatedAt.getTime()).toBe(product.createdAt.getTime())
    })

    test('findById returns exactly what create returned', async () => {
      const product = await store().products.create(newProduct({ price: 0.01, tags: ['a', 'b', 'c'] }))
      expect(await store().products.findById(product.id)).toEqual(product)
    })

    test('findById of an unknown id is null', async () => {
      expect(await store().products.findById(unknownId())).toBeNull()
    })

    test('a malformed id finds, updates and deletes nothing', async () => {
      expect(await store().products.findById('not-an-id')).toBeNull()
      expect(await store().products.update('not-an-id', { price: 1 }, 1)).toBeNull()
      expect(await store().products.delete('not-an-id', 1)).toBe(false)
    })

    test('update replaces the given fields, bumps version and updatedAt, keeps owner and createdAt', async () => {
      const product = await store().products.create(newProduct({ tags: ['old', 'older'] }))
      await Bun.sleep(5)
      const changes = { name: 'Renamed', description: 'new', price: 1234.5, stock: 0, tags: ['new'] }
      const updated = await store().products.update(product.id, changes)
      expect(updated).toEqual({ ...product, ...changes, version: 2, updatedAt: expect.any(Date) })
      expect(updated?.updatedAt.getTime()).toBeGreaterThan(product.updatedAt.getTime())
      expect(await store().products.findById(product.id)).toEqual(updated)
    })

    test('update of one field leaves the others as they were', async () => {
      const product = await store().products.create(newProduct({ price: 5, stock: 3, tags: ['keep'] }))
      const updated = await store().products.update(product.id, { stock: 4 })
      expect(updated).toEqual({ ...product, stock: 4, version: 2, updatedAt: expect.any(Date) })
    })

    test('update with a stale expectedVersion throws PreconditionFailedError and changes nothing', async () => {
      const product = await store().products.create(newProduct())
      const current = await store().products.update(product.id, { price: 11 }, 1)
      expect(current?.version).toBe(2)
      expect(await rejectionOf(store().products.update(product.id, { price: 12 }, 1))).toBeInstanceOf(
        PreconditionFailedError,
      )
      expect(await store().products.findById(product.id)).toEqual(current)
    })

    test('10 concurrent updates with one expectedVersion: exactly one succeeds', async () => {
      const product = await store().products.create(newProduct())
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store().products.update(product.id, { stock: 100 + i }, 1)),
      )
      const winners = results.filter((result) => result.status === 'fulfilled')
      const losers = results.filter((result) => result.status === 'rejected')
      expect(winners).toHaveLength(1)
      for (const loser of losers) expect(loser.reason).toBeInstanceOf(PreconditionFailedError)
      const stored = await store().products.findById(product.id)
      expect(stored?.version).toBe(2)
      expect(stored?.stock).toBe(winners[0]?.value?.stock ?? -1)
    })

    test('update of an unknown id is null, with or without expectedVersion', async () => {
      expect(await store().products.update(unknownId(), { price: 1 })).toBeNull()
      expect(await store().products.update(unknownId(), { price: 1 }, 1)).toBeNull()
    })

    test('delete with the current expectedVersion removes the product', async () => {
      const product = await store().products.create(newProduct())
      expect(await store().products.delete(product.id, 1)).toBe(true)
      expect(await store().products.findById(product.id)).toBeNull()
    })

    test('delete with a stale expectedVersion throws PreconditionFailedError and keeps the product', async () => {
      const product = await store().products.create(newProduct())
      const current = await store().products.update(product.id, { stock: 9 })
      expect(await rejectionOf(store().products.delete(product.id, 1))).toBeInstanceOf(
        PreconditionFailedError,
      )
      expect(await store().products.findById(product.id)).toEqual(current)
    })

    test('delete of an unknown id is false, with or without expectedVersion', async () => {
      expect(await store().products.delete(unknownId())).toBe(false)
      expect(await store().products.delete(unknownId(), 1)).toBe(false)
    })

    test('update and delete with an ownerId leave another owner’s product alone, like an unknown id', async () => {
      const product = await store().products.create(newProduct())
      const stranger = unknownId()
      expect(await store().products.update(product.id, { stock: 1 }, undefined, stranger)).toBeNull()
      expect(await store().products.update(product.id, { stock: 1 }, 1, stranger)).toBeNull()
      expect(await store().products.delete(product.id, undefined, stranger)).toBe(false)
      expect(await store().products.delete(product.id, 1, stranger)).toBe(false)
      expect(await store().products.findById(product.id)).toEqual(product)
    })

    test('update and delete with the owner’s id behave as without one', async () => {
      const product = await store().products.create(newProduct())
      const updated = await store().products.update(product.id, { stock: 2 }, 1, product.ownerId)
      expect(updated?.stock).toBe(2)
      expect(
        await rejectionOf(store().products.update(product.id, { stock: 3 }, 1, product.ownerId)),
      ).toBeInstanceOf(PreconditionFailedError)
      expect(await store().products.delete(product.id, 2, product.ownerId)).toBe(true)
    })
  })
}
