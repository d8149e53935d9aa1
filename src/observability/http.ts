import { createHash, timingSafeEqual } from 'node:crypto'
import { Elysia } from 'elysia'
import { UnauthorizedError } from '../core/errors'
import type { Metrics } from './metrics'

/** The `route` of requests no route took (unknown paths, preflights, refusals before routing): one series, not one per path. */
export const UNMATCHED_ROUTE = 'unmatched'

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

/** Whether `authorization` is `Bearer <token>`, compared in constant time (as digests of one length). */
function bearerMatches(authorization: string | null, expected: Buffer): boolean {
  const sent = /^Bearer +(\S+)$/i.exec(authorization ?? '')?.[1]
  return sent !== undefined && timingSafeEqual(digest(sent), expected)
}

/**
 * HTTP metrics: `recorder()` times every request (it must not read `body`: Elysia would then parse
 * the body and build a headers object for every route, a cost on each request) (mount it first), `route()` is `GET /metrics`
 * (mount it with the routes, after the error mapping). `token` set: the scrape must send it.
 */
export class HttpMetrics {
  private readonly started = new WeakMap<Request, number>()
  private readonly token: Buffer | undefined

  constructor(
    private readonly metrics: Metrics,
    token: string | undefined,
  ) {
    this.token = token === undefined ? undefined : digest(token)
  }

  recorder() {
    const { started, metrics } = this
    return new Elysia({ name: 'http-metrics' })
      .onRequest(({ request }) => {
        started.set(request, performance.now())
        metrics.inFlight++
      })
      .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
        const start = started.get(request)
        if (start === undefined) return
        started.delete(request)
        metrics.inFlight--
        // A handler that returns a Response sets its status there, not in `set` (as request-log reads it).
        const raw = responseValue instanceof Response ? responseValue.status : set.status
        const status = typeof raw === 'number' ? raw : 200
        const template = route || UNMATCHED_ROUTE
        const method = METHODS.has(request.method) ? request.method : 'OTHER'
        metrics.httpDuration.observe(
          `${method} ${status} ${template}`,
          [method, template, String(status)],
          (performance.now() - start) / 1000,
        )
      })
  }

  /** `GET /metrics`, left out of the OpenAPI document: it is Prometheus' text format, not the JSON API. */
  route() {
    const { metrics, token } = this
    return new Elysia({ name: 'metrics-route' }).get(
      '/metrics',
      async ({ request, set }) => {
        if (token && !bearerMatches(request.headers.get('authorization'), token)) {
          throw new UnauthorizedError(
            'a valid metrics token is required',
            request.headers.has('authorization'),
          )
        }
        set.headers['content-type'] = metrics.contentType
        set.headers['cache-control'] = 'no-store'
        return metrics.render()
      },
      { detail: { hide: true } },
    )
  }
}
