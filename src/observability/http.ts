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
    const { started, record } = this
    return new Elysia({ name: 'http-metrics' })
      .onRequest(({ request }) => {
        started.set(request, performance.now())
        this.metrics.inFlight++
      })
      .mapResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
        // A handler that returns a Response sets its status there, not in `set` (as the access log reads it).
        const status = responseValue instanceof Response ? responseValue.status : set.status
        record(request, typeof status === 'number' ? status : 200, route)
      })
  }

  /**
   * Counts the answer to `request`, once (a route's error reaches both the hook above and the error
   * mapping, as in `AccessLog`); `route` is its template, none for answers given outside a route.
   */
  readonly record = (request: Request, status: number, route?: string): void => {
    const start = this.started.get(request)
    if (start === undefined) return
    this.started.delete(request)
    this.metrics.inFlight--
    const template = route || UNMATCHED_ROUTE
    const method = METHODS.has(request.method) ? request.method : 'OTHER'
    this.metrics.httpDuration.observe(
      `${method} ${status} ${template}`,
      [method, template, String(status)],
      (performance.now() - start) / 1000,
    )
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
