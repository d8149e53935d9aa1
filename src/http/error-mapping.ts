import { Elysia, type ErrorHandler, type ValidationError } from 'elysia'
import { type FieldError, HttpError, OAuthError } from '../core/errors'
import type { Logger } from '../core/log'
import { ConflictError, PreconditionFailedError, StoreUnavailableError } from '../store/errors'
import { JSON_TYPE } from './body'
import { PreflightAnswer } from './cors'
import { isOAuthRequest, oauthErrorResponse, oauthValidationError } from './oauth'
import { pathOf } from './path'
import { problemResponse } from './problem'
import { type AnswerListener, requestIdOf } from './request-log'
import { methodNotAllowed, type RouteIndex } from './routes'

const RETRY_AFTER_UNAVAILABLE = '5'

/** What Elysia hands an `onError` hook. */
type ErrorContext = Parameters<ErrorHandler>[0]

const VALIDATION_DETAIL: Record<string, string> = {
  body: 'the body failed validation',
  query: 'a query parameter is invalid',
  property: 'a query parameter is invalid',
  params: 'a path parameter is invalid',
  headers: 'a header is invalid',
}

function validationErrors(error: Readonly<ValidationError>): FieldError[] {
  try {
    return fieldErrors(error)
  } catch {
    // Walking a pathologically nested value can overflow the stack; say what we can.
    return [{ pointer: '', detail: 'the value is invalid or nested too deeply' }]
  }
}

/** A JSON body value of the wrong type, by the type its schema wants: what to say instead. */
const WRONG_TYPE: Record<string, [(value: unknown) => boolean, string]> = {
  string: [(v) => typeof v === 'string', 'must be a string'],
  number: [(v) => typeof v === 'number', 'must be a number'],
  // Whole or not is the schema's own message ("must be an integer from 0").
  integer: [(v) => typeof v === 'number', 'must be an integer'],
  boolean: [(v) => typeof v === 'boolean', 'must be true or false'],
  array: [Array.isArray, 'must be an array'],
  object: [(v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be an object'],
}

/** What is wrong with `value` before its schema's own message applies, if anything. */
function basicFault(value: unknown, type: unknown, inBody: boolean): string | undefined {
  // JSON has no undefined: an undefined value is a field that is not there.
  if (value === undefined) return 'is required'
  // Query values are text that Elysia converts; their schemas' messages name the type already.
  const expected = inBody && typeof type === 'string' ? WRONG_TYPE[type] : undefined
  return expected && !expected[0](value) ? expected[1] : undefined
}

function fieldErrors(error: Readonly<ValidationError>): FieldError[] {
  const seen = new Set<string>()
  const errors: FieldError[] = []
  for (const issue of error.all) {
    if (!('path' in issue)) continue
    const schema = issue.schema as { error?: unknown; title?: string; type?: unknown } | undefined
    // Query numbers and booleans are checked one by one without a path; their schema's title names them.
    const pointer = issue.path || (schema?.title ? `/${schema.title}` : '')
    // TypeBox reports a union or a pattern several times over; one entry per field is clearer.
    if (seen.has(pointer)) continue
    seen.add(pointer)
    // A missing field or a wrong type is said before the schema's own message, which describes a
    // value of the right type ("must be at most 2000 characters"). An unknown field's issue carries
    // the schema of the object around it.
    const detail =
      issue.message === 'Unexpected property'
        ? 'unknown field'
        : (basicFault(issue.value, schema?.type, error.type === 'body') ??
          (typeof schema?.error === 'string' ? schema.error : issue.message))
    errors.push({ pointer, detail })
  }
  if (errors.length === 0) errors.push({ pointer: '', detail: error.message })
  return errors
}

export interface ErrorMappingOptions {
  logger: Logger
  /** The finished app's routes, to tell a 405 from a 404. */
  routes: () => RouteIndex
  /**
   * Told each answer made here, with its status (the access log, the request metrics): Elysia
   * passes those given outside a route to no `mapResponse` hook (see `AccessLog`).
   */
  answered?: AnswerListener
}

/**
 * Every error, ours (`core/errors`), the store's and Elysia's own, answered as an RFC 9457 problem
 * (or an RFC 6749 error on the token routes). Anything unforeseen is a logged 500.
 */
export function errorMapping({ logger, routes, answered }: ErrorMappingOptions) {
  // The hook destructures what it reads: Elysia infers from a hook's parameters what every route
  // must prepare, and a hook taking the whole context makes each request parse its headers,
  // cookies and query first.
  return new Elysia({ name: 'error-mapping' }).onError(
    { as: 'global' },
    ({ code, error, request, set, route }) => {
      const response = problemFor({ code, error, request, set } as ErrorContext, logger, routes)
      answered?.(request, response.status, route)
      return response
    },
  )
}

/** The answer to an error: a problem, an OAuth error, or the 204 of a preflight. */
function problemFor(
  { code, error, request, set }: ErrorContext,
  logger: Logger,
  routes: () => RouteIndex,
): Response {
  try {
    if (error instanceof PreflightAnswer) {
      set.status = 204
      return new Response(null, { status: 204 })
    }
    const instance = pathOf(request)
    const reqId = requestIdOf(request)
    const answer = (status: number, detail: string, extra?: Parameters<typeof problemResponse>[3]) => {
      set.status = status
      return problemResponse(status, detail, instance, extra)
    }
    // Elysia wraps what a `parse` hook throws; ours throw the errors they mean.
    const parsing = code === 'PARSE' ? error.cause : undefined
    if (error instanceof OAuthError || parsing instanceof OAuthError) {
      const oauth = (parsing ?? error) as OAuthError
      set.status = oauth.status
      return oauthErrorResponse(oauth)
    }
    const http = parsing instanceof HttpError ? parsing : error instanceof HttpError ? error : undefined
    if (http) return answer(http.status, http.message, { headers: http.headers, errors: http.errors })
    if (error instanceof ConflictError) {
      return answer(409, error.message, { errors: [{ pointer: `/${error.field}`, detail: error.message }] })
    }
    if (error instanceof PreconditionFailedError) return answer(412, error.message)
    if (error instanceof StoreUnavailableError) {
      logger.warn('store unavailable', { reqId, err: error })
      return answer(503, 'the database is unavailable; retry shortly', {
        headers: { 'retry-after': RETRY_AFTER_UNAVAILABLE },
      })
    }
    // (Their own parser already throws OAuth2 errors for bodies it cannot read.)
    // Only the body: a bad path parameter of such a route is the API's ordinary 422.
    if (isOAuthRequest(request) && code === 'VALIDATION' && error.type === 'body') {
      set.status = 400
      const detail = validationErrors(error)
        .map((e) => `${e.pointer || 'body'}: ${e.detail}`)
        .join('; ')
      return oauthErrorResponse(oauthValidationError(request, detail))
    }
    switch (code) {
      case 'NOT_FOUND': {
        const index = routes()
        // A fixed path such as /users/me answers for itself, not with /users/:id's methods.
        const allow = index.ownMethods(instance) ?? index.allowed(instance)
        if (allow.length > 0) {
          const refusal = methodNotAllowed(request.method, allow)
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
      reqId: requestIdOf(request),
      err: failure,
      cause: error,
    })
    set.status = 500
    return problemResponse(500, 'an unexpected error occurred; it has been logged', pathOf(request))
  }
}
