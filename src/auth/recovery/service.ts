/**
 * Email verification and password reset (issue #13): single-use tokens mailed to the account's
 * address, stored only as their SHA-256, consumed once. `users/` reaches the verification mails
 * through `core/account-mails.ts`.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { AccountMails, MailedAccount } from '../../core/account-mails'
import { PASSWORD_MAX, PASSWORD_MIN, textLength } from '../../core/domain'
import { HttpError } from '../../core/errors'
import type { Logger } from '../../core/log'
import { hashPassword } from '../../core/passwords'
import { type RequestContext, SecurityEvents } from '../../core/security-events'
import type { MailSender } from '../../mail'
import { PreconditionFailedError } from '../../store/errors'
import type {
  AccountTokenPurpose,
  AccountTokenRecord,
  AccountTokenRepository,
  RefreshTokenRepository,
  SignInSessionRepository,
  UserRecord,
  UserRepository,
} from '../../store/types'
import type { LoginThrottle } from '../throttle'
import { emailChangedMail, resetMail, verificationMail } from './mails'

/** Mails of one purpose one account may be sent per hour: no mail bomb through our routes. */
export const MAILS_PER_HOUR = 3
const HOUR_MS = 3_600_000
/** How often a write that lost a race with another write of the user is tried again. */
const WRITE_ATTEMPTS = 3

export const VERIFY_PATH = '/verify-email'
export const RESET_PATH = '/reset-password'
export const FORGOT_PATH = '/forgot-password'

/** A token was unknown, used, expired, of another purpose, or no longer fits its account. */
export const TOKEN_REFUSED = 'this link is invalid, was used already or has expired'

/** 256 random bits, base64url: what the mail carries. */
const newToken = () => randomBytes(32).toString('base64url')
export const hashAccountToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex')

/** 422 for a new password outside the registration rules. */
export function checkNewPassword(password: string, pointer = '/newPassword'): void {
  const length = textLength(password)
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
    const detail = `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`
    throw new HttpError(422, `${pointer}: ${detail}`, {}, [{ pointer, detail }])
  }
}

export interface RecoveryDeps {
  users: UserRepository
  tokens: AccountTokenRepository
  refreshTokens: RefreshTokenRepository
  signInSessions: SignInSessionRepository
  mail: MailSender
  throttle: LoginThrottle
  logger: Logger
  events?: SecurityEvents
  /** `PUBLIC_URL`: the links' base. */
  publicUrl: string
  /** Seconds (`VERIFY_TOKEN_TTL`). */
  verifyTtl: number
  /** Seconds (`RESET_TOKEN_TTL`). */
  resetTtl: number
}

