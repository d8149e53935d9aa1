/**
 * Reading and writing the two cookies of the sign-in pages. Written out rather than through
 * Elysia's `cookie` context (or the `cookie` package behind it): the pages answer plain
 * `Response`s, and two fixed attribute lists are clearer spelled out than as option objects.
 */

/** A random 256-bit value, base64url (43 characters): session cookies and CSRF tokens. */
export const randomToken = (): string =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')

const TOKEN = /^[A-Za-z0-9_-]{43}$/

/**
 * The value of cookie `name` if it looks like one of our tokens, else undefined. The first one
 * wins, as RFC 6265 sorts the more specific path first.
 */
export function tokenCookie(request: Request, name: string): string | undefined {
  for (const pair of (request.headers.get('cookie') ?? '').split(';')) {
    const at = pair.indexOf('=')
    if (at < 0 || pair.slice(0, at).trim() !== name) continue
    const value = pair.slice(at + 1).trim()
    return TOKEN.test(value) ? value : undefined
  }
  return undefined
}

export interface CookieOptions {
  sameSite: 'Strict' | 'Lax'
  secure: boolean
  /** Seconds; without it the cookie ends with the browser session. */
  maxAge?: number
}

/** A `Set-Cookie` value: always `Path=/` and `HttpOnly`, no `Domain` (host-only). */
export function setCookie(name: string, value: string, { sameSite, secure, maxAge }: CookieOptions): string {
  return [
    `${name}=${value}`,
    'Path=/',
    ...(maxAge === undefined ? [] : [`Max-Age=${maxAge}`]),
    'HttpOnly',
    ...(secure ? ['Secure'] : []),
    `SameSite=${sameSite}`,
  ].join('; ')
}

/** A `Set-Cookie` value that removes cookie `name`. */
export const clearCookie = (name: string, options: Omit<CookieOptions, 'maxAge'>): string =>
  setCookie(name, '', { ...options, maxAge: 0 })
