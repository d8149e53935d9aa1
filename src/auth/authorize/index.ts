/**
 * The authorization endpoint (RFC 6749 section 3.1, OpenID Connect Core 1.0 section 3.1.2):
 * `GET`/`POST /authorize`, and `POST /authorize/consent` where the consent page answers. The
 * browser's sign-in session (the sign-in page) says who is there; a code is issued once the
 * request, the session and the consent all hold.
 */
import { Elysia } from 'elysia'
import type { AuthorizationCodeRepository, ConsentRepository } from '../../store/types'
import type { ClientDirectory } from '../client-directory'
import { hashAuthorizationCode, newAuthorizationCode } from '../pkce'
import {
  FORM_LIMIT,
  field,
  forbiddenPage,
  orRefusalPage,
  parseForm,
  type SignedIn,
  type SignInSessions,
  seeOther,
} from '../signin'
import { Csrf } from '../signin/csrf'
import { AUTHORIZE_PATH } from '../signin/next'
import { formTarget } from '../signin/pages'
import { consentPage, untrustedRequestPage } from './pages'
import {
  type AuthorizationRequest,
  AuthorizeError,
  type Params,
  readAuthorizationRequest,
  redirectTo,
  UntrustedAuthorizeRequest,
} from './request'

export interface AuthorizeRoutesOptions {
  clients: ClientDirectory
  sessions: SignInSessions
  consents: ConsentRepository
  codes: AuthorizationCodeRepository
  /** `PUBLIC_URL`: the `iss` of every authorization response (RFC 9207). */
  issuer: string
  bodyLimit: number
}

/** How long a code may wait for its exchange (RFC 6749 section 4.1.2 recommends at most 10 minutes). */
export const CODE_TTL_SECONDS = 60

/**
 * `max_age` below this counts as this: the time it takes to come back from the sign-in page that
 * a stale session was sent to. The same as openid-client's default clock tolerance, which the
 * client checks `auth_time` with.
 */
const FRESH_SIGN_IN_SECONDS = 30

const hidden = { detail: { hide: true } }

