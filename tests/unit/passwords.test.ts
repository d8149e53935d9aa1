/**
 * `PasswordSlots`: the service-wide bound on argon2id work (docs/api.md, Errors: 503); the argon2id
 * parameters, the dummy hash for unknown users, and which stored hashes are upgraded at login.
 */
import { describe, expect, test } from 'bun:test'
import {
  ARGON2_PARAMS,
  argon2Params,
  DUMMY_HASH,
  hashPassword,
  needsRehash,
  PasswordSlots,
  verifyPassword,
} from '../../src/core/passwords'
import { expectHttpError } from '../support/assertions'

/** A task that finishes when the test says so, noting when it started. */
function gate(log: string[], name: string) {
  let open = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return {
    open,
    task: async () => {
      log.push(name)
      await opened
      return name
    },
  }
}

describe('PasswordSlots', () => {
  test('runs at most `size` tasks at once; the next starts when one ends', async () => {
    const log: string[] = []
    const slots = new PasswordSlots(2)
    const [a, b, c] = [gate(log, 'a'), gate(log, 'b'), gate(log, 'c')]
    const runs = [slots.run('verify', a.task), slots.run('verify', b.task), slots.run('verify', c.task)]
    await Bun.sleep(5)
    expect(log).toEqual(['a', 'b'])
    a.open()
    await Bun.sleep(5)
    expect(log).toEqual(['a', 'b', 'c'])
    b.open()
    c.open()
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c'])
  })

  test('a waiting verify (a login) goes before waiting hashes', async () => {
    const log: string[] = []
    const slots = new PasswordSlots(1)
    const tasks = [gate(log, 'hash 1'), gate(log, 'hash 2'), gate(log, 'verify')]
    const [first, second, verify] = tasks as [(typeof tasks)[0], (typeof tasks)[0], (typeof tasks)[0]]
    const runs = [
      slots.run('hash', first.task),
      slots.run('hash', second.task),
      slots.run('verify', verify.task),
    ]
    await Bun.sleep(5)
    first.open()
    await Bun.sleep(5)
    expect(log).toEqual(['hash 1', 'verify'])
    verify.open()
    second.open()
    await Promise.all(runs)
    expect(log).toEqual(['hash 1', 'verify', 'hash 2'])
  })

  test('hashes leave one slot to verifies: a login starts at once during a flood of hashes', async () => {
    const log: string[] = []
    const slots = new PasswordSlots(2)
    const hashes = [gate(log, 'hash 1'), gate(log, 'hash 2')]
    const runs = hashes.map((h) => slots.run('hash', h.task))
    await Bun.sleep(5)
    expect(log).toEqual(['hash 1'])
    expect(await slots.run('verify', async () => 'login')).toBe('login')
    for (const h of hashes) h.open()
    await Promise.all(runs)
    expect(log).toEqual(['hash 1', 'hash 2'])
  })

  test('with maxVerifies, verifies beyond it wait, while a hash still takes a free slot', async () => {
    const log: string[] = []
    const slots = new PasswordSlots(2, 5_000, 64, 1)
    const [first, second, hash] = [gate(log, 'verify 1'), gate(log, 'verify 2'), gate(log, 'hash')]
    const runs = [
      slots.run('verify', first.task),
      slots.run('verify', second.task),
      slots.run('hash', hash.task),
    ]
    await Bun.sleep(5)
    expect(log).toEqual(['verify 1', 'hash'])
    first.open()
    await Bun.sleep(5)
    expect(log).toEqual(['verify 1', 'hash', 'verify 2'])
    second.open()
    hash.open()
    await Promise.all(runs)
  })

  test('a task that gets no slot within the wait is refused with 503 and Retry-After', async () => {
    const log: string[] = []
    const slots = new PasswordSlots(1, 20)
    const busy = gate(log, 'busy')
    const running = slots.run('hash', busy.task)
    const refused = await expectHttpError(
      slots.run('verify', async () => 'late'),
      503,
    )
    expect(refused.headers).toEqual({ 'retry-after': '1' })
    busy.open()
    await running
    // The refused task left no waiter behind: the slot is free again.
    expect(await slots.run('verify', async () => 'next')).toBe('next')
  })

  test('beyond maxWaiting waiters, tasks are refused at once', async () => {
    const log: string[] = []
    const slots = new PasswordSlots(1, 5_000, 1)
    const busy = gate(log, 'busy')
    const running = slots.run('hash', busy.task)
    const waiting = slots.run('hash', async () => 'waited')
    const started = performance.now()
    await expectHttpError(
      slots.run('hash', async () => 'refused'),
      503,
    )
    expect(performance.now() - started).toBeLessThan(100)
    busy.open()
    await running
    expect(await waiting).toBe('waited')
  })
})

/** Median milliseconds of `runs` calls of `task`, one after another. */
async function medianMs(runs: number, task: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await task()
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] as number
}

describe('argon2id parameters', () => {
  test('new hashes carry the configured parameters, and verify', async () => {
    const hash = await hashPassword('correct horse battery staple')
    expect(argon2Params(hash)).toEqual(ARGON2_PARAMS)
    expect(needsRehash(hash)).toBe(false)
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true)
    expect(await verifyPassword('wrong horse battery staple', hash)).toBe(false)
  })

  test("a hash made with Bun's former default (64 MiB) still verifies, and is due for a rehash", async () => {
    const old = await Bun.password.hash('an older password', { algorithm: 'argon2id' })
    expect(argon2Params(old)).toEqual({ memoryCost: 65_536, timeCost: 2, parallelism: 1 })
    expect(await verifyPassword('an older password', old)).toBe(true)
    expect(needsRehash(old)).toBe(true)
  })

  test('any other algorithm or cost is due for a rehash', async () => {
    const bcrypt = await Bun.password.hash('x', { algorithm: 'bcrypt', cost: 4 })
    expect(argon2Params(bcrypt)).toBeUndefined()
    expect(needsRehash(bcrypt)).toBe(true)
    const argon2i = await Bun.password.hash('x', { algorithm: 'argon2i', memoryCost: 19_456, timeCost: 2 })
    expect(needsRehash(argon2i)).toBe(true)
    const moreTime = await Bun.password.hash('x', { algorithm: 'argon2id', memoryCost: 19_456, timeCost: 3 })
    expect(needsRehash(moreTime)).toBe(true)
  })
})

describe('the dummy hash for unknown users', () => {
  test('has exactly the current parameters', () => {
    expect(argon2Params(DUMMY_HASH)).toEqual(ARGON2_PARAMS)
    expect(needsRehash(DUMMY_HASH)).toBe(false)
  })

  test('an unknown user (no hash) is refused', async () => {
    expect(await verifyPassword('anything', undefined)).toBe(false)
  })

  test('verifying against it takes as long as against a real hash of the current parameters', async () => {
    const real = await hashPassword('a real password')
    // Warm up both paths (Bun's worker threads, the memory argon2id takes).
    await verifyPassword('a guess', real)
    await verifyPassword('a guess', undefined)
    const unknown = await medianMs(7, () => verifyPassword('a guess', undefined))
    const known = await medianMs(7, () => verifyPassword('a guess', real))
    // Loose: a noisy machine moves single runs; a hash of other parameters (64 MiB) would be ~3x.
    expect(unknown / known).toBeGreaterThan(0.5)
    expect(unknown / known).toBeLessThan(2)
  })
})
