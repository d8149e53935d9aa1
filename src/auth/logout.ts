/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), the `end_session_endpoint`:
 * `GET`/`POST /logout` with `id_token_hint`, `post_logout_redirect_uri`, `state`, `client_id`.
 * With a valid hint the browser's sign-in session and the hinted session at the client (its
 * refresh chain and access tokens) end at once; without one the person is asked first, so that
 * no other site can sign them out with a link. A redirect goes only to a URI the client
 * registered; anything untrustworthy is an error page.
 */
import { Elysia } from 'elysia'
import type { ClientDirectory } from './client-directory'
import { type IdTokenHint, type IdTokens, InvalidIdTokenHintError } from './id-tokens'
import type { AuthService } from './service'
import { FORM_LIMIT, field, orRefusalPage, parseForm, type SignInSessions, seeOther } from './signin'
import { Csrf } from './signin/csrf'
import { html } from './signin/html'
import { formTarget, messagePage, pageResponse } from './signin/pages'

export const LOGOUT_PATH = '/logout'

export interface LogoutRoutesOptions {
  auth: AuthService
  sessions: SignInSessions
  clients: ClientDirectory
  idTokens: IdTokens
  bodyLimit: number
}

class LogoutRefused extends Error {}

const hidden = { detail: { hide: true } }

const refusedPage = (reason: string) =>
  pageResponse(
    'Sign-out refused',
    messagePage('This sign-out request cannot be completed', `${reason} Nothing was changed.`),
    400,
  )

const signedOutPage = (cookie: string) =>
  pageResponse(
    'Signed out',
    html`<h1>Signed out</h1>
<p>You are signed out of Mercado.</p>
<p><a href="/signin">Sign in again</a></p>`,
    200,
    [['set-cookie', cookie]],
  )

export function logoutRoutes({ auth, sessions, clients, idTokens, bodyLimit }: LogoutRoutesOptions) {
  const csrf = new Csrf(sessions.options.cookieSecure)
  const parse = parseForm(Math.min(FORM_LIMIT, bodyLimit))

  /** The hint, and where to go after: a registered `post_logout_redirect_uri` with `state`, or nowhere. */
  const read = async (params: Record<string, string>) => {
    let hint: IdTokenHint | undefined
    if (params.id_token_hint) {
      try {
        hint = await idTokens.verifyHint(params.id_token_hint)
      } catch (error) {
        if (error instanceof InvalidIdTokenHintError)
          throw new LogoutRefused(`The id_token_hint is not usable: ${error.message}.`)
        throw error
      }
    }
    const clientId = params.client_id || hint?.clientId
    if (params.client_id && hint && hint.clientId !== params.client_id)
      throw new LogoutRefused('The id_token_hint was issued to another client than client_id.')
    const uri = params.post_logout_redirect_uri
    if (!uri) return { hint, redirect: undefined }
    if (!clientId) throw new LogoutRefused('A post_logout_redirect_uri needs client_id or id_token_hint.')
    const client = await clients.findById(clientId)
    if (!client?.postLogoutRedirectUris.includes(uri))
      throw new LogoutRefused('The post_logout_redirect_uri is not one this application registered.')
    const url = new URL(uri)
    if (params.state) url.searchParams.append('state', params.state)
    return { hint, redirect: url.href }
  }

  /**
   * Ends the browser's session and the hinted one. A hint naming another user than the one
   * signed in here is not enough to sign that one out: they are asked (RP-Initiated Logout
   * section 2), unless they just confirmed.
   */
  const signOut = async (
    browser: Request,
    params: Record<string, string>,
    hint: IdTokenHint | undefined,
    redirect: string | undefined,
    confirmed: boolean,
  ) => {
    const signedIn = await sessions.signInSessionOf(browser)
    if (!confirmed && hint && signedIn && signedIn.user.id !== hint.sub)
      return confirmPage(browser, params, redirect)
    const cookie = await sessions.end(browser)
    if (hint?.sid) await auth.endChain(hint.sub, hint.sid)
    return redirect ? seeOther(redirect, cookie) : signedOutPage(cookie)
  }

  /** Without a hint: ask, with a form that comes back here with the CSRF token. */
  const confirmPage = (browser: Request, params: Record<string, string>, redirect: string | undefined) => {
    const { token, setCookie } = csrf.issue(browser)
    const keep = ['id_token_hint', 'post_logout_redirect_uri', 'client_id', 'state'].filter(
      (name) => params[name],
    )
    const target = redirect ? formTarget(redirect) : undefined
    return pageResponse(
      'Sign out?',
      html`<h1>Sign out of Mercado?</h1>
<form method="post" action="${LOGOUT_PATH}">
<input type="hidden" name="csrf" value="${token}">
${keep.map((name) => html`<input type="hidden" name="${name}" value="${params[name] ?? ''}">\n`)}<p><button type="submit" autofocus>Sign out</button></p>
</form>`,
      200,
      setCookie ? [['set-cookie', setCookie]] : [],
      target ? [target] : [],
    )
  }

  const endSession = async (params: Record<string, string>, browser: Request, confirmed: boolean) => {
    try {
      const { hint, redirect } = await read(params)
      if (hint || confirmed) return await signOut(browser, params, hint, redirect, confirmed)
      return confirmPage(browser, params, redirect)
    } catch (error) {
      if (error instanceof LogoutRefused) return refusedPage(error.message)
      throw error
    }
  }

  return new Elysia()
    .get(
      LOGOUT_PATH,
      ({ request }) =>
        orRefusalPage(() =>
          endSession(Object.fromEntries(new URL(request.url).searchParams), request, false),
        ),
      hidden,
    )
    .post(
      LOGOUT_PATH,
      ({ body, request }) =>
        orRefusalPage(async () => {
          const params = body as Record<string, string>
          // The confirmation form carries a CSRF token; a client's own POST carries the hint instead.
          if (params.csrf !== undefined && !csrf.accepts(request, field(body, 'csrf')))
            return refusedPage('This form has expired or did not come from this site.')
          return endSession(params, request, params.csrf !== undefined)
        }),
      { parse, ...hidden },
    )
}
