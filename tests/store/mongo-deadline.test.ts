import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { StoreUnavailableError } from '../../src/store/errors'
import { bounded, DeadlineExceededError, within } from '../../src/store/mongo/deadline'
import type { Store } from '../../src/store/types'
import { eventually, rejectionOf } from '../support/assertions'
import { freshMongoStore, mongoUri } from '../support/stores'
import { TcpProxy } from '../support/tcp-proxy'
import { newProduct, newUser } from './contract/fixtures'

describe('store call deadline', () => {
  test('a call that settles in time is left as it is, answer or error', async () => {
    expect(await within(200, async () => 'answer')).toBe('answer')
    const failure = new Error('its own error')
    expect(await rejectionOf(within(200, () => Promise.reject(failure)))).toBe(failure)
  })

  test('a call still running at the deadline fails as unavailable, saying why', async () => {
    const started = performance.now()
    const error = await rejectionOf(within(100, () => new Promise(() => {})))
    expect(performance.now() - started).toBeLessThan(500)
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect((error as Error).cause).toBeInstanceOf(DeadlineExceededError)
    expect(((error as Error).cause as Error).message).toBe('no answer from MongoDB within 100 ms')
  })

  test('a bounded repository bounds each method call and keeps its own `this`', async () => {
    const repository = {
      name: 'products',
      async find(id: string) {
        return `${this.name}/${id}`
      },
      hang: () => new Promise<string>(() => {}),
    }
    const wrapped = bounded(repository, 100)
    expect(wrapped.name).toBe('products')
    expect(await wrapped.find('1')).toBe('products/1')
    expect(await rejectionOf(wrapped.hang())).toBeInstanceOf(StoreUnavailableError)
  })
})

describe('mongodb store, server that stops answering', () => {
  const TIMEOUT_MS = 800
  // Never skip: mongoUri() throws when the run has no MongoDB server.
  const proxy = new TcpProxy(new URL(mongoUri()))
  let store: Store

  beforeAll(async () => {
    const port = await proxy.start()
    ;({ store } = await freshMongoStore({ uri: `mongodb://127.0.0.1:${port}/`, timeoutMS: TIMEOUT_MS }))
  })
  afterAll(async () => {
    await store.close()
    await proxy.stop()
  })

  test('every call fails as unavailable within the deadline, and the store recovers when it answers again', async () => {
    const owner = await store.users.create(newUser())
    proxy.stall()
    try {
      const calls: Array<() => Promise<unknown>> = [
        () => store.ping(),
        () => store.users.findById(owner.id),
        () => store.products.list({}, { field: 'createdAt', descending: true }, { page: 1, limit: 5 }),
        () => store.products.create(newProduct({ ownerId: owner.id })),
        () => store.refreshTokens.findByHash('0'.repeat(64)),
        () => store.loginAttempts.failuresSince('someone', new Date(0)),
      ]
      const outcomes = await Promise.all(
        calls.map(async (call) => {
          const started = performance.now()
          const error = await rejectionOf(call())
          return { unavailable: error instanceof StoreUnavailableError, ms: performance.now() - started }
        }),
      )
      for (const outcome of outcomes) {
        expect(outcome.unavailable).toBe(true)
        // Scheduling slack on a busy machine; without the deadline these took 10 s and more.
        expect(outcome.ms).toBeLessThan(TIMEOUT_MS + 400)
      }
    } finally {
      proxy.resume()
    }
    expect(await eventually(() => store.users.findById(owner.id))).toEqual(owner)
  })
})
