/** ETags, conditional requests and races on users and products (docs/api.md: Concurrency). */
import { describe, expect, test } from 'bun:test'
import { newAccount, type Reply } from './support/app'
import { etagOf, expectProblem } from './support/assertions'
import { type Created, createProduct, createUser } from './support/crud'
import { forEachStore } from './support/fixture'
import { unique } from './support/unique'

/** Racing requests hash passwords and hit the store at once; give them room. */
const RACE_TIMEOUT_MS = 60_000

forEachStore(
  'concurrency',
  (ctx) => {
    /** What a 201 answered: the id, the resource and its ETag. */
    const created = <T extends { id: string }>(reply: Created<T>) => ({
      id: reply.body.id,
      body: reply.body,
      etag: etagOf(reply),
    })
    /** A new product of `owner`. */
    const newProduct = async () =>
      created(await createProduct(ctx.client, ctx.owner.token, { price: 5, stock: 1 }))
    /** A new user created by the admin. */
    const newUser = async () => created(await createUser(ctx.client, ctx.admin.token))

    const readProduct = (id: string, headers?: Record<string, string>) =>
      ctx.client.get(`/products/${id}`, { headers })
    const readUser = (id: string, headers?: Record<string, string>) =>
      ctx.client.get(`/users/${id}`, { token: ctx.admin.token, headers })

    /** Where a resource is, who may write it, and the ETag it had when it was created or read. */
    interface Target {
      path: string
      token: string
      etag: string
    }
    const productTarget = (product: { id: string; etag: string }): Target => ({
      path: `/products/${product.id}`,
      token: ctx.owner.token,
      etag: product.etag,
    })
    const userTarget = (user: { id: string; etag: string }): Target => ({
      path: `/users/${user.id}`,
      token: ctx.admin.token,
      etag: user.etag,
    })

    /** Ten PATCHes of the target sent at once, each with its ETag in If-Match and the body `body(i)`. */
    const racingPatches = ({ path, token, etag }: Target, body: (i: number) => Record<string, unknown>) =>
      Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          ctx.client.patch(path, { token, headers: { 'if-match': etag }, body: body(i) }),
        ),
      )

    /**
     * Changes the target once (a PATCH of `change`), so that its ETag is stale, then sends `method`
     * with that ETag in If-Match (and `body`, made from the change's reply): asserts a 412 that
     * leaves the resource as the change made it. Returns the change's reply and a read after.
     */
    async function expectStaleWriteRefused(
      { path, token, etag }: Target,
      change: Record<string, unknown>,
      method: 'PATCH' | 'PUT' | 'DELETE',
      body?: (fresh: Reply) => unknown,
    ) {
      const fresh = await ctx.client.patch(path, { token, body: change })
      const reply = await ctx.client.request(method, path, {
        token,
        headers: { 'if-match': etag },
        body: body?.(fresh),
      })
      expectProblem(reply, 412)
      const after = await ctx.client.get(path, { token })
      expect(after.body).toEqual(fresh.body)
      return { fresh, after }
    }

    describe('products', () => {
      test('the ETag of a created product is the one GET answers', async () => {
        const product = await newProduct()
        expect(etagOf(await readProduct(product.id))).toBe(product.etag)
      })

      test('every update answers a new ETag, which GET then answers too', async () => {
        const product = await newProduct()
        const patched = await ctx.client.patch(`/products/${product.id}`, {
          token: ctx.owner.token,
          body: { stock: 2 },
        })
        expect(etagOf(patched)).not.toBe(product.etag)
        const { id: _, ownerId: __, createdAt: ___, updatedAt: ____, ...fields } = patched.body
        const put = await ctx.client.put(`/products/${product.id}`, {
          token: ctx.owner.token,
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
        await ctx.client.patch(`/products/${product.id}`, { token: ctx.owner.token, body: { stock: 9 } })
        const reply = await readProduct(product.id, { 'if-none-match': product.etag })
        expect(reply.status).toBe(200)
        expect(reply.body.stock).toBe(9)
      })

      test('PATCH with the current If-Match succeeds', async () => {
        const product = await newProduct()
        const reply = await ctx.client.patch(`/products/${product.id}`, {
          token: ctx.owner.token,
          headers: { 'if-match': product.etag },
          body: { stock: 4 },
        })
        expect(reply.status).toBe(200)
        expect(reply.body.stock).toBe(4)
      })

      test('PATCH with a stale If-Match gets 412 and the product is unchanged', async () => {
        const product = await newProduct()
        const stale = productTarget(product)
        const { fresh, after } = await expectStaleWriteRefused(stale, { stock: 2 }, 'PATCH', () => ({
          stock: 100,
        }))
        expect(etagOf(after)).toBe(etagOf(fresh))
      })

      test('PUT with a stale If-Match gets 412 and the product is unchanged', async () => {
        const body = { name: unique(), description: 'x', price: 1, stock: 100, tags: [] }
        await expectStaleWriteRefused(productTarget(await newProduct()), { stock: 2 }, 'PUT', () => body)
      })

      test('DELETE with a stale If-Match gets 412 and the product still exists', async () => {
        await expectStaleWriteRefused(productTarget(await newProduct()), { stock: 2 }, 'DELETE')
      })

      test('DELETE with the current If-Match gets 204', async () => {
        const product = await newProduct()
        const reply = await ctx.client.delete(`/products/${product.id}`, {
          token: ctx.owner.token,
          headers: { 'if-match': product.etag },
        })
        expect(reply.status).toBe(204)
      })

      test('an If-Match that is no ETag of ours gets 412', async () => {
        const product = await newProduct()
        const reply = await ctx.client.patch(`/products/${product.id}`, {
          token: ctx.owner.token,
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
          const replies = await racingPatches(productTarget(product), (i) => ({ stock: 100 + i }))
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
        const reply = await ctx.client.patch(`/users/${user.id}`, {
          token: ctx.admin.token,
          body: { fullName: 'Changed' },
        })
        expect(etagOf(reply)).not.toBe(user.etag)
        expect(etagOf(await readUser(user.id))).toBe(etagOf(reply))
      })

      test('PATCH with a stale If-Match gets 412 and the user is unchanged', async () => {
        const second = () => ({ fullName: 'Second' })
        await expectStaleWriteRefused(userTarget(await newUser()), { fullName: 'First' }, 'PATCH', second)
      })

      test('PUT with a stale If-Match gets 412 and the user is unchanged', async () => {
        const replacement = (fresh: Reply) => {
          const { id: _, createdAt: __, updatedAt: ___, emailVerified: ____, ...fields } = fresh.body
          return { ...fields, fullName: 'Second' }
        }
        await expectStaleWriteRefused(userTarget(await newUser()), { fullName: 'First' }, 'PUT', replacement)
      })

      test('DELETE with a stale If-Match gets 412 and the user still exists', async () => {
        await expectStaleWriteRefused(userTarget(await newUser()), { fullName: 'First' }, 'DELETE')
      })

      test('PATCH /users/me with a stale If-Match gets 412 and nothing changes', async () => {
        const me = await ctx.registerUser()
        const etag = etagOf(await ctx.client.get('/users/me', { token: me.token }))
        const second = () => ({ fullName: 'Second' })
        await expectStaleWriteRefused(
          { path: '/users/me', token: me.token, etag },
          { fullName: 'First' },
          'PATCH',
          second,
        )
      })

      test(
        'ten concurrent PATCHes with one If-Match: exactly one 200 and nine 412',
        async () => {
          const user = await newUser()
          const replies = await racingPatches(userTarget(user), (i) => ({ fullName: `Racer ${i}` }))
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
            Array.from({ length: 20 }, () =>
              ctx.client.post('/auth/register', { body: newAccount({ email }) }),
            ),
          )
          expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)])
          for (const r of replies.filter((r) => r.status === 409)) expectProblem(r, 409, '/email')
          const stored = await ctx.client.get(`/users?q=${encodeURIComponent(email)}`, {
            token: ctx.admin.token,
          })
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
              ctx.client.post('/auth/register', { body: newAccount({ username: variant }) }),
            ),
          )
          expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)])
          for (const r of replies.filter((r) => r.status === 409)) expectProblem(r, 409, '/username')
          const stored = await ctx.client.get(`/users?q=${username}`, { token: ctx.admin.token })
          expect(stored.body.total).toBe(1)
        },
        RACE_TIMEOUT_MS,
      )
    })
  },
  {
    accounts: { owner: 'user', admin: 'admin' },
    // The races send dozens of taken names from one address: what is under test is the unique
    // index, not registration throttling (tests/registration.test.ts).
    env: { REGISTER_MAX_FAILURES: '1000' },
  },
)
