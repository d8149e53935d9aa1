/** `PasswordSlots`: the service-wide bound on argon2id work (docs/api.md, Errors: 503). */
import { describe, expect, test } from 'bun:test'
import { PasswordSlots } from '../../src/core/passwords'
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
