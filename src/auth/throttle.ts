import { HttpError } from '../core/errors'
import type { LoginAttemptRepository } from '../store/types'

export interface ThrottleOptions {
  /** Failures allowed per account (or unknown name) and client address within the window. */
  maxFailures: number
  /** Seconds. */
  window: number
  /** Failed registrations (a taken username or email) allowed per client address within the window. */
  registerMaxFailures?: number
  /** Password reset requests allowed per client address within the window (default 10). */
  resetMaxRequests?: number
}

const RESET_MAX_REQUESTS = 10

/** Failures one address may make across all usernames, as a multiple of `maxFailures` (docs/api.md, Authentication). */
const PER_ADDRESS_FACTOR = 4

/**
 * Failures one account may take from all addresses together, as a multiple of `maxFailures`.
 *
 * Without it every new address (and there are 2^64 in one IPv6 /64, or a botnet's worth of IPv4)
 * gets a fresh `maxFailures` guesses. With it, guessing one password is held to
 * `4 × maxFailures` tries per window from the whole world (20 per 15 minutes by default).
 * The price is that whoever sends that many wrong passwords can keep the owner out too (429,
 * even with the right password). We accept a 429 rather than an ever-growing delay because it
 * is bounded: refused attempts are not counted, so the lock ends at most one window after the
 * attacker's last counted failure, and it is four times higher than the per-address limit, so
 * one mistyping owner never reaches it. Keeping an account locked costs the attacker a steady
 * stream of requests that the per-address limits and the logs make visible.
 */
const PER_ACCOUNT_FACTOR = 4

/** A login attempt under way; tell the throttle when its password was right. */
export interface Attempt {
  /** The password was right: the attempt does not count as a failure. */
  succeeded(): Promise<void>
}

/**
 * The throttling key of a client address: IPv4 as it is, an IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`) as its IPv4 address, and any other IPv6 address as its /64 network
 * (`2001:db8:0:1::/64`), since one subscriber usually holds a whole /64. Anything unparsable
 * (`unknown`, a forged header) is kept as is, lower-cased.
 */
export function addressGroup(address: string): string {
  let a = address.trim().toLowerCase()
  if (a.startsWith('[') && a.includes(']')) a = a.slice(1, a.indexOf(']'))
  const zone = a.indexOf('%')
  if (zone >= 0) a = a.slice(0, zone)
  if (!a.includes(':')) return a
  const hextets = expandIpv6(a)
  if (!hextets) return a
  // ::ffff:0:0/96 is IPv4 mapped into IPv6.
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    const [hi = 0, lo = 0] = hextets.slice(6)
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.')
  }
  return `${hextets
    .slice(0, 4)
    .map((h) => h.toString(16))
    .join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail), or null. */
function expandIpv6(address: string): number[] | null {
  let text = address
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (v4) {
    const bytes = v4.slice(1).map(Number)
    if (bytes.some((b) => b > 255)) return null
    const [a = 0, b = 0, c = 0, d = 0] = bytes
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const part = (s: string | undefined) => (s ? s.split(':') : [])
  const head = part(halves[0])
  const tail = part(halves[1])
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail]
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null
  return groups.map((g) => Number.parseInt(g, 16))
}

/**
 * Login throttling with counters in the store, so every instance of the service shares them.
 *
 * An attempt is recorded as failed *before* its password is checked and forgotten if the password
 * was right, so that attempts sent all at once count too (checking first and recording after would
 * let any burst through). Once a key has more than its limit in the window, every attempt under it
 * gets 429, even with the right password, until its oldest failure leaves the window. Refused
 * attempts are forgotten, so hammering a locked account does not extend its lock.
 *
 * The keys of a login: the account and address (`maxFailures`), the address across all accounts
 * (`PER_ADDRESS_FACTOR`), the account across all addresses (`PER_ACCOUNT_FACTOR`). Addresses are
 * grouped by `addressGroup`. Registrations count under their address alone.
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
  begin(account: string, address: string): Promise<Attempt> {
    const group = addressGroup(address)
    const max = this.options.maxFailures
    return this.start(
      [
        [`${account}|${group}`, max],
        [`address:${group}`, max * PER_ADDRESS_FACTOR],
        [`account:${account}`, max * PER_ACCOUNT_FACTOR],
      ],
      'too many failed logins',
    )
  }

  /**
   * Starts a registration from `address`; it counts as failed unless told otherwise (a taken
   * username or email is a failure), and throws 429 with `Retry-After` when over the limit.
   */
  beginRegistration(address: string): Promise<Attempt> {
    const max = this.options.registerMaxFailures ?? this.options.maxFailures * PER_ADDRESS_FACTOR
    return this.start([[`register:${addressGroup(address)}`, max]], 'too many failed registrations')
  }

  /**
   * Starts a password reset request from `address`: every request counts, whatever the account,
   * and past the limit throws 429 with `Retry-After`. It also keeps one address from mailing many
   * accounts; the per-account limit is the recovery service's (at most a few mails an hour).
   */
  async beginPasswordReset(address: string): Promise<void> {
    const max = this.options.resetMaxRequests ?? RESET_MAX_REQUESTS
    await this.start([[`reset:${addressGroup(address)}`, max]], 'too many password reset requests')
  }

  private async start(limits: [key: string, max: number][], what: string): Promise<Attempt> {
    const now = new Date()
    const windowMs = this.options.window * 1000
    const attemptId = await this.attempts.recordFailure(
      limits.map(([key]) => key),
      now,
      new Date(now.getTime() + windowMs),
    )
    const since = new Date(now.getTime() - windowMs)
    const counts = await Promise.all(limits.map(([key]) => this.attempts.failuresSince(key, since)))
    const blocked = counts.find((failures, i) => failures.count > (limits[i]?.[1] ?? 0))
    const succeeded = () => this.attempts.forget(attemptId)
    if (!blocked) return { succeeded }
    await succeeded()
    const oldest = blocked.oldest?.getTime() ?? now.getTime()
    const retryAfter = Math.max(1, Math.ceil((oldest + windowMs - now.getTime()) / 1000))
    throw new HttpError(429, `${what}; retry in ${retryAfter} seconds`, {
      'retry-after': String(retryAfter),
    })
  }
}
