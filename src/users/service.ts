import { type AccountMails, NO_ACCOUNT_MAILS } from '../core/account-mails'
import type { UserSortField } from '../core/domain'
import { conflict, forbidden, HttpError, notFound } from '../core/errors'
import { hashPassword, verifyPassword } from '../core/passwords'
import { type RequestContext, SecurityEvents } from '../core/security-events'
import { ConflictError, LastAdminError } from '../store/errors'
import type {
  NewUser,
  Page,
  RefreshTokenRepository,
  Sort,
  UserChanges,
  UserFilter,
  UserRecord,
  UserRepository,
} from '../store/types'
import type { NewUserInput, SelfChangesInput, UserChangesInput } from './model'

/**
 * Full names are stored trimmed. (Emails are lower-cased by the store, which also compares them
 * ignoring case; the schema's pattern admits no surrounding spaces.)
 */
function normalize<T extends { fullName?: string }>(input: T): T {
  return input.fullName === undefined ? input : { ...input, fullName: input.fullName.trim() }
}

/** An attempt under way in `PasswordThrottle`; it counts as failed unless told otherwise. */
export interface ThrottledAttempt {
  succeeded(): Promise<void>
}

/**
 * The login throttle as this feature uses it (`auth/throttle.ts`, handed over by `app.ts`, since a
 * feature does not import another): both throw 429 with `Retry-After` when over a limit.
 */
export interface PasswordThrottle {
  /** A password check on `account` (`user:<id>`, the login's own key) from `address`. */
  begin(account: string, address: string): Promise<ThrottledAttempt>
  /** A registration from `address`. */
  beginRegistration(address: string): Promise<ThrottledAttempt>
}

/** Whether `changes` give `user` another address (the store keeps addresses lower-cased). */
const emailChanges = (user: UserRecord, changes: UserChanges) =>
  changes.email !== undefined && changes.email.toLowerCase() !== user.email

/** The store's `LastAdminError` as the 409 the API answers; other errors as they are. */
function lastAdminConflict(error: unknown): never {
  if (error instanceof LastAdminError) throw conflict('this would remove the last enabled admin', '/role')
  throw error
}

