/**
 * The pages the mailed links open (issue #13): `/verify-email`, `/reset-password` and
 * `/forgot-password`, in the sign-in page's look, with its CSRF protection, no script. Not in the
 * OpenAPI document: they are for browsers.
 */
import type { Server } from 'bun'
import { Elysia } from 'elysia'
import { LOGIN_MAX, PASSWORD_MAX, PASSWORD_MIN, textLength } from '../../core/domain'
import { HttpError } from '../../core/errors'
import { clientAddress } from '../../http/client-address'
import { requestIdOf } from '../../http/request-log'
import { FORM_LIMIT, field, forbiddenPage, orRefusalPage, parseForm, seeOther } from '../signin'
import { Csrf } from '../signin/csrf'
import type { Html } from '../signin/html'
import { pageResponse } from '../signin/pages'
import {
  deadLinkPage,
  forgotForm,
  passwordChangedPage,
  resetForm,
  resetRequestedPage,
  verifiedPage,
} from './pages'
import { FORGOT_PATH, RESET_PATH, type RecoveryService, VERIFY_PATH } from './service'

export interface RecoveryPagesOptions {
  recovery: RecoveryService
  /** Whether the cookies are `Secure` (the service is reached over https). */
  cookieSecure: boolean
  trustProxy: boolean
  bodyLimit: number
}

const hidden = { detail: { hide: true } }

/** Who asks, as the recovery service records it: the request id and the client address. */
export const requestContext = (request: Request, server: Server<unknown> | null, trustProxy: boolean) => ({
  reqId: requestIdOf(request),
  address: clientAddress(request, server, trustProxy),
})

/**
 * `response` with `Referrer-Policy: no-referrer` instead of the page's own value: a page whose
 * address carries a live token must not hand it on in a `Referer` (to its stylesheet, or a link).
 */
const noReferrer = (response: Response): Response => {
  response.headers.set('referrer-policy', 'no-referrer')
  return response
}

/** Whether `error` is the 400 of a dead token. */
const deadToken = (error: unknown) => error instanceof HttpError && error.status === 400

export function recoveryPages({ recovery, cookieSecure, trustProxy, bodyLimit }: RecoveryPagesOptions) {
  const csrf = new Csrf(cookieSecure)
  const parsePage = parseForm(Math.min(FORM_LIMIT, bodyLimit))
  const contextOf = (request: Request, server: Server<unknown> | null) =>
    requestContext(request, server, trustProxy)
  /** A page with a form: its CSRF token, and the cookie when the browser has none yet. */
  const formPage = (request: Request, title: string, body: (token: string) => Html, status = 200) => {
    const { token, setCookie } = csrf.issue(request)
    return pageResponse(title, body(token), status, setCookie ? [['set-cookie', setCookie]] : [])
  }

  return new Elysia()
    .get(
      VERIFY_PATH,
      ({ request, server }) =>
        orRefusalPage(async () => {
          const token = new URL(request.url).searchParams.get('token') ?? ''
          try {
            const user = await recovery.verifyEmail(token, contextOf(request, server))
            return noReferrer(pageResponse('Email confirmed', verifiedPage(user.username)))
          } catch (error) {
            if (deadToken(error)) return noReferrer(pageResponse('Link expired', deadLinkPage('verify'), 400))
            throw error
          }
        }),
      hidden,
    )
    .get(
      RESET_PATH,
      ({ request }) => {
        const token = new URL(request.url).searchParams.get('token') ?? ''
        // Not consumed here: a mail scanner opening the link must not spend it.
        if (token === '' || textLength(token) > 128)
          return noReferrer(pageResponse('Link expired', deadLinkPage('reset'), 400))
        return noReferrer(
          formPage(request, 'Choose a new password', (csrfToken) => resetForm({ csrf: csrfToken, token })),
        )
      },
      hidden,
    )
    .post(
      RESET_PATH,
      ({ body, request, server }) =>
        orRefusalPage(async () => {
          if (!csrf.accepts(request, field(body, 'csrf'))) return forbiddenPage(undefined)
          const token = field(body, 'token')
          const password = field(body, 'password')
          const again = (error: string) =>
            formPage(
              request,
              'Choose a new password',
              (csrfToken) => resetForm({ csrf: csrfToken, token, error }),
              400,
            )
          if (password === '' || password !== field(body, 'confirm'))
            return again('Enter the same new password twice.')
          if (textLength(password) > PASSWORD_MAX) return again('The password is too long.')
          try {
            await recovery.confirmReset(token, password, contextOf(request, server))
          } catch (error) {
            if (error instanceof HttpError && error.status === 422)
              return again(`Choose a password of ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`)
            if (deadToken(error)) return pageResponse('Link expired', deadLinkPage('reset'), 400)
            throw error
          }
          return seeOther(`${RESET_PATH}/done`)
        }),
      { parse: parsePage, ...hidden },
    )
    .get(`${RESET_PATH}/done`, () => pageResponse('Password changed', passwordChangedPage()), hidden)
    .get(
      FORGOT_PATH,
      ({ request }) => formPage(request, 'Forgot your password', (token) => forgotForm(token)),
      hidden,
    )
    .post(
      FORGOT_PATH,
      ({ body, request, server }) =>
        orRefusalPage(async () => {
          if (!csrf.accepts(request, field(body, 'csrf'))) return forbiddenPage(undefined)
          const login = field(body, 'login').trim()
          if (login === '' || textLength(login) > LOGIN_MAX)
            return formPage(
              request,
              'Forgot your password',
              (token) => forgotForm(token, 'Enter your username or email.'),
              400,
            )
          await recovery.requestReset(login, contextOf(request, server))
          return pageResponse('Check your mail', resetRequestedPage())
        }),
      { parse: parsePage, ...hidden },
    )
}
