import { describe, expect, test } from 'bun:test'
import { unique } from '../../support/unique'
import type { GetStore } from './fixtures'

/** Failed-login counters. */
export function describeLoginAttemptContract(store: GetStore): void {
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000)
  const inAnHour = () => new Date(Date.now() + 3_600_000)

  describe('loginAttempts', () => {
    test('a key with no failures has count 0 and no oldest', async () => {
      expect(await store().loginAttempts.failuresSince(unique(), minutesAgo(60))).toEqual({
        count: 0,
        oldest: null,
      })
    })

    test('failuresSince counts the failures under a key and gives the oldest', async () => {
      const key = unique()
      const oldest = new Date(minutesAgo(10).getTime() + 123)
      await store().loginAttempts.recordFailure([key], oldest, inAnHour())
      await store().loginAttempts.recordFailure([key], minutesAgo(5), inAnHour())
      await store().loginAttempts.recordFailure([key], minutesAgo(1), inAnHour())
      expect(await store().loginAttempts.failuresSince(key, minutesAgo(60))).toEqual({ count: 3, oldest })
    })

    test('one failure recorded under several keys counts once under each', async () => {
      const [user, address] = [unique(), unique()]
      const at = minutesAgo(1)
      await store().loginAttempts.recordFailure([user, address], at, inAnHour())
      await store().loginAttempts.recordFailure([address], minutesAgo(0.5), inAnHour())
      expect(await store().loginAttempts.failuresSince(user, minutesAgo(60))).toEqual({
        count: 1,
        oldest: at,
      })
      expect((await store().loginAttempts.failuresSince(address, minutesAgo(60))).count).toBe(2)
    })

    test('failuresSince leaves out failures before since and keeps one exactly at since', async () => {
      const key = unique()
      const since = minutesAgo(15)
      await store().loginAttempts.recordFailure([key], new Date(since.getTime() - 1), inAnHour())
      await store().loginAttempts.recordFailure([key], since, inAnHour())
      await store().loginAttempts.recordFailure([key], minutesAgo(1), inAnHour())
      expect(await store().loginAttempts.failuresSince(key, since)).toEqual({ count: 2, oldest: since })
    })

    test('failures past their expiresAt no longer count', async () => {
      const key = unique()
      await store().loginAttempts.recordFailure([key], minutesAgo(20), minutesAgo(5))
      const live = minutesAgo(2)
      await store().loginAttempts.recordFailure([key], live, inAnHour())
      expect(await store().loginAttempts.failuresSince(key, minutesAgo(60))).toEqual({
        count: 1,
        oldest: live,
      })
    })

    test('forget removes one attempt under every key and leaves the others', async () => {
      const [user, address] = [unique(), unique()]
      const kept = minutesAgo(3)
      await store().loginAttempts.recordFailure([user, address], kept, inAnHour())
      const attempt = await store().loginAttempts.recordFailure([user, address], minutesAgo(1), inAnHour())
      await store().loginAttempts.forget(attempt)
      expect(await store().loginAttempts.failuresSince(user, minutesAgo(60))).toEqual({
        count: 1,
        oldest: kept,
      })
      expect((await store().loginAttempts.failuresSince(address, minutesAgo(60))).count).toBe(1)
    })

    test('attempts recorded at once all count', async () => {
      const key = unique()
      await Promise.all(
        Array.from({ length: 10 }, () =>
          store().loginAttempts.recordFailure([key], minutesAgo(1), inAnHour()),
        ),
      )
      expect((await store().loginAttempts.failuresSince(key, minutesAgo(60))).count).toBe(10)
    })
  })
}
