/** `GET /products`: public list with paging, filters, sort and literal search (docs/api.md: Lists, Products). */
import { beforeAll, describe, expect, test } from 'bun:test'
import { expectJson, expectProblem } from './support/assertions'
import { createInOrder, createProduct, type ProductFields } from './support/crud'
import { forEachStore } from './support/fixture'
import { unique } from './support/unique'

forEachStore(
  'GET /products',
  (ctx) => {
    /** Creates products in order; returns their ids, one per argument. */
    const createProducts = <const T extends ProductFields[]>(...products: T) =>
      createInOrder(
        async (fields) => (await createProduct(ctx.client, ctx.seller.token, fields)).body.id,
        products,
      )
    const list = (query: string) => ctx.client.get(`/products?${query}`)
    const ids = (reply: { body: { items: Array<{ id: string }> } }) => reply.body.items.map((p) => p.id)

    describe('paging', () => {
      const tag = unique('paging')
      let created: string[]

      beforeAll(async () => {
        created = await createProducts(...Array.from({ length: 5 }, () => ({ tags: [tag] })))
      })

      test('anyone lists, with the default page 1 and limit 20', async () => {
        const reply = await ctx.client.get('/products')
        expectJson(reply, 200)
        expect(reply.body).toMatchObject({ page: 1, limit: 20, total: expect.any(Number) })
        expect(reply.body.items.length).toBeGreaterThan(0)
      })

      test('limit cuts pages, total counts every match, and pages do not overlap', async () => {
        const pages = await Promise.all([1, 2, 3].map((page) => list(`tag=${tag}&limit=2&page=${page}`)))
        expect(pages.map((p) => p.body.items.length)).toEqual([2, 2, 1])
        for (const [i, p] of pages.entries())
          expect(p.body).toMatchObject({ page: i + 1, limit: 2, total: 5 })
        expect(pages.flatMap(ids)).toEqual([...created].reverse())
      })

      test('a page past the end is empty but keeps the total', async () => {
        expect((await list(`tag=${tag}&limit=2&page=9`)).body).toEqual({
          items: [],
          page: 9,
          limit: 2,
          total: 5,
        })
      })

      test.each([
        ['limit=0', '/limit'],
        ['limit=101', '/limit'],
        ['limit=ten', '/limit'],
        ['page=0', '/page'],
        ['page=-3', '/page'],
      ])('%p gets 422', async (query, pointer) => {
        expectProblem(await list(query), 422, pointer)
      })
    })

    describe('filters', () => {
      const tag = unique('filter')
      let mug: string
      let plate: string
      let bowl: string

      beforeAll(async () => {
        ;[mug, plate, bowl] = await createProducts(
          { name: 'Red mug', description: 'ceramic', price: 5, stock: 0, tags: [tag, `${tag}-mugs`] },
          { name: 'Blue plate', description: 'with a RED rim', price: 10, stock: 3, tags: [tag] },
          { name: 'Green bowl', description: '', price: 20, stock: 1, tags: [tag] },
        )
      })

      const found = async (query: string) => ids(await list(`tag=${tag}&${query}`))

      test('tag keeps products with that tag, ignoring case', async () => {
        expect(ids(await list(`tag=${tag.toUpperCase()}`))).toEqual([bowl, plate, mug])
        expect(ids(await list(`tag=${tag}-MUGS`))).toEqual([mug])
      })

      test('q matches a name or description substring, ignoring case', async () => {
        expect(await found('q=red')).toEqual([plate, mug])
      })

      test('q matches only the name when only the name has it', async () => {
        expect(await found('q=BOWL')).toEqual([bowl])
      })

      test('minPrice is inclusive', async () => {
        expect(await found('minPrice=10')).toEqual([bowl, plate])
      })

      test('maxPrice is inclusive', async () => {
        expect(await found('maxPrice=10')).toEqual([plate, mug])
      })

      test('minPrice and maxPrice together bound the price', async () => {
        expect(await found('minPrice=5.5&maxPrice=19.99')).toEqual([plate])
      })

      test('inStock=true keeps products with stock above 0', async () => {
        expect(await found('inStock=true')).toEqual([bowl, plate])
      })

      test('filters combine', async () => {
        expect(await found('q=red&inStock=true&maxPrice=10')).toEqual([plate])
      })

      test('total counts the filtered products only', async () => {
        expect((await list(`tag=${tag}&minPrice=10&limit=1`)).body).toMatchObject({ total: 2, limit: 1 })
      })

      test.each([
        ['minPrice=-1', '/minPrice'],
        ['minPrice=cheap', '/minPrice'],
        ['maxPrice=-0.01', '/maxPrice'],
        ['maxPrice=1000000001', '/maxPrice'],
        ['minPrice=20&maxPrice=10', '/minPrice'],
        ['inStock=maybe', '/inStock'],
      ])('%p gets 422', async (query, pointer) => {
        expectProblem(await list(query), 422, pointer)
      })
    })

    describe('q is a literal substring', () => {
      const tag = unique('literal')

      beforeAll(async () => {
        await createProducts({ name: `${tag}abc`, tags: [tag] }, { name: `${'a'.repeat(40)}!`, tags: [tag] })
      })

      test('regex metacharacters match nothing unless literally present', async () => {
        expect((await list(`tag=${tag}&q=${encodeURIComponent('a.*')}`)).body.total).toBe(0)
        const [literal] = await createProducts({ name: 'a.* literally', tags: [tag] })
        expect(ids(await list(`tag=${tag}&q=${encodeURIComponent('a.*')}`))).toEqual([literal])
      })

      test('?q=.* matches only a literal ".*"', async () => {
        const [literal] = await createProducts({ name: `x.*y ${unique()}` })
        const reply = await list('q=.*&limit=100')
        expect(ids(reply)).toContain(literal)
        for (const p of reply.body.items) expect(`${p.name} ${p.description}`).toContain('.*')
      })

      test('a catastrophic-backtracking pattern is matched literally', async () => {
        const reply = await list(`tag=${tag}&q=^(a%2B)%2B$`)
        expectJson(reply, 200)
        expect(reply.body.total).toBe(0)
        const [literal] = await createProducts({ name: 'pattern ^(a+)+$', tags: [tag] })
        expect(ids(await list(`tag=${tag}&q=^(a%2B)%2B$`))).toEqual([literal])
      })

      test('SQL wildcards match nothing unless literally present', async () => {
        expect((await list(`tag=${tag}&q=a%25`)).body.total).toBe(0)
        expect((await list(`tag=${tag}&q=a_c`)).body.total).toBe(0)
        const [literal] = await createProducts({ name: '100% a_c', tags: [tag] })
        expect(ids(await list(`tag=${tag}&q=0%25`))).toEqual([literal])
        expect(ids(await list(`tag=${tag}&q=a_c`))).toEqual([literal])
      })

      test('q[$ne]=x is not a query operator', async () => {
        const plain = await list(`tag=${tag}`)
        const reply = await list(`tag=${tag}&q[$ne]=x`)
        // Either refused, or an unknown parameter that filters nothing: never "every q except x".
        expect([200, 422]).toContain(reply.status)
        if (reply.status === 200) expect(reply.body.total).toBe(plain.body.total)
      })

      test('tag[$ne]=x is not a query operator', async () => {
        const all = await list('limit=1')
        const reply = await list('tag[$ne]=x&limit=1')
        expect([200, 422]).toContain(reply.status)
        if (reply.status === 200) expect(reply.body.total).toBe(all.body.total)
      })
    })

    describe('sort', () => {
      const tag = unique('sort')
      // Created in this order; names, prices and stock sort in three other orders.
      let banana: string
      let cherry: string
      let apple: string

      beforeAll(async () => {
        ;[banana, cherry, apple] = await createProducts(
          { name: 'banana', price: 30, stock: 5, tags: [tag] },
          { name: 'Cherry', price: 10, stock: 0, tags: [tag] },
          { name: 'apple', price: 20, stock: 9, tags: [tag] },
        )
      })

      const order = async (sort?: string) => ids(await list(`tag=${tag}${sort ? `&sort=${sort}` : ''}`))

      test('default is newest first (-createdAt)', async () => {
        expect(await order()).toEqual([apple, cherry, banana])
      })

      test.each([
        ['name', () => [apple, banana, cherry]],
        ['-name', () => [cherry, banana, apple]],
        ['price', () => [cherry, apple, banana]],
        ['-price', () => [banana, apple, cherry]],
        ['stock', () => [cherry, banana, apple]],
        ['-stock', () => [apple, banana, cherry]],
        ['createdAt', () => [banana, cherry, apple]],
        ['-createdAt', () => [apple, cherry, banana]],
      ])('sort=%s', async (sort, expected) => {
        expect(await order(sort)).toEqual(expected())
      })

      test.each(['ownerId', 'description', '--price', 'price,name', 'PRICE'])(
        'sort=%p gets 422',
        async (sort) => {
          expectProblem(await list(`sort=${encodeURIComponent(sort)}`), 422, '/sort')
        },
      )
    })
  },
  { accounts: { seller: 'user' } },
)
