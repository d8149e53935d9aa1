import { Elysia } from 'elysia'
import type { Config } from '../config'
import type { ObservedEvent } from '../core/security-events'
import type { Store } from '../store/types'
import { HttpMetrics } from './http'
import { type Metrics, processMetrics } from './metrics'
import { observedStore, timeStoreOperations } from './store'

export { UNMATCHED_ROUTE } from './http'
export { Metrics, processMetrics } from './metrics'

/** `auth_*` counters from the security events (core/security-events.ts). */
function countSecurityEvent(metrics: Metrics, { event }: ObservedEvent): void {
  if (event === 'login_succeeded') metrics.loginAttempts.inc({ outcome: 'success' })
  else if (event === 'login_failed') metrics.loginAttempts.inc({ outcome: 'bad_credentials' })
  else if (event === 'login_throttled') metrics.loginAttempts.inc({ outcome: 'throttled' })
  else if (event === 'refresh_reused') metrics.refreshReuse.inc()
}

/**
 * Metrics (docs/api.md, Operation: Metrics), built once from the configuration. Metrics are on in
 * development and test, and in production only with `METRICS_TOKEN`; off, nothing is recorded
 * (no cost per request) and `GET /metrics` is a 404.
 */
export class Observability {
  readonly metrics: Metrics | undefined
  private readonly http: HttpMetrics | undefined
  /** Feeds the security events into the `auth_*` counters; one function, so observing twice counts once. */
  readonly securityObserver: (event: ObservedEvent) => void

  constructor(config: Pick<Config, 'env' | 'metricsToken'>) {
    const on = config.env !== 'production' || config.metricsToken !== undefined
    this.metrics = on ? processMetrics() : undefined
    this.http = this.metrics && new HttpMetrics(this.metrics, config.metricsToken)
    const metrics = this.metrics
    this.securityObserver = metrics ? (event) => countSecurityEvent(metrics, event) : () => {}
  }

  /** `store` with its calls timed (store_operation_*); `store` itself when metrics are off. */
  store(store: Store): Store {
    return this.metrics ? observedStore(store, timeStoreOperations(this.metrics)) : store
  }

  /** Times every request: mount before anything that can answer. */
  recorder() {
    return this.http?.recorder() ?? new Elysia({ name: 'http-metrics' })
  }

  /** `GET /metrics`, when metrics are on. */
  routes() {
    return this.http?.route() ?? new Elysia({ name: 'metrics-route' })
  }
}
