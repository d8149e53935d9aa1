/**
 * Email verification and password reset (issue #13): the JSON routes under `/auth`, and the pages
 * the mailed links open (`/verify-email`, `/reset-password`, `/forgot-password`), in the sign-in
 * page's look, with its CSRF protection, no script.
 */
import { Elysia, t } from 'elysia'
import { LOGIN_MAX, PASSWORD_MAX, textLength } from '../../core/domain'
import { HttpError } from '../../core/errors'
import {
  JSON_TYPE,
  parseFormText,
  parseJson,
  parseJsonText,
  readText,
  refuseDeclaredOversize,
  takes,
} from '../../http/body'
import { clientAddress } from '../../http/client-address'
import { requestIdOf } from '../../http/request-log'
import { problems } from '../../http/schemas'
import type { authPlugin } from '../plugin'
import { FORM_LIMIT, field, forbiddenPage, orRefusalPage, parseForm, seeOther } from '../signin'
import { Csrf } from '../signin/csrf'
import { pageResponse } from '../signin/pages'
import { RESET_ACCEPTED, recoveryModels } from './model'
import {
  deadLinkPage,
  forgotForm,
  passwordChangedPage,
  resetForm,
  resetRequestedPage,
  verifiedPage,
} from './pages'
import { FORGOT_PATH, RESET_PATH, type RecoveryService, VERIFY_PATH } from './service'

export { RecoveryService } from './service'

export interface RecoveryRoutesOptions {
  recovery: RecoveryService
  guard: ReturnType<typeof authPlugin>
  /** Whether the cookies are `Secure` (the service is reached over https). */
  cookieSecure: boolean
  trustProxy: boolean
  bodyLimit: number
}

/** A JSON body of these routes: a token and a password at most, well under 1 KiB. */
const BODY_LIMIT = 4 * 1024
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i
const hidden = { detail: { hide: true } }

/** JSON, or a form as an HTML page without script would post it. */
const parseJsonOrForm = (limit: number) =>
  takes(
    ['application/json', 'application/x-www-form-urlencoded'],
    async ({ request }: { request: Request }): Promise<unknown> => {
      refuseDeclaredOversize(request, limit)
      const type = request.headers.get('content-type') ?? ''
      if (JSON_TYPE.test(type)) return parseJsonText(await readText(request, limit))
      if (FORM_TYPE.test(type)) return parseFormText(await readText(request, limit))
      throw new HttpError(415, `content type "${type || 'none'}" is not accepted here; send JSON or a form`)
    },
  )

/** Whether `error` is the 400 of a dead token. */
const deadToken = (error: unknown) => error instanceof HttpError && error.status === 400

export function recoveryRoutes({
  recovery,
  guard,
  cookieSecure,
  trustProxy,
  bodyLimit,
}: RecoveryRoutesOptions) {
  const csrf = new Csrf(cookieSecure)
  const limit = Math.min(BODY_LIMIT, bodyLimit)
  const parseJsonBody = parseJson(limit)
  const parsePage = parseForm(Math.min(FORM_LIMIT, bodyLimit))
  const contextOf = (request: Request, server: Parameters<typeof clientAddress>[1]) => ({
    reqId: requestIdOf(request),
    address: clientAddress(request, server, trustProxy),
  })
  /** A page with a form: its CSRF token, and the cookie when the browser has none yet. */
  const formPage = (
    request: Request,
    title: string,
    body: (token: string) => ReturnType<typeof resetForm>,
    status = 200,
  ) => {
    const { token, setCookie } = csrf.issue(request)
    return pageResponse(title, body(token), status, setCookie ? [['set-cookie', setCookie]] : [])
  }

  const api = new Elysia({ prefix: '/auth', tags: ['auth'] })
    .use(guard)
    .model(recoveryModels)
    .post(
      '/verify-email',
      async ({ body, request, server, set }) => {
        await recovery.verifyEmail(body.token, contextOf(request, server))
        set.status = 204
      },
      {
        parse: parseJsonBody,
        body: 'VerifyEmail',
        response: { 204: t.Void(), ...problems(400, 413, 415, 422, 503) },
        detail: {
          summary: 'Verify an email address',
          operationId: 'verifyEmail',
          description:
            'Takes the `token` of a verification link (what `GET /verify-email` does for a browser). The address is verified if it is still the one the link was mailed to. A token works once, for `VERIFY_TOKEN_TTL`; any other is 400.',
        },
      },
    )
    .post(
      '/verify-email/resend',
      async ({ user, set }) => {
        await recovery.resendVerification(user)
        set.status = 204
      },
      {
        auth: { scope: 'users:write' },
        response: { 204: t.Void(), ...problems(401, 403, 409, 429, 503) },
        detail: {
          summary: 'Mail another verification link',
          operationId: 'resendVerificationEmail',
          description:
            'Mails a new verification link to your address: 409 when it is verified already; at most 3 verification mails an hour per account (the one sent at registration included), else 429 with `Retry-After`.',
        },
      },
    )
    .post(
      '/password-reset',
      async ({ body, request, server, set }) => {
        await recovery.requestReset(body.login, contextOf(request, server))
        set.status = 202
        return RESET_ACCEPTED
      },
      {
        parse: parseJsonOrForm(limit),
        body: 'PasswordResetRequest',
        response: { 202: 'ResetAccepted', ...problems(413, 415, 422, 429, 503) },
        detail: {
          summary: 'Ask for a password reset link',
          operationId: 'requestPasswordReset',
          description:
            'Always 202 with the same body, whether or not an account has that username or email, and in about the same time: the look-up and the mail happen after the answer. A matching enabled account is mailed a link to `/reset-password`, valid once for `RESET_TOKEN_TTL`, at most 3 an hour (further requests are still 202, without a mail). At most 10 requests per client address within `LOGIN_WINDOW`, else 429 with `Retry-After`.',
        },
      },
    )
    .post(
      '/password-reset/confirm',
      async ({ body, request, server, set }) => {
        await recovery.confirmReset(body.token, body.newPassword, contextOf(request, server))
        set.status = 204
      },
      {
        parse: parseJsonBody,
        body: 'PasswordResetConfirm',
        response: { 204: t.Void(), ...problems(400, 413, 415, 422, 503) },
        detail: {
          summary: 'Set a new password with a reset token',
          operationId: 'confirmPasswordReset',
          description:
            'Sets `newPassword` (the rules of registration) with the `token` of a reset link, and ends every session of the account: refresh tokens revoked, access tokens and sign-in sessions refused. The token works once; it is refused (400) when expired, used, or when the password or the email changed since it was mailed.',
        },
      },
    )

  const pages = new Elysia()
    .get(
      VERIFY_PATH,
      ({ request, server }) =>
        orRefusalPage(async () => {
          const token = new URL(request.url).searchParams.get('token') ?? ''
          try {
            const user = await recovery.verifyEmail(token, contextOf(request, server))
            return pageResponse('Email confirmed', verifiedPage(user.username))
          } catch (error) {
            if (deadToken(error)) return pageResponse('Link expired', deadLinkPage('verify'), 400)
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
          return pageResponse('Link expired', deadLinkPage('reset'), 400)
        return formPage(request, 'Choose a new password', (csrfToken) =>
          resetForm({ csrf: csrfToken, token }),
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
              return again('Choose a password of 8 to 128 characters.')
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

  return new Elysia().use(api).use(pages)
}
