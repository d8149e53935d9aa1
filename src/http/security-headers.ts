import { Elysia } from 'elysia'

/**
 * Headers every response carries. Set once as the app's default headers (Elysia copies them into
 * each request's `set.headers` when it builds the context): no hook, no work per request.
 * `nosniff`: a browser takes each body as its declared type, never guesses script or HTML from it.
 */
export const securityHeaders = () =>
  new Elysia({ name: 'security-headers' }).headers({ 'x-content-type-options': 'nosniff' })
