import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MongoClient, ObjectId } from 'mongodb'
import { StoreUnavailableError } from '../../src/store/errors'
import { createMongoStore } from '../../src/store/mongo'
import type { Store } from '../../src/store/types'
import { rejectionOf } from '../support/assertions'
import { freshDatabaseName, freshMongoStore, freshStore, mongoUri } from '../support/stores'
import { TcpProxy } from '../support/tcp-proxy'
import { describeStoreContract } from './contract'
import { newUser } from './contract/fixtures'

// Never skip: a green run without the MongoDB suite would hide a broken engine. Throws when unset.
const uri = mongoUri()

describeStoreContract('mongodb')

describe('mongodb store', () => {
  let store: Store
  let dbName: string
  /** A second, independent connection: what the store wrote, seen from outside the store. */
  const observer = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 })

  beforeAll(async () => {
    ;({ store, dbName } = await freshMongoStore())
  })
  afterAll(async () => {
    await store?.close()
    await observer.close()
  })

  test('kind is mongodb', () => {
    expect(store.kind).toBe('mongodb')
  })

  test('a created user is a document in `users` with a lower-cased email and no plain password', async () => {
    const input = newUser({
      email: `Mixed.${newUser().email.toUpperCase()}`,
      passwordHash: '$argon2id$v=19$stub',
    })
    const user = await store.users.create(input)

    const doc = await observer
      .db(dbName)
      .collection('users')
      .findOne({ _id: ObjectId.createFromHexString(user.id) })
    expect(doc).toEqual({
      _id: expect.any(ObjectId),
      username: input.username,
      usernameKey: input.username.toLowerCase(),
      email: input.email.toLowerCase(),
      fullName: input.fullName,
      role: 'user',
      disabled: false,
      passwordHash: '$argon2id$v=19$stub',
      version: 1,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    })
    expect(user.email).toBe(input.email.toLowerCase())
  })

  test('a created product references its owner by ObjectId', async () => {
    const owner = await store.users.create(newUser())
    const product = await store.products.create({
      name: 'Observed',
      description: '',
      price: 1.5,
      stock: 2,
      tags: ['seen'],
      ownerId: owner.id,
    })
    const doc = await observer
      .db(dbName)
      .collection('products')
      .findOne({ _id: ObjectId.createFromHexString(product.id) })
    expect(doc?.ownerId).toEqual(ObjectId.createFromHexString(owner.id))
    expect(doc).toMatchObject({ name: 'Observed', price: 1.5, stock: 2, tags: ['seen'], version: 1 })
  })

  test('the unique indexes carry explicit names', async () => {
    const indexes = await observer.db(dbName).collection('users').indexes()
    const unique = indexes.filter((index) => index.unique).map((index) => index.name)
    expect(unique.sort()).toEqual(['users_email', 'users_username_key'])
  })

  test('opening a second store on the same database reuses the existing indexes', async () => {
    const again = await createMongoStore({ uri, dbName })
    try {
      await again.ping()
      expect(await again.users.findByLogin((await store.users.create(newUser())).username)).not.toBeNull()
    } finally {
      await again.close()
    }
  })

  test('update conflicts are reported by field after a version bump elsewhere', async () => {
    const taken = await store.users.create(newUser())
    const user = await store.users.create(newUser())
    await store.users.update(user.id, { fullName: 'bumped' })
    const error = await rejectionOf(store.users.update(user.id, { email: taken.email }, 2))
    expect(error).toMatchObject({ name: 'ConflictError', field: 'email' })
  })
})

describe('mongodb store, server unreachable', () => {
  test('createMongoStore rejects with StoreUnavailableError within the selection timeout', async () => {
    const started = performance.now()
    // Port 1 on loopback: nothing listens, so every connection attempt is refused at once.
    const error = await rejectionOf(
      createMongoStore({
        uri: 'mongodb://127.0.0.1:1/',
        dbName: freshDatabaseName(),
        serverSelectionTimeoutMS: 300,
      }),
    )
    expect(error).toBeInstanceOf(StoreUnavailableError)
    expect(performance.now() - started).toBeLessThan(3_000)
  })

  test('ping rejects with StoreUnavailableError once the store is closed', async () => {
    const store = await freshStore('mongodb')
    await store.close()
    expect(await rejectionOf(store.ping())).toBeInstanceOf(StoreUnavailableError)
  })

  test('an open store whose server goes away rejects with StoreUnavailableError, then recovers', async () => {
    const proxy = new TcpProxy(new URL(uri))
    const port = await proxy.start(0)
    const { store } = await freshMongoStore({
      uri: `mongodb://127.0.0.1:${port}/`,
      serverSelectionTimeoutMS: 300,
    })
    try {
      const user = await store.users.create(newUser())
      await proxy.stop()

      const started = performance.now()
      expect(await rejectionOf(store.ping())).toBeInstanceOf(StoreUnavailableError)
      expect(await rejectionOf(store.users.findById(user.id))).toBeInstanceOf(StoreUnavailableError)
      expect(
        await rejectionOf(
          store.products.list({}, { field: 'createdAt', descending: true }, { page: 1, limit: 1 }),
        ),
      ).toBeInstanceOf(StoreUnavailableError)
      expect(performance.now() - started).toBeLessThan(3_000)

      await proxy.start(port)
      expect(await eventually(() => store.users.findById(user.id))).toEqual(user)
    } finally {
      await proxy.stop()
      await store.close()
    }
  })
})

/** Retries `attempt` until it resolves, for up to five seconds. */
async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 5_000
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await Bun.sleep(100)
    }
  }
}
