import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Store } from '../src/store/types'
import { type Client, testApp } from './support/app'
import { freshMongoStore, mongoUri } from './support/stores'
import { TcpProxy } from './support/tcp-proxy'

/** docs/api.md, Operation: the database going away makes data routes answer 503, and the service recovers. */
describe('database outage (mongodb)', () => {
  const proxy = new TcpProxy(new URL(mongoUri()))
  let port: number
  let store: Store
  let client: Client

  beforeAll(async () => {
    port = await proxy.start(0)
    ;({ store } = await freshMongoStore({
      uri: `mongodb://127.0.0.1:${port}/`,
      serverSelectionTimeoutMS: 300,
    }))
    ;({ client } = testApp(store))
  })
  afterAll(async () => {
    await proxy.stop()
    await store.close()
  })

  test('ready and data routes answer 503 with Retry-After while the database is gone, then recover', async () => {
    expect((await client.get('/ready')).status).toBe(200)
    await proxy.stop()

    const ready = await client.get('/ready')
    expect(ready.status).toBe(503)
    expect(ready.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(ready.headers.get('content-type')).toBe('application/problem+json')
    const list = await client.get('/products')
    expect(list.status).toBe(503)
    const register = await client.post('/auth/register', {
      body: { username: 'outage_user', email: 'outage@example.com', password: 'outage-password' },
    })
    expect(register.status).toBe(503)
    expect((await client.get('/health')).status).toBe(200)

    await proxy.start(port)
    const deadline = Date.now() + 10_000
    let status = 0
    while (Date.now() < deadline && status !== 200) {
      status = (await client.get('/ready')).status
      if (status !== 200) await Bun.sleep(100)
    }
    expect(status).toBe(200)
    expect((await client.get('/products')).status).toBe(200)
  })
})

/** Requests in flight when the database stops answering get their 503 by the store deadline. */
describe('database that stops answering (mongodb)', () => {
  const TIMEOUT_MS = 800
  const proxy = new TcpProxy(new URL(mongoUri()))
  let store: Store
  let client: Client

  beforeAll(async () => {
    const port = await proxy.start()
    ;({ store } = await freshMongoStore({ uri: `mongodb://127.0.0.1:${port}/`, timeoutMS: TIMEOUT_MS }))
    ;({ client } = testApp(store))
  })
  afterAll(async () => {
    await store.close()
    await proxy.stop()
  })

  test('ready, public and protected routes answer 503 with Retry-After within the deadline, then recover', async () => {
    const account = { username: 'stall_user', email: 'stall@example.com', password: 'stall-password' }
    expect((await client.post('/auth/register', { body: account })).status).toBe(201)
    const login = await client.post('/auth/login', { body: account })
    const token = login.body.access_token as string
    expect((await client.get('/ready')).status).toBe(200)
    proxy.stall()
    try {
      const started = performance.now()
      const replies = await Promise.all([
        client.get('/ready'),
        client.get('/products'),
        client.get('/users/me', { token }),
        client.post('/products', { token, body: { name: 'in flight', price: 1 } }),
      ])
      // Scheduling slack on a busy machine; without the deadline these took 10 s and more.
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 400)
      for (const reply of replies) {
        expect(reply.status).toBe(503)
        expect(reply.headers.get('retry-after')).toMatch(/^\d+$/)
      }
      expect((await client.get('/health')).status).toBe(200)
    } finally {
      proxy.resume()
    }
    const deadline = Date.now() + 10_000
    let status = 0
    while (Date.now() < deadline && status !== 200) {
      status = (await client.get('/users/me', { token })).status
      if (status !== 200) await Bun.sleep(100)
    }
    expect(status).toBe(200)
  })
})
