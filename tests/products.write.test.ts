/** `PUT`, `PATCH` and `DELETE /products/{id}`: changes by the owner or an admin only (SPEC sections 2, 6). */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Store } from '../src/store/types'
import { type Account, type Client, createAdmin, registerUser, testApp } from './support/app'
import { createProduct, etagOf, expectJson, expectProblem, UNKNOWN_ID, unique } from './support/crud'
import { STORE_KINDS } from './support/stores'

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

for (const kind of STORE_KINDS) {
  describe(`product changes (${kind.name})`, () => {
    let store: Store
    let client: Client
    let owner: Account
    let stranger: Account
    let admin: Account

    beforeAll(async () => {
      store = await kind.open()
      ;({ client } = testApp(store))
      ;[owner, stranger, admin] = await Promise.all([
        registerUser(client),
        registerUser(client),
        createAdmin(client),
      ])
    })
    afterAll(() => store.close())

    /** A new product of `owner`; returns its 201 body. */
    const newProduct = async () =>
      (await createProduct(client, owner.token, { tags: ['old'], stock: 1 })).body
    const read = (id: string) => client.get(`/products/${id}`)

    describe('PUT /products/{id}', () => {
      test('the owner replaces every field: 200, the product and a new ETag', async () => {
        const product = await newProduct()
        const before = await read(product.id)
        const body = replacement()
        const reply = await client.put(`/products/${product.id}`, { token: owner.token, body })
        expectJson(reply, 200)
        expect(reply.body).toMatchObject({
          ...body,
          id: product.id,
          ownerId: owner.id,
          createdAt: product.createdAt,
        })
        expect(etagOf(reply)).not.toBe(etagOf(before))
        expect((await read(product.id)).body).toEqual(reply.body)
      })

      test('PUT normalises like create: name trimmed, tags lower-cased and de-duplicated', async () => {
        const product = await newProduct()
        const body = { ...replacement(), name: '  Spaced  ', tags: ['A', 'a', 'B'] }
        const reply = await client.put(`/products/${product.id}`, { token: owner.token, body })
        expect(reply.status).toBe(200)
        expect(reply.body).toMatchObject({ name: 'Spaced', tags: ['a', 'b'] })
      })

      test('another user gets 403 and the product is unchanged', async () => {
        const product = await newProduct()
        const reply = await client.put(`/products/${product.id}`, {
          token: stranger.token,
          body: replacement(),
        })
        expectProblem(reply, 403)
        expect((await read(product.id)).body).toEqual(product)
      })

      test("an admin replaces another user's product, which keeps its owner", async () => {
        const product = await newProduct()
        const reply = await client.put(`/products/${product.id}`, { token: admin.token, body: replacement() })
        expectJson(reply, 200)
        expect(reply.body.ownerId).toBe(owner.id)
      })

      test('a missing field gets 422, since PUT replaces the whole product', async () => {
        const product = await newProduct()
        const { stock: _, ...partial } = replacement()
        expectProblem(
          await client.put(`/products/${product.id}`, { token: owner.token, body: partial }),
          422,
          '/stock',
        )
        expect((await read(product.id)).body).toEqual(product)
      })

      test('a price with three decimals gets 422 and the product is unchanged', async () => {
        const product = await newProduct()
        const body = { ...replacement(), price: 1.005 }
        expectProblem(
          await client.put(`/products/${product.id}`, { token: owner.token, body }),
          422,
          '/price',
        )
        expect((await read(product.id)).body).toEqual(product)
      })

      test.each(FORBIDDEN_FIELDS)(
        'an unknown field %p gets 422 and the product is unchanged',
        async (field, value) => {
          const product = await newProduct()
          const body = { ...replacement(), [field]: value }
          expectProblem(
            await client.put(`/products/${product.id}`, { token: owner.token, body }),
            422,
            `/${field}`,
          )
          expect((await read(product.id)).body).toEqual(product)
        },
      )

      test('no token gets 401', async () => {
        const product = await newProduct()
        expectProblem(await client.put(`/products/${product.id}`, { body: replacement() }), 401)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(
          await client.put(`/products/${UNKNOWN_ID}`, { token: owner.token, body: replacement() }),
          404,
        )
      })

      test('a malformed id gets 422', async () => {
        expectProblem(
          await client.put('/products/nope', { token: owner.token, body: replacement() }),
          422,
          '/id',
        )
      })
    })

    describe('PATCH /products/{id}', () => {
      test.each(['null', '[]', '1', 'true', '"text"'])(
        'a body of %s is a 422 and changes nothing',
        async (raw) => {
          const product = await newProduct()
          const before = etagOf(await client.get(`/products/${product.id}`))
          const reply = await client.patch(`/products/${product.id}`, {
            token: owner.token,
            body: raw,
            headers: { 'content-type': 'application/json' },
          })
          expectProblem(reply, 422)
          expect(etagOf(await client.get(`/products/${product.id}`))).toBe(before)
        },
      )

      test('an If-Match naming no version of ours on an unknown id is still a 404', async () => {
        const reply = await client.patch(`/products/${UNKNOWN_ID}`, {
          token: owner.token,
          body: { stock: 1 },
          headers: { 'if-match': 'W/"not-ours"' },
        })
        expectProblem(reply, 404)
      })

      test('the owner changes one field and the others stay', async () => {
        const product = await newProduct()
        const reply = await client.patch(`/products/${product.id}`, {
          token: owner.token,
          body: { price: 99.95 },
        })
        expectJson(reply, 200)
        etagOf(reply)
        expect(reply.body).toEqual({ ...product, price: 99.95, updatedAt: expect.any(String) })
      })

      test('tags are lower-cased and de-duplicated, the name trimmed', async () => {
        const product = await newProduct()
        const body = { name: ' Renamed ', tags: ['Sale', 'SALE', 'x'] }
        const reply = await client.patch(`/products/${product.id}`, { token: owner.token, body })
        expect(reply.status).toBe(200)
        expect(reply.body).toMatchObject({ name: 'Renamed', tags: ['sale', 'x'] })
      })

      test('another user gets 403 and the product is unchanged', async () => {
        const product = await newProduct()
        const reply = await client.patch(`/products/${product.id}`, {
          token: stranger.token,
          body: { price: 0 },
        })
        expectProblem(reply, 403)
        expect((await read(product.id)).body).toEqual(product)
      })

      test("an admin changes another user's product", async () => {
        const product = await newProduct()
        const reply = await client.patch(`/products/${product.id}`, {
          token: admin.token,
          body: { stock: 0 },
        })
        expectJson(reply, 200)
        expect(reply.body).toMatchObject({ stock: 0, ownerId: owner.id })
      })

      test('a price with three decimals gets 422 and the product is unchanged', async () => {
        const product = await newProduct()
        expectProblem(
          await client.patch(`/products/${product.id}`, { token: owner.token, body: { price: 2.999 } }),
          422,
          '/price',
        )
        expect((await read(product.id)).body).toEqual(product)
      })

      test.each(FORBIDDEN_FIELDS)(
        'an unknown field %p gets 422 and the product is unchanged',
        async (field, value) => {
          const product = await newProduct()
          const reply = await client.patch(`/products/${product.id}`, {
            token: owner.token,
            body: { [field]: value },
          })
          expectProblem(reply, 422, `/${field}`)
          expect((await read(product.id)).body).toEqual(product)
        },
      )

      test('setting ownerId to oneself is refused: a stranger cannot take a product over', async () => {
        const product = await newProduct()
        const body = { ownerId: stranger.id }
        const reply = await client.patch(`/products/${product.id}`, { token: stranger.token, body })
        expect([403, 422]).toContain(reply.status)
        expect((await read(product.id)).body).toEqual(product)
      })

      test('no token gets 401', async () => {
        const product = await newProduct()
        expectProblem(await client.patch(`/products/${product.id}`, { body: { price: 1 } }), 401)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(
          await client.patch(`/products/${UNKNOWN_ID}`, { token: owner.token, body: { price: 1 } }),
          404,
        )
      })

      test('a malformed id gets 422', async () => {
        expectProblem(
          await client.patch('/products/nope', { token: owner.token, body: { price: 1 } }),
          422,
          '/id',
        )
      })
    })

    describe('DELETE /products/{id}', () => {
      test('the owner deletes: 204 with no body, then 404', async () => {
        const product = await newProduct()
        const reply = await client.delete(`/products/${product.id}`, { token: owner.token })
        expect(reply.status).toBe(204)
        expect(reply.body).toBe('')
        expectProblem(await read(product.id), 404)
      })

      test('another user gets 403 and the product still exists', async () => {
        const product = await newProduct()
        expectProblem(await client.delete(`/products/${product.id}`, { token: stranger.token }), 403)
        expect((await read(product.id)).body).toEqual(product)
      })

      test("an admin deletes another user's product", async () => {
        const product = await newProduct()
        expect((await client.delete(`/products/${product.id}`, { token: admin.token })).status).toBe(204)
        expectProblem(await read(product.id), 404)
      })

      test('deleting twice gets 404 the second time', async () => {
        const product = await newProduct()
        await client.delete(`/products/${product.id}`, { token: owner.token })
        expectProblem(await client.delete(`/products/${product.id}`, { token: owner.token }), 404)
      })

      test('no token gets 401 and the product still exists', async () => {
        const product = await newProduct()
        expectProblem(await client.delete(`/products/${product.id}`), 401)
        expect((await read(product.id)).status).toBe(200)
      })

      test('a well-formed unknown id gets 404', async () => {
        expectProblem(await client.delete(`/products/${UNKNOWN_ID}`, { token: owner.token }), 404)
      })

      test('a malformed id gets 422', async () => {
        expectProblem(await client.delete('/products/nope', { token: owner.token }), 422, '/id')
      })
    })

    test('a disabled owner can no longer change its products', async () => {
      const victim = await registerUser(client)
      const product = (await createProduct(client, victim.token)).body
      await client.patch(`/users/${victim.id}`, { token: admin.token, body: { disabled: true } })
      expectProblem(
        await client.patch(`/products/${product.id}`, { token: victim.token, body: { price: 1 } }),
        403,
      )
      expect((await read(product.id)).body).toEqual(product)
    })
  })
}
