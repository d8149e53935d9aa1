import { Elysia } from 'elysia'
import { bodyTooLarge } from './body'

/**
 * 413 for a body over `limit` bytes, told by its `Content-Length` before it is read. Bodies sent
 * without one (chunked) are counted while they are read, against the route's own limit, which is
 * never above `limit` (see `readText` in body.ts).
 */
export function bodyLimit(limit: number) {
  return new Elysia({ name: 'body-limit', seed: limit }).onRequest(({ request }) => {
    if (Number(request.headers.get('content-length') ?? 0) <= limit) return
    // Thrown, so that the error mapping answers it and the access log records it.
    throw bodyTooLarge(limit)
  })
}
