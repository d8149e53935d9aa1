import { Database } from 'bun:sqlite'
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
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

  describe('files at rest (issue #10)', () => {
    const modeOf = (path: string) => statSync(path).mode & 0o777
    let umask: number
    beforeEach(() => {
      // The usual umask, under which SQLite alone would leave the files 0644.
      umask = process.umask(0o022)
    })
    afterEach(() => {
      process.umask(umask)
    })

    test('the data folder is created 0700, the file and its -wal and -shm 0600', async () => {
      const path = join(dir, 'private', 'mercado.sqlite')
      const store = createSqliteStore({ path })
      try {
        await store.users.create(newUser())
        expect(modeOf(join(dir, 'private'))).toBe(0o700)
        expect(existsSync(`${path}-wal`)).toBe(true)
        for (const file of [path, `${path}-wal`, `${path}-shm`])
          expect([file, modeOf(file)]).toEqual([file, 0o600])
      } finally {
        await store.close()
      }
    })

    test('a file and its -wal and -shm that an earlier run left 0644 are made 0600 at start', async () => {
      const path = join(dir, 'earlier', 'mercado.sqlite')
      const held = createSqliteStore({ path })
      // A second connection keeps -wal and -shm in place while the first is reopened.
      const other = new Database(path)
      other.query('SELECT count(*) FROM sqlite_master').get()
      await held.close()
      for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644)
      const store = createSqliteStore({ path })
      try {
        for (const file of [path, `${path}-wal`, `${path}-shm`])
          expect([file, modeOf(file)]).toEqual([file, 0o600])
      } finally {
        await store.close()
        other.close()
      }
    })

    test('warns, without changing it, about an existing data folder open to others', async () => {
      const folder = join(dir, 'shared')
      await createSqliteStore({ path: join(folder, 'a.sqlite') }).close()
      chmodSync(folder, 0o755)
      const warnings: string[] = []
      const store = createSqliteStore({
        path: join(folder, 'mercado.sqlite'),
        logger: { warn: (message: string) => warnings.push(message) },
      })
      await store.close()
      expect(warnings).toEqual(['the data folder is open to other users; make it mode 0700'])
      expect(modeOf(folder)).toBe(0o755)
    })
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
