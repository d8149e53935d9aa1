/** The pages of the authorization endpoint: the consent question and the refusal that redirects nowhere. */
import type { ApiScope } from '../../core/domain'
import { type Html, html } from '../signin/html'
import { messagePage, pageResponse } from '../signin/pages'

/** What each scope lets the application do, in the words the consent page asks them in. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Know who you are on Mercado',
  profile: 'See your username and your name',
  email: 'See your email address',
  offline_access: 'Stay connected when you are not using it (until you remove its access)',
  'products:read': 'Read products',
  'products:write': 'Create, change and delete your products',
  'users:read': 'Read your account',
  'users:write': 'Change your account and end your sessions',
  'clients:read': 'Read the registered applications (if you are an admin)',
  'clients:write': 'Register, change and delete applications (if you are an admin)',
  'keys:write': 'Rotate the signing keys (if you are an admin)',
} satisfies Record<ApiScope, string> & Record<string, string>

export const scopeInWords = (scope: string) => SCOPE_WORDS[scope] ?? scope

export interface ConsentForm {
  csrf: string
  /** The authorization request, as parameters, posted back with the answer. */
  request: string
  clientName: string
  username: string
  scopes: readonly string[]
}

/** The consent question: who asks, for what, and two buttons. */
export function consentForm({ csrf, request, clientName, username, scopes }: ConsentForm): Html {
  return html`<h1>Allow ${clientName}?</h1>
<p><strong>${clientName}</strong> asks to use your Mercado account <strong>${username}</strong> to:</p>
<ul>
${scopes.map((scope) => html`<li>${scopeInWords(scope)}</li>\n`)}</ul>
<p>You can remove its access at any time (<code>DELETE /users/me/consents/{client_id}</code>).</p>
<form method="post" action="/authorize/consent">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="request" value="${request}">
<p><button type="submit" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form>`
}

/**
 * An authorization request that cannot be answered at its client (an unknown client or redirect
 * URI): said to the person, and nothing is sent anywhere (RFC 6749 section 4.1.2.1).
 */
export const untrustedRequestPage = (reason: string) =>
  pageResponse(
    'Sign-in request refused',
    messagePage(
      'This sign-in request cannot be completed',
      `${reason} Go back to the application and try again, or tell its developers.`,
    ),
    400,
  )

export const consentPage = (form: ConsentForm, headers: Array<[string, string]>, formTargets: string[]) =>
  pageResponse(`Allow ${form.clientName}?`, consentForm(form), 200, headers, formTargets)
