/**
 * CSRF protection of the sign-in and sign-out forms, two independent checks:
 *
 * 1. A double-submit token: a random 256-bit value in an `HttpOnly`, `SameSite=Strict` cookie and
 *    in a hidden field of the form, compared in constant time. Another site can make a browser post
 *    the form but cannot read or set the cookie, so it cannot fill the field. Over https the cookie
 *    is `__Host-` prefixed, which a sibling subdomain or a plain-http page cannot overwrite
 *    ("cookie tossing"); over plain http (development) that protection does not exist. No server
 *    state: any instance checks any form. A synchronizer token bound to a server session was
 *    rejected because there is no session before the sign-in, which is exactly the form to
 *    protect (login CSRF: signing a victim into the attacker's account).
 * 2. Fetch metadata: a browser that sends `Sec-Fetch-Site` must say `same-origin`; one that sends
 *    only `Origin` must name this host. A request with neither (an old browser, curl) relies on 1.
 *
 * The token is reused while its cookie lasts (the browser session), so that two open tabs do not
 * invalidate each other's forms.
 */
import { timingSafeEqual } from 'node:crypto'
import { randomToken, setCookie, tokenCookie } from './cookies'

export class Csrf {
  readonly cookieName: string

  constructor(private readonly secure: boolean) {
    this.cookieName = secure ? '__Host-mercado_csrf' : 'mercado_csrf'
  }

  /** The token for a form: the browser's own if it has one, else a new one with its `Set-Cookie`. */
  issue(request: Request): { token: string; setCookie?: string } {
    const held = tokenCookie(request, this.cookieName)
    if (held) return { token: held }
    const token = randomToken()
    return {
      token,
      setCookie: setCookie(this.cookieName, token, { sameSite: 'Strict', secure: this.secure }),
    }
  }

  /** Whether a form post carries the cookie's token and comes from one of our own pages. */
  accepts(request: Request, field: unknown): boolean {
    if (!sameOrigin(request)) return false
    const cookie = tokenCookie(request, this.cookieName)
    if (!cookie || typeof field !== 'string') return false
    const [expected, sent] = [Buffer.from(cookie), Buffer.from(field)]
    return expected.length === sent.length && timingSafeEqual(expected, sent)
  }
}

function sameOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site')
  if (site !== null) return site === 'same-origin'
  const origin = request.headers.get('origin')
  if (origin === null) return true
  try {
    return new URL(origin).host === new URL(request.url).host
  } catch {
    // `Origin: null` (a sandboxed frame, a privacy-sensitive redirect) and garbage alike.
    return false
  }
}
