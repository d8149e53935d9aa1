/**
 * Password hashing with Bun's built-in argon2id. Only the async forms are used: they run on a
 * worker thread, so hashing never blocks other requests.
 *
 * Each hash or verify takes a slot of a service-wide limit (`PasswordSlots`): argon2id is meant to
 * be costly, and without a bound a flood of registrations or password changes would run as many at
 * once as it sends, starving logins and the event loop (`/health`) of CPU. Verifies (logins) are
 * served before hashes (registrations, password changes), which leave one slot to them, and what
 * cannot get a slot in time is refused with 503 and `Retry-After`.
 */
import { trace } from '@opentelemetry/api'
import { HttpError } from './errors'

/**
 * The argon2id cost of every new hash: m = 19 MiB, t = 2, p = 1, a row of the OWASP Password
 * Storage Cheat Sheet (Keycloak picked a low-memory OWASP row too, for containers). Bun's default
 * (64 MiB, t = 2) made each hash or verify hold 64 MiB, per slot at once, and a login storm's peak
 * memory with it; OWASP rates the rows as equally strong, trading memory for passes. Bun takes no
 * parallelism option: it always hashes with p = 1. Hashes made with other parameters still verify
 * (a PHC string carries its own), and are upgraded on the next successful login (`needsRehash`).
 */
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

const OPTIONS = {
  algorithm: 'argon2id',
  memoryCost: ARGON2_PARAMS.memoryCost,
  timeCost: ARGON2_PARAMS.timeCost,
} as const

const tracer = trace.getTracer('mercado')

/** How long a hash or verify may wait for a slot before it is refused (503). */
const SLOT_WAIT_MS = 5_000
/** Waiting hashes and verifies beyond which more are refused at once (503). */
const MAX_WAITING = 64

type Kind = 'verify' | 'hash'
type Waiter = { run: () => void; timer: ReturnType<typeof setTimeout> }

/**
 * A counting semaphore with two queues and a bounded wait. Verifies (logins) are served first, and
 * hashes (registrations, password changes) may hold all slots but one, so that a login always
 * finds a slot free of them. Verifies may be capped lower (`maxVerifies`).
 */
export class PasswordSlots {
  private readonly busy = { verify: 0, hash: 0 }
  private readonly queues: Record<Kind, Waiter[]> = { verify: [], hash: [] }

  constructor(
    readonly size: number,
    private readonly waitMs = SLOT_WAIT_MS,
    private readonly maxWaiting = MAX_WAITING,
    /** At most this many verifies at once (`size` unless told): see `slots` below. */
    private readonly maxVerifies = size,
  ) {}

  /**
   * Runs `task` in a slot; throws 503 with `Retry-After` when none frees up in time. Traced as a
   * `password.verify` or `password.hash` span (the wait included) when tracing is on; the
   * OpenTelemetry API does nothing otherwise.
   */
  run<T>(kind: Kind, task: () => Promise<T>): Promise<T> {
    return tracer.startActiveSpan(`password.${kind}`, async (span) => {
      try {
        await this.acquire(kind)
        try {
          return await task()
        } finally {
          this.busy[kind]--
          this.dispatch()
        }
      } finally {
        span.end()
      }
    })
  }

  private free(kind: Kind): boolean {
    const total = this.busy.verify + this.busy.hash
    return kind === 'verify'
      ? total < this.size && this.busy.verify < this.maxVerifies
      : total < this.size && this.busy.hash < Math.max(1, this.size - 1)
  }

  private acquire(kind: Kind): Promise<void> {
    if (this.queues[kind].length === 0 && this.free(kind)) {
      this.busy[kind]++
      return Promise.resolve()
    }
    if (this.queues.verify.length + this.queues.hash.length >= this.maxWaiting) {
      return Promise.reject(overloaded())
    }
    return new Promise((resolve, reject) => {
      const queue = this.queues[kind]
      const waiter: Waiter = {
        run: resolve,
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1)
          reject(overloaded())
        }, this.waitMs),
      }
      queue.push(waiter)
    })
  }

  /** Hands free slots to waiters, verifies first. */
  private dispatch(): void {
    for (const kind of ['verify', 'hash'] as const) {
      const queue = this.queues[kind]
      while (queue.length > 0 && this.free(kind)) {
        const next = queue.shift() as Waiter
        clearTimeout(next.timer)
        this.busy[kind]++
        next.run()
      }
    }
  }
}

const overloaded = () =>
  new HttpError(503, 'the service is busy checking passwords; retry shortly', { 'retry-after': '1' })

const cpus = Math.max(1, navigator.hardwareConcurrency || 1)

/**
 * One slot per CPU (more would only queue in the OS: argon2id runs on Bun's worker threads), and
 * each kind on all but one of them (at least one), so that a CPU stays free for the event loop
 * (`/health`, every other request) while logins run flat out, and a login finds a slot that no
 * registration holds. Measured with `bun run bench` on 2 cores (a login storm of 20 clients): with
 * 2 verifies at once /health's p99 was 11 and 13 ms at 27 and 23 logins/s; with 1, 8 to 10 ms at
 * 17 to 22 logins/s in the quieter runs (the 10 ms goal of issue #15), for fewer logins. A single
 * slot for both kinds did as well for the storm, but then a login waited behind a registration's
 * hash (tests/registration.test.ts, the fresh-name flood).
 */
const slots = new PasswordSlots(cpus, SLOT_WAIT_MS, MAX_WAITING, Math.max(1, cpus - 1))

export const hashPassword = (password: string) =>
  slots.run('hash', () => Bun.password.hash(password, OPTIONS))

/**
 * An argon2id hash, with exactly `ARGON2_PARAMS`, of a random password nobody knows (generated
 * once and thrown away), for unknown users (see `verifyPassword`). A constant rather than a hash
 * made at start: that cost 0.2 s and 64 MiB of every start. tests/unit/passwords.test.ts checks
 * that its parameters are the current ones, so it costs what a real verify costs; change it with them.
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$H78YXctWbPN4u6Sr9L8gCeRNgLuUIGVK6qBGOFWx74E$MG/xNkbXZ2M3w6CUqw1cSIm30LwUvXbK+BU2HYp0Pt8'

/**
 * Verifies `password` against `hash`, or against the dummy hash when there is no user, so that an
 * unknown username costs the same time as a wrong password and does not reveal who exists.
 */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  if (hash === undefined) {
    await slots.run('verify', () => Bun.password.verify(password, DUMMY_HASH))
    return false
  }
  return slots.run('verify', () => Bun.password.verify(password, hash))
}

/** The cost parameters of an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). */
export interface Argon2Params {
  memoryCost: number
  timeCost: number
  parallelism: number
}

const ARGON2ID_PREFIX = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/

/**
 * The parameters of an argon2id hash, or undefined for anything else (another algorithm or
 * version). Parsed by hand: it is one fixed prefix, and the PHC libraries on npm would add a
 * dependency (and its load time) to read three numbers.
 */
export function argon2Params(hash: string): Argon2Params | undefined {
  const match = ARGON2ID_PREFIX.exec(hash)
  if (!match) return undefined
  return { memoryCost: Number(match[1]), timeCost: Number(match[2]), parallelism: Number(match[3]) }
}

/** Whether `hash` was made with other than the current algorithm and parameters (`ARGON2_PARAMS`). */
export function needsRehash(hash: string): boolean {
  const params = argon2Params(hash)
  return (
    params === undefined ||
    params.memoryCost !== ARGON2_PARAMS.memoryCost ||
    params.timeCost !== ARGON2_PARAMS.timeCost ||
    params.parallelism !== ARGON2_PARAMS.parallelism
  )
}
