/** `PUT`, `PATCH` and `DELETE /products/{id}`: changes by the owner or an admin only (docs/api.md: Lists, Products). */
import { describe, expect, test } from 'bun:test'
import type { Reply } from './support/app'
import { etagOf, expectJson, expectProblem } from './support/assertions'
import { createProduct, UNKNOWN_ID } from './support/crud'
import { forEachStore } from './support/fixture'
import { unique } from './support/unique'

/** Fields a client may never set on a product. */
const FORBIDDEN_FIELDS: Array<[string, unknown]> = [
  ['ownerId', '0123456789abcdef01234567'],
  ['id', '0123456789abcdef01234567'],
  ['createdAt', '2020-01-01T00:00:00.000Z'],
  ['updatedAt', '2020-01-01T00:00:00.000Z'],
]

const replacement = () => ({
  name: unique('Replaced '),
  description: 'replaced',
  price: 42.42,
  stock: 7,
  tags: ['new'],
})

forEachStore(
  'product changes',
  (ctx) => {
    /** A new product of `owner`; returns its 201 body. */
    const newProduct = async () =>
      (await createProduct(ctx.client, ctx.owner.token, { tags: ['old'], stock: 1 })).body
    const read = (id: string) => ctx.client.get(`/products/${id}`)
    const put = (id: string, token: string, body: unknown) =>
      ctx.client.put(`/products/${id}`, { token, body })
    const patch = (id: string, token: string, body: unknown) =>
      ctx.client.patch(`/products/${id}`, { token, body })

    /**
     * Asserts that `write`, made on a new product of `owner`, is refused with the problem `status`
     * (at `pointer` when given) and leaves the product as it was.
     */
    async function expectRefused(write: (id: string) => Promise<Reply>, status: number, pointer?: string) {
      const product = await newProduct()
      expectProblem(await write(product.id), status, pointer)
      expect((await read(product.id)).body).toEqual(product)
    }

    describe('PUT /products/{id}', () => {
      test('the owner replaces every field: 200, the product and a new ETag', async () => {
        const product = await newProduct()
        const before = await read(product.id)
        const body = replacement()
        const reply = await put(product.id, ctx.owner.token, body)
        expectJson(reply, 200)
        expect(reply.body).toMatchObject({
          ...body,
          id: product.id,
          ownerId: ctx.owner.id,
          createdAt: product.createdAt,
        })
        expect(etagOf(reply)).not.toBe(etagOf(before))
        expect((await read(product.id)).body).toEqual(reply.body)
      })

      test('PUT normalises like create: name trimmed, tags lower-cased and de-duplicated', async () => {
        const product = await newProduct()
        const body = { ...replacement(), name: '  Spaced  ', tags: ['A', 'a', 'B'] }
        const reply = await put(product.id, ctx.owner.token, body)
        expect(reply.status).toBe(200)
        expect(reply.body).toMatchObject({ name: 'Spaced', tags: ['a', 'b'] })
      })

      test('another user gets 403 and the product is unchanged', async () => {
        await expectRefused((id) => put(id, ctx.stranger.token, replacement()), 403)
      })

      test("an admin replaces another user's product, which keeps its owner", async () => {
        const product = await newProduct()
        const reply = await put(product.id, ctx.admin.token, replacement())
        expectJson(reply, 200)
        expect(reply.body.ownerId).toBe(ctx.owner.id)
      })

      test('a missing field gets 422, since PUT replaces the whole product', async () => {
        const { stock: _, ...partial } = replacement()
        await expectRefused((id) => put(id, ctx.owner.token, partial), 422, '/stock')
      })

      test('a price with three decimals gets 422 and the product is unchanged', async () => {
        await expectRefused(
          (id) => put(id, ctx.owner.token, { ...replacement(), price: 1.005 }),
          422,
          '/price',
        )
      })

      test.each(FORBIDDEN_FIELDS)(
        'an unknown field %p gets 422 and the product is unchanged',
        async (field, value) => {
          await expectRefused(
            (id) => put(id, ctx.owner.token, { ...replacement(), [field]: value }),
            422,
            `/${field}`,
          )
        },
      )

      test('no token gets 401', async () => {
        const product = await newProduct()
        expectProblem(await ctx.client.put(`/products/${product.id}`, { body: replacement() }), 401)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await put(UNKNOWN_ID, ctx.owner.token, replacement()), 404)
      })

      test('a malformed id gets 422', async () => {
        expectProblem(await put('nope', ctx.owner.token, replacement()), 422, '/id')
      })
    })

    describe('PATCH /products/{id}', () => {
      test.each(['null', '[]', '1', 'true', '"text"'])(
        'a body of %s is a 422 and changes nothing',
        async (raw) => {
          const product = await newProduct()
          const before = etagOf(await ctx.client.get(`/products/${product.id}`))
          const reply = await ctx.client.patch(`/products/${product.id}`, {
            token: ctx.owner.token,
            body: raw,
            headers: { 'content-type': 'application/json' },
          })
          expectProblem(reply, 422)
          expect(etagOf(await ctx.client.get(`/products/${product.id}`))).toBe(before)
        },
      )

      test('an If-Match naming no version of ours on an unknown id is still a 404', async () => {
        const reply = await ctx.client.patch(`/products/${UNKNOWN_ID}`, {
          token: ctx.owner.token,
          body: { stock: 1 },
          headers: { 'if-match': 'W/"not-ours"' },
        })
        expectProblem(reply, 404)
      })

      test('the owner changes one field and the others stay', async () => {
        const product = await newProduct()
        const reply = await patch(product.id, ctx.owner.token, { price: 99.95 })
        expectJson(reply, 200)
        etagOf(reply)
        expect(reply.body).toEqual({ ...product, price: 99.95, updatedAt: expect.any(String) })
      })

      test('tags are lower-cased and de-duplicated, the name trimmed', async () => {
        const product = await newProduct()
        const body = { name: ' Renamed ', tags: ['Sale', 'SALE', 'x'] }
        const reply = await patch(product.id, ctx.owner.token, body)
        expect(reply.status).toBe(200)
        expect(reply.body).toMatchObject({ name: 'Renamed', tags: ['sale', 'x'] })
      })

      test('another user gets 403 and the product is unchanged', async () => {
        await expectRefused((id) => patch(id, ctx.stranger.token, { price: 0 }), 403)
      })

      test("an admin changes another user's product", async () => {
        const product = await newProduct()
        const reply = await patch(product.id, ctx.admin.token, { stock: 0 })
        expectJson(reply, 200)
        expect(reply.body).toMatchObject({ stock: 0, ownerId: ctx.owner.id })
      })

      test('a price with three decimals gets 422 and the product is unchanged', async () => {
        await expectRefused((id) => patch(id, ctx.owner.token, { price: 2.999 }), 422, '/price')
      })

      test.each(FORBIDDEN_FIELDS)(
        'an unknown field %p gets 422 and the product is unchanged',
        async (field, value) => {
          await expectRefused((id) => patch(id, ctx.owner.token, { [field]: value }), 422, `/${field}`)
        },
      )

      test('setting ownerId to oneself is refused: a stranger cannot take a product over', async () => {
        const product = await newProduct()
        const body = { ownerId: ctx.stranger.id }
        const reply = await patch(product.id, ctx.stranger.token, body)
        expect([403, 422]).toContain(reply.status)
        expect((await read(product.id)).body).toEqual(product)
      })

      test('no token gets 401', async () => {
        const product = await newProduct()
        expectProblem(await ctx.client.patch(`/products/${product.id}`, { body: { price: 1 } }), 401)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await patch(UNKNOWN_ID, ctx.owner.token, { price: 1 }), 404)
      })

      test('a malformed id gets 422', async () => {
        expectProblem(await patch('nope', ctx.owner.token, { price: 1 }), 422, '/id')
      })
    })

    describe('DELETE /products/{id}', () => {
      test('the owner deletes: 204 with no body, then 404', async () => {
        const product = await newProduct()
        const reply = await ctx.client.delete(`/products/${product.id}`, { token: ctx.owner.token })
        expect(reply.status).toBe(204)
        expect(reply.body).toBe('')
        expectProblem(await read(product.id), 404)
      })

      test('another user gets 403 and the product still exists', async () => {
        await expectRefused((id) => ctx.client.delete(`/products/${id}`, { token: ctx.stranger.token }), 403)
      })

      test("an admin deletes another user's product", async () => {
        const product = await newProduct()
        expect((await ctx.client.delete(`/products/${product.id}`, { token: ctx.admin.token })).status).toBe(
          204,
        )
        expectProblem(await read(product.id), 404)
      })

      test('deleting twice gets 404 the second time', async () => {
        const product = await newProduct()
        await ctx.client.delete(`/products/${product.id}`, { token: ctx.owner.token })
        expectProblem(await ctx.client.delete(`/products/${product.id}`, { token: ctx.owner.token }), 404)
      })

      test('no token gets 401 and the product still exists', async () => {
        const product = await newProduct()
        expectProblem(await ctx.client.delete(`/products/${product.id}`), 401)
        expect((await read(product.id)).status).toBe(200)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await ctx.client.delete(`/products/${UNKNOWN_ID}`, { token: ctx.owner.token }), 404)
      })

      test('a malformed id gets 422', async () => {
        expectProblem(await ctx.client.delete('/products/nope', { token: ctx.owner.token }), 422, '/id')
      })
    })

    test('a disabled owner can no longer change its products', async () => {
      const victim = await ctx.registerUser()
      const product = (await createProduct(ctx.client, victim.token)).body
      await ctx.client.patch(`/users/${victim.id}`, { token: ctx.admin.token, body: { disabled: true } })
      expectProblem(await patch(product.id, victim.token, { price: 1 }), 403)
      expect((await read(product.id)).body).toEqual(product)
    })
  },
  { accounts: { owner: 'user', stranger: 'user', admin: 'admin' } },
)
