/**
 * "Sign in again first" (`prompt=login`, a `max_age` the session is too old for), carried through
 * the sign-in page without server state: the authorization request sent to `/signin` gets a
 * `fresh_after` marker, the time of the demand with an HMAC over that time and the rest of the
 * request. Coming back, the session's sign-in must be later than that time. Someone at the
 * keyboard cannot strip the demand (the request still says `prompt=login`), move its time back
 * (the MAC) or reuse another request's marker (the MAC covers the request).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

/** The marker's parameter; any value it has when it arrives from elsewhere is simply invalid. */
export const FRESH_PARAM = 'fresh_after'

export class Freshness {
  readonly #key: Buffer

  /** `secret`: `KEY_ENCRYPTION_SECRET`, from which a key of its own is derived (HKDF-SHA-256). */
  constructor(secret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'mercado', 'authorize freshness marker', 32))
  }

  #mac(time: number, params: URLSearchParams): Buffer {
    const rest = new URLSearchParams(params)
    rest.delete(FRESH_PARAM)
    rest.sort()
    return createHmac('sha256', this.#key).update(`${time}\n${rest}`).digest()
  }

  /** `params` with a marker demanding a sign-in after now (any marker it had is replaced). */
  demand(params: URLSearchParams, now = Date.now()): URLSearchParams {
    const marked = new URLSearchParams(params)
    marked.set(FRESH_PARAM, `${now}.${this.#mac(now, params).toString('base64url')}`)
    return marked
  }

  /** The time a valid marker of `params` demands a sign-in after, or undefined. */
  demanded(params: URLSearchParams): number | undefined {
    const values = params.getAll(FRESH_PARAM)
    const [time, mac] = (values.length === 1 ? (values[0] as string) : '').split('.')
    if (!time || !mac || !/^\d{1,15}$/.test(time)) return undefined
    const expected = this.#mac(Number(time), params)
    const given = Buffer.from(mac, 'base64url')
    return given.length === expected.length && timingSafeEqual(given, expected) ? Number(time) : undefined
  }
}
