import { Elysia } from 'elysia'

/** What a browser script may read of our responses, and send to us (SPEC section 2). */
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

/** `https://app.example.com/` → `https://app.example.com`; throws on anything that is not an origin. */
function normalizeOrigin(origin: string): string {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    throw new Error(`CORS_ORIGINS: "${origin}" is not an origin such as https://app.example.com`)
  }
  if (url.origin === 'null' || url.pathname !== '/' || url.search || url.hash) {
    throw new Error(`CORS_ORIGINS: "${origin}" is not an origin such as https://app.example.com`)
  }
  return url.origin
}

/**
 * CORS for browser clients on other origins. `origins` is `config.corsOrigins`: `['*']` allows
 * any origin, `[]` none (no CORS headers at all), else an allow-list of exact origins. A preflight
 * (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is answered 204 here,
 * before routing; from any other origin it is treated as a plain `OPTIONS` (405).
 *
 * No `Access-Control-Allow-Credentials`: the API takes bearer tokens, never cookies.
 */
export function cors(origins: readonly string[]) {
  const any = origins.includes('*')
  const allowed = new Set(any ? [] : origins.map(normalizeOrigin))
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
      return new Response(null, { status: 204 })
    }
    set.headers['access-control-expose-headers'] = exposed
  })
}
