/** `LoginThrottle`: the arithmetic of docs/api.md (Authentication, Login throttling), on an in-memory repository and a clock set by the test. */
import { afterEach, describe, expect, setSystemTime, test } from 'bun:test'
import { LoginThrottle } from '../../src/auth/throttle'
import { expectHttpError } from '../support/assertions'
import { FakeLoginAttemptRepository } from '../support/fakes'

const START = new Date('2030-01-01T00:00:00.000Z').getTime()
const ADDRESS = '203.0.113.7'

/** Sets the clock to `seconds` after `START`. */
const at = (seconds: number) => setSystemTime(new Date(START + seconds * 1000))

/** A throttle on an empty fake, with the clock at `START`. */
function throttle(maxFailures: number, window: number) {
  at(0)
  const attempts = new FakeLoginAttemptRepository()
  return { attempts, throttle: new LoginThrottle(attempts, { maxFailures, window }) }
}

afterEach(() => {
  setSystemTime()
})

describe('LoginThrottle.begin', () => {
  test('maxFailures failures pass; the next attempt is refused with 429', async () => {
    const { throttle: t } = throttle(3, 900)
    for (let i = 0; i < 3; i++) await t.begin('account', ADDRESS)
    await expectHttpError(t.begin('account', ADDRESS), 429)
  })

  test('Retry-After is the time until the oldest failure in the window leaves it', async () => {
    const { throttle: t } = throttle(2, 60)
    await t.begin('account', ADDRESS)
    at(30)
    await t.begin('account', ADDRESS)
    // The first failure has left the window by now: two failures in it, which is allowed.
    at(70)
    await t.begin('account', ADDRESS)
    at(80)
    const refused = await expectHttpError(t.begin('account', ADDRESS), 429)
    // The oldest failure in the window is the one at 30 s; it leaves the window at 90 s.
    expect(refused.headers).toEqual({ 'retry-after': '10' })
  })

  test('the limit counts per account and address: another address, or another account, passes', async () => {
    const { throttle: t } = throttle(1, 60)
    await t.begin('account', ADDRESS)
    await expectHttpError(t.begin('account', ADDRESS), 429)
    await t.begin('account', '198.51.100.1')
    await t.begin('another account', ADDRESS)
  })

  test('one address is refused after 4 × maxFailures failures across accounts', async () => {
    const { throttle: t } = throttle(2, 60)
    for (let i = 0; i < 8; i++) {
      at(i)
      await t.begin(`account ${i}`, ADDRESS)
    }
    at(10)
    const refused = await expectHttpError(t.begin('a fresh account', ADDRESS), 429)
    // Counted from the address's oldest failure, at 0 s.
    expect(refused.headers['retry-after']).toBe('50')
  })

  test('a successful attempt is forgotten: it leaves no failure behind', async () => {
    const { attempts, throttle: t } = throttle(1, 60)
    for (let i = 0; i < 3; i++) await (await t.begin('account', ADDRESS)).succeeded()
    expect(attempts.records).toEqual([])
    await t.begin('account', ADDRESS)
  })

  test('a refused attempt is forgotten, so hammering a locked account does not extend its lock', async () => {
    const { attempts, throttle: t } = throttle(1, 60)
    await t.begin('account', ADDRESS)
    const written = [...attempts.records]
    at(30)
    const refused = await expectHttpError(t.begin('account', ADDRESS), 429)
    expect(refused.headers['retry-after']).toBe('30')
    expect(attempts.records).toEqual(written)
    at(60)
    await t.begin('account', ADDRESS)
  })

  test('an attempt is recorded as a failure under the account and the address until told otherwise', async () => {
    const { attempts, throttle: t } = throttle(3, 60)
    await t.begin('account', ADDRESS)
    expect(attempts.records).toHaveLength(2)
    expect(attempts.records.map((r) => r.expiresAt.getTime())).toEqual([START + 60_000, START + 60_000])
  })
})
