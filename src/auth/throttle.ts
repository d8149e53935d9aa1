import { HttpError } from '../core/errors'
import type { LoginAttemptRepository } from '../store/types'

export interface ThrottleOptions {
  /** Failures allowed per account (or unknown name) and client address within the window. */
  maxFailures: number
  /** Seconds. */
  window: number
}

/** Failures one address may make across all usernames, as a multiple of `maxFailures` (docs/api.md, Authentication). */
const PER_ADDRESS_FACTOR = 4

/** A login attempt under way; tell the throttle when its password was right. */
export interface Attempt {
  /** The password was right: the attempt does not count as a failure. */
  succeeded(): Promise<void>
}

/**
 * Login throttling with counters in the store, so every instance of the service shares them.
 *
 * An attempt is recorded as failed *before* its password is checked and forgotten if the password
 * was right, so that attempts sent all at once count too (checking first and recording after would
 * let any burst through). Once a key has more than `maxFailures` in the window, every attempt
 * under it gets 429, even with the right password, until its oldest failure leaves the window.
 * Refused attempts are forgotten, so hammering a locked account does not extend its lock.
 */
export class LoginThrottle {
  constructor(
    private readonly attempts: LoginAttemptRepository,
    private readonly options: ThrottleOptions,
  ) {}

  /**
   * Starts an attempt on `account` (a user id, or the normalized name when no user has it) from
   * `address`; throws 429 with `Retry-After` when the attempt is over a limit.
   */
  async begin(account: string, address: string): Promise<Attempt> {
    const perAccount = `${account}|${address}`
    const perAddress = `address:${address}`
    const now = new Date()
    const windowMs = this.options.window * 1000
    const attemptId = await this.attempts.recordFailure(
      [perAccount, perAddress],
      now,
      new Date(now.getTime() + windowMs),
    )
    const since = new Date(now.getTime() - windowMs)
    const [byAccount, byAddress] = await Promise.all([
      this.attempts.failuresSince(perAccount, since),
      this.attempts.failuresSince(perAddress, since),
    ])
    const blocked =
      byAccount.count > this.options.maxFailures
        ? byAccount
        : byAddress.count > this.options.maxFailures * PER_ADDRESS_FACTOR
          ? byAddress
          : undefined
    const succeeded = () => this.attempts.forget(attemptId)
    if (!blocked) return { succeeded }
    await succeeded()
    const oldest = blocked.oldest?.getTime() ?? now.getTime()
    const retryAfter = Math.max(1, Math.ceil((oldest + windowMs - now.getTime()) / 1000))
    throw new HttpError(429, `too many failed logins; retry in ${retryAfter} seconds`, {
      'retry-after': String(retryAfter),
    })
  }
}
