import { Elysia } from 'elysia'
import { HttpError } from '../core/errors'
import { bodyTooLarge } from './body'

/**
 * The longest request target (path and query) the service reads: 414 beyond it. Ours need a few
 * hundred characters. Bun itself refuses a request head (request line and headers) over 16 KiB with
 * a bare 431 that the app never sees (docs/api.md, Errors).
 */
export const URL_LIMIT = 8 * 1024

/**
 * Refusals before routing, from the request line and headers alone: 414 for a request target
 * longer than `URL_LIMIT`, 413 for a body whose `Content-Length` is over `bodyLimit`. Bodies sent
 * without one (chunked) are counted while they are read, against the route's own limit, which is
 * never above `bodyLimit` (see `readText` in body.ts).
 */
export function bodyLimit(bodyLimit: number) {
  return new Elysia({ name: 'body-limit', seed: bodyLimit }).onRequest(({ request }) => {
    const url = request.url
    // `url` holds the origin too; only a long one needs the exact count.
    if (url.length > URL_LIMIT && url.length - url.indexOf('/', url.indexOf('//') + 2) > URL_LIMIT) {
      throw new HttpError(414, `the path and query are longer than ${URL_LIMIT} characters`)
    }
    if (Number(request.headers.get('content-length') ?? 0) <= bodyLimit) return
    // Thrown, so that the error mapping answers it and the access log records it.
    throw bodyTooLarge(bodyLimit)
  })
}
