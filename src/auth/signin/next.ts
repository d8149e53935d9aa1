/** Where the sign-in page may send the browser afterwards: somewhere on this site, nowhere else. */

/** The page for a sign-in without a (valid) place to go. */
export const SIGNED_IN_PATH = '/signin/done'

export const NEXT_MAX = 4096
/** Printable ASCII without space or backslash: what a `Location` of ours may hold. */
const PLAIN = /^[\x21-\x5b\x5d-\x7e]+$/
const BASE = 'http://mercado.invalid'

/**
 * `next` when it is a path of this site, else undefined. It must start with one `/` (not `//` nor
 * `/\`, which browsers read as another host), and hold no space, control character or backslash:
 * browsers drop tabs and newlines from URLs (`/\t/evil.example` becomes `//evil.example`) and read
 * `\` as `/`. Resolved against a placeholder origin as a last check that it stays on it.
 */
export function safeNext(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > NEXT_MAX || !PLAIN.test(next)) return undefined
  if (!next.startsWith('/') || next.startsWith('//')) return undefined
  try {
    return new URL(next, BASE).origin === BASE ? next : undefined
  } catch {
    return undefined
  }
}

/** The path of the authorization endpoint, which sends browsers here to sign in and comes back. */
export const AUTHORIZE_PATH = '/authorize'

/**
 * The `redirect_uri` that `next` will end at, when `next` is an authorization request: the sign-in
 * form's CSP must let its redirect chain go there (`formTarget`).
 */
export function redirectUriOf(next: string | undefined): string | undefined {
  if (next === undefined) return undefined
  const url = new URL(next, BASE)
  return url.pathname === AUTHORIZE_PATH ? (url.searchParams.get('redirect_uri') ?? undefined) : undefined
}
