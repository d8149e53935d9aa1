/** The recovery pages: the sign-in page's look (its stylesheet, `pageResponse`), no script. */
import { LOGIN_MAX, PASSWORD_MAX, PASSWORD_MIN } from '../../core/domain'
import { type Html, html } from '../signin/html'
import { messagePage } from '../signin/pages'
import { FORGOT_PATH, RESET_PATH } from './service'

export const signInLink = html`<p><a href="/signin">Go to sign-in</a></p>`

/** After following a verification link. */
export const verifiedPage = (username: string): Html =>
  html`<h1>Email address confirmed</h1>
<p>Thank you, <strong>${username}</strong>: your email address is confirmed.</p>
${signInLink}`

/** A link that is unknown, used, expired or no longer fits its account. */
export const deadLinkPage = (what: 'verify' | 'reset'): Html =>
  html`${messagePage('This link does not work', 'The link is invalid, was used already or has expired.')}
${
  what === 'reset'
    ? html`<p><a href="${FORGOT_PATH}">Ask for a new password reset link</a></p>`
    : html`<p>If you can sign in, ask for a new confirmation mail from your account. If you cannot (unconfirmed addresses may be refused at sign-in), <a href="${FORGOT_PATH}">ask for a password reset link</a>: choosing a new password through it confirms your address too.</p>`
}
${signInLink}`

export interface ResetForm {
  csrf: string
  token: string
  error?: string
}

/** The new password, twice; the token rides in a hidden field. */
export function resetForm({ csrf, token, error }: ResetForm): Html {
  const invalid = error ? html` aria-describedby="reset-error" aria-invalid="true"` : ''
  return html`<h1>Choose a new password</h1>
${error && html`<p class="error" role="alert" id="reset-error">${error}</p>`}
<form method="post" action="${RESET_PATH}">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="token" value="${token}">
<p><label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}" required autofocus${invalid}></p>
<p><label for="confirm">New password, again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="${PASSWORD_MIN}" maxlength="${PASSWORD_MAX}" required${invalid}></p>
<p><button type="submit">Set the new password</button></p>
</form>`
}

/** After a reset: every session is over, so the way on is to sign in. */
export const passwordChangedPage = (): Html =>
  html`<h1>Password changed</h1>
<p>Your password is changed, and you are signed out everywhere. Sign in with the new password.</p>
${signInLink}`

/** Asks for the username or email to mail a reset link to. */
export function forgotForm(csrf: string, error?: string): Html {
  const invalid = error ? html` aria-describedby="forgot-error" aria-invalid="true"` : ''
  return html`<h1>Forgot your password?</h1>
${error && html`<p class="error" role="alert" id="forgot-error">${error}</p>`}
<p>Enter your username or email. If an account matches, we mail it a link to choose a new password.</p>
<form method="post" action="${FORGOT_PATH}">
<input type="hidden" name="csrf" value="${csrf}">
<p><label for="login">Username or email</label>
<input id="login" name="login" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="${LOGIN_MAX}" required autofocus${invalid}></p>
<p><button type="submit">Mail me a link</button></p>
</form>
${signInLink}`
}

/** The same answer whether or not an account matched. */
export const resetRequestedPage = (): Html =>
  html`<h1>Check your mail</h1>
<p>If an account matches what you entered, we have sent it a link to choose a new password. It works once, for a short time.</p>
${signInLink}`
