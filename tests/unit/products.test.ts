/**
 * `ProductService`: who may change a product (docs/api.md: Products), against an in-memory repository that
 * keeps the `ownerId` scope contract: a write scoped to another owner matches nothing.
 */
import { describe, expect, test } from 'bun:test'
import type { Actor } from '../../src/core/domain'
import { ProductService } from '../../src/products/service'
import { expectHttpError } from '../support/assertions'
import { FakeProductRepository, newId } from '../support/fakes'

/** A service on an empty fake, one product, its owner, a stranger and an admin. */
function catalog() {
  const products = new FakeProductRepository()
  const owner: Actor = { id: newId(), role: 'user' }
  const product = products.seed({ ownerId: owner.id, price: 10 })
  return {
    products,
    service: new ProductService(products),
    product,
    owner,
    stranger: { id: newId(), role: 'user' } satisfies Actor,
    admin: { id: newId(), role: 'admin' } satisfies Actor,
    stored: () => products.records.get(product.id),
  }
}

describe('ProductService.update', () => {
  test('the owner changes its product, and the change is written', async () => {
    const { service, product, owner, stored } = catalog()
    const updated = await service.update(owner, product.id, { price: 12.5 })
    expect(updated).toMatchObject({ id: product.id, price: 12.5, ownerId: owner.id, version: 2 })
    expect(stored()).toEqual(updated)
  })

  test("an admin changes another user's product, which keeps its owner", async () => {
    const { service, product, owner, admin, stored } = catalog()
    const updated = await service.update(admin, product.id, { stock: 0 })
    expect(updated).toMatchObject({ stock: 0, ownerId: owner.id })
    expect(stored()).toEqual(updated)
  })

  test('a stranger gets 403, and nothing is written', async () => {
    const { service, product, stranger, stored } = catalog()
    await expectHttpError(service.update(stranger, product.id, { price: 0 }), 403)
    expect(stored()).toEqual(product)
  })

  test('an unknown id is a 404, for a user as for an admin', async () => {
    const { products, service, owner, admin } = catalog()
    await expectHttpError(service.update(owner, newId(), { price: 1 }), 404)
    await expectHttpError(service.update(admin, newId(), { price: 1 }), 404)
    expect(products.records.size).toBe(1)
  })
})

describe('ProductService.delete', () => {
  test('the owner deletes its product', async () => {
    const { products, service, product, owner } = catalog()
    await service.delete(owner, product.id)
    expect(products.records.has(product.id)).toBe(false)
  })

  test("an admin deletes another user's product", async () => {
    const { products, service, product, admin } = catalog()
    await service.delete(admin, product.id)
    expect(products.records.has(product.id)).toBe(false)
  })

  test('a stranger gets 403, and the product is still stored', async () => {
    const { service, product, stranger, stored } = catalog()
    await expectHttpError(service.delete(stranger, product.id), 403)
    expect(stored()).toEqual(product)
  })

  test('an unknown id is a 404, for a user as for an admin', async () => {
    const { products, service, owner, admin } = catalog()
    await expectHttpError(service.delete(owner, newId()), 404)
    await expectHttpError(service.delete(admin, newId()), 404)
    expect(products.records.size).toBe(1)
  })
})
