import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MongoClient, ObjectId } from 'mongodb'
import { StoreUnavailableError } from '../../src/store/errors'
import { type CompatMode, createMongoStore, type ServerCompat } from '../../src/store/mongo'
import { chooseServer } from '../../src/store/mongo/compat'
import { MongoDBCompat } from '../../src/store/mongo/compat/mongodb'
import { CODE_RETENTION_MS, type Store } from '../../src/store/types'
import { eventually, rejectionOf } from '../support/assertions'
import { freshDatabaseName, freshMongoStore, freshStore, mongoUri } from '../support/stores'
import { TcpProxy } from '../support/tcp-proxy'
import { describeStoreContract } from './contract'
import { newProduct, newRefreshToken, newUser } from './contract/fixtures'

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
      emailVerified: false,
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

  test('an authorization code is a document by hash, kept a retention period past its expiry', async () => {
    const owner = await store.users.create(newUser())
    const codeHash = `observed-${crypto.randomUUID()}`
    const expiresAt = new Date(Date.now() + 60_000)
    await store.authorizationCodes.insert({
      codeHash,
      clientId: 'observed-client',
      userId: owner.id,
      redirectUri: 'https://app.example.test/cb',
      codeChallenge: 'challenge',
      nonce: null,
      scopes: ['openid'],
      signInSessionId: 'session',
      authTime: new Date(),
      userSessionVersion: 0,
      chainId: 'chain',
      expiresAt,
    })
    const doc = await observer.db(dbName).collection('authorization_codes').findOne({ codeHash })
    expect(doc?.userId).toEqual(ObjectId.createFromHexString(owner.id))
    expect(doc?.deleteAt).toEqual(new Date(expiresAt.getTime() + CODE_RETENTION_MS))
  })

  test('a code or a consent for a user id that is no ObjectId is refused as a bug (TypeError)', async () => {
    const code = { codeHash: 'x', userId: 'not-an-id' } as Parameters<
      Store['authorizationCodes']['insert']
    >[0]
    expect(await rejectionOf(store.authorizationCodes.insert(code))).toBeInstanceOf(TypeError)
    expect(await rejectionOf(store.consents.grant('not-an-id', 'c', ['openid'], new Date()))).toBeInstanceOf(
      TypeError,
    )
  })

  test('consents are one document per user and client, the user by ObjectId', async () => {
    const owner = await store.users.create(newUser())
    await store.consents.grant(owner.id, 'observed-client', ['openid'], new Date())
    const docs = await observer
      .db(dbName)
      .collection('consents')
      .find({ userId: ObjectId.createFromHexString(owner.id) })
      .toArray()
    expect(docs).toMatchObject([{ clientId: 'observed-client', scopes: ['openid'] }])
    const indexes = await observer.db(dbName).collection('consents').indexes()
    expect(indexes.find((index) => index.name === 'consents_user_client')?.unique).toBe(true)
  })

  test('update conflicts are reported by field after a version bump elsewhere', async () => {
    const taken = await store.users.create(newUser())
    const user = await store.users.create(newUser())
    await store.users.update(user.id, { fullName: 'bumped' })
    const error = await rejectionOf(store.users.update(user.id, { email: taken.email }, 2))
    expect(error).toMatchObject({ name: 'ConflictError', field: 'email' })
  })
})

/**
 * MongoDB's behaviour on a database an auto store has already indexed: the test server (FerretDB)
 * cannot take MongoDB's index creation, and these tests are about the other operations.
 */
class PlainOnIndexedDb extends MongoDBCompat {
  override async createIndexes(): Promise<void> {}
}

/** A store that records the name of each command it sends; `during` tells those one operation sent. */
async function watched(dbName: string, compat: CompatMode | ServerCompat) {
  const sent: string[] = []
  const store = await createMongoStore({
    uri,
    dbName,
    compat,
    onCommand: (event) => sent.push(event.commandName),
  })
  const during = async <T>(operation: () => Promise<T>): Promise<[T, string[]]> => {
    sent.length = 0
    const result = await operation()
    return [result, sent.splice(0)]
  }
  return { store, during }
}

describe('mongodb store, commands per operation', () => {
  /** A database an auto store has created and indexed, dropped at the end. */
  let indexed: Store
  let dbName: string
  beforeAll(async () => {
    ;({ store: indexed, dbName } = await freshMongoStore())
  })
  afterAll(() => indexed.close())

  test('with the compat forced off, each write and read is one command', async () => {
    const { store, during } = await watched(dbName, new PlainOnIndexedDb())
    try {
      const owner = await store.users.create(newUser())
      const product = await store.products.create(newProduct({ ownerId: owner.id }))
      const [updated, update] = await during(() =>
        store.products.update(product.id, { price: 2 }, product.version, owner.id),
      )
      expect(updated?.version).toBe(2)
      expect(update).toEqual(['findAndModify'])
      expect(await during(() => store.products.delete(product.id, 2, owner.id))).toEqual([true, ['delete']])

      const token = newRefreshToken({ userId: owner.id })
      await store.refreshTokens.insert(token)
      const [rotated, rotate] = await during(() => store.refreshTokens.rotate(token.tokenHash, new Date()))
      expect(rotated.outcome).toBe('rotated')
      expect(rotate).toEqual(['findAndModify'])
      expect((await during(() => store.refreshTokens.findByHash(token.tokenHash)))[1]).toEqual(['find'])
      const now = new Date()
      expect(await during(() => store.refreshTokens.revokeChain(token.chainId, now))).toEqual([
        undefined,
        ['update'],
      ])
      expect(await during(() => store.refreshTokens.revokeAllForUser(owner.id, now))).toEqual([
        undefined,
        ['update'],
      ])
    } finally {
      await store.close()
    }
  })

  test('with the compat detected, only a FerretDB server gets write claims and revocation look-ups', async () => {
    const observer = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 })
    const buildInfo = await observer
      .db(dbName)
      .command({ buildInfo: 1 })
      .finally(() => observer.close())
    const ferretDB = chooseServer('auto', buildInfo) === 'ferretdb'
    const { store, during } = await watched(dbName, 'auto')
    try {
      const product = await store.products.create(newProduct())
      const [updated, update] = await during(() => store.products.update(product.id, { stock: 5 }, 1))
      expect(updated?.stock).toBe(5)
      expect(update).toEqual(ferretDB ? ['insert', 'findAndModify', 'delete'] : ['findAndModify'])

      const token = newRefreshToken()
      await store.refreshTokens.insert(token)
      const [rotated, rotate] = await during(() => store.refreshTokens.rotate(token.tokenHash, new Date()))
      expect(rotated.outcome).toBe('rotated')
      expect(rotate).toEqual(ferretDB ? ['insert', 'findAndModify', 'delete', 'find'] : ['findAndModify'])
    } finally {
      await store.close()
    }
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