/** Email verification and password reset; also the `AccountMails` that `users/` asks for. */
export class RecoveryService implements AccountMails {
  private readonly events: SecurityEvents
  /** Reset requests answered but still at work (`settled` waits for them). */
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly deps: RecoveryDeps) {
    this.events = deps.events ?? SecurityEvents.none
  }

  async sendVerification(account: MailedAccount): Promise<void> {
    try {
      const link = await this.issueCounted(account, 'verify_email', this.deps.verifyTtl, VERIFY_PATH)
      if (!link) {
        this.deps.logger.warn('verification mail not sent: the account reached its hourly limit', {
          accountId: account.id,
          limit: MAILS_PER_HOUR,
        })
        return
      }
      await this.deps.mail.send(verificationMail(account.email, account.username, link, this.deps.verifyTtl))
    } catch (error) {
      this.deps.logger.warn('the verification mail could not be queued', {
        accountId: account.id,
        err: error,
      })
    }
  }

  /**
   * After an address change: a verification link to the new address and a notice to the old one,
   * neither past `MAILS_PER_HOUR` verification tokens of the account in the hour (logged instead),
   * so that changing the address in a loop does not mail without end. Never throws.
   */
  async sendEmailChange(account: MailedAccount, oldEmail: string): Promise<void> {
    let link: string | undefined
    try {
      link = await this.issueCounted(account, 'verify_email', this.deps.verifyTtl, VERIFY_PATH)
    } catch (error) {
      this.deps.logger.warn('the verification mail could not be queued', {
        accountId: account.id,
        err: error,
      })
      return
    }
    if (!link) {
      this.deps.logger.warn('email change mails not sent: the account reached its hourly limit', {
        accountId: account.id,
        limit: MAILS_PER_HOUR,
      })
      return
    }
    try {
      await this.deps.mail.send(verificationMail(account.email, account.username, link, this.deps.verifyTtl))
    } catch (error) {
      this.deps.logger.warn('the verification mail could not be queued', {
        accountId: account.id,
        err: error,
      })
    }
    try {
      const forgot = `${this.deps.publicUrl}${FORGOT_PATH}`
      await this.deps.mail.send(emailChangedMail(oldEmail, account.username, account.email, forgot))
    } catch (error) {
      this.deps.logger.warn('the email change notice could not be queued', {
        accountId: account.id,
        err: error,
      })
    }
  }

  /**
   * `POST /auth/verify-email/resend` by the account itself: 409 when verified already, 429 past
   * `MAILS_PER_HOUR` verification mails (the one sent at registration included).
   */
  async resendVerification(user: UserRecord): Promise<void> {
    if (user.emailVerified) throw new HttpError(409, 'the email address is verified already')
    // Stored first, then counted (its own token included): concurrent resends cannot all pass.
    const link = await this.issueCounted(user, 'verify_email', this.deps.verifyTtl, VERIFY_PATH)
    if (!link) {
      throw new HttpError(429, `at most ${MAILS_PER_HOUR} verification mails an hour; try again later`, {
        'retry-after': String(HOUR_MS / 1000),
      })
    }
    await this.deps.mail.send(verificationMail(user.email, user.username, link, this.deps.verifyTtl))
  }

  /**
   * Follows a verification link: the address is verified if it is still the one the link was
   * mailed to. Throws 400 (`TOKEN_REFUSED`) for anything else. Returns the user.
   */
  async verifyEmail(token: string, context: RequestContext = {}): Promise<UserRecord> {
    const record = await this.consume(token, 'verify_email', 'verification_refused', context)
    for (let attempt = 1; ; attempt++) {
      const user = await this.deps.users.findById(record.userId)
      if (!user || user.email !== record.email)
        throw this.refuse('verification_refused', context, record, 'email_changed')
      if (user.emailVerified) return user
      try {
        // Versioned: an address changed between the read and the write is not verified by this link.
        const updated = await this.deps.users.update(user.id, { emailVerified: true }, user.version)
        if (!updated) throw this.refuse('verification_refused', context, record, 'account_gone')
        this.events.record({ event: 'email_verified', ...context, accountId: user.id, outcome: 'success' })
        return updated
      } catch (error) {
        if (!(error instanceof PreconditionFailedError) || attempt >= WRITE_ATTEMPTS) throw error
      }
    }
  }

  /**
   * `POST /auth/password-reset`: 429 past the per-address limit, else it answers at once and the
   * rest (who the login names, the per-account limit, the token, the mail) runs after the answer,
   * so that neither the answer nor its timing tells whether an account exists.
   */
  async requestReset(login: string, context: RequestContext & { address: string }): Promise<void> {
    await this.events.throttled(() => this.deps.throttle.beginPasswordReset(context.address), {
      event: 'password_reset_throttled',
      ...context,
    })
    const work = this.mailReset(login, context).catch((error: unknown) => {
      this.deps.logger.warn('a password reset request failed', { reqId: context.reqId, err: error })
    })
    this.pending.add(work)
    void work.finally(() => this.pending.delete(work))
  }

  /** Resolves once every reset request answered so far has done its work (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending)
  }

  /**
   * Sets a new password with a reset token: the token dies, and so does every session of the
   * account (refresh tokens, access tokens, sign-in sessions). Refused (400) when the token is
   * not live, or the password changed since it was mailed (`sessionVersion` moved on), or the
   * address it was mailed to is no longer the account's. Returns the user.
   */
  async confirmReset(token: string, newPassword: string, context: RequestContext = {}): Promise<UserRecord> {
    checkNewPassword(newPassword)
    // Marked used first, so that it works once even when the checks below refuse it.
    const record = await this.consume(token, 'reset_password', 'password_reset_refused', context)
    const passwordHash = await hashPassword(newPassword)
    for (let attempt = 1; ; attempt++) {
      const user = await this.deps.users.findById(record.userId)
      const why = !user
        ? 'account_gone'
        : user.disabled
          ? 'account_disabled'
          : user.sessionVersion !== record.userSessionVersion
            ? 'password_changed_since'
            : user.email !== record.email
              ? 'email_changed'
              : undefined
      if (!user || why) throw this.refuse('password_reset_refused', context, record, why ?? 'account_gone')
      try {
        // The mail reached the address, which proves it too.
        const changes = { passwordHash, endSessions: true, emailVerified: true }
        const updated = await this.deps.users.update(user.id, changes, user.version)
        if (!updated) throw this.refuse('password_reset_refused', context, record, 'account_gone')
        const now = new Date()
        await this.deps.refreshTokens.revokeAllForUser(user.id, now)
        await this.deps.signInSessions.endAllForUser(user.id, now)
        this.events.record({
          event: 'password_reset_completed',
          ...context,
          accountId: user.id,
          outcome: 'success',
        })
        return updated
      } catch (error) {
        if (!(error instanceof PreconditionFailedError) || attempt >= WRITE_ATTEMPTS) throw error
      }
    }
  }

  private async mailReset(login: string, context: RequestContext): Promise<void> {
    const user = await this.deps.users.findByLogin(login.trim().toLowerCase())
    const event = { event: 'password_reset_requested' as const, ...context, accountId: user?.id }
    if (!user || user.disabled) {
      this.events.record({ ...event, outcome: user ? 'account_disabled' : 'unknown_account' })
      return
    }
    // Stored first, then counted (its own token included): concurrent requests cannot all pass.
    const link = await this.issueCounted(user, 'reset_password', this.deps.resetTtl, RESET_PATH)
    if (!link) {
      this.events.record({ ...event, outcome: 'account_limit' })
      return
    }
    await this.deps.mail.send(resetMail(user.email, user.username, link, this.deps.resetTtl))
    this.events.record({ ...event, outcome: 'mailed' })
  }

  /**
   * Stores a new token of `purpose` for `account`, then counts the account's tokens of that purpose
   * in the last hour, this one included: the link to mail, or undefined past `MAILS_PER_HOUR` (the
   * token stays stored, unmailed, and counts against the next ones). Counting after the insert is
   * what keeps concurrent requests from all seeing room under the limit.
   */
  private async issueCounted(
    account: MailedAccount,
    purpose: AccountTokenPurpose,
    ttl: number,
    path: string,
  ): Promise<string | undefined> {
    const link = await this.issue(account, purpose, ttl, path)
    const since = new Date(Date.now() - HOUR_MS)
    const count = await this.deps.tokens.countSince(account.id, purpose, since)
    return count <= MAILS_PER_HOUR ? link : undefined
  }

  /** Stores a new token of `purpose` for `account` and returns the link that carries it. */
  private async issue(account: MailedAccount, purpose: AccountTokenPurpose, ttl: number, path: string) {
    const token = newToken()
    await this.deps.tokens.insert({
      tokenHash: hashAccountToken(token),
      purpose,
      userId: account.id,
      email: account.email,
      userSessionVersion: account.sessionVersion,
      expiresAt: new Date(Date.now() + ttl * 1000),
    })
    return `${this.deps.publicUrl}${path}?token=${token}`
  }

  private async consume(
    token: string,
    purpose: AccountTokenPurpose,
    event: 'verification_refused' | 'password_reset_refused',
    context: RequestContext,
  ): Promise<AccountTokenRecord> {
    const record =
      token === '' ? null : await this.deps.tokens.consume(hashAccountToken(token), purpose, new Date())
    if (!record) throw this.refuse(event, context, undefined, 'invalid_token')
    return record
  }

  private refuse(
    event: 'verification_refused' | 'password_reset_refused',
    context: RequestContext,
    record: AccountTokenRecord | undefined,
    outcome: string,
  ): HttpError {
    this.events.record({ event, ...context, accountId: record?.userId, outcome })
    return new HttpError(400, TOKEN_REFUSED)
  }
}
