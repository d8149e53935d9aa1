import { Elysia, type ValidationError } from 'elysia'
import { ConflictError, PreconditionFailedError, StoreUnavailableError } from '../store/errors'
import { JSON_TYPE } from './body'
import { type FieldError, HttpError, OAuthError } from './errors'
import type { Logger } from './log'
import { problemResponse } from './problem'
import { RouteIndex, type RouteTable } from './routes'

export interface ConventionsOptions {
  logger: Logger
  /** All routes of the finished app, for 405 and `Allow`; read lazily. */
  routes: () => RouteTable
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/
const RETRY_AFTER_UNAVAILABLE = '5'

const VALIDATION_DETAIL: Record<string, string> = {
  body: 'the body failed validation',
  query: 'a query parameter is invalid',
  property: 'a query parameter is invalid',
  params: 'a path parameter is invalid',
  headers: 'a header is invalid',
}

interface RequestState {
  id: string
  start: number
}

function validationErrors(error: Readonly<ValidationError>): FieldError[] {
  try {
    return fieldErrors(error)
  } catch {
    // Walking a pathologically nested value can overflow the stack; say what we can.
    return [{ pointer: '', detail: 'the value is invalid or nested too deeply' }]
  }
}

function fieldErrors(error: Readonly<ValidationError>): FieldError[] {
  const seen = new Set<string>()
  const errors: FieldError[] = []
  for (const issue of error.all) {
    if (!('path' in issue)) continue
    const schema = issue.schema as { error?: unknown; title?: string } | undefined
    // Query numbers and booleans are checked one by one without a path; their schema's title names them.
    const pointer = issue.path || (schema?.title ? `/${schema.title}` : '')
    // TypeBox reports a union or a pattern several times over; one entry per field is clearer.
    if (seen.has(pointer)) continue
    seen.add(pointer)
    const detail =
      typeof schema?.error === 'string'
        ? schema.error
        : issue.message === 'Unexpected property'
          ? 'unknown field'
          : issue.message
    errors.push({ pointer, detail })
  }
  if (errors.length === 0) errors.push({ pointer: '', detail: error.message })
  return errors
}

/**
 * The HTTP conventions of SPEC section 2 as one plugin: request ids, the access log, the body
 * and every error (ours, the store's and Elysia's) as problem details.
 */
export function httpConventions({ logger, routes }: ConventionsOptions) {
  const state = new WeakMap<Request, RequestState>()
  // Routes are fixed once the app is built; index them at the first request.
  let index: RouteIndex | undefined

  return new Elysia({ name: 'http-conventions' })
    .onRequest(({ request, set }) => {
      const sent = request.headers.get('x-request-id')
      const id = sent && REQUEST_ID.test(sent) ? sent : crypto.randomUUID()
      state.set(request, { id, start: performance.now() })
      set.headers['x-request-id'] = id
      // OPTIONS is left to CORS, which answers preflights after this hook.
      if (request.method === 'OPTIONS') return
      index ??= new RouteIndex(routes())
      const own = index.ownMethods(pathOf(request))
      // Thrown, not returned: an answer returned from onRequest would skip the access log.
      if (own && !own.includes(request.method)) throw methodNotAllowed(request, own)
    })
    .onError({ as: 'global' }, ({ code, error, request, set }) => {
      try {
        const instance = pathOf(request)
        const reqId = state.get(request)?.id
        const answer = (status: number, detail: string, extra?: Parameters<typeof problemResponse>[3]) => {
          set.status = status
          return problemResponse(status, detail, instance, extra)
        }
        // Elysia wraps what a `parse` hook throws; ours throw the errors they mean.
        const parsing = code === 'PARSE' ? error.cause : undefined
        if (error instanceof OAuthError || parsing instanceof OAuthError) {
          set.status = 400
          return oauthErrorResponse((parsing ?? error) as OAuthError)
        }
        if (parsing instanceof HttpError) {
          return answer(parsing.status, parsing.message, { headers: parsing.headers, errors: parsing.errors })
        }
        if (error instanceof HttpError) {
          return answer(error.status, error.message, { headers: error.headers, errors: error.errors })
        }
        if (error instanceof ConflictError) {
          return answer(409, error.message, {
            errors: [{ pointer: `/${error.field}`, detail: error.message }],
          })
        }
        if (error instanceof PreconditionFailedError) return answer(412, error.message)
        if (error instanceof StoreUnavailableError) {
          logger.warn('store unavailable', { reqId, err: error })
          return answer(503, 'the database is unavailable; retry shortly', {
            headers: { 'retry-after': RETRY_AFTER_UNAVAILABLE },
          })
        }
        // (Their own parser already throws OAuth2 errors for bodies it cannot read.)
        if (oauthRequests.has(request) && code === 'VALIDATION' && error.type !== 'response') {
          set.status = 400
          return oauthErrorResponse(new OAuthError('invalid_request', 'a field is missing or malformed'))
        }
        switch (code) {
          case 'NOT_FOUND': {
            index ??= new RouteIndex(routes())
            // A fixed path such as /users/me answers for itself, not with /users/:id's methods.
            const allow = index.ownMethods(instance) ?? index.allowed(instance)
            if (allow.length > 0) {
              const refusal = methodNotAllowed(request, allow)
              return answer(405, refusal.message, { headers: refusal.headers })
            }
            return answer(404, `no route for ${request.method} ${instance}`)
          }
          case 'PARSE': {
            const type = request.headers.get('content-type') ?? ''
            if (JSON_TYPE.test(type)) return answer(400, 'the body is not valid JSON')
            return answer(415, `content type "${type || 'none'}" is not accepted here; send application/json`)
          }
          case 'VALIDATION': {
            // A response that fails its own schema is our bug, never the client's.
            if (error.type === 'response') break
            return answer(422, VALIDATION_DETAIL[error.type] ?? 'the request is invalid', {
              errors: validationErrors(error),
            })
          }
          case 'INVALID_COOKIE_SIGNATURE':
            return answer(400, 'invalid cookie signature')
        }
        logger.error('unhandled error', { reqId, method: request.method, path: instance, code, err: error })
        return answer(500, 'an unexpected error occurred; it has been logged')
      } catch (failure) {
        // An error while answering an error must still end as a problem, never as Bun's own page.
        logger.error('error while mapping an error', {
          reqId: state.get(request)?.id,
          err: failure,
          cause: error,
        })
        set.status = 500
        return problemResponse(500, 'an unexpected error occurred; it has been logged', pathOf(request))
      }
    })
    .onAfterResponse({ as: 'global' }, ({ request, set, responseValue }) => {
      const s = state.get(request)
      // A handler that returns a Response sets its status there, not in `set`.
      const status = responseValue instanceof Response ? responseValue.status : set.status
      logger.line('info', {
        reqId: s?.id,
        method: request.method,
        path: pathOf(request),
        status: typeof status === 'number' ? status : 200,
        ms: s ? Math.round((performance.now() - s.start) * 100) / 100 : undefined,
      })
    })
}

/** Requests to the OAuth2 token routes, whose errors take the RFC 6749 form (`markOAuthRequest`). */
const oauthRequests = new WeakSet<Request>()

/** Makes validation errors of this request OAuth2 `invalid_request` errors instead of problems. */
export const markOAuthRequest = (request: Request) => void oauthRequests.add(request)

/** 405 with the `Allow` header. */
function methodNotAllowed(request: Request, allow: string[]): HttpError {
  return new HttpError(405, `${request.method} is not allowed here; use ${allow.join(', ')}`, {
    allow: allow.join(', '),
  })
}

/**
 * 413 for a body over `limit` bytes, told by its `Content-Length` before it is read. Bodies sent
 * without one (chunked) are cut at the same size by Bun's `maxRequestBodySize` (see index.ts).
 */
export function bodyLimit(limit: number) {
  return new Elysia({ name: 'body-limit', seed: limit }).onRequest(({ request }) => {
    if (Number(request.headers.get('content-length') ?? 0) <= limit) return
    // Thrown, so that the error mapping answers it and the access log records it.
    throw new HttpError(413, `the body is larger than the limit of ${limit} bytes`, { connection: 'close' })
  })
}

/** An RFC 6749 section 5.2 error response. */
export function oauthErrorResponse(error: OAuthError): Response {
  return new Response(JSON.stringify({ error: error.error, error_description: error.description }), {
    status: 400,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
  })
}

/** The path of a request URL without its query, cheaply. */
export function pathOf(request: Request): string {
  const url = request.url
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const query = url.indexOf('?', start)
  return query < 0 ? url.slice(start) : url.slice(start, query)
}
