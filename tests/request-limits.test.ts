import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../src/config'
import { createSqliteStore } from '../src/store/sqlite'
import type { Store } from '../src/store/types'
import { type Client, TEST_SECRET, testApp } from './support/app'

/**
 * Issue #9: what the app refuses of a request head it can see (a request target over 8 KiB is a
 * 414 problem), and IDLE_TIMEOUT, the Bun idle timeout that cuts slow and idle connections.
 */
describe('request target length', () => {
  let store: Store
  let client: Client
  beforeAll(() => {
    store = createSqliteStore({ path: ':memory:' })
    client = testApp(store).client
  })
  afterAll(() => store.close())

  test('a path and query over 8192 characters is a 414 problem with a request id', async () => {
    const reply = await client.get(`/products?q=${'a'.repeat(8192)}`)
    expect(reply.status).toBe(414)
    expect(reply.headers.get('content-type')).toBe('application/problem+json')
    expect(reply.headers.get('x-request-id')).toBeTruthy()
    expect(reply.body).toMatchObject({ title: 'URI Too Long', status: 414, instance: '/products' })
  })

  test('a long path is counted too, and 8192 characters are still read', async () => {
    expect((await client.get(`/products/${'0'.repeat(8200)}`)).status).toBe(414)
    const query = `/health?x=${'a'.repeat(8192 - '/health?x='.length)}`
    expect(query).toHaveLength(8192)
    expect((await client.get(query)).status).toBe(200)
  })
})

describe('IDLE_TIMEOUT', () => {
  const load = (value?: string) =>
    loadConfig({
      NODE_ENV: 'test',
      KEY_ENCRYPTION_SECRET: TEST_SECRET,
      ...(value === undefined ? {} : { IDLE_TIMEOUT: value }),
    })

  test('is 30 seconds by default and takes a duration up to 255 seconds', () => {
    expect(load().idleTimeout).toBe(30)
    expect(load('10s').idleTimeout).toBe(10)
    expect(load('4m').idleTimeout).toBe(240)
    expect(load('255').idleTimeout).toBe(255)
  })

  test('refuses 0, more than 255 seconds and garbage, naming the variable', () => {
    for (const value of ['0', '256', '5m', 'soon']) {
      expect(() => load(value)).toThrow(ConfigError)
      expect(() => load(value)).toThrow(/^IDLE_TIMEOUT: /)
    }
  })
})
