import type { Database } from 'bun:sqlite'
import { ObjectId } from 'bson'
import { isEnabledAdmin, type Role, type UserSortField } from '../../core/domain'
import { LastAdminError, PreconditionFailedError } from '../errors'
import type {
  NewUser,
  Page,
  Paged,
  Sort,
  UserChanges,
  UserFilter,
  UserRecord,
  UserRepository,
} from '../types'
import { guarded } from './errors'
import { listPage, type Params } from './query'

interface UserRow {
  id: string
  username: string
  email: string
  full_name: string
  role: Role
  disabled: number
  email_verified: number
  password_hash: string
  version: number
  session_version: number
  ended_sessions: string
  created_at: number
  updated_at: number
}

const COLUMNS =
  'id, username, email, full_name, role, disabled, email_verified, password_hash, version, session_version, ended_sessions, created_at, updated_at'

/** Usernames sort by their lower-cased key (emails are lower-case already), so the order ignores case. */
const SORT_COLUMNS: Record<UserSortField, string> = {
  username: 'username_key',
  email: 'email',
  createdAt: 'created_at',
}

const enabledAdminRow = (row: Pick<UserRow, 'role' | 'disabled'>) =>
  isEnabledAdmin({ role: row.role, disabled: row.disabled !== 0 })

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    fullName: row.full_name,
    role: row.role,
    disabled: row.disabled !== 0,
    emailVerified: row.email_verified !== 0,
    passwordHash: row.password_hash,
    version: row.version,
    sessionVersion: row.session_version,
    endedSessions: Object.fromEntries(
      Object.entries(JSON.parse(row.ended_sessions) as Record<string, number>).map(([sid, until]) => [
        sid,
        new Date(until),
      ]),
    ),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

/** Users in SQLite; case-insensitive uniqueness rests on the UNIQUE `username_key` and lower-case `email`. */
export class SqliteUserRepository implements UserRepository {
  readonly #insert
  readonly #findById
  readonly #findByLogin
  readonly #update
  readonly #delete
  readonly #exists
  readonly #countEnabledAdmins
  readonly #endAllSessions
  readonly #setEndedSessions

