import type { UserSortField } from '../core/domain'
import { conflict, forbidden, HttpError, notFound } from '../core/errors'
import { hashPassword, verifyPassword } from '../core/passwords'
import { type RequestContext, SecurityEvents } from '../core/security-events'
import { ConflictError } from '../store/errors'
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

const isEnabledAdmin = (u: Pick<UserRecord, 'role' | 'disabled'>) => u.role === 'admin' && !u.disabled

/** Runs async tasks one after another, in call order; a failed task does not stop the next. */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task)
    this.tail = result.catch(() => undefined)
    return result
  }
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

/** Accounts: creation, reads, admin changes and self-service, with the last-admin rule. */
export class UserService {
  /** Serializes the last-admin check with its write; see `keepOneAdmin`. */
  private readonly adminChanges = new SerialQueue()

  constructor(
    private readonly users: UserRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly throttle: PasswordThrottle,
    private readonly events: SecurityEvents = SecurityEvents.none,
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

  /** An admin's change to any user (`PUT` and `PATCH /users/{id}`); `context.actorId` is the admin. */
  async update(
    id: string,
    input: UserChangesInput,
    expectedVersion?: number,
    context: RequestContext = {},
  ): Promise<UserRecord> {
    const { password, ...rest } = normalize(input)
    const changes: UserChanges = { ...rest }
    if (password !== undefined) changes.passwordHash = await hashPassword(password)
    const write = async () => {
      const updated = await this.users.update(id, changes, expectedVersion)
      if (!updated) throw notFound('user')
      return updated
    }
    // What the user was, to tell which security events the change makes; read only when the
    // change touches the email (role and disabled read it below anyway).
    let before: UserRecord | null = null
    // Only a change of role or disabled can remove an admin: only those read the user first, and
    // wait in line so that the check and the write go together.
    const updated =
      changes.role === undefined && changes.disabled === undefined
        ? await (async () => {
            if (changes.email !== undefined) before = await this.users.findById(id)
            return write()
          })()
        : await this.adminChanges.run(async () => {
            const current = await this.users.findById(id)
            if (!current) throw notFound('user')
            before = current
            if (isEnabledAdmin(current) && !isEnabledAdmin({ ...current, ...changes }))
              await this.keepOneAdmin()
            return write()
          })
    if (password !== undefined || changes.disabled) await this.refreshTokens.revokeAllForUser(id, new Date())
    this.recordChanges(before, updated, password !== undefined, context)
    return updated
  }

  /** `context.actorId` is the admin. */
  async delete(id: string, expectedVersion?: number, context: RequestContext = {}): Promise<void> {
    await this.adminChanges.run(async () => {
      const current = await this.users.findById(id)
      if (!current) throw notFound('user')
      if (isEnabledAdmin(current)) await this.keepOneAdmin()
      if (!(await this.users.delete(id, expectedVersion))) throw notFound('user')
    })
    await this.refreshTokens.revokeAllForUser(id, new Date())
    this.events.record({ event: 'account_deleted', ...context, accountId: id, outcome: 'success' })
  }

  /** Self-service change (`PATCH /users/me`); a new password needs the current one. */
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
    if (password !== undefined) {
      if (currentPassword === undefined) {
        throw new HttpError(422, 'currentPassword is required to change the password', {}, [
          { pointer: '/currentPassword', detail: 'required together with password' },
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
      changes.passwordHash = await hashPassword(password)
    }
    const updated = await this.users.update(actor.id, changes, expectedVersion)
    if (!updated) throw notFound('user')
    if (password !== undefined) await this.refreshTokens.revokeAllForUser(actor.id, new Date())
    this.recordChanges(actor, updated, password !== undefined, { ...context, actorId: actor.id })
    return updated
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

  /**
   * Refuses a change that would leave no enabled admin. Callers run the count and their write in
   * `adminChanges`, so two admins demoting each other at once cannot both pass within one process.
   * Across several instances the window between count and write remains: neither store offers a
   * cross-document transaction on FerretDB v1, and it is one round trip of two admins acting at once.
   */
  private async keepOneAdmin(): Promise<void> {
    if ((await this.users.countEnabledAdmins()) <= 1) {
      throw conflict('this would remove the last enabled admin', '/role')
    }
  }
}
