/** The baseline: a bare Elysia app with one small JSON route, as fast as this stack gets. */
import { Elysia } from 'elysia'

new Elysia()
  .get('/health', () => ({ status: 'ok' }))
  .listen({ port: Number(process.env.PORT), hostname: '127.0.0.1' })