export function authorizeRoutes({
  clients,
  sessions,
  consents,
  codes,
  issuer,
  bodyLimit,
}: AuthorizeRoutesOptions) {
  const csrf = new Csrf(sessions.options.cookieSecure)
  const parse = parseForm(Math.min(FORM_LIMIT, bodyLimit))
  const parseParams = parseForm(Math.min(FORM_LIMIT, bodyLimit), true)

  /** The authorization response at the client: `params` plus `iss`. */
  const answer = (
    target: { redirectUri: string; state?: string },
    params: Record<string, string | undefined>,
  ) => seeOther(redirectTo(target.redirectUri, issuer, { ...params, state: target.state }))
  const refuse = (target: { redirectUri: string; state?: string }, error: AuthorizeError) =>
    answer(target, { error: error.error, error_description: error.description })

  /** Sends the browser to the sign-in page, which brings it back to this request (minus `prompt=login`). */
  const signIn = (params: Params, request: AuthorizationRequest) => {
    const back = new URLSearchParams(params)
    const prompt = [...request.prompt].filter((p) => p !== 'login')
    if (prompt.length > 0) back.set('prompt', prompt.join(' '))
    else back.delete('prompt')
    const query = new URLSearchParams({ next: `${AUTHORIZE_PATH}?${back}` })
    if (request.loginHint !== undefined) query.set('login_hint', request.loginHint)
    return seeOther(`/signin?${query}`)
  }

  /** A new code for `request`, signed in as `signedIn`: the response that hands it over. */
  const issueCode = async (request: AuthorizationRequest, { session, user }: SignedIn) => {
    const code = newAuthorizationCode()
    const now = Date.now()
    await codes.insert({
      codeHash: hashAuthorizationCode(code),
      clientId: request.client.clientId,
      userId: user.id,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      scopes: request.scopes,
      signInSessionId: session.id,
      authTime: session.authTime,
      userSessionVersion: user.sessionVersion,
      chainId: crypto.randomUUID(),
      expiresAt: new Date(now + CODE_TTL_SECONDS * 1000),
    })
    return answer(request, { code })
  }

  /** Whether the session is too old for the request: `prompt=login` is handled by `signIn`. */
  const stale = (request: AuthorizationRequest, { session }: SignedIn) =>
    request.maxAge !== undefined &&
    Date.now() - session.authTime.getTime() > Math.max(request.maxAge, FRESH_SIGN_IN_SECONDS) * 1000

  /** What `user` already allowed the client covers `request`: no need to ask. */
  const consented = async (request: AuthorizationRequest, { user }: SignedIn) => {
    if (request.client.firstParty) return true
    if (request.prompt.has('consent')) return false
    const consent = await consents.find(user.id, request.client.clientId)
    return consent !== null && request.scopes.every((scope) => consent.scopes.includes(scope))
  }

  const authorize = async (params: Params, browser: Request): Promise<Response> => {
    let read: Awaited<ReturnType<typeof readAuthorizationRequest>>
    try {
      read = await readAuthorizationRequest(params, clients)
    } catch (error) {
      if (error instanceof UntrustedAuthorizeRequest) return untrustedRequestPage(error.message)
      throw error
    }
    const { request, error, target } = read
    if (!request) return refuse(target, error as AuthorizeError)
    const none = request.prompt.has('none')
    const signedIn = await sessions.signInSessionOf(browser)
    if (!signedIn || request.prompt.has('login') || stale(request, signedIn)) {
      if (none) return refuse(target, new AuthorizeError('login_required', 'the user must sign in'))
      return signIn(params, request)
    }
    if (await consented(request, signedIn)) return issueCode(request, signedIn)
    if (none) return refuse(target, new AuthorizeError('consent_required', 'the user must allow this client'))
    const { token, setCookie } = csrf.issue(browser)
    const redirectTarget = formTarget(request.redirectUri)
    return consentPage(
      {
        csrf: token,
        request: params.toString(),
        clientName: request.client.name,
        username: signedIn.user.username,
        scopes: request.scopes,
      },
      setCookie ? [['set-cookie', setCookie]] : [],
      redirectTarget ? [redirectTarget] : [],
    )
  }

  /** The consent page's answer: the request it was about is read and checked again. */
  const decide = async (body: unknown, browser: Request): Promise<Response> => {
    if (!csrf.accepts(browser, field(body, 'csrf'))) return forbiddenPage(undefined)
    const params = new URLSearchParams(field(body, 'request'))
    let read: Awaited<ReturnType<typeof readAuthorizationRequest>>
    try {
      read = await readAuthorizationRequest(params, clients)
    } catch (error) {
      if (error instanceof UntrustedAuthorizeRequest) return untrustedRequestPage(error.message)
      throw error
    }
    const { request, error, target } = read
    if (!request) return refuse(target, error as AuthorizeError)
    const signedIn = await sessions.signInSessionOf(browser)
    // Signed out (or out of time) while the page was open: sign in again, then be asked again.
    if (!signedIn) return signIn(params, request)
    if (field(body, 'decision') !== 'allow')
      return refuse(target, new AuthorizeError('access_denied', 'the user did not allow this client'))
    await consents.grant(signedIn.user.id, request.client.clientId, request.scopes, new Date())
    return issueCode(request, signedIn)
  }

  return new Elysia()
    .get(
      AUTHORIZE_PATH,
      ({ request }) => orRefusalPage(() => authorize(new URL(request.url).searchParams, request)),
      hidden,
    )
    .post(
      AUTHORIZE_PATH,
      ({ body, request }) => orRefusalPage(() => authorize(body as URLSearchParams, request)),
      { parse: parseParams, ...hidden },
    )
    .post(`${AUTHORIZE_PATH}/consent`, ({ body, request }) => orRefusalPage(() => decide(body, request)), {
      parse,
      ...hidden,
    })
}
