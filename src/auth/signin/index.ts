/**
 * The sign-in page (issue #12): `GET/POST /signin`, `GET /signin/done`, `POST /signout`. HTML for
 * browsers, no script; the session it starts is what the authorization endpoint will read through
 * `SignInSessions.signInSessionOf`.
 */
import { Elysia } from 'elysia'
import { LOGIN_MAX, PASSWORD_MAX, textLength } from '../../core/domain'
import { HttpError } from '../../core/errors'
import { parseFormText, readText, refuseDeclaredOversize, takes } from '../../http/body'
import { clientAddress } from '../../http/client-address'
import { requestIdOf } from '../../http/request-log'
import { StoreUnavailableError } from '../../store/errors'
import { type AuthService, CredentialsRefused } from '../service'
import { Csrf } from './csrf'
import { redirectUriOf, SIGNED_IN_PATH, safeNext } from './next'
import { formTarget, messagePage, pageResponse, signedInPage, signInForm } from './pages'
import type { SignInSessions } from './sessions'

export { hashSessionToken, SESSION_COOKIE, type SignedIn, SignInSessions } from './sessions'

export interface SignInRoutesOptions {
  auth: AuthService
  sessions: SignInSessions
  /** Take the client address from `X-Forwarded-For` (the login throttle keys on it). */
  trustProxy: boolean
  /** `BODY_LIMIT`: no form above it is read. */
  bodyLimit: number
}

/** A sign-in form: a login and a password of at most 254 and 128 characters, a token and a path. */
export const FORM_LIMIT = 8 * 1024
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i
const BAD_CREDENTIALS = 'Incorrect username, email or password.'
const MISSING = 'Enter your username or email, and your password.'
const UNVERIFIED =
  'Your email address is not verified yet. Follow the link in the mail we sent you, or reset your password at /forgot-password (that confirms the address too), then sign in again.'
/** The Retry-After of a 503 that does not bring its own. */
const RETRY_AFTER_UNAVAILABLE = 5

const hidden = { detail: { hide: true } }

/**
 * The forms' parser: a form of at most `limit` bytes, else a problem (413, 415, 400), as fields;
 * `asParams` keeps it as parameters, repeated ones included (the authorization endpoint refuses
 * those, RFC 6749 section 3.1).
 */
export const parseForm = (limit: number, asParams = false) =>
  takes(['application/x-www-form-urlencoded'], async ({ request }: { request: Request }) => {
    refuseDeclaredOversize(request, limit)
    const type = request.headers.get('content-type') ?? ''
    if (!FORM_TYPE.test(type)) throw new HttpError(415, `content type "${type || 'none'}" is not a form`)
    const text = await readText(request, limit)
    const fields = parseFormText(text)
    return asParams ? new URLSearchParams(text) : fields
  })

export const field = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | null)?.[name]
  return typeof value === 'string' ? value : ''
}

const signInLink = (next: string | undefined) =>
  next ? `/signin?next=${encodeURIComponent(next)}` : '/signin'

/** 303 to `location`, with `Set-Cookie` values when given; never cached. */
export function seeOther(location: string, ...cookies: string[]): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' })
  for (const cookie of cookies) headers.append('set-cookie', cookie)
  return new Response(null, { status: 303, headers })
}

/** The refusal of a form whose CSRF check failed: nothing was done. */
export const forbiddenPage = (next: string | undefined) =>
  pageResponse(
    'Sign-in refused',
    messagePage(
      'Please try again',
      'This form has expired or did not come from this site, so nothing was done. Go back to the sign-in page and try again.',
      signInLink(next),
    ),
    403,
  )

/**
 * 429 (the login throttle) and 503 (no password slot, or the store is down) as pages a person can
 * read; any other error is thrown on, to the app's error mapping.
 */
function refusalPage(error: unknown, next: string | undefined): Response {
  const status = error instanceof HttpError ? error.status : error instanceof StoreUnavailableError ? 503 : 0
  if (status !== 429 && status !== 503) throw error
  const given = Number(error instanceof HttpError ? error.headers['retry-after'] : undefined)
  const seconds = Number.isFinite(given) && given > 0 ? given : RETRY_AFTER_UNAVAILABLE
  const minutes = Math.max(1, Math.ceil(seconds / 60))
  const body =
    status === 429
      ? messagePage(
          'Too many attempts',
          `Too many sign-in attempts. Try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`,
          signInLink(next),
        )
      : messagePage(
          'Please try again shortly',
          'The service is busy right now. Try again in a few seconds.',
          signInLink(next),
        )
  return pageResponse(status === 429 ? 'Too many attempts' : 'Service busy', body, status, [
    ['retry-after', String(seconds)],
  ])
}

