/**
 * The authorization endpoint (RFC 6749 section 3.1, OpenID Connect Core 1.0 section 3.1.2):
 * `GET`/`POST /authorize`, and `POST /authorize/consent` where the consent page answers. The
 * browser's sign-in session (the sign-in page) says who is there; a code is issued once the
 * request, the session and the consent all hold.
 */
import { Elysia } from 'elysia'
import type { AuthorizationCodeRepository, ConsentRepository } from '../../store/types'
import type { ClientDirectory } from '../client-directory'
import { type IdTokens, InvalidIdTokenHintError } from '../id-tokens'
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
import { AUTHORIZE_PATH, NEXT_MAX } from '../signin/next'
import { formTarget } from '../signin/pages'
import { Freshness } from './freshness'
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
  idTokens: IdTokens
  /** `PUBLIC_URL`: the `iss` of every authorization response (RFC 9207). */
  issuer: string
  /** `KEY_ENCRYPTION_SECRET`: keys the "sign in again first" markers (`Freshness`). */
  secret: string
  bodyLimit: number
}

/** How long a code may wait for its exchange (RFC 6749 section 4.1.2 recommends at most 10 minutes). */
export const CODE_TTL_SECONDS = 60

const hidden = { detail: { hide: true } }

type Target = { redirectUri: string; state?: string }

export function authorizeRoutes({
  clients,
  sessions,
  consents,
  codes,
  idTokens,
  issuer,
  secret,
  bodyLimit,
}: AuthorizeRoutesOptions) {
  const csrf = new Csrf(sessions.options.cookieSecure)
  const freshness = new Freshness(secret)
  const parse = parseForm(Math.min(FORM_LIMIT, bodyLimit))
  const parseParams = parseForm(Math.min(FORM_LIMIT, bodyLimit), true)

  /** The authorization response at the client: `params` plus `state` and `iss`. */
  const answer = (target: Target, params: Record<string, string | undefined>) =>
    seeOther(redirectTo(target.redirectUri, issuer, { ...params, state: target.state }))
  const refuse = (target: Target, error: AuthorizeError) =>
    answer(target, { error: error.error, error_description: error.description })

  /**
   * Sends the browser to the sign-in page, which brings it back to this request; `fresh` marks the
   * request so that only a sign-in after now satisfies it (`Freshness`).
   */
  const signIn = (params: Params, request: AuthorizationRequest, fresh: boolean) => {
    const next = `${AUTHORIZE_PATH}?${fresh ? freshness.demand(params) : params}`
    if (next.length > NEXT_MAX)
      return refuse(request, new AuthorizeError('invalid_request', 'the request is too long to sign in with'))
    const query = new URLSearchParams({ next })
    if (request.loginHint !== undefined) query.set('login_hint', request.loginHint)
    return seeOther(`/signin?${query}`)
  }

  /** A new code for `request`, signed in as `signedIn`: the response that hands it over. */
  const issueCode = async (request: AuthorizationRequest, { session, user }: SignedIn) => {
    const code = newAuthorizationCode()
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
      expiresAt: new Date(Date.now() + CODE_TTL_SECONDS * 1000),
    })
    return answer(request, { code })
  }

  /**
   * Whether the request wants a sign-in newer than the session's (`prompt=login`, or a session
   * older than `max_age`) that has not happened yet: a valid marker older than the sign-in.
   */
  const wantsFreshSignIn = (params: Params, request: AuthorizationRequest, { session }: SignedIn) => {
    const signedInAt = session.authTime.getTime()
    const demanded =
      request.prompt.has('login') ||
      (request.maxAge !== undefined && Date.now() - signedInAt > request.maxAge * 1000)
    if (!demanded) return false
    const after = freshness.demanded(params)
    return after === undefined || signedInAt < after
  }

  /** What `user` already allowed the client covers `request`: no need to ask. */
  const consented = async (request: AuthorizationRequest, { user }: SignedIn) => {
    if (request.prompt.has('consent')) return false
    if (request.client.firstParty) return true
    const consent = await consents.find(user.id, request.client.clientId)
    return consent !== null && request.scopes.every((scope) => consent.scopes.includes(scope))
  }

  /** The request, or the response that ends it here: an error page or an error at the client. */
  const read = async (params: Params): Promise<AuthorizationRequest | Response> => {
    try {
      const { request, error, target } = await readAuthorizationRequest(params, clients)
      return request ?? refuse(target, error as AuthorizeError)
    } catch (error) {
      if (error instanceof UntrustedAuthorizeRequest) return untrustedRequestPage(error.message)
      throw error
    }
  }

  /** The user `id_token_hint` names (OpenID Connect Core section 3.1.2.1), or a refusal. */
  const hintedUser = async (request: AuthorizationRequest): Promise<string | undefined | AuthorizeError> => {
    if (request.idTokenHint === undefined) return undefined
    try {
      return (await idTokens.verifyHint(request.idTokenHint)).sub
    } catch (error) {
      if (error instanceof InvalidIdTokenHintError)
        return new AuthorizeError('invalid_request', 'id_token_hint is not an ID token of this issuer')
      throw error
    }
  }

  const authorize = async (params: Params, browser: Request): Promise<Response> => {
    const request = await read(params)
    if (request instanceof Response) return request
    const hinted = await hintedUser(request)
    if (hinted instanceof AuthorizeError) return refuse(request, hinted)
    const none = request.prompt.has('none')
    const signedIn = await sessions.signInSessionOf(browser)
    const fresh = signedIn !== null && wantsFreshSignIn(params, request, signedIn)
    // Someone else than the client expects is signed in: they must sign in as the one it names.
    const otherUser = signedIn !== null && hinted !== undefined && signedIn.user.id !== hinted
    if (!signedIn || fresh || otherUser) {
      if (none) return refuse(request, new AuthorizeError('login_required', 'the user must sign in'))
      // Signed in again just now, and still not the hinted user: asking again would loop.
      if (otherUser && freshness.demanded(params) !== undefined && !fresh)
        return refuse(
          request,
          new AuthorizeError('login_required', 'signed in as another user than id_token_hint'),
        )
      return signIn(params, request, fresh || otherUser)
    }
    if (await consented(request, signedIn)) return issueCode(request, signedIn)
    if (none)
      return refuse(request, new AuthorizeError('consent_required', 'the user must allow this client'))
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
    const request = await read(params)
    if (request instanceof Response) return request
    const signedIn = await sessions.signInSessionOf(browser)
    // Signed out (or out of time) while the page was open: sign in again, then be asked again.
    if (!signedIn) return signIn(params, request, false)
    if (field(body, 'decision') !== 'allow')
      return refuse(request, new AuthorizeError('access_denied', 'the user did not allow this client'))
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
