import { preconditionFailed } from './errors'

/** The strong ETag of a resource version. */
export const etagOf = (version: number) => `"${version}"`

/**
 * The version an `If-Match` header requires, or `undefined` when there is none (`*` too: any
 * current version matches). A value that names no version of ours can never match: 412.
 */
export function requiredVersion(ifMatch: string | undefined | null): number | undefined {
  if (!ifMatch) return undefined
  const value = ifMatch.trim()
  if (value === '*') return undefined
  const match = /^"(\d{1,15})"$/.exec(value)
  if (!match) throw preconditionFailed()
  return Number(match[1])
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
