import { describe, expect, test } from 'bun:test'
import { createApp, createServices } from '../src/app'
import { createLogger } from '../src/core/log'
import { type ProbeOptions, Probes } from '../src/health/probes'
import type { Store } from '../src/store/types'
import { Client, testConfig } from './support/app'
import { expectProblem } from './support/assertions'
import { forEachStore } from './support/fixture'
import { freshSqliteStore } from './support/stores'
import { unique } from './support/unique'

/** docs/api.md, Service and Operation: what /health and /ready mean, and the refusals at shutdown. */

/** An app on `store` whose probes the test holds (the fixture's app makes its own). */
function appWithProbes(store: Store, options?: ProbeOptions) {
  const config = testConfig()
  const services = createServices(config, store)
  const probes = new Probes(options)
  const app = createApp({ config, store, logger: createLogger('silent'), services, probes })
  return { probes, client: new Client(app, services) }
}

forEachStore(
  'probes',
  (ctx) => {
    test('/health and /ready answer 200 while the store can serve', async () => {
      const health = await ctx.client.get('/health')
      expect(health.status).toBe(200)
      expect(health.body).toEqual({ status: 'ok' })
      const ready = await ctx.client.get('/ready')
      expect(ready.status).toBe(200)
      expect(ready.body).toEqual({ status: 'ready', store: ctx.kind })
    })

    test('from the shutdown signal on, every request gets 503, Connection: close and Retry-After, and nothing runs', async () => {
      const { probes, client } = appWithProbes(ctx.store)
      const name = unique('after the signal ')
      void probes.drain()
      const write = await client.post('/products', { token: ctx.user.token, body: { name, price: 1 } })
      expectProblem(write, 503)
      expect(write.headers.get('connection')).toBe('close')
      expect(write.headers.get('retry-after')).toBe('1')
      expect(write.headers.get('x-request-id')).toBeTruthy()
      for (const path of ['/health', '/ready', '/products', '/users/me', '/swagger/json', '/nowhere']) {
        const reply = await client.get(path, { token: ctx.user.token })
        expectProblem(reply, 503)
        expect(reply.headers.get('connection')).toBe('close')
      }
      // The refused write was not carried out: the fixture's own app, not draining, finds nothing.
      const found = await ctx.client.get(`/products?q=${encodeURIComponent(name)}`)
      expect(found.body.total).toBe(0)
    })
  },
  { accounts: { user: 'user' } },
)

describe('probes (sqlite)', () => {
  test('/health does not touch the store: a closed store fails /ready only', async () => {
    const store = freshSqliteStore()
    const { client } = appWithProbes(store)
    await store.close()
    expectProblem(await client.get('/ready'), 503)
    expect((await client.get('/ready')).headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await client.get('/health')).status).toBe(200)
  })
})

describe('liveness', () => {
  test('/health answers 503 while the event loop has stalled lately, and 200 again after the window', async () => {
    const store = freshSqliteStore()
    const { client } = appWithProbes(store, { tickMs: 20, stallLimitMs: 250, windowMs: 600 })
    try {
      await Bun.sleep(50)
      expect((await client.get('/health')).status).toBe(200)
      // Blocks the loop, as a synchronous loop in a handler would.
      Bun.sleepSync(400)
      const stalled = await client.get('/health')
      expect(stalled.body.detail).toMatch(/event loop stalled for \d+ ms/)
      expectProblem(stalled, 503)
      // Once the timer has caught up, the stall is remembered for the window...
      await Bun.sleep(100)
      expect((await client.get('/health')).status).toBe(503)
      // ...and then forgotten.
      await Bun.sleep(700)
      expect((await client.get('/health')).status).toBe(200)
    } finally {
      await store.close()
    }
  })

  test('ordinary waiting is no stall: /health stays 200 while requests wait on timers', async () => {
    const store = freshSqliteStore()
    const { client } = appWithProbes(store, { tickMs: 20, stallLimitMs: 250, windowMs: 600 })
    try {
      for (let i = 0; i < 5; i++) {
        await Bun.sleep(100)
        expect((await client.get('/health')).status).toBe(200)
      }
    } finally {
      await store.close()
    }
  })
})
