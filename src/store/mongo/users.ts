/** Users in the `users` collection. */
import type { Collection, Db, Filter, IndexDescription, UpdateFilter } from 'mongodb'
import { isEnabledAdmin, type Role, type UserSortField } from '../../core/domain.ts'
import { ConflictError, LastAdminError } from '../errors.ts'
import type {
  NewUser,
  Page,
  Paged,
  Sort,
  UserChanges,
  UserFilter,
  UserRecord,
  UserRepository,
} from '../types.ts'
import type { WriteClaims } from './claims.ts'
import {
  containsIgnoringCase,
  definedOnly,
  deleteVersioned,
  findPage,
  sortBy,
  toObjectId,
  updateVersioned,
  type VersionedDoc,
} from './common.ts'
import type { ServerCompat, VersionFilter } from './compat/index.ts'
import { guard, mapUnavailable } from './errors.ts'

/** A user as stored: `usernameKey` is the lower-cased username that uniqueness and sorting use. */
export interface UserDoc extends VersionedDoc {
  username: string
  usernameKey: string
  email: string
  fullName: string
  role: Role
  disabled: boolean
  /** Absent on users stored before email verification: false. */
  emailVerified?: boolean
  passwordHash: string
  /** Absent on users stored before sessions could be ended: 0. */
  sessionVersion?: number
  /** Session id → until when its access tokens are refused; absent when none was ever ended. */
  endedSessions?: Record<string, Date>
}

// Explicit names: a collision is told by the index it hit.
const USERNAME_INDEX = 'users_username_key'
const EMAIL_INDEX = 'users_email'

export const userIndexes: IndexDescription[] = [
  // Unique on lower-cased copies rather than a case-insensitive collation, which not every server has.
  { key: { usernameKey: 1 }, name: USERNAME_INDEX, unique: true },
  { key: { email: 1 }, name: EMAIL_INDEX, unique: true },
  { key: { createdAt: 1, _id: 1 }, name: 'users_created_at' },
  { key: { role: 1, disabled: 1 }, name: 'users_role_disabled' },
]

const SORT_FIELDS: Record<UserSortField, keyof UserDoc> = {
  username: 'usernameKey',
  email: 'email',
  createdAt: 'createdAt',
}

