import { Elysia } from 'elysia'

/** What a browser script may read of our responses, and send to us (docs/api.md, Conventions). */
export const CORS_EXPOSED_HEADERS = ['ETag', 'Location', 'X-Request-Id', 'Retry-After', 'WWW-Authenticate']
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'If-None-Match',
  'X-Request-Id',
]
export const CORS_ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
/** Seconds a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE = '600'

/** The answer to a CORS preflight: 204, no body, the headers already in `set`. */
export class PreflightAnswer extends Error {
  readonly status = 204
}

/**
 * CORS for browser clients on other origins. `origins` is `config.corsOrigins`: `['*']` allows
 * any origin, `[]` none (no CORS headers at all), else an allow-list of exact origins. A preflight
 * (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is answered 204 here,
 * before routing; from any other origin it is treated as a plain `OPTIONS` (405).
 *
 * No `Access-Control-Allow-Credentials`: the API takes bearer tokens, never cookies.
 *
 * Written here rather than taken from `@elysiajs/cors` 1.4: that plugin answers every `OPTIONS`
 * with 204 and CORS headers whatever the origin, matches an allow-list entry against the origin
 * without its scheme, adds catch-all `OPTIONS` routes, and allows credentials by default.
 * `origins` come from `loadConfig`, which has already checked that each one is an origin.
 */
export function cors(origins: readonly string[]) {
  const any = origins.includes('*')
  const allowed = new Set(any ? [] : origins)
  const plugin = new Elysia({ name: 'cors', seed: origins.join(',') })
  if (!any && allowed.size === 0) return plugin

  const exposed = CORS_EXPOSED_HEADERS.join(', ')
  const preflightHeaders = {
    'access-control-allow-methods': CORS_ALLOWED_METHODS.join(', '),
    'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
    'access-control-max-age': PREFLIGHT_MAX_AGE,
  }
  return plugin.onRequest(({ request, set }) => {
    // With an allow-list the answer depends on the Origin, so caches must keep one copy per origin.
    if (!any) set.headers.vary = set.headers.vary ? `${set.headers.vary}, Origin` : 'Origin'
    const origin = request.headers.get('origin')
    if (!origin || !(any || allowed.has(origin))) return
    set.headers['access-control-allow-origin'] = any ? '*' : origin
    if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
      Object.assign(set.headers, preflightHeaders)
      set.status = 204
      // Thrown, not returned: an answer returned from onRequest reaches neither the error mapping
      // nor any later hook (the access log, the request's metrics and span); error-mapping
      // answers it as it is.
      throw new PreflightAnswer()
    }
    set.headers['access-control-expose-headers'] = exposed
  })
}
