import { Elysia, t } from 'elysia'
import { version } from '../../package.json'
import { HttpError } from '../core/errors'
import { problems } from '../http/schemas'
import type { Store } from '../store/types'
import type { Probes } from './probes'

export { Probes } from './probes'

/** How long a client refused at shutdown should wait: by then this instance no longer listens. */
const RETRY_AFTER_SHUTDOWN = '1'

/**
 * From the shutdown signal on, every request is answered 503 with `Connection: close`, before
 * anything else runs: the client learns in its own connection that it has to go elsewhere, and
 * that nothing it sent was carried out (docs/api.md, Operation). Mounted after CORS, so that a
 * browser can read the 503, and before every plugin or route that does work.
 */
export const drainGuard = (probes: Probes) =>
  new Elysia().onRequest(() => {
    if (probes.refuses()) {
      throw new HttpError(503, 'the service is shutting down; retry shortly', {
        connection: 'close',
        'retry-after': RETRY_AFTER_SHUTDOWN,
      })
    }
  })

/** `GET /`, `/health` and `/ready` (docs/api.md, Service). */
export const healthRoutes = (store: Store, probes: Probes) =>
  new Elysia({ tags: ['service'] })
    .get('/', () => ({ name: 'mercado', version, docs: '/swagger', openapi: '/swagger/json' }), {
      response: {
        200: t.Object({ name: t.String(), version: t.String(), docs: t.String(), openapi: t.String() }),
      },
      detail: { summary: 'Service information', operationId: 'getServiceInfo' },
    })
    .get(
      '/health',
      () => {
        // Liveness: only what a restart would cure. Never the store: an outage is not cured by
        // restarting every instance at once.
        const stalled = probes.stalledMs()
        if (stalled > 0) throw new HttpError(503, `the event loop stalled for ${stalled} ms`)
        return { status: 'ok' as const }
      },
      {
        response: { 200: t.Object({ status: t.Literal('ok') }), ...problems(503) },
        detail: {
          summary: 'Liveness: 200 unless the event loop is stuck',
          operationId: 'getHealth',
        },
      },
    )
    .get(
      '/ready',
      async () => {
        await store.ping()
        return { status: 'ready' as const, store: store.kind }
      },
      {
        response: {
          200: t.Object({
            status: t.Literal('ready'),
            store: t.Union([t.Literal('mongodb'), t.Literal('sqlite')]),
          }),
          ...problems(503),
        },
        detail: {
          summary: 'Readiness: 200 when the store can read and write, 503 when it cannot',
          operationId: 'getReady',
        },
      },
    )
