/** The sign-in pages: server-rendered, no script at all, one stylesheet of ours. */
import { LOGIN_MAX, PASSWORD_MAX } from '../../core/domain'
import { type Html, html } from './html'

export const STYLESHEET = '/static/signin.css'

/**
 * Nothing but our stylesheet (and the favicon) may load; forms post only to us; no page may frame
 * these (clickjacking a password form). No script source at all: the pages have none.
 *
 * Chromium also applies `form-action` to the redirects that follow a form post: a sign-in or a
 * consent that ends at a client's `redirect_uri` on another origin is blocked unless the page
 * allows that origin too (`formTargets`).
 */
export const signInCsp = (formTargets: readonly string[] = []) =>
  [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    ["form-action 'self'", ...formTargets].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ')

/**
 * The CSP source that lets a form's redirect chain end at `uri`: its origin, for the http(s) URIs
 * that clients may register; undefined for anything else.
 */
export function formTarget(uri: string): string | undefined {
  try {
    const url = new URL(uri)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined
  } catch {
    return undefined
  }
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // Each page holds a CSRF token or who is signed in: no cache may keep it.
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
}

/** A whole page as a response; `headers` add to (or replace) the page headers. */
export function pageResponse(
  title: string,
  body: Html,
  status = 200,
  headers: Array<[string, string]> = [],
  formTargets: readonly string[] = [],
): Response {
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Mercado</title>
<link rel="stylesheet" href="${STYLESHEET}">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`
  const all = new Headers(HEADERS)
  all.set('content-security-policy', signInCsp(formTargets))
  for (const [name, value] of headers) all.append(name, value)
  return new Response(page.text, { status, headers: all })
}

export interface SignInForm {
  csrf: string
  /** Where to go after signing in; already checked (`safeNext`). */
  next: string
  /** The username or email typed last time, shown again. */
  login?: string
  error?: string
}

/** The sign-in form. With `login` filled in (after a refusal) the password field takes the focus. */
export function signInForm({ csrf, next, login = '', error }: SignInForm): Html {
  const refocus = login !== ''
  const invalid = error ? html` aria-describedby="signin-error" aria-invalid="true"` : ''
  return html`<h1>Sign in to Mercado</h1>
${error && html`<p class="error" role="alert" id="signin-error">${error}</p>`}
<form method="post" action="/signin">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="next" value="${next}">
<p><label for="username">Username or email</label>
<input id="username" name="username" type="text" value="${login}" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="${LOGIN_MAX}" required${invalid}${!refocus && html` autofocus`}></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" maxlength="${PASSWORD_MAX}" required${invalid}${refocus && html` autofocus`}></p>
<p><button type="submit">Sign in</button></p>
</form>
<p><a href="/forgot-password">Forgot your password?</a></p>`
}

/** After signing in without a place to go: who is signed in, and a way out. */
export function signedInPage(username: string, csrf: string): Html {
  return html`<h1>Signed in</h1>
<p>Signed in as <strong>${username}</strong>.</p>
<form method="post" action="/signout">
<input type="hidden" name="csrf" value="${csrf}">
<p><button type="submit">Sign out</button></p>
</form>`
}

/** A refusal in words, in an alert, with the way back to the form (or none). */
export function messagePage(heading: string, message: string, back?: string): Html {
  return html`<h1>${heading}</h1>
<p class="error" role="alert">${message}</p>
${back !== undefined && html`<p><a href="${back}">Back to sign-in</a></p>`}`
}
