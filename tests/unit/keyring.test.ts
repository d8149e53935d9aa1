/**
 * The key ring's schedule, on a clock the tests move: automatic rotation on the interval with
 * publish-before-use, and retired keys unpublished and deleted once their tokens have expired.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { KeyCipher } from '../../src/keys/cipher'
import { KeyRing } from '../../src/keys/keyring'
import { createSqliteStore } from '../../src/store/sqlite'
import type { Store } from '../../src/store/types'

const DAY = 86_400_000
const options = { activationDelay: 600, rotationInterval: 30 * 86_400, maxTokenTtl: 900 }
/** A retired key stays published this long: the token TTL, the clock skew and the reload interval. */
const KEEP = (900 + 60 + 60) * 1000

describe('key ring schedule', () => {
  let store: Store
  let clock: number
  const ring = () =>
    new KeyRing(store.signingKeys, new KeyCipher('k'.repeat(32)), { ...options, now: () => clock })
  const kids = async (keys: KeyRing) => (await keys.jwks()).keys.map((key) => key.kid)
  beforeEach(() => {
    store = createSqliteStore({ path: ':memory:' })
    clock = Date.UTC(2030, 0, 1)
  })
  afterEach(() => store.close())

  test('the first key signs at once', async () => {
    const keys = ring()
    await keys.ready()
    const [first] = await store.signingKeys.list()
    expect(first).toMatchObject({ slot: 'initial', activatesAt: new Date(clock), retiresAt: null })
    expect((await keys.signingKey()).kid).toBe(first?.kid as string)
  })

  test('a rotation is due KEY_ACTIVATION_DELAY before the interval ends; the next key signs when it ends', async () => {
    const first = ring()
    await first.ready()
    const started = clock
    const [initial] = await store.signingKeys.list()

    clock = started + 30 * DAY - 601_000
    const early = ring()
    await early.ready()
    expect(await store.signingKeys.list()).toHaveLength(1)

    clock = started + 30 * DAY - 600_000
    const due = ring()
    await due.ready()
    const [, next] = await store.signingKeys.list()
    expect(next).toMatchObject({ slot: `after:${initial?.kid}`, activatesAt: new Date(started + 30 * DAY) })
    expect(await kids(due)).toEqual([initial?.kid, next?.kid])
    expect((await due.signingKey()).kid).toBe(initial?.kid as string)

    clock = started + 30 * DAY
    expect((await due.signingKey()).kid).toBe(next?.kid as string)
  })

  test('a retired key is published until its last token has expired, then deleted', async () => {
    const keys = ring()
    await keys.ready()
    const [old] = await store.signingKeys.list()
    const { kid, activatesAt } = await keys.rotate()
    const retired = (await store.signingKeys.list()).find((key) => key.kid === old?.kid)
    expect(retired).toMatchObject({
      retiresAt: activatesAt,
      expiresAt: new Date(activatesAt.getTime() + KEEP),
    })

    clock = activatesAt.getTime() + KEEP - 1
    await keys.reload()
    expect(await kids(keys)).toEqual([old?.kid, kid])

    clock = activatesAt.getTime() + KEEP
    await keys.reload()
    expect(await kids(keys)).toEqual([kid])
    await ring().ready()
    expect((await store.signingKeys.list()).map((key) => key.kid)).toEqual([kid])
  })

  test('an unknown kid reloads at most once within the rate limit; a malformed kid never', async () => {
    const keys = ring()
    await keys.ready()
    let lists = 0
    const list = store.signingKeys.list.bind(store.signingKeys)
    store.signingKeys.list = () => {
      lists++
      return list()
    }
    expect(await keys.verificationKey('not-a-kid')).toBeUndefined()
    expect(lists).toBe(0)
    for (let i = 0; i < 5; i++) expect(await keys.verificationKey('x'.repeat(43))).toBeUndefined()
    expect(lists).toBe(1)
    clock += 5_000
    expect(await keys.verificationKey('y'.repeat(43))).toBeUndefined()
    expect(lists).toBe(2)
  })
})
