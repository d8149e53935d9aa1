import { Elysia, t } from 'elysia'
import { version } from '../../package.json'
import { problems } from '../http/schemas'
import type { Store } from '../store/types'

/** `GET /`, `/health` and `/ready` (docs/api.md, Service). */
export const healthRoutes = (store: Store) =>
  new Elysia({ tags: ['service'] })
    .get('/', () => ({ name: 'mercado', version, docs: '/swagger', openapi: '/swagger/json' }), {
      response: {
        200: t.Object({ name: t.String(), version: t.String(), docs: t.String(), openapi: t.String() }),
      },
      detail: { summary: 'Service information', operationId: 'getServiceInfo' },
    })
    .get('/health', () => ({ status: 'ok' as const }), {
      response: { 200: t.Object({ status: t.Literal('ok') }) },
      detail: { summary: 'Liveness: answers while the process runs', operationId: 'getHealth' },
    })
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
          summary: 'Readiness: 200 when the store answers, 503 when it does not',
          operationId: 'getReady',
        },
      },
    )
