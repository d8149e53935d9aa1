import { describe, expect, test } from 'bun:test'
import { type Db, MongoServerError } from 'mongodb'
import { WriteClaims } from '../../src/store/mongo/claims'
import { chooseServer, openCompat } from '../../src/store/mongo/compat'
import { FerretDBCompat } from '../../src/store/mongo/compat/ferretdb'
import { MongoDBCompat } from '../../src/store/mongo/compat/mongodb'
import { userIndexes } from '../../src/store/mongo/users'

const mongoBuildInfo = { version: '8.0.4', ok: 1 }
const ferretBuildInfo = { version: '7.0.77', ferretdbVersion: 'v1.24.2', ok: 1 }

/** A database that answers `buildInfo` with `info`, and fails the test if it is asked anything when forced. */
const fakeDb = (info: object | null) =>
  ({
    command: async () => {
      if (!info) throw new Error('a forced compat must not ask the server')
      return info
    },
    collection: () => ({}),
  }) as unknown as Db

/** Write claims on a database that is never written to here. */
const claims = new WriteClaims(fakeDb(null), 5000)

describe('mongodb server compat', () => {
  test('auto: a server that reports itself as MongoDB gets the plain MongoDB behaviour', () => {
    expect(chooseServer('auto', mongoBuildInfo)).toBe('mongodb')
  })

  test('auto: a server whose buildInfo names a ferretdbVersion gets the FerretDB behaviour', () => {
    expect(chooseServer('auto', ferretBuildInfo)).toBe('ferretdb')
  })

  test('a forced mode wins over what the server reports', () => {
    expect(chooseServer('mongodb', ferretBuildInfo)).toBe('mongodb')
    expect(chooseServer('ferretdb', mongoBuildInfo)).toBe('ferretdb')
  })

  test('openCompat asks the server only in auto mode, and builds the implementation chosen', async () => {
    expect(await openCompat(fakeDb(mongoBuildInfo), 'auto', claims)).not.toBeInstanceOf(FerretDBCompat)
    expect(await openCompat(fakeDb(ferretBuildInfo), 'auto', claims)).toBeInstanceOf(FerretDBCompat)
    const forced = await openCompat(fakeDb(null), 'mongodb', claims)
    expect(forced).toBeInstanceOf(MongoDBCompat)
    expect(forced).not.toBeInstanceOf(FerretDBCompat)
    expect(await openCompat(fakeDb(null), 'ferretdb', claims)).toBeInstanceOf(FerretDBCompat)
  })

  test('plain MongoDB: a duplicate key is told by the keyPattern of code 11000', async () => {
    // The shape MongoDB answers a unique index hit with; the test server (FerretDB) sends no keyPattern.
    const duplicate = new MongoServerError({
      ok: 0,
      code: 11000,
      codeName: 'DuplicateKey',
      errmsg:
        'E11000 duplicate key error collection: mercado.users index: users_email dup key: { email: "a@b.c" }',
      keyPattern: { email: 1 },
      keyValue: { email: 'a@b.c' },
    })
    const compat = new MongoDBCompat()
    const collection = {} as never
    expect(await compat.duplicateKeyIndex(duplicate, collection, {}, userIndexes)).toBe('users_email')
    const other = new MongoServerError({ ok: 0, code: 2, errmsg: 'BadValue' })
    expect(await compat.duplicateKeyIndex(other, collection, {}, userIndexes)).toBeUndefined()
  })
})
