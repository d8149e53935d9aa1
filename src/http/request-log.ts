import { Elysia } from 'elysia'
import type { Logger } from '../core/log'
import { pathOf } from './path'

/** A request id a client may choose; anything else is replaced by a fresh UUID. */
const REQUEST_ID = /^[\w.:@-]{1,128}$/

interface RequestState {
  id: string
  start: number
}

const states = new WeakMap<Request, RequestState>()

/** The `X-Request-Id` of `request`, once `requestLog` has seen it. */
export const requestIdOf = (request: Request): string | undefined => states.get(request)?.id

/**
 * Gives every request an id (the client's `X-Request-Id` when it is sane), answers it in the
 * header of the same name, and writes one access-log line per request once it is answered, with
 * the request's trace id (`traceIdOf`) when it is traced.
 */
export function requestLog(logger: Logger, traceIdOf?: (request: Request) => string | undefined) {
  return new Elysia({ name: 'request-log' })
    .onRequest(({ request, set }) => {
      const sent = request.headers.get('x-request-id')
      const id = sent && REQUEST_ID.test(sent) ? sent : crypto.randomUUID()
      states.set(request, { id, start: performance.now() })
      set.headers['x-request-id'] = id
    })
    .onAfterResponse({ as: 'global' }, ({ request, set, responseValue }) => {
      const state = states.get(request)
      // A handler that returns a Response sets its status there, not in `set`.
      const status = responseValue instanceof Response ? responseValue.status : set.status
      logger.line('info', {
        reqId: state?.id,
        traceId: traceIdOf?.(request),
        method: request.method,
        path: pathOf(request),
        status: typeof status === 'number' ? status : 200,
        ms: state ? Math.round((performance.now() - state.start) * 100) / 100 : undefined,
      })
    })
}
