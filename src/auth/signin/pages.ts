/** The sign-in pages: server-rendered, no script at all, one stylesheet of ours. */
import { LOGIN_MAX, PASSWORD_MAX } from '../../core/domain'
import { type Html, html } from './html'

export const STYLESHEET = '/static/signin.css'

/**
 * Nothing but our stylesheet (and the favicon) may load; forms post only to us; no page may frame
 * these (clickjacking a password form). No script source at all: the pages have none.
 *
 * Note for the authorization endpoint: Chromium also applies `form-action` to the redirects that
 * follow a form post, so a POST /signin answered with 303 to /authorize, which then redirects to a
 * client's `redirect_uri` on another origin, is blocked unless that origin is allowed here too.
 */
export const SIGNIN_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // Each page holds a CSRF token or who is signed in: no cache may keep it.
  'cache-control': 'no-store',
  'content-security-policy': SIGNIN_CSP,
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
</form>`
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

/** A refusal in words, in an alert, with the way back to the form. */
export function messagePage(heading: string, message: string, back: string): Html {
  return html`<h1>${heading}</h1>
<p class="error" role="alert">${message}</p>
<p><a href="${back}">Back to sign-in</a></p>`
}
