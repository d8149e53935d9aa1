import { t } from 'elysia'
import { LOGIN_MAX, PASSWORD_MAX, PASSWORD_MIN } from '../../core/domain'
import { Text } from '../../http/schemas'

/** A mailed token: 43 base64url characters; anything longer is no token of ours. */
const Token = Text({
  minLength: 1,
  maxLength: 128,
  error: 'must be the token from the link, at most 128 characters',
  description: 'The `token` parameter of the link in the mail',
  examples: ['8Vx3o1VqZyPpS6m0nYQ2g4v7bJxk1yF3Qm9hXo2tC5E'],
})

const strict = { additionalProperties: false } as const

export const VerifyEmail = t.Object({ token: Token }, strict)

export const PasswordResetRequest = t.Object(
  {
    login: Text({
      minLength: 1,
      maxLength: LOGIN_MAX,
      error: `must be a username or an email of at most ${LOGIN_MAX} characters`,
      description: 'The username or the email of the account',
      examples: ['ada@example.com'],
    }),
  },
  strict,
)

export const PasswordResetConfirm = t.Object(
  {
    token: Token,
    newPassword: Text({
      minLength: PASSWORD_MIN,
      maxLength: PASSWORD_MAX,
      error: `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
      examples: ['correct horse battery staple'],
    }),
  },
  strict,
)

/** The one answer to every reset request that is not refused, whether or not an account matched. */
export const ResetAccepted = t.Object({
  status: t.Literal('accepted'),
  detail: t.String(),
})

export const RESET_ACCEPTED = {
  status: 'accepted' as const,
  detail: 'If an account matches, a link to choose a new password is on its way to its email address.',
}

export const recoveryModels = { VerifyEmail, PasswordResetRequest, PasswordResetConfirm, ResetAccepted }
