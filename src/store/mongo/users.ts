/** Users in the `users` collection. */
import type { Collection, Db, Filter, IndexDescription } from 'mongodb'
import type { Role, UserSortField } from '../../core/domain.ts'
import { ConflictError } from '../errors.ts'
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
import type { ServerCompat } from './compat/index.ts'
import { guard, mapUnavailable } from './errors.ts'

/** A user as stored: `usernameKey` is the lower-cased username that uniqueness and sorting use. */
export interface UserDoc extends VersionedDoc {
  username: string
  usernameKey: string
  email: string
  fullName: string
  role: Role
  disabled: boolean
  passwordHash: string
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
    passwordHash: doc.passwordHash,
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

/** The stored form of the fields in `changes`: keys derived from username and email included. */
function toStored(changes: UserChanges): Partial<UserDoc> {
  const stored: Partial<UserDoc> = definedOnly(changes)
  if (changes.username !== undefined) stored.usernameKey = changes.username.toLowerCase()
  if (changes.email !== undefined) stored.email = changes.email.toLowerCase()
  return stored
}

export class MongoUserRepository implements UserRepository {
  private readonly users: Collection<UserDoc>

  constructor(
    db: Db,
    private readonly compat: ServerCompat,
  ) {
    this.users = db.collection<UserDoc>('users')
  }

  create(input: NewUser): Promise<UserRecord> {
    return guard(async () => {
      const now = new Date()
      const doc = { ...(toStored(input) as Omit<UserDoc, '_id'>), version: 1, createdAt: now, updatedAt: now }
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
    return guard(async () => {
      try {
        const doc = await updateVersioned(this.compat, this.users, id, stored, expectedVersion)
        return doc ? toRecord(doc) : null
      } catch (error) {
        throw await this.conflictOr(error, stored)
      }
    })
  }

  delete(id: string, expectedVersion?: number): Promise<boolean> {
    return guard(() => deleteVersioned(this.compat, this.users, id, expectedVersion))
  }

  countEnabledAdmins(): Promise<number> {
    return guard(() => this.users.countDocuments({ role: 'admin', disabled: false }))
  }

  /** `ConflictError` naming the field when writing `written` hit a unique index, else `error` itself. */
  private async conflictOr(error: unknown, written: Partial<UserDoc>): Promise<unknown> {
    const index = await this.compat.duplicateKeyIndex(error, this.users, written, userIndexes)
    if (index === USERNAME_INDEX) return new ConflictError('username')
    if (index === EMAIL_INDEX) return new ConflictError('email')
    return mapUnavailable(error)
  }
}
