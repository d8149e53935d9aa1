import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StoreUnavailableError } from '../../src/store/errors'
import { createSqliteStore } from '../../src/store/sqlite'
import { rejectionOf } from '../support/assertions'
import { freshSqliteStore } from '../support/stores'
import { describeStoreContract } from './contract'
import { newProduct, newUser } from './contract/fixtures'

describeStoreContract('sqlite')

/** A folder for the tests below, which are about the data file itself. */
const dir = mkdtempSync(join(tmpdir(), 'mercado-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('sqlite store', () => {
  test('data survives closing and reopening the file', async () => {
    const path = join(dir, 'reopen.db')
    const first = createSqliteStore({ path })
    const user = await first.users.create(newUser())
    const product = await first.products.create(newProduct({ ownerId: user.id, tags: ['kept'] }))
    await first.close()

    const second = createSqliteStore({ path })
    try {
      expect(await second.users.findById(user.id)).toEqual(user)
      expect(await second.products.findById(product.id)).toEqual(product)
    } finally {
      await second.close()
    }
  })

  test('creates the folder of the data file when it is missing', async () => {
    const path = join(dir, 'nested', 'deeper', 'mercado.db')
    const store = createSqliteStore({ path })
    await store.ping()
    await store.close()
    expect(existsSync(path)).toBe(true)
  })

  test(':memory: opens a working store that keeps nothing', async () => {
    const store = createSqliteStore({ path: ':memory:' })
    const user = await store.users.create(newUser())
    expect((await store.users.findById(user.id))?.id).toBe(user.id)
    await store.close()
    const fresh = createSqliteStore({ path: ':memory:' })
    expect(await fresh.users.findById(user.id)).toBeNull()
    await fresh.close()
  })

  test('a write blocked by another connection past the busy timeout throws StoreUnavailableError', async () => {
    const path = join(dir, 'busy.db')
    const store = createSqliteStore({ path, busyTimeoutMs: 50 })
    const other = new Database(path)
    try {
      other.run('BEGIN IMMEDIATE')
      expect(await rejectionOf(store.users.create(newUser()))).toBeInstanceOf(StoreUnavailableError)
      other.run('ROLLBACK')
      expect((await store.users.create(newUser())).version).toBe(1)
    } finally {
      other.close()
      await store.close()
    }
  })

  test('ping rejects with StoreUnavailableError once the store is closed', async () => {
    const store = freshSqliteStore()
    await store.close()
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError)
  })

  test('repository calls on a closed store reject with StoreUnavailableError, not a bug', async () => {
    const store = freshSqliteStore()
    await store.close()
    await expect(store.products.findById('0123456789abcdef01234567')).rejects.toBeInstanceOf(
      StoreUnavailableError,
    )
    await expect(store.users.findByLogin('someone')).rejects.toBeInstanceOf(StoreUnavailableError)
  })
})