function toRecord(doc: UserDoc): UserRecord {
  return {
    id: doc._id.toHexString(),
    username: doc.username,
    email: doc.email,
    fullName: doc.fullName,
    role: doc.role,
    disabled: doc.disabled,
    emailVerified: doc.emailVerified ?? false,
    passwordHash: doc.passwordHash,
    version: doc.version,
    sessionVersion: doc.sessionVersion ?? 0,
    endedSessions: doc.endedSessions ?? {},
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

/** The stored form of the fields in `changes`: keys derived from username and email included. */
function toStored({ endSessions: _, ...changes }: UserChanges): Partial<UserDoc> {
  const stored: Partial<UserDoc> = definedOnly(changes)
  if (changes.username !== undefined) stored.usernameKey = changes.username.toLowerCase()
  if (changes.email !== undefined) stored.email = changes.email.toLowerCase()
  return stored
}

/** The claim every change that can remove an enabled admin holds (see `keepingAnAdmin`). */
const ADMIN_CLAIM = 'users:enabled-admins'

export class MongoUserRepository implements UserRepository {
  private readonly users: Collection<UserDoc>

  constructor(
    db: Db,
    private readonly compat: ServerCompat,
    private readonly claims: WriteClaims,
    /** The deadline of one store call: the longest a change waits for another admin change. */
    private readonly callTimeoutMs: number,
  ) {
    this.users = db.collection<UserDoc>('users')
  }

  create(input: NewUser): Promise<UserRecord> {
    return guard(async () => {
      const now = new Date()
      const stored = toStored({ ...input, emailVerified: input.emailVerified ?? false })
      const doc = { ...(stored as Omit<UserDoc, '_id'>), version: 1, createdAt: now, updatedAt: now }
      try {
        const { insertedId } = await this.users.insertOne(doc as UserDoc)
        return toRecord({ ...doc, _id: insertedId })
      } catch (error) {
        throw await this.conflictOr(error, doc)
      }
    })
  }

  findById(id: string): Promise<UserRecord | null> {
    const _id = toObjectId(id)
    if (!_id) return Promise.resolve(null)
    return guard(async () => {
      const doc = await this.users.findOne({ _id })
      return doc ? toRecord(doc) : null
    })
  }

  findByLogin(usernameOrEmail: string): Promise<UserRecord | null> {
    const key = usernameOrEmail.toLowerCase()
    return guard(async () => {
      const doc = await this.users.findOne({ $or: [{ usernameKey: key }, { email: key }] })
      return doc ? toRecord(doc) : null
    })
  }

  list(filter: UserFilter, sort: Sort<UserSortField>, page: Page): Promise<Paged<UserRecord>> {
    const query: Filter<UserDoc> = {}
    if (filter.q) {
      const match = containsIgnoringCase(filter.q)
      query.$or = [{ username: match }, { email: match }, { fullName: match }]
    }
    if (filter.role !== undefined) query.role = filter.role
    if (filter.disabled !== undefined) query.disabled = filter.disabled
    return guard(async () => {
      const { docs, total } = await findPage(
        this.users,
        query,
        sortBy(SORT_FIELDS[sort.field], sort.descending),
        page,
      )
      return { items: docs.map(toRecord), total }
    })
  }

  update(id: string, changes: UserChanges, expectedVersion?: number): Promise<UserRecord | null> {
    const stored = toStored(changes)
    const inc: Record<string, number> = changes.endSessions ? { sessionVersion: 1 } : {}
    const write = async () => {
      try {
        const doc = await updateVersioned(this.compat, this.users, id, stored, expectedVersion, {}, inc)
        return doc ? toRecord(doc) : null
      } catch (error) {
        throw await this.conflictOr(error, stored)
      }
    }
    // Only a change of role or disabled can remove an admin.
    if (changes.role === undefined && changes.disabled === undefined) return guard(write)
    return guard(() =>
      this.keepingAnAdmin(id, (current) => !isEnabledAdmin({ ...current, ...stored }), write),
    )
  }

  delete(id: string, expectedVersion?: number): Promise<boolean> {
    return guard(() =>
      this.keepingAnAdmin(
        id,
        () => true,
        () => deleteVersioned(this.compat, this.users, id, expectedVersion),
      ),
    )
  }

  countEnabledAdmins(): Promise<number> {
    return guard(() => this.users.countDocuments({ role: 'admin', disabled: false }))
  }

  endAllSessions(id: string): Promise<void> {
    return this.writeSessions(id, { $inc: { sessionVersion: 1 } })
  }

  endSession(id: string, sid: string, until: Date): Promise<void> {
    return guard(async () => {
      const _id = toObjectId(id)
      if (!_id) return
      // Session ids are UUIDs: no '.' or '$' to misread in a field path.
      const doc = await this.compat.updateIfMatches(
        this.users,
        { _id } as VersionFilter<UserDoc>,
        {
          $set: { [`endedSessions.${sid}`]: until },
        } as UpdateFilter<UserDoc>,
      )
      const now = Date.now()
      const over = Object.entries(doc?.endedSessions ?? {}).filter(([, at]) => at.getTime() <= now)
      // Forgetting an entry whose time has passed changes no answer, whenever it lands.
      if (over.length > 0) {
        const unset = Object.fromEntries(over.map(([old]) => [`endedSessions.${old}`, '']))
        await this.writeSessions(id, { $unset: unset } as UpdateFilter<UserDoc>)
      }
    })
  }

  /** A write of the session fields, which leaves `version` (the ETag) as it is. */
  private writeSessions(id: string, update: UpdateFilter<UserDoc>): Promise<void> {
    const _id = toObjectId(id)
    if (!_id) return Promise.resolve()
    return guard(async () => {
      await this.compat.updateIfMatches(this.users, { _id } as VersionFilter<UserDoc>, update)
    })
  }

  /**
   * Runs `write` holding the admin claim, after refusing with `LastAdminError` when the user is an
   * enabled admin, `removes(current)` says the write ends that, and no other enabled admin exists.
   * Every such change holds the claim, on any instance, so the count cannot go stale before the
   * write: two admins demoting each other at once leave one. (A multi-document transaction would
   * do the same, but needs a replica set; a standalone server and FerretDB v1 have none.)
   */
  private async keepingAnAdmin<T>(
    id: string,
    removes: (current: UserDoc) => boolean,
    write: () => Promise<T>,
  ) {
    const _id = toObjectId(id)
    if (!_id) return write()
    return this.claims.exclusive(ADMIN_CLAIM, this.callTimeoutMs, async () => {
      const current = await this.users.findOne({ _id })
      if (current && isEnabledAdmin(current) && removes(current)) {
        if ((await this.countEnabledAdmins()) <= 1) throw new LastAdminError()
      }
      return write()
    })
  }

  /** `ConflictError` naming the field when writing `written` hit a unique index, else `error` itself. */
  private async conflictOr(error: unknown, written: Partial<UserDoc>): Promise<unknown> {
    const index = await this.compat.duplicateKeyIndex(error, this.users, written, userIndexes)
    if (index === USERNAME_INDEX) return new ConflictError('username')
    if (index === EMAIL_INDEX) return new ConflictError('email')
    return mapUnavailable(error)
  }
}
