import { beforeAll, describe, expect, test } from 'bun:test'
import { treaty } from '@elysiajs/eden'
import type { App } from '../src/app'
import { newAccount } from './support/app'
import { useFixture } from './support/fixture'

/** The exported `App` type gives another TypeScript service a typed client (README: Eden Treaty). */
describe('Eden Treaty client', () => {
  const ctx = useFixture('sqlite')
  let api: ReturnType<typeof treaty<App>>

  beforeAll(() => {
    api = treaty(ctx.app)
  })

  test('registers, logs in with JSON, and reads typed responses', async () => {
    const account = newAccount()
    const registered = await api.auth.register.post(account)
    expect(registered.status).toBe(201)
    expect(registered.data?.username).toBe(account.username)

    const login = await api.auth.login.post({ username: account.username, password: account.password })
    expect(login.status).toBe(200)
    // Credentials go on the client, as a service calling Mercado would set them up.
    const signedIn = treaty(ctx.app, { headers: { authorization: `Bearer ${login.data?.access_token}` } })

    const me = await signedIn.users.me.get()
    expect(me.data?.email).toBe(account.email)

    const created = await signedIn.products.post({ name: 'Typed cup', price: 3.5, tags: ['Eden'] })
    expect(created.status).toBe(201)
    const page = await api.products.get({ query: { q: 'typed', sort: '-price', page: 1, limit: 5 } })
    expect(page.data?.items.map((p) => p.name)).toEqual(['Typed cup'])
    expect(page.data?.total).toBe(1)
  })
})
