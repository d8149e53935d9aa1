/** `POST /products` and `GET /products/{id}`: creation, normalisation and validation (docs/api.md: Conventions, Products). */
import { describe, expect, test } from 'bun:test'
import { etagOf, expectJson, expectProblem } from './support/assertions'
import { MALFORMED_IDS, UNKNOWN_ID } from './support/crud'
import { forEachStore } from './support/fixture'
import { unique } from './support/unique'

forEachStore(
  'products',
  (ctx) => {
    const create = (body: unknown, token = ctx.owner.token) => ctx.client.post('/products', { token, body })

    describe('POST /products', () => {
      test('a signed-in user creates a product it owns: 201 with Location, ETag and the product', async () => {
        const name = unique('Cup ')
        const reply = await create({
          name,
          description: 'Porcelain',
          price: 12.5,
          stock: 3,
          tags: ['kitchen'],
        })
        expectJson(reply, 201)
        expect(reply.headers.get('location')).toBe(`/products/${reply.body.id}`)
        etagOf(reply)
        expect(reply.body).toEqual({
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          name,
          description: 'Porcelain',
          price: 12.5,
          stock: 3,
          tags: ['kitchen'],
          ownerId: ctx.owner.id,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        })
        expect((await ctx.client.get(reply.headers.get('location') as string)).body).toEqual(reply.body)
      })

      test('optional fields default to an empty description, stock 0 and no tags', async () => {
        const reply = await create({ name: unique('Plain '), price: 1 })
        expect(reply.status).toBe(201)
        expect(reply.body).toMatchObject({ description: '', stock: 0, tags: [] })
      })

      test('name and description are trimmed', async () => {
        const name = unique('Trimmed ')
        const reply = await create({ name: `   ${name}  `, description: '  some text \n', price: 1 })
        expect(reply.status).toBe(201)
        expect(reply.body).toMatchObject({ name, description: 'some text' })
      })

      test('tags are stored lower-case and without duplicates', async () => {
        const reply = await create({
          name: unique(),
          price: 1,
          tags: ['Kitchen', 'KITCHEN', 'kitchen', 'Blue', 'blue'],
        })
        expect(reply.status).toBe(201)
        expect(reply.body.tags).toEqual(['kitchen', 'blue'])
      })

      test('a tag that lower-cases past 40 characters is a 422', async () => {
        const reply = await create({ name: unique(), price: 1, tags: ['İ'.repeat(40)] })
        expect(reply.status).toBe(422)
        expect(reply.body.errors[0].pointer).toBe('/tags')
      })

      test('a price with two decimals is kept exactly', async () => {
        const reply = await create({ name: unique(), price: 19.99 })
        expect(reply.status).toBe(201)
        expect(reply.body.price).toBe(19.99)
      })

      test.each([0, 0.29, 162_369_109.17, 999_999_999.99, 1_000_000_000])(
        'price %p is allowed',
        async (price) => {
          const reply = await create({ name: unique(), price })
          expect(reply.status).toBe(201)
          expect(reply.body.price).toBe(price)
        },
      )

      test('the owner is the caller, whoever it is', async () => {
        const other = await ctx.registerUser()
        expect((await create({ name: unique(), price: 1 }, other.token)).body.ownerId).toBe(other.id)
      })

      test.each([
        ['price with 3 decimals', 'price', 1.234],
        ['price below a cent', 'price', 0.001],
        ['negative price', 'price', -1],
        ['price over 1e9', 'price', 1_000_000_000.01],
        ['price as a string', 'price', '10'],
        ['negative stock', 'stock', -1],
        ['fractional stock', 'stock', 1.5],
        ['empty name', 'name', ''],
        ['blank name', 'name', '   '],
        ['201-character name', 'name', 'x'.repeat(201)],
        ['2001-character description', 'description', 'x'.repeat(2001)],
        ['21 tags', 'tags', Array.from({ length: 21 }, (_, i) => `t${i}`)],
        ['41-character tag', 'tags', ['x'.repeat(41)]],
        ['empty tag', 'tags', ['']],
        ['tags as a string', 'tags', 'kitchen'],
      ])('a %s gets 422 at its pointer', async (_, field, value) => {
        const reply = await create({ name: unique(), price: 1, [field]: value })
        expectProblem(reply, 422)
        expect(reply.body.errors.map((e: { pointer: string }) => e.pointer).join(' ')).toContain(`/${field}`)
      })

      test('a price with three decimals gets 422 at /price and nothing is created', async () => {
        const name = unique('Precise ')
        expectProblem(await create({ name, price: 9.999 }), 422, '/price')
        expect((await ctx.client.get(`/products?q=${name}`)).body.total).toBe(0)
      })

      test('a missing name or price gets 422', async () => {
        expectProblem(await create({ price: 1 }), 422, '/name')
        expectProblem(await create({ name: unique() }), 422, '/price')
      })

      test.each([
        ['ownerId', '0123456789abcdef01234567'],
        ['id', '0123456789abcdef01234567'],
        ['createdAt', '2020-01-01T00:00:00.000Z'],
        ['updatedAt', '2020-01-01T00:00:00.000Z'],
        ['role', 'admin'],
      ])('an unknown field %p gets 422 and nothing is created', async (field, value) => {
        const name = unique('Sneaky ')
        expectProblem(await create({ name, price: 1, [field]: value }), 422, `/${field}`)
        expect((await ctx.client.get(`/products?q=${name}`)).body.total).toBe(0)
      })

      test('no token gets 401 with a Bearer challenge', async () => {
        const reply = await ctx.client.post('/products', { body: { name: unique(), price: 1 } })
        expectProblem(reply, 401)
        expect(reply.headers.get('www-authenticate')).toStartWith('Bearer')
      })

      test('a body that is not JSON gets 400', async () => {
        expectProblem(await create('{"name": "x", '), 400)
      })

      test('a body in another content type gets 415', async () => {
        const reply = await ctx.client.post('/products', {
          token: ctx.owner.token,
          body: 'name=x&price=1',
          headers: { 'content-type': 'text/plain' },
        })
        expectProblem(reply, 415)
      })
    })

    describe('GET /products/{id}', () => {
      test('anyone reads a product, with an ETag', async () => {
        const created = await create({ name: unique(), price: 3 })
        const reply = await ctx.client.get(`/products/${created.body.id}`)
        expectJson(reply, 200)
        expect(reply.body).toEqual(created.body)
        expect(etagOf(reply)).toBe(etagOf(created))
      })

      test('the id is case-insensitive hex', async () => {
        const created = await create({ name: unique(), price: 3 })
        const reply = await ctx.client.get(`/products/${created.body.id.toUpperCase()}`)
        expect(reply.status).toBe(200)
        expect(reply.body.id).toBe(created.body.id)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await ctx.client.get(`/products/${UNKNOWN_ID}`), 404)
      })

      test.each(MALFORMED_IDS)('a malformed id %p gets 422', async (id) => {
        expectProblem(await ctx.client.get(`/products/${id}`), 422, '/id')
      })
    })
  },
  { accounts: { owner: 'user' } },
)
