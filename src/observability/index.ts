import { Elysia } from 'elysia'
import type { Config } from '../config'
import type { ObservedEvent } from '../core/security-events'
import type { Store } from '../store/types'
import { HttpMetrics } from './http'
import { type Metrics, processMetrics } from './metrics'
import { type OperationWrapper, observedStore, timeStoreOperations } from './store'
import { Tracing, type TracingOptions } from './tracing'

export { UNMATCHED_ROUTE } from './http'
export { Metrics, processMetrics } from './metrics'
export type { TracingOptions } from './tracing'

/** `auth_*` counters from the security events and token responses (core/security-events.ts). */
function countSecurityEvent(metrics: Metrics, observed: ObservedEvent): void {
  const { event } = observed
  if (observed.event === 'tokens_issued') metrics.tokensIssued.inc({ grant_type: observed.grantType })
  else if (event === 'login_succeeded') metrics.loginAttempts.inc({ outcome: 'success' })
  else if (event === 'login_failed') metrics.loginAttempts.inc({ outcome: 'bad_credentials' })
  else if (event === 'login_throttled') metrics.loginAttempts.inc({ outcome: 'throttled' })
  else if (event === 'refresh_reused') metrics.refreshReuse.inc()
}

/**
 * Metrics and traces (docs/api.md, Operation: Metrics, Tracing), built once from the configuration.
 * Metrics are on in development and test, and in production only with `METRICS_TOKEN`; off,
 * nothing is recorded (no cost per request) and `GET /metrics` is a 404. Traces are on when an
 * OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`); off, no span is ever made.
 */
export class Observability {
  readonly metrics: Metrics | undefined
  readonly tracing: Tracing | undefined
  private readonly http: HttpMetrics | undefined
  /** Feeds the security events into the `auth_*` counters; one function, so observing twice counts once. */
  readonly securityObserver: (event: ObservedEvent) => void

  constructor(config: Pick<Config, 'env' | 'metricsToken' | 'tracing'>, tracingOptions?: TracingOptions) {
    this.tracing = config.tracing && new Tracing(config.tracing, tracingOptions)
    const on = config.env !== 'production' || config.metricsToken !== undefined
    this.metrics = on ? processMetrics() : undefined
    this.http = this.metrics && new HttpMetrics(this.metrics, config.metricsToken)
    const metrics = this.metrics
    this.securityObserver = metrics ? (event) => countSecurityEvent(metrics, event) : () => {}
  }

  /** `store` with its calls timed (store_operation_*) and traced; `store` itself when both are off. */
  store(store: Store): Store {
    const timed = this.metrics && timeStoreOperations(this.metrics)
    const traced = this.tracing?.storeSpans(store.kind)
    const wrap: OperationWrapper | undefined =
      timed && traced
        ? (operation, call) => traced(operation, () => timed(operation, call))
        : (timed ?? traced)
    return wrap ? observedStore(store, wrap) : store
  }

  /** The server span and the request metrics: mount before anything that can answer. */
  recorder() {
    const plugin = new Elysia({ name: 'observability' })
    if (this.tracing) plugin.use(this.tracing.plugin())
    if (this.http) plugin.use(this.http.recorder())
    return plugin
  }

  /** Counts an answer the error mapping made outside a route (see `AccessLog`); nothing when metrics are off. */
  readonly answered = (request: Request, status: number, route?: string): void =>
    this.http?.record(request, status, route)

  /** The trace id of a request's server span, for the access log; undefined when tracing is off. */
  readonly traceIdOf = (request: Request): string | undefined => this.tracing?.traceIdOf(request)

  /** Sends the spans not yet exported; at shutdown. */
  async shutdown(): Promise<void> {
    await this.tracing?.shutdown()
  }

  /** `GET /metrics`, when metrics are on. */
  routes() {
    return this.http?.route() ?? new Elysia({ name: 'metrics-route' })
  }
}
