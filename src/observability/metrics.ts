import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { FastHistogram } from './histogram'

/** How a sign-in ended, as `auth_login_attempts_total` counts it. */
export type LoginOutcome = 'success' | 'bad_credentials' | 'throttled'

/** Request durations from 5 ms to 10 s: /health answers in well under a millisecond, a login in ~50 ms. */
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Store calls: SQLite reads take microseconds, MongoDB round trips milliseconds, a timeout 5 s. */
const STORE_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5]

/**
 * The metrics `GET /metrics` exposes (ops/README.md: the dashboard's contract; the names are fixed).
 * One set per process, like the process metrics beside them: see `processMetrics`.
 */
export class Metrics {
  readonly registry = new Registry()
  /** Observed once per request: the fast kind (labels `method`, `route`, `status`). */
  readonly httpDuration = new FastHistogram(
    'http_request_duration_seconds',
    'HTTP requests by method, route template and status, from arrival to the answer',
    ['method', 'route', 'status'],
    HTTP_BUCKETS,
    this.registry,
  )
  /** Requests being answered now: a plain number per request, read into the gauge at each scrape. */
  inFlight = 0
  readonly httpInFlight: Gauge = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being answered now',
    registers: [this.registry],
    collect: (): void => this.httpInFlight.set(this.inFlight),
  })
  readonly storeDuration = new Histogram({
    name: 'store_operation_duration_seconds',
    help: 'Store calls by repository and method (users.findById)',
    labelNames: ['operation'] as const,
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  })
  readonly storeErrors = new Counter({
    name: 'store_operation_errors_total',
    help: 'Store calls that failed (unavailable, timed out, unexpected), not the refusals of the contract (conflicts)',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  })
  readonly loginAttempts = new Counter({
    name: 'auth_login_attempts_total',
    help: 'Password checks by outcome: success, bad_credentials (wrong, unknown or disabled) or throttled',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  })
  readonly refreshReuse = new Counter({
    name: 'auth_refresh_reuse_total',
    help: 'Rotated refresh tokens presented again (theft detection revoked their session)',
    registers: [this.registry],
  })
  readonly tokensIssued = new Counter({
    name: 'auth_tokens_issued_total',
    help: 'Token responses by grant type',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  })

  constructor() {
    // Under Bun: the process and heap metrics and nodejs_eventloop_lag_* (perf_hooks'
    // monitorEventLoopDelay) work; nodejs_gc_duration_seconds does not appear, Bun has no `gc`
    // performance entries (tests/metrics.test.ts checks the ones the dashboard reads).
    collectDefaultMetrics({ register: this.registry })
    for (const outcome of ['success', 'bad_credentials', 'throttled'] as const)
      this.loginAttempts.inc({ outcome }, 0)
  }

  /** The text exposition format, for Prometheus. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

let shared: Metrics | undefined

/**
 * The process's metrics, made on first use. One set per process, because Prometheus scrapes a
 * process and the process metrics are per process; tests that build several apps read deltas.
 */
export function processMetrics(): Metrics {
  shared ??= new Metrics()
  return shared
}
