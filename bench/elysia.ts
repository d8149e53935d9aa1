/** `bun bench/elysia.ts`: a bare Elysia app answering `/health` with the same small JSON as Mercado's. */
import { Elysia } from 'elysia'

new Elysia()
  .get('/health', () => ({ status: 'ok' }))
  .listen({ port: Number(process.env.PORT), hostname: '127.0.0.1' })
