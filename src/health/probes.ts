/**
 * What the probes know besides the store (docs/api.md, Service and Operation): whether the event
 * loop keeps turning, for `/health`, and whether the service is shutting down, for every route.
 */

export interface ProbeOptions {
  /** How often the event loop is sampled (ms). */
  tickMs?: number
  /** `/health` fails when the loop went this long (ms) without turning... */
  stallLimitMs?: number
  /** ...within this much time (ms): a stall between two probes is still seen by the next one. */
  windowMs?: number
  /** After the shutdown signal, the notice ends once no request has come for this long (ms)... */
  quietMs?: number
  /** ...or after this long (ms) at the most. */
  noticeMs?: number
}

const DEFAULTS: Required<ProbeOptions> = {
  tickMs: 500,
  // Far above what load or a 2 s SQLite lock wait cause, so that a busy instance is not restarted.
  stallLimitMs: 5_000,
  // Kubernetes probes liveness every 10 s by default: each probe covers the time since the last.
  windowMs: 10_000,
  quietMs: 250,
  noticeMs: 2_000,
}

export class Probes {
  private readonly options: Required<ProbeOptions>
  private lastTick = performance.now()
  /** The last tick that came more than `stallLimitMs` late: when, and how late. */
  private lastStall: { at: number; ms: number } | undefined
  private draining = false
  private lastRequestAt = 0

  constructor(options: ProbeOptions = {}) {
    this.options = { ...DEFAULTS, ...options }
    // A timer runs only when the loop is free, so its lateness is how long the loop was held up.
    // unref: the sampling never keeps a process alive on its own.
    setInterval(() => this.tick(), this.options.tickMs).unref()
  }

  private tick(): void {
    const now = performance.now()
    const late = now - this.lastTick - this.options.tickMs
    this.lastTick = now
    if (late > this.options.stallLimitMs) this.lastStall = { at: now, ms: late }
  }

  /**
   * How long (ms) the event loop was held up, when that is over the limit: right now (the tick is
   * overdue; a request can be answered before the timer catches up), or recently. 0 otherwise.
   */
  stalledMs(): number {
    const now = performance.now()
    const overdue = now - this.lastTick - this.options.tickMs
    if (overdue > this.options.stallLimitMs) return Math.round(overdue)
    const stall = this.lastStall
    return stall && now - stall.at <= this.options.windowMs ? Math.round(stall.ms) : 0
  }

  /** Whether a request that arrives now is to be refused; notes its arrival while draining. */
  refuses(): boolean {
    if (this.draining) this.lastRequestAt = performance.now()
    return this.draining
  }

  /**
   * Refuses every request from now on, and resolves once none has come for `quietMs`, or after
   * `noticeMs`. Until then the server keeps listening, so that a client sending on an idle
   * keep-alive connection hears "503, Connection: close" instead of having it cut under it.
   */
  async drain(): Promise<void> {
    this.draining = true
    const { quietMs, noticeMs } = this.options
    const start = performance.now()
    this.lastRequestAt = start
    while (true) {
      const now = performance.now()
      const quietFor = now - this.lastRequestAt
      const left = noticeMs - (now - start)
      if (quietFor >= quietMs || left <= 0) return
      await Bun.sleep(Math.min(quietMs - quietFor, left))
    }
  }
}
