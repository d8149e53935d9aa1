import { Elysia } from 'elysia'
import { HttpError } from '../core/errors'

/**
 * 413 for a body over `limit` bytes, told by its `Content-Length` before it is read. Bodies sent
 * without one (chunked) are cut by Bun's `maxRequestBodySize` (see index.ts).
 */
export function bodyLimit(limit: number) {
  return new Elysia({ name: 'body-limit', seed: limit }).onRequest(({ request }) => {
    if (Number(request.headers.get('content-length') ?? 0) <= limit) return
    // Thrown, so that the error mapping answers it and the access log records it.
    throw new HttpError(413, `the body is larger than the limit of ${limit} bytes`, { connection: 'close' })
  })
}
