/**
 * A browser as far as the HTML pages care: a cookie jar (name to value, no paths or expiry: the
 * pages' cookies are all `Path=/`) over `app.handle`, and the hidden CSRF field of a form page.
 */
import type { App } from '../../src/app'

export interface PageReply {
  status: number
  headers: Headers
  text: string
}

export class Browser {
  readonly cookies = new Map<string, string>()

  constructor(
    private readonly app: App,
    /** Headers on every request, such as `x-forwarded-for`. */
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(
    method: string,
    path: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    const all = new Headers({ ...this.headers, ...headers })
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    if (cookie && !all.has('cookie')) all.set('cookie', cookie)
    if (form) all.set('content-type', 'application/x-www-form-urlencoded')
    const body = form ? new URLSearchParams(form).toString() : undefined
    const response = await this.app.handle(
      new Request(`http://localhost${path}`, { method, headers: all, body }),
    )
    for (const set of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = set.split('; ')
      const at = pair.indexOf('=')
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)]
      if (attributes.includes('Max-Age=0')) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return { status: response.status, headers: response.headers, text: await response.text() }
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers)
  post = (path: string, form: Record<string, string>, headers?: Record<string, string>) =>
    this.request('POST', path, form, headers)
}

/** The value of the hidden `csrf` field of a form page. */
export function csrfOf(page: PageReply): string {
  const token = /name="csrf" value="([^"]*)"/.exec(page.text)?.[1]
  if (token === undefined) throw new Error(`no CSRF field in the page (status ${page.status})`)
  return token
}
