import { Elysia } from 'elysia'
import type { Logger } from '../core/log'
import { pathOf } from './path'

/** A request id a client may choose; anything else is replaced by a fresh UUID. */
const REQUEST_ID = /^[\w.:@-]{1,128}$/

interface RequestState {
  id: string
  start: number
  logged: boolean
}

const states = new WeakMap<Request, RequestState>()

/** The `X-Request-Id` of `request`, once `AccessLog` has seen it. */
export const requestIdOf = (request: Request): string | undefined => states.get(request)?.id

/**
 * Sees every answer, with its final status and the template of the route that took the request
 * (none outside a route): the access log, the request metrics.
 */
export type AnswerListener = (request: Request, status: number, route?: string) => void

/** The status of an answer: a handler that returns a Response sets it there, not in `set`. */
export const statusOf = (responseValue: unknown, setStatus: unknown): number => {
  const status = responseValue instanceof Response ? responseValue.status : setStatus
  return typeof status === 'number' ? status : 200
}

/**
 * Gives every request an id (the client's `X-Request-Id` when it is sane), answers it in the
 * header of the same name, and writes one access-log line per request, with the request's trace
 * id (`traceIdOf`) when it is traced.
 *
 * The line is written just before the answer goes out: from a global `mapResponse` hook, which
 * Elysia runs for what a route's handler answers and for the errors thrown inside a route, and
 * from the error mapping (`record`) for the answers given outside any route (404, 405, and the
 * refusals thrown by `onRequest` hooks), which Elysia passes to no `mapResponse` hook. The hook
 * returns nothing, so the answer stays as it is. Not `onAfterResponse`: Elysia runs that through
 * a `setImmediate` and an async closure per request, which cost more than the line (issue #15).
 */
export class AccessLog {
  constructor(
    private readonly logger: Logger,
    private readonly traceIdOf?: (request: Request) => string | undefined,
  ) {}

  /** Writes the line of `request`, once: a route's error reaches both the hook and the error mapping. */
  readonly record: AnswerListener = (request, status) => {
    const state = states.get(request)
    if (!state || state.logged) return
    state.logged = true
    this.logger.line('info', {
      reqId: state.id,
      traceId: this.traceIdOf?.(request),
      method: request.method,
      path: pathOf(request),
      status,
      ms: Math.round((performance.now() - state.start) * 100) / 100,
    })
  }

  /** Mount before everything that can answer. */
  plugin() {
    const { record } = this
    return new Elysia({ name: 'request-log' })
      .onRequest(({ request, set }) => {
        const sent = request.headers.get('x-request-id')
        const id = sent && REQUEST_ID.test(sent) ? sent : crypto.randomUUID()
        states.set(request, { id, start: performance.now(), logged: false })
        set.headers['x-request-id'] = id
      })
      .mapResponse({ as: 'global' }, ({ request, set, responseValue }) => {
        record(request, statusOf(responseValue, set.status))
      })
  }
}