/** Accounts: creation, reads, admin changes and self-service. */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly throttle: PasswordThrottle,
    private readonly events: SecurityEvents = SecurityEvents.none,
    /** The verification and notice mails (`auth/recovery/`, handed over by `app.ts`). */
    private readonly mails: AccountMails = NO_ACCOUNT_MAILS,
  ) {}

  /**
   * `POST /auth/register` from `address`: throttled per address, where a taken username or email
   * counts as a failure (docs/api.md, Register), so that the 409 cannot be used to test names in bulk.
   */
  async register(input: NewUserInput, context: RequestContext & { address: string }): Promise<UserRecord> {
    const { reqId, address } = context
    const attempt = await this.events.throttled(() => this.throttle.beginRegistration(address), {
      event: 'registration_throttled',
      reqId,
      address,
    })
    const user = await this.create(input)
    await attempt.succeeded()
    await this.mails.sendVerification(user)
    return user
  }

  async create(input: NewUserInput): Promise<UserRecord> {
    const { password, ...rest } = normalize(input)
    // A cheap look-up before the costly hash, so that taken names cost no CPU. The unique indexes
    // still decide between registrations that pass this at the same moment.
    await this.refuseTaken(rest.username, rest.email)
    const user: NewUser = {
      username: rest.username,
      email: rest.email,
      fullName: rest.fullName ?? '',
      role: rest.role ?? 'user',
      disabled: rest.disabled ?? false,
      passwordHash: await hashPassword(password),
    }
    return this.users.create(user)
  }

  /** `actor` is the caller as the auth plugin loaded it: reading oneself needs no second read. */
  async get(actor: UserRecord, id: string): Promise<UserRecord> {
    if (actor.id === id) return actor
    // Checked before the read, so a 404 never tells a non-admin which ids exist.
    if (actor.role !== 'admin') throw forbidden('only admins may read other users')
    const user = await this.users.findById(id)
    if (!user) throw notFound('user')
    return user
  }

  list(filter: UserFilter, sort: Sort<UserSortField>, page: Page) {
    return this.users.list(filter, sort, page)
  }

  /**
   * An admin's change to any user (`PUT` and `PATCH /users/{id}`); `context.actorId` is the admin.
   * A new password, a new role or disabling ends the user's sessions (docs/api.md, Sessions).
   * The store refuses to remove the last enabled admin (409).
   */
  async update(
    id: string,
    input: UserChangesInput,
    expectedVersion?: number,
    context: RequestContext = {},
  ): Promise<UserRecord> {
    const { password, ...rest } = normalize(input)
    const changes: UserChanges = { ...rest }
    if (password !== undefined) changes.passwordHash = await hashPassword(password)
    // What the user was: which sessions to end and which security events to record. Read only
    // when the change touches a field that matters to either.
    const touchesAccess = changes.role !== undefined || changes.disabled !== undefined
    const before = touchesAccess || changes.email !== undefined ? await this.users.findById(id) : null
    if (touchesAccess && !before) throw notFound('user')
    // A new address is unproven until its owner follows the link mailed to it.
    if (before && emailChanges(before, changes)) changes.emailVerified = false
    changes.endSessions =
      password !== undefined ||
      (before !== null && changes.role !== undefined && changes.role !== before.role) ||
      (before !== null && changes.disabled === true && !before.disabled)
    const updated = await this.users.update(id, changes, expectedVersion).catch(lastAdminConflict)
    if (!updated) throw notFound('user')
    if (password !== undefined || changes.disabled) await this.refreshTokens.revokeAllForUser(id, new Date())
    this.recordChanges(before, updated, password !== undefined, context)
    await this.mailEmailChange(before, updated)
    return updated
  }

  /** `context.actorId` is the admin. The store refuses to delete the last enabled admin (409). */
  async delete(id: string, expectedVersion?: number, context: RequestContext = {}): Promise<void> {
    if (!(await this.users.delete(id, expectedVersion).catch(lastAdminConflict))) throw notFound('user')
    await this.refreshTokens.revokeAllForUser(id, new Date())
    this.events.record({ event: 'account_deleted', ...context, accountId: id, outcome: 'success' })
  }

  /**
   * Self-service change (`PATCH /users/me`). A new password or email needs the current password;
   * a new password ends every session, this one included.
   */
  async updateSelf(
    actor: UserRecord,
    input: SelfChangesInput,
    expectedVersion: number | undefined,
    /** The request id and the client address (for the throttle). */
    context: RequestContext & { address: string },
  ): Promise<UserRecord> {
    const { reqId, address } = context
    const who = { reqId, address, accountId: actor.id, actorId: actor.id }
    const { currentPassword, password, ...rest } = normalize(input)
    const changes: UserChanges = { ...rest }
    if (password !== undefined || changes.email !== undefined) {
      const what = password !== undefined ? 'password' : 'email'
      if (currentPassword === undefined) {
        throw new HttpError(422, `currentPassword is required to change the ${what}`, {}, [
          { pointer: '/currentPassword', detail: `required together with ${what}` },
        ])
      }
      // Wrong guesses count with failed logins of the account (429 past the limit), so that a
      // stolen access token is no unthrottled password oracle.
      const attempt = await this.events.throttled(() => this.throttle.begin(`user:${actor.id}`, address), {
        event: 'password_change_throttled',
        ...who,
      })
      // The caller as the auth plugin loaded it for this very request.
      if (!(await verifyPassword(currentPassword, actor.passwordHash))) {
        this.events.record({ event: 'password_change_failed', ...who, outcome: 'wrong_current_password' })
        throw new HttpError(403, 'currentPassword is wrong')
      }
      await attempt.succeeded()
    }
    if (password !== undefined) {
      changes.passwordHash = await hashPassword(password)
      changes.endSessions = true
    }
    // A new address is unproven until its owner follows the link mailed to it.
    if (emailChanges(actor, changes)) changes.emailVerified = false
    const updated = await this.users.update(actor.id, changes, expectedVersion)
    if (!updated) throw notFound('user')
    if (password !== undefined) await this.refreshTokens.revokeAllForUser(actor.id, new Date())
    this.recordChanges(actor, updated, password !== undefined, { ...context, actorId: actor.id })
    await this.mailEmailChange(actor, updated)
    return updated
  }

  /** After an address changed: a verification link to the new one, a notice to the old one. */
  private async mailEmailChange(before: UserRecord | null, after: UserRecord): Promise<void> {
    if (!before || before.email === after.email) return
    await this.mails.sendEmailChange(after, before.email)
  }

  /** The security events of a change from `before` (when it was read) to `after`. */
  private recordChanges(
    before: UserRecord | null,
    after: UserRecord,
    passwordChanged: boolean,
    context: RequestContext,
  ): void {
    const event = { ...context, accountId: after.id, outcome: 'success' }
    if (passwordChanged) this.events.record({ event: 'password_changed', ...event })
    if (!before) return
    if (before.email !== after.email) this.events.record({ event: 'email_changed', ...event })
    if (before.role !== after.role) this.events.record({ event: 'role_changed', ...event, role: after.role })
    if (before.disabled !== after.disabled)
      this.events.record({ event: after.disabled ? 'account_disabled' : 'account_enabled', ...event })
  }

  /**
   * Creates the first admin from `ADMIN_*` at start when no enabled admin exists. Returns the admin
   * created, or null when one already existed.
   */
  async ensureAdmin(admin: {
    username: string
    email: string
    password: string
  }): Promise<UserRecord | null> {
    if ((await this.users.countEnabledAdmins()) > 0) return null
    try {
      return await this.create({ ...admin, role: 'admin' })
    } catch (error) {
      // Another instance starting at the same moment created it, or the name belongs to a user
      // who is not an enabled admin: either way there is nothing to create, and start-up goes on.
      if (error instanceof ConflictError) return null
      throw error
    }
  }

  /** Throws the store's `ConflictError` (409 naming the field) when the username or email is taken. */
  private async refuseTaken(username: string, email: string): Promise<void> {
    if (await this.users.findByLogin(username.toLowerCase())) throw new ConflictError('username')
    if (await this.users.findByLogin(email.toLowerCase())) throw new ConflictError('email')
  }
}
