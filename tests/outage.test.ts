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