  constructor(private readonly db: Database) {
    this.#insert = db.query<UserRow, Params>(
      `INSERT INTO users (id, username, username_key, email, full_name, full_name_key, role,
         disabled, email_verified, password_hash, version, created_at, updated_at)
       VALUES ($id, $username, $usernameKey, $email, $fullName, $fullNameKey, $role,
         $disabled, $emailVerified, $passwordHash, 1, $now, $now)
       RETURNING ${COLUMNS}`,
    )
    this.#findById = db.query<UserRow, Params>(`SELECT ${COLUMNS} FROM users WHERE id = $id`)
    // A username cannot contain '@' and an email must, so at most one user matches.
    this.#findByLogin = db.query<UserRow, Params>(
      `SELECT ${COLUMNS} FROM users WHERE username_key = $key OR email = $key LIMIT 1`,
    )
    // A NULL parameter leaves its column as it is, so one statement serves every set of changes.
    this.#update = db.query<UserRow, Params>(
      `UPDATE users SET
         username = coalesce($username, username),
         username_key = coalesce($usernameKey, username_key),
         email = coalesce($email, email),
         full_name = coalesce($fullName, full_name),
         full_name_key = coalesce($fullNameKey, full_name_key),
         role = coalesce($role, role),
         disabled = coalesce($disabled, disabled),
         email_verified = coalesce($emailVerified, email_verified),
         password_hash = coalesce($passwordHash, password_hash),
         session_version = session_version + $endSessions,
         version = version + 1,
         updated_at = $now
       WHERE id = $id AND ($expectedVersion IS NULL OR version = $expectedVersion)
       RETURNING ${COLUMNS}`,
    )
    this.#delete = db.query<never, Params>(
      'DELETE FROM users WHERE id = $id AND ($expectedVersion IS NULL OR version = $expectedVersion)',
    )
    this.#exists = db.query<{ found: number }, Params>('SELECT 1 AS found FROM users WHERE id = $id')
    this.#countEnabledAdmins = db.query<{ count: number }, []>(
      "SELECT count(*) AS count FROM users WHERE role = 'admin' AND disabled = 0",
    )
    this.#endAllSessions = db.query<never, Params>(
      'UPDATE users SET session_version = session_version + 1 WHERE id = $id',
    )
    this.#setEndedSessions = db.query<never, Params>(
      'UPDATE users SET ended_sessions = $endedSessions WHERE id = $id',
    )
  }

  async create(input: NewUser): Promise<UserRecord> {
    const row = guarded(() =>
      this.#insert.get({
        id: new ObjectId().toHexString(),
        username: input.username,
        usernameKey: input.username.toLowerCase(),
        email: input.email.toLowerCase(),
        fullName: input.fullName,
        fullNameKey: input.fullName.toLowerCase(),
        role: input.role,
        disabled: input.disabled,
        emailVerified: input.emailVerified ?? false,
        passwordHash: input.passwordHash,
        now: Date.now(),
      }),
    )
    if (!row) throw new Error('INSERT ... RETURNING gave no row')
    return toRecord(row)
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = guarded(() => this.#findById.get({ id }))
    return row ? toRecord(row) : null
  }

  async findByLogin(usernameOrEmail: string): Promise<UserRecord | null> {
    const row = guarded(() => this.#findByLogin.get({ key: usernameOrEmail.toLowerCase() }))
    return row ? toRecord(row) : null
  }

  async list(filter: UserFilter, sort: Sort<UserSortField>, page: Page): Promise<Paged<UserRecord>> {
    const where: string[] = []
    const params: Params = {}
    if (filter.q !== undefined) {
      where.push('(instr(username_key, $q) > 0 OR instr(email, $q) > 0 OR instr(full_name_key, $q) > 0)')
      params.q = filter.q.toLowerCase()
    }
    if (filter.role !== undefined) {
      where.push('role = $role')
      params.role = filter.role
    }
    if (filter.disabled !== undefined) {
      where.push('disabled = $disabled')
      params.disabled = filter.disabled
    }
    const { rows, total } = guarded(() =>
      listPage<UserRow>(this.db, {
        from: 'users',
        columns: COLUMNS,
        where,
        params,
        orderBy: SORT_COLUMNS[sort.field],
        descending: sort.descending,
        page,
      }),
    )
    return { items: rows.map(toRecord), total }
  }

  async update(id: string, changes: UserChanges, expectedVersion?: number): Promise<UserRecord | null> {
    const params = {
      id,
      expectedVersion: expectedVersion ?? null,
      username: changes.username ?? null,
      usernameKey: changes.username?.toLowerCase() ?? null,
      email: changes.email?.toLowerCase() ?? null,
      fullName: changes.fullName ?? null,
      fullNameKey: changes.fullName?.toLowerCase() ?? null,
      role: changes.role ?? null,
      disabled: changes.disabled ?? null,
      emailVerified: changes.emailVerified ?? null,
      passwordHash: changes.passwordHash ?? null,
      endSessions: changes.endSessions ? 1 : 0,
      now: Date.now(),
    }
    const write = () => this.#update.get(params)
    // Only a change of role or disabled can remove an admin: only those take the write lock first.
    const row = guarded(() =>
      changes.role === undefined && changes.disabled === undefined
        ? write()
        : this.#keepingAnAdmin(
            id,
            (current) =>
              !enabledAdminRow({
                role: changes.role ?? current.role,
                disabled: changes.disabled === undefined ? current.disabled : Number(changes.disabled),
              }),
            write,
          ),
    )
    if (row) return toRecord(row)
    this.#assertMissing(id)
    return null
  }

  async delete(id: string, expectedVersion?: number): Promise<boolean> {
    const { changes } = guarded(() =>
      this.#keepingAnAdmin(
        id,
        () => true,
        () => this.#delete.run({ id, expectedVersion: expectedVersion ?? null }),
      ),
    )
    if (changes > 0) return true
    this.#assertMissing(id)
    return false
  }

  async countEnabledAdmins(): Promise<number> {
    return guarded(() => this.#countEnabledAdmins.get()?.count ?? 0)
  }

  async endAllSessions(id: string): Promise<void> {
    guarded(() => this.#endAllSessions.run({ id }))
  }

  async endSession(id: string, sid: string, until: Date): Promise<void> {
    const now = Date.now()
    // Read and write in one transaction: a concurrent logout of another session is not lost.
    guarded(() =>
      this.db
        .transaction(() => {
          const row = this.#findById.get({ id })
          if (!row) return
          const live = Object.entries(JSON.parse(row.ended_sessions) as Record<string, number>).filter(
            ([, at]) => at > now,
          )
          const endedSessions = JSON.stringify(Object.fromEntries([...live, [sid, until.getTime()]]))
          this.#setEndedSessions.run({ id, endedSessions })
        })
        .immediate(),
    )
  }

  /**
   * Runs `write` in a transaction that holds the write lock from the start (so no other process
   * can change an admin in between), after refusing with `LastAdminError` when the user is an
   * enabled admin, `removes(current)` says the write ends that, and no other enabled admin exists.
   */
  #keepingAnAdmin<T>(id: string, removes: (current: UserRow) => boolean, write: () => T): T {
    return this.db
      .transaction(() => {
        const current = this.#findById.get({ id })
        if (current && enabledAdminRow(current) && removes(current)) {
          if ((this.#countEnabledAdmins.get()?.count ?? 0) <= 1) throw new LastAdminError()
        }
        return write()
      })
      .immediate()
  }

  /** After a write matched no row: the user is gone (fine), or its version moved on (412). */
  #assertMissing(id: string): void {
    if (guarded(() => this.#exists.get({ id }))) throw new PreconditionFailedError()
  }
}
