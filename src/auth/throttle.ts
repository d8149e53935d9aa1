import { HttpError } from '../http/errors'
import type { LoginAttemptRepository } from '../store/types'

export interface ThrottleOptions {
  /** Failures allowed per username and client address within the window. */
  maxFailures: number
  /** Seconds. */
  window: number
}

/** Failures one address may make across all usernames, as a multiple of `maxFailures` (SPEC 4.2). */
const PER_ADDRESS_FACTOR = 4

/**
 * Login throttling with counters in the store, so every instance of the service shares them.
 * Once a key has `maxFailures` failures in the window, every attempt under it gets 429 (even with
 * the right password) until its oldest failure leaves the window. Refused attempts are not
 * counted, so a locked-out user is let in again once the window has passed.
 */
export class LoginThrottle {
  constructor(
    private readonly attempts: LoginAttemptRepository,
    private readonly options: ThrottleOptions,
  ) {}

  private keys(login: string, address: string) {
    return { perUser: `u:${login.toLowerCase()}|${address}`, perAddress: `a:${address}` }
  }

  /** Throws 429 with `Retry-After` while either counter is over its limit. */
  async check(login: string, address: string, now = new Date()): Promise<void> {
    const { perUser, perAddress } = this.keys(login, address)
    const windowMs = this.options.window * 1000
    const since = new Date(now.getTime() - windowMs)
    const [user, all] = await Promise.all([
      this.attempts.failuresSince(perUser, since),
      this.attempts.failuresSince(perAddress, since),
    ])
    const blocked =
      user.count >= this.options.maxFailures
        ? user
        : all.count >= this.options.maxFailures * PER_ADDRESS_FACTOR
          ? all
          : undefined
    if (!blocked) return
    const oldest = blocked.oldest?.getTime() ?? now.getTime()
    const retryAfter = Math.max(1, Math.ceil((oldest + windowMs - now.getTime()) / 1000))
    throw new HttpError(429, `too many failed logins; retry in ${retryAfter} seconds`, {
      'retry-after': String(retryAfter),
    })
  }

  recordFailure(login: string, address: string, now = new Date()): Promise<void> {
    const { perUser, perAddress } = this.keys(login, address)
    return this.attempts.recordFailure(
      [perUser, perAddress],
      now,
      new Date(now.getTime() + this.options.window * 1000),
    )
  }
}
