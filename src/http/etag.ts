import type { Context } from 'elysia'

/** The strong ETag of a resource version. */
export const etagOf = (version: number) => `"${version}"`

/** A version no resource has: what an `If-Match` naming none of ours asks for, so it never matches. */
const NO_VERSION = -1

/**
 * The version an `If-Match` header requires, or `undefined` when there is none (`*` too: any
 * current version matches). A value that names no version of ours can never match: the write then
 * answers 412, or 404 when there is no such resource at all (RFC 9110 section 13.2.2).
 */
export function requiredVersion(ifMatch: string | undefined | null): number | undefined {
  if (!ifMatch) return undefined
  const value = ifMatch.trim()
  if (value === '*') return undefined
  const match = /^"(\d{1,15})"$/.exec(value)
  return match ? Number(match[1]) : NO_VERSION
}

/** True when an `If-None-Match` header lists the current ETag (or `*`), so a GET may answer 304. */
export function notModified(ifNoneMatch: string | undefined | null, version: number): boolean {
  if (!ifNoneMatch) return false
  const etag = etagOf(version)
  return ifNoneMatch.split(',').some((tag) => {
    const v = tag.trim()
    return v === '*' || v === etag || v === `W/${etag}`
  })
}

type ResponseSet = Context['set']

/**
 * Sets the ETag of `version` on a GET's response and, when `If-None-Match` already names it, the
 * status 304 too; true in that case, and the caller then answers with no body.
 */
export function etagOrNotModified(
  set: ResponseSet,
  ifNoneMatch: string | undefined,
  version: number,
): boolean {
  set.headers.etag = etagOf(version)
  if (!notModified(ifNoneMatch, version)) return false
  set.status = 304
  return true
}

/** A created resource's answer: 201, `Location` and its first ETag. */
export function markCreated(set: ResponseSet, location: string, version: number): void {
  set.status = 201
  set.headers.location = location
  set.headers.etag = etagOf(version)
}
