/**
 * Email verification and password reset (issue #13): the JSON routes under `/auth`, and with them
 * the pages the mailed links open (`browser.ts`).
 */
import type { Server } from 'bun'
import { Elysia, t } from 'elysia'
import { parseJson } from '../../http/body'
import { problems } from '../../http/schemas'
import type { authPlugin } from '../plugin'
import { type RecoveryPagesOptions, recoveryPages, requestContext } from './browser'
import { RESET_ACCEPTED, recoveryModels } from './model'

export { RecoveryService } from './service'

export interface RecoveryRoutesOptions extends RecoveryPagesOptions {
  guard: ReturnType<typeof authPlugin>
}

/** A JSON body of these routes: a token and a password at most, well under 1 KiB. */
const BODY_LIMIT = 4 * 1024
export function recoveryRoutes({
  recovery,
  guard,
  cookieSecure,
  trustProxy,
  bodyLimit,
}: RecoveryRoutesOptions) {
  const limit = Math.min(BODY_LIMIT, bodyLimit)
  const parseJsonBody = parseJson(limit)
  const contextOf = (request: Request, server: Server<unknown> | null) =>
    requestContext(request, server, trustProxy)

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
        // JSON only: a form post needs no preflight, so it could come from any site without the
        // CSRF token that the browser flow (`/forgot-password`) carries.
        parse: parseJsonBody,
        body: 'PasswordResetRequest',
        response: { 202: 'ResetAccepted', ...problems(413, 415, 422, 429, 503) },
        detail: {
          summary: 'Ask for a password reset link',
          operationId: 'requestPasswordReset',
          description:
            'Always 202 with the same body, whether or not an account has that username or email, and in about the same time: the look-up and the mail happen after the answer. A matching enabled account is mailed a link to `/reset-password`, valid once for `RESET_TOKEN_TTL`, at most 3 an hour (further requests are still 202, without a mail). At most 10 requests per client address within `LOGIN_WINDOW`, else 429 with `Retry-After`. JSON only (a form body is 415): browsers use the `/forgot-password` page, which carries a CSRF token.',
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

  return new Elysia().use(api).use(recoveryPages({ recovery, cookieSecure, trustProxy, bodyLimit }))
}