/** `page()`, or its refusal as a page (`refusalPage`). */
export async function orRefusalPage(page: () => Promise<Response>): Promise<Response> {
  try {
    return await page()
  } catch (error) {
    return refusalPage(error, undefined)
  }
}

/** The sign-in page and the sign-in session it starts and ends. */
export function signInRoutes({ auth, sessions, trustProxy, bodyLimit }: SignInRoutesOptions) {
  const csrf = new Csrf(sessions.options.cookieSecure)
  const parse = parseForm(Math.min(FORM_LIMIT, bodyLimit))

  /** The form, with a CSRF token (and its cookie when the browser has none yet). */
  const formPage = (request: Request, form: Omit<Parameters<typeof signInForm>[0], 'csrf'>, status = 200) => {
    const { token, setCookie } = csrf.issue(request)
    const target = formTarget(redirectUriOf(form.next) ?? '')
    return pageResponse(
      'Sign in',
      signInForm({ ...form, csrf: token }),
      status,
      setCookie ? [['set-cookie', setCookie]] : [],
      target ? [target] : [],
    )
  }

  return new Elysia()
    .get(
      '/signin',
      ({ request }) => {
        const query = new URL(request.url).searchParams
        // `login_hint` (OpenID Connect): the authorization request's guess at who signs in.
        const hint = query.get('login_hint') ?? ''
        return formPage(request, {
          next: safeNext(query.get('next')) ?? '',
          login: textLength(hint) <= LOGIN_MAX ? hint : '',
        })
      },
      hidden,
    )
    .post(
      '/signin',
      async ({ body, request, server }) => {
        const next = safeNext(field(body, 'next'))
        if (!csrf.accepts(request, field(body, 'csrf'))) return forbiddenPage(next)
        const login = field(body, 'username')
        const password = field(body, 'password')
        const again = (error: string) => formPage(request, { next: next ?? '', login, error }, 400)
        if (login.trim() === '' || password === '') return again(MISSING)
        // Too long to be anyone's: refused as a wrong password would be, without the work.
        if (textLength(login) > LOGIN_MAX || textLength(password) > PASSWORD_MAX)
          return again(BAD_CREDENTIALS)
        try {
          const user = await auth.verifyCredentials(login, password, {
            reqId: requestIdOf(request),
            address: clientAddress(request, server, trustProxy),
          })
          const authTime = new Date()
          // A session this browser still had is over: one browser, one session.
          await sessions.end(request)
          const { cookie } = await sessions.start(user, authTime)
          return seeOther(next ?? SIGNED_IN_PATH, cookie)
        } catch (error) {
          // Only after a right password: an unverified address is told (REQUIRE_VERIFIED_EMAIL).
          if (error instanceof CredentialsRefused && error.reason === 'unverified') return again(UNVERIFIED)
          // Unknown, wrong password and disabled alike: who exists is not told.
          if (error instanceof CredentialsRefused) return again(BAD_CREDENTIALS)
          return refusalPage(error, next)
        }
      },
      { parse, ...hidden },
    )
    .get(
      SIGNED_IN_PATH,
      ({ request }) =>
        orRefusalPage(async () => {
          const signedIn = await sessions.signInSessionOf(request)
          if (!signedIn)
            return new Response(null, {
              status: 303,
              headers: { location: '/signin', 'cache-control': 'no-store' },
            })
          const { token, setCookie } = csrf.issue(request)
          return pageResponse(
            'Signed in',
            signedInPage(signedIn.user.username, token),
            200,
            setCookie ? [['set-cookie', setCookie]] : [],
          )
        }),
      hidden,
    )
    .post(
      '/signout',
      ({ body, request }) =>
        orRefusalPage(async () => {
          if (!csrf.accepts(request, field(body, 'csrf'))) return forbiddenPage(undefined)
          return seeOther('/signin', await sessions.end(request))
        }),
      { parse, ...hidden },
    )
}
