import { describe, expect, test } from 'bun:test'
import type { ProductSortField } from '../../../src/core/domain'
import type { NewProduct, ProductFilter, ProductRecord } from '../../../src/store/types'
import { createInOrder } from '../../support/crud'
import { unique } from '../../support/unique'
import { ALL, type GetStore, newProduct } from './fixtures'

/** `products.list`: filters, sorts with an id tie-breaker, stable paging and exact totals. */
export function describeProductListContract(store: GetStore): void {
  /** Creates products that all carry the tag `tag`, which scopes the test's list queries. */
  const seed = (tag: string, inputs: Partial<NewProduct>[]) =>
    createInOrder(
      (input) => store().products.create(newProduct({ ...input, tags: [tag, ...(input.tags ?? [])] })),
      inputs,
    )
  const ids = (products: (ProductRecord | undefined)[]) => products.map((product) => product?.id)
  const listIds = async (filter: ProductFilter, field: ProductSortField = 'createdAt', descending = false) =>
    ids((await store().products.list(filter, { field, descending }, ALL)).items)

  describe('products.list', () => {
    test('q matches a substring of name or description, ignoring case', async () => {
      const tag = unique()
      const m = unique()
      const matching = await seed(tag, [
        { name: `Big ${m} box` },
        { description: `Made of ${m.toUpperCase()}` },
      ])
      await seed(tag, [{ name: 'Unrelated' }])
      expect(await listIds({ tag, q: m.toUpperCase() })).toEqual(ids(matching))
    })

    test('q ignores case beyond ASCII', async () => {
      const tag = unique()
      const [cafe] = await seed(tag, [{ name: 'Café crème' }, { name: 'Cafe' }])
      expect(await listIds({ tag, q: 'CAFÉ' })).toEqual([cafe?.id])
    })

    test('q is a literal: ".*" matches only names that contain ".*"', async () => {
      const tag = unique()
      const [literal] = await seed(tag, [{ name: 'glob a.*b' }, { name: 'glob axxb' }])
      expect(await listIds({ tag, q: '.*' })).toEqual([literal?.id])
    })

    test('q is a literal: "^(a+)+$" matches itself, not strings of a', async () => {
      const tag = unique()
      const [literal] = await seed(tag, [{ name: 'x ^(a+)+$' }, { name: 'a'.repeat(30) }])
      expect(await listIds({ tag, q: '^(a+)+$' })).toEqual([literal?.id])
    })

    test('tag filter is exact membership, not a substring', async () => {
      const tag = unique()
      const [red] = await seed(tag, [
        { tags: [`${tag}-red`] },
        { tags: [`${tag}-reddish`] },
        { tags: ['blue'] },
      ])
      expect(await listIds({ tag })).toHaveLength(3)
      expect(await listIds({ tag: `${tag}-red` })).toEqual([red?.id])
      expect(await listIds({ tag: tag.slice(0, 5) })).toEqual([])
    })

    test('minPrice and maxPrice are inclusive bounds', async () => {
      const tag = unique()
      const [, ten, fifteen, twenty] = await seed(tag, [
        { price: 5 },
        { price: 10 },
        { price: 15 },
        { price: 20 },
      ])
      expect(await listIds({ tag, minPrice: 10 }, 'price')).toEqual(ids([ten, fifteen, twenty]))
      expect(await listIds({ tag, maxPrice: 15 }, 'price')).toHaveLength(3)
      expect(await listIds({ tag, minPrice: 10, maxPrice: 15 }, 'price')).toEqual(ids([ten, fifteen]))
      expect(await listIds({ tag, minPrice: 10.01, maxPrice: 14.99 })).toEqual([])
    })

    test('inStock true keeps products with stock; false keeps the sold-out ones', async () => {
      const tag = unique()
      const [soldOut, one, many] = await seed(tag, [{ stock: 0 }, { stock: 1 }, { stock: 50 }])
      expect(await listIds({ tag, inStock: true })).toEqual(ids([one, many]))
      expect(await listIds({ tag, inStock: false })).toEqual(ids([soldOut]))
    })

    test('filters combine with AND and total counts the matches', async () => {
      const tag = unique()
      const [target] = await seed(tag, [
        { name: 'widget', price: 30, stock: 2 },
        { name: 'widget', price: 30, stock: 0 },
        { name: 'widget', price: 3, stock: 2 },
        { name: 'gadget', price: 30, stock: 2 },
      ])
      const page = await store().products.list(
        { tag, q: 'WIDGET', minPrice: 20, inStock: true },
        { field: 'createdAt', descending: true },
        ALL,
      )
      expect(page.total).toBe(1)
      expect(ids(page.items)).toEqual([target?.id])
    })

    test('sort by name ignores case, ascending and descending', async () => {
      const tag = unique()
      const [banana, apple, cherry] = await seed(tag, [
        { name: 'Banana' },
        { name: 'apple' },
        { name: 'cherry' },
      ])
      expect(await listIds({ tag }, 'name')).toEqual(ids([apple, banana, cherry]))
      expect(await listIds({ tag }, 'name', true)).toEqual(ids([cherry, banana, apple]))
    })

    test('sort by price is numeric, ascending and descending', async () => {
      const tag = unique()
      const [nine, hundred, ten] = await seed(tag, [{ price: 9.5 }, { price: 100 }, { price: 10 }])
      expect(await listIds({ tag }, 'price')).toEqual(ids([nine, ten, hundred]))
      expect(await listIds({ tag }, 'price', true)).toEqual(ids([hundred, ten, nine]))
    })

    test('sort by stock, ascending and descending', async () => {
      const tag = unique()
      const [two, zero, twelve] = await seed(tag, [{ stock: 2 }, { stock: 0 }, { stock: 12 }])
      expect(await listIds({ tag }, 'stock')).toEqual(ids([zero, two, twelve]))
      expect(await listIds({ tag }, 'stock', true)).toEqual(ids([twelve, two, zero]))
    })

    test('sort by createdAt follows creation order, ascending and descending', async () => {
      const tag = unique()
      const products: ProductRecord[] = []
      for (let i = 0; i < 3; i++) {
        products.push(await store().products.create(newProduct({ tags: [tag] })))
        await Bun.sleep(3)
      }
      expect(await listIds({ tag }, 'createdAt')).toEqual(ids(products))
      expect(await listIds({ tag }, 'createdAt', true)).toEqual(ids(products).reverse())
    })

    test('ties in the sort field are broken by id, in the same direction', async () => {
      const tag = unique()
      const products = await seed(tag, [{ price: 7 }, { price: 7 }, { price: 7 }, { price: 7 }])
      const byId = ids(products).sort()
      expect(await listIds({ tag }, 'price')).toEqual(byId)
      expect(await listIds({ tag }, 'price', true)).toEqual([...byId].reverse())
    })

    test('pages are consecutive slices of the sorted list, each with the exact total', async () => {
      const tag = unique()
      const products = await seed(
        tag,
        [5, 1, 4, 2, 3].map((price) => ({ price })),
      )
      const sorted = ids([...products].sort((a, b) => a.price - b.price))
      const sort = { field: 'price', descending: false } as const
      const pages = await Promise.all(
        [1, 2, 3, 4].map((page) => store().products.list({ tag }, sort, { page, limit: 2 })),
      )
      expect(pages.map((page) => page.total)).toEqual([5, 5, 5, 5])
      expect(pages.map((page) => ids(page.items))).toEqual([
        sorted.slice(0, 2),
        sorted.slice(2, 4),
        [sorted[4]],
        [],
      ])
    })
  })
}
