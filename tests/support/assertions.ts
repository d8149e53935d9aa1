/** Assertions every suite shares: problems, JSON replies, secrets, ETags, rejections, service errors. */
import { expect } from 'bun:test'
import { HttpError } from '../../src/core/errors'
import type { Reply } from './app'

/**
 * Asserts an RFC 9457 problem with `status` (as `application/problem+json`, which takes no
 * parameters), and a field error at `pointer` when given.
 */
export function expectProblem(reply: Reply, status: number, pointer?: string): void {
  expect(reply.status).toBe(status)
  expect(reply.headers.get('content-type')).toBe('application/problem+json')
  expect(reply.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  })
  if (pointer) expect(reply.body.errors).toContainEqual(expect.objectContaining({ pointer }))
}

/** Asserts an RFC 6749 error of the token routes: 400 with `error`. */
export function expectOAuthError(reply: Reply, error: string): void {
  expect(reply.status).toBe(400)
  expect(reply.body.error).toBe(error)
}

/** Asserts a plain JSON success response. */
export function expectJson(reply: Reply, status: number): void {
  expect(reply.status).toBe(status)
  expect(reply.headers.get('content-type')).toStartWith('application/json')
}

/** Asserts that no key anywhere in `value` names a password or its hash. */
export function expectNoSecrets(value: unknown): void {
  const text = JSON.stringify(value) ?? ''
  expect(text).not.toMatch(/"password/i)
  expect(text).not.toMatch(/\$argon2/)
}

/** A strong ETag, as every single-resource response carries. */
export function etagOf(reply: Reply): string {
  const etag = reply.headers.get('etag')
  expect(etag).toMatch(/^"[^"]+"$/)
  return etag as string
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject, but it resolved')
}

/** Asserts that `promise` (a service call) rejects with an `HttpError` of `status`; returns the error. */
export async function expectHttpError(promise: Promise<unknown>, status: number): Promise<HttpError> {
  const error = await rejectionOf(promise)
  expect(error).toBeInstanceOf(HttpError)
  expect((error as HttpError).status).toBe(status)
  return error as HttpError
}

/** Retries `attempt` until it resolves, for up to five seconds. */
export async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 5_000
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await Bun.sleep(100)
    }
  }
}
