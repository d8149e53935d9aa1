/** `LoginThrottle`: the arithmetic of docs/api.md (Authentication, Login throttling), on an in-memory repository and a clock set by the test. */
import { afterEach, describe, expect, setSystemTime, test } from 'bun:test'
import { addressGroup, LoginThrottle } from '../../src/auth/throttle'
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

  test('an attempt is recorded as a failure under the account and address, the address and the account until told otherwise', async () => {
    const { attempts, throttle: t } = throttle(3, 60)
    await t.begin('account', ADDRESS)
    expect(attempts.records.map((r) => r.key)).toEqual([
      `account|${ADDRESS}`,
      `address:${ADDRESS}`,
      'account:account',
    ])
    expect(attempts.records.map((r) => r.expiresAt.getTime())).toEqual(Array(3).fill(START + 60_000))
  })

  test('one account is refused after 4 × maxFailures failures from any number of addresses', async () => {
    const { throttle: t } = throttle(2, 60)
    for (let i = 0; i < 8; i++) {
      at(i)
      await t.begin('account', `198.51.100.${i}`)
    }
    at(10)
    const refused = await expectHttpError(t.begin('account', '192.0.2.99'), 429)
    // Counted from the account's oldest failure, at 0 s: the lock ends with the window.
    expect(refused.headers['retry-after']).toBe('50')
    // Other accounts from those addresses are not touched by it.
    await t.begin('another account', '192.0.2.99')
    at(60)
    await t.begin('account', '192.0.2.99')
  })

  test('every IPv6 address of one /64 shares a counter; another /64 does not', async () => {
    const { throttle: t } = throttle(2, 60)
    await t.begin('account', '2001:db8:0:1::1')
    await t.begin('account', '2001:db8:0:1:ffff:ffff:ffff:ffff')
    await expectHttpError(t.begin('account', '2001:db8:0:1:abcd::7'), 429)
    await t.begin('account', '2001:db8:0:2::1')
  })

  test('an IPv4-mapped IPv6 address counts as its IPv4 address', async () => {
    const { throttle: t } = throttle(1, 60)
    await t.begin('account', '203.0.113.7')
    await expectHttpError(t.begin('account', '::ffff:203.0.113.7'), 429)
  })
})

describe('addressGroup', () => {
  test.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0DB8:0000:0001:aaaa:bbbb:cccc:dddd', '2001:db8:0:1::/64'],
    ['[2001:db8:0:1::5]', '2001:db8:0:1::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['unknown', 'unknown'],
    ['1:2:3', '1:2:3'],
  ])('%s → %s', (address, group) => {
    expect(addressGroup(address)).toBe(group)
  })
})

describe('LoginThrottle.beginRegistration', () => {
  test('registerMaxFailures failed registrations pass per address group; the next gets 429', async () => {
    at(0)
    const t = new LoginThrottle(new FakeLoginAttemptRepository(), {
      maxFailures: 5,
      window: 60,
      registerMaxFailures: 2,
    })
    await t.beginRegistration('2001:db8:0:1::1')
    await t.beginRegistration('2001:db8:0:1::2')
    const refused = await expectHttpError(t.beginRegistration('2001:db8:0:1::3'), 429)
    expect(refused.headers['retry-after']).toBe('60')
    await t.beginRegistration('203.0.113.1')
  })

  test('a successful registration is forgotten', async () => {
    at(0)
    const attempts = new FakeLoginAttemptRepository()
    const t = new LoginThrottle(attempts, { maxFailures: 5, window: 60, registerMaxFailures: 1 })
    for (let i = 0; i < 3; i++) await (await t.beginRegistration(ADDRESS)).succeeded()
    expect(attempts.records).toEqual([])
  })
})
