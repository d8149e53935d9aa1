/** ETags, conditional requests and races on users and products (SPEC section 2, Concurrency). */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Store } from '../src/store/types'
import { type Account, type Client, createAdmin, newAccount, registerUser, testApp } from './support/app'
import { createProduct, etagOf, expectProblem, unique } from './support/crud'
import { STORE_KINDS } from './support/stores'

/** Racing requests hash passwords and hit the store at once; give them room. */
const RACE_TIMEOUT_MS = 60_000

for (const kind of STORE_KINDS) {
  describe(`concurrency (${kind.name})`, () => {
    let store: Store
    let client: Client
    let owner: Account
    let admin: Account

    beforeAll(async () => {
      store = await kind.open()
      ;({ client } = testApp(store))
      ;[owner, admin] = await Promise.all([registerUser(client), createAdmin(client)])
    })
    afterAll(() => store.close())

    /** A new product of `owner` and its ETag. */
    async function newProduct() {
      const reply = await createProduct(client, owner.token, { price: 5, stock: 1 })
      return { id: reply.body.id as string, body: reply.body, etag: etagOf(reply) }
    }

    /** A new user created by the admin, and its ETag. */
    async function newUser() {
      const reply = await client.post('/users', { token: admin.token, body: newAccount() })
      expect(reply.status).toBe(201)
      return { id: reply.body.id as string, body: reply.body, etag: etagOf(reply) }
    }

    const readProduct = (id: string, headers?: Record<string, string>) =>
      client.get(`/products/${id}`, { headers })
    const readUser = (id: string, headers?: Record<string, string>) =>
      client.get(`/users/${id}`, { token: admin.token, headers })

    describe('products', () => {
      test('the ETag of a created product is the one GET answers', async () => {
        const product = await newProduct()
        expect(etagOf(await readProduct(product.id))).toBe(product.etag)
      })

      test('every update answers a new ETag, which GET then answers too', async () => {
        const product = await newProduct()
        const patched = await client.patch(`/products/${product.id}`, {
          token: owner.token,
          body: { stock: 2 },
        })
        expect(etagOf(patched)).not.toBe(product.etag)
        const { id: _, ownerId: __, createdAt: ___, updatedAt: ____, ...fields } = patched.body
        const put = await client.put(`/products/${product.id}`, {
          token: owner.token,
          body: { ...fields, stock: 3 },
        })
        expect(put.status).toBe(200)
        expect(etagOf(put)).not.toBe(etagOf(patched))
        expect(etagOf(await readProduct(product.id))).toBe(etagOf(put))
      })

      test('If-None-Match with the current ETag gets 304 with the ETag and no body', async () => {
        const product = await newProduct()
        const reply = await readProduct(product.id, { 'if-none-match': product.etag })
        expect(reply.status).toBe(304)
        expect(reply.headers.get('etag')).toBe(product.etag)
        expect(reply.body).toBe('')
      })

      test('If-None-Match listing the current ETag among others gets 304', async () => {
        const product = await newProduct()
        const reply = await readProduct(product.id, { 'if-none-match': `"stale", ${product.etag}` })
        expect(reply.status).toBe(304)
      })

      test('If-None-Match with an old ETag gets 200 and the current product', async () => {
        const product = await newProduct()
        await client.patch(`/products/${product.id}`, { token: owner.token, body: { stock: 9 } })
        const reply = await readProduct(product.id, { 'if-none-match': product.etag })
        expect(reply.status).toBe(200)
        expect(reply.body.stock).toBe(9)
      })

      test('PATCH with the current If-Match succeeds', async () => {
        const product = await newProduct()
        const reply = await client.patch(`/products/${product.id}`, {
          token: owner.token,
          headers: { 'if-match': product.etag },
          body: { stock: 4 },
        })
        expect(reply.status).toBe(200)
        expect(reply.body.stock).toBe(4)
      })

      test('PATCH with a stale If-Match gets 412 and the product is unchanged', async () => {
        const product = await newProduct()
        const fresh = await client.patch(`/products/${product.id}`, {
          token: owner.token,
          body: { stock: 2 },
        })
        const reply = await client.patch(`/products/${product.id}`, {
          token: owner.token,
          headers: { 'if-match': product.etag },
          body: { stock: 100 },
        })
        expectProblem(reply, 412)
        const after = await readProduct(product.id)
        expect(after.body).toEqual(fresh.body)
        expect(etagOf(after)).toBe(etagOf(fresh))
      })

      test('PUT with a stale If-Match gets 412 and the product is unchanged', async () => {
        const product = await newProduct()
        const fresh = await client.patch(`/products/${product.id}`, {
          token: owner.token,
          body: { stock: 2 },
        })
        const body = { name: unique(), description: 'x', price: 1, stock: 100, tags: [] }
        const reply = await client.put(`/products/${product.id}`, {
          token: owner.token,
          headers: { 'if-match': product.etag },
          body,
        })
        expectProblem(reply, 412)
        expect((await readProduct(product.id)).body).toEqual(fresh.body)
      })

      test('DELETE with a stale If-Match gets 412 and the product still exists', async () => {
        const product = await newProduct()
        const fresh = await client.patch(`/products/${product.id}`, {
          token: owner.token,
          body: { stock: 2 },
        })
        const reply = await client.delete(`/products/${product.id}`, {
          token: owner.token,
          headers: { 'if-match': product.etag },
        })
        expectProblem(reply, 412)
        expect((await readProduct(product.id)).body).toEqual(fresh.body)
      })

      test('DELETE with the current If-Match gets 204', async () => {
        const product = await newProduct()
        const reply = await client.delete(`/products/${product.id}`, {
          token: owner.token,
          headers: { 'if-match': product.etag },
        })
        expect(reply.status).toBe(204)
      })

      test('an If-Match that is no ETag of ours gets 412', async () => {
        const product = await newProduct()
        const reply = await client.patch(`/products/${product.id}`, {
          token: owner.token,
          headers: { 'if-match': '"not-a-version"' },
          body: { stock: 100 },
        })
        expectProblem(reply, 412)
        expect((await readProduct(product.id)).body).toEqual(product.body)
      })

      test(
        'ten concurrent PATCHes with one If-Match: exactly one 200 and nine 412',
        async () => {
          const product = await newProduct()
          const replies = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              client.patch(`/products/${product.id}`, {
                token: owner.token,
                headers: { 'if-match': product.etag },
                body: { stock: 100 + i },
              }),
            ),
          )
          const statuses = replies.map((r) => r.status).sort()
          expect(statuses).toEqual([200, ...Array(9).fill(412)])
          for (const r of replies.filter((r) => r.status === 412)) expectProblem(r, 412)
          const winner = replies.find((r) => r.status === 200)
          const after = await readProduct(product.id)
          expect(after.body).toEqual(winner?.body)
          expect(etagOf(after)).toBe(etagOf(winner as NonNullable<typeof winner>))
        },
        RACE_TIMEOUT_MS,
      )
    })

    describe('users', () => {
      test('GET /users/{id} with the current If-None-Match gets 304', async () => {
        const user = await newUser()
        const reply = await readUser(user.id, { 'if-none-match': user.etag })
        expect(reply.status).toBe(304)
        expect(reply.headers.get('etag')).toBe(user.etag)
      })

      test('every update answers a new ETag', async () => {
        const user = await newUser()
        const reply = await client.patch(`/users/${user.id}`, {
          token: admin.token,
          body: { fullName: 'Changed' },
        })
        expect(etagOf(reply)).not.toBe(user.etag)
        expect(etagOf(await readUser(user.id))).toBe(etagOf(reply))
      })

      test('PATCH with a stale If-Match gets 412 and the user is unchanged', async () => {
        const user = await newUser()
        const fresh = await client.patch(`/users/${user.id}`, {
          token: admin.token,
          body: { fullName: 'First' },
        })
        const reply = await client.patch(`/users/${user.id}`, {
          token: admin.token,
          headers: { 'if-match': user.etag },
          body: { fullName: 'Second' },
        })
        expectProblem(reply, 412)
        expect((await readUser(user.id)).body).toEqual(fresh.body)
      })

      test('PUT with a stale If-Match gets 412 and the user is unchanged', async () => {
        const user = await newUser()
        const fresh = await client.patch(`/users/${user.id}`, {
          token: admin.token,
          body: { fullName: 'First' },
        })
        const { id: _, createdAt: __, updatedAt: ___, ...fields } = fresh.body
        const reply = await client.put(`/users/${user.id}`, {
          token: admin.token,
          headers: { 'if-match': user.etag },
          body: { ...fields, fullName: 'Second' },
        })
        expectProblem(reply, 412)
        expect((await readUser(user.id)).body).toEqual(fresh.body)
      })

      test('DELETE with a stale If-Match gets 412 and the user still exists', async () => {
        const user = await newUser()
        const fresh = await client.patch(`/users/${user.id}`, {
          token: admin.token,
          body: { fullName: 'First' },
        })
        const reply = await client.delete(`/users/${user.id}`, {
          token: admin.token,
          headers: { 'if-match': user.etag },
        })
        expectProblem(reply, 412)
        expect((await readUser(user.id)).body).toEqual(fresh.body)
      })

      test('PATCH /users/me with a stale If-Match gets 412 and nothing changes', async () => {
        const me = await registerUser(client)
        const etag = etagOf(await client.get('/users/me', { token: me.token }))
        const fresh = await client.patch('/users/me', { token: me.token, body: { fullName: 'First' } })
        const reply = await client.patch('/users/me', {
          token: me.token,
          headers: { 'if-match': etag },
          body: { fullName: 'Second' },
        })
        expectProblem(reply, 412)
        expect((await client.get('/users/me', { token: me.token })).body).toEqual(fresh.body)
      })

      test(
        'ten concurrent PATCHes with one If-Match: exactly one 200 and nine 412',
        async () => {
          const user = await newUser()
          const replies = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              client.patch(`/users/${user.id}`, {
                token: admin.token,
                headers: { 'if-match': user.etag },
                body: { fullName: `Racer ${i}` },
              }),
            ),
          )
          expect(replies.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(412)])
          const winner = replies.find((r) => r.status === 200)
          expect((await readUser(user.id)).body).toEqual(winner?.body)
        },
        RACE_TIMEOUT_MS,
      )

      test(
        'twenty concurrent registrations of one email: one 201, nineteen 409, one stored user',
        async () => {
          const email = `${unique('race')}@example.com`
          const replies = await Promise.all(
            Array.from({ length: 20 }, () => client.post('/auth/register', { body: newAccount({ email }) })),
          )
          expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)])
          for (const r of replies.filter((r) => r.status === 409)) expectProblem(r, 409, '/email')
          const stored = await client.get(`/users?q=${encodeURIComponent(email)}`, { token: admin.token })
          expect(stored.body.total).toBe(1)
          expect(stored.body.items[0].id).toBe(replies.find((r) => r.status === 201)?.body.id)
        },
        RACE_TIMEOUT_MS,
      )

      test(
        'twenty concurrent registrations of one username in different cases: one 201, nineteen 409',
        async () => {
          const username = unique('race')
          const variants = Array.from({ length: 20 }, (_, i) =>
            [...username].map((c, j) => ((i >> (j % 5)) & 1 ? c.toUpperCase() : c)).join(''),
          )
          const replies = await Promise.all(
            variants.map((variant) =>
              client.post('/auth/register', { body: newAccount({ username: variant }) }),
            ),
          )
          expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)])
          for (const r of replies.filter((r) => r.status === 409)) expectProblem(r, 409, '/username')
          const stored = await client.get(`/users?q=${username}`, { token: admin.token })
          expect(stored.body.total).toBe(1)
        },
        RACE_TIMEOUT_MS,
      )
    })
  })
}
