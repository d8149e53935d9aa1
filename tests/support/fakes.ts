/**
 * In-memory repositories for unit tests of the services: the contracts of `src/store/types.ts`,
 * kept in plain maps and arrays that a test may read to see what was written. Small on purpose; the
 * real engines are held to the same contract by `tests/store/contract`.
 */
import { isEnabledAdmin, type ProductSortField, type UserSortField } from '../../src/core/domain'
import { ConflictError, LastAdminError, PreconditionFailedError } from '../../src/store/errors'
import type {
  LoginAttemptRepository,
  NewProduct,
  NewRefreshToken,
  NewUser,
  Page,
  Paged,
  ProductChanges,
  ProductFilter,
  ProductRecord,
  ProductRepository,
  RefreshTokenRecord,
  RefreshTokenRepository,
  RotateResult,
  Sort,
  UserChanges,
  UserFilter,
  UserRecord,
  UserRepository,
} from '../../src/store/types'
import { unique } from './unique'

let ids = 0
/** A new 24-hex id, as both engines make them. */
export const newId = (): string => (++ids).toString(16).padStart(24, '0')

const contains = (text: string, q: string) => text.toLowerCase().includes(q.toLowerCase())

/** Sorts by `key` (strings ignoring case), ties by id in the same direction, and cuts the page. */
function paged<T extends { id: string }>(
  items: T[],
  key: (item: T) => string | number,
  descending: boolean,
  { page, limit }: Page,
): Paged<T> {
  const value = (item: T) => {
    const k = key(item)
    return typeof k === 'string' ? k.toLowerCase() : k
  }
  const sorted = [...items].sort((a, b) => {
    const [x, y, i, j] = [value(a), value(b), a.id, b.id]
    const order = x < y ? -1 : x > y ? 1 : i < j ? -1 : i > j ? 1 : 0
    return descending ? -order : order
  })
  return { items: sorted.slice((page - 1) * limit, page * limit), total: sorted.length }
}

/** `fields` as a new record: a fresh id, version 1, and both timestamps now. */
function newRecord<T>(fields: T): T & { id: string; version: number; createdAt: Date; updatedAt: Date } {
  const now = new Date()
  return { ...fields, id: newId(), version: 1, createdAt: now, updatedAt: now }
}

/** The version check of every conditional write: 412 when `expectedVersion` is given and stale. */
function checkVersion(record: { version: number }, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && record.version !== expectedVersion) throw new PreconditionFailedError()
}

/** Records by id, handed out as copies, so that only the repository changes what is stored. */
class Records<R extends { id: string }> {
  /** Every stored record by id: what the code under test wrote. */
  readonly records = new Map<string, R>()

  async findById(id: string): Promise<R | null> {
    const record = this.records.get(id)
    return record ? structuredClone(record) : null
  }

  /** Stores `record` (new or changed) and returns a copy. */
  protected keep(record: R): R {
    this.records.set(record.id, record)
    return structuredClone(record)
  }
}

export class FakeUserRepository extends Records<UserRecord> implements UserRepository {
  /** Stores `fields` (on top of a plain enabled user) at once, as a test's starting state. */
  seed(fields: Partial<NewUser> = {}): UserRecord {
    const name = unique('user_')
    const record: UserRecord = newRecord({
      username: name,
      fullName: '',
      role: 'user',
      disabled: false,
      passwordHash: 'not-a-real-hash',
      sessionVersion: 0,
      endedSessions: {},
      ...fields,
      emailVerified: fields.emailVerified ?? false,
      email: (fields.email ?? `${name}@example.test`).toLowerCase(),
    })
    this.checkUnique(record)
    return this.keep(record)
  }

  async create(input: NewUser): Promise<UserRecord> {
    return this.seed(input)
  }

  async findByLogin(usernameOrEmail: string): Promise<UserRecord | null> {
    const login = usernameOrEmail.toLowerCase()
    for (const record of this.records.values()) {
      if (record.username.toLowerCase() === login || record.email === login) return structuredClone(record)
    }
    return null
  }

  async list(filter: UserFilter, sort: Sort<UserSortField>, page: Page): Promise<Paged<UserRecord>> {
    const { q, role, disabled } = filter
    const matching = [...this.records.values()].filter(
      (u) =>
        (q === undefined || [u.username, u.email, u.fullName].some((text) => contains(text, q))) &&
        (role === undefined || u.role === role) &&
        (disabled === undefined || u.disabled === disabled),
    )
    const key = (u: UserRecord) => (sort.field === 'createdAt' ? u.createdAt.getTime() : u[sort.field])
    return structuredClone(paged(matching, key, sort.descending, page))
  }

  async update(id: string, changes: UserChanges, expectedVersion?: number): Promise<UserRecord | null> {
    const current = this.records.get(id)
    if (!current) return null
    const { endSessions, ...fields } = changes
    const next: UserRecord = {
      ...current,
      ...fields,
      emailVerified: changes.emailVerified ?? current.emailVerified,
      email: (changes.email ?? current.email).toLowerCase(),
      version: current.version + 1,
      sessionVersion: current.sessionVersion + (endSessions ? 1 : 0),
      updatedAt: new Date(),
    }
    if (!isEnabledAdmin(next)) this.keepAnAdmin(current)
    checkVersion(current, expectedVersion)
    this.checkUnique(next)
    return this.keep(next)
  }

  async delete(id: string, expectedVersion?: number): Promise<boolean> {
    const current = this.records.get(id)
    if (!current) return false
    this.keepAnAdmin(current)
    checkVersion(current, expectedVersion)
    return this.records.delete(id)
  }

  async countEnabledAdmins(): Promise<number> {
    return [...this.records.values()].filter(isEnabledAdmin).length
  }

  async endAllSessions(id: string): Promise<void> {
    const current = this.records.get(id)
    if (current) current.sessionVersion += 1
  }

  async endSession(id: string, sid: string, until: Date): Promise<void> {
    const current = this.records.get(id)
    if (current) current.endedSessions[sid] = until
  }

  /** Throws `LastAdminError` when `current` is the last enabled admin and is about to stop being one. */
  private keepAnAdmin(current: UserRecord): void {
    const admins = [...this.records.values()].filter(isEnabledAdmin)
    if (isEnabledAdmin(current) && admins.length <= 1) throw new LastAdminError()
  }

  /** Username and email are unique ignoring case, among the other users. */
  private checkUnique(user: Pick<UserRecord, 'id' | 'username' | 'email'>): void {
    for (const other of this.records.values()) {
      if (other.id === user.id) continue
      if (other.username.toLowerCase() === user.username.toLowerCase()) throw new ConflictError('username')
      if (other.email === user.email.toLowerCase()) throw new ConflictError('email')
    }
  }
}

export class FakeProductRepository extends Records<ProductRecord> implements ProductRepository {
  /** Stores a product (`fields` on top of a plain one) at once, as a test's starting state. */
  seed(fields: Partial<NewProduct> = {}): ProductRecord {
    const record: ProductRecord = newRecord({
      name: unique('Product '),
      description: '',
      price: 1,
      stock: 1,
      tags: [],
      ownerId: newId(),
      ...fields,
    })
    return this.keep(record)
  }

  async create(input: NewProduct): Promise<ProductRecord> {
    return this.seed(input)
  }

  async list(filter: ProductFilter, sort: Sort<ProductSortField>, page: Page): Promise<Paged<ProductRecord>> {
    const { q, tag, minPrice, maxPrice, inStock } = filter
    const matching = [...this.records.values()].filter(
      (p) =>
        (q === undefined || contains(p.name, q) || contains(p.description, q)) &&
        (tag === undefined || p.tags.includes(tag)) &&
        (minPrice === undefined || p.price >= minPrice) &&
        (maxPrice === undefined || p.price <= maxPrice) &&
        (inStock === undefined || inStock === p.stock > 0),
    )
    const key = (p: ProductRecord) => (sort.field === 'createdAt' ? p.createdAt.getTime() : p[sort.field])
    return structuredClone(paged(matching, key, sort.descending, page))
  }

  async update(
    id: string,
    changes: ProductChanges,
    expectedVersion?: number,
    ownerId?: string,
  ): Promise<ProductRecord | null> {
    const current = this.owned(id, ownerId)
    if (!current) return null
    checkVersion(current, expectedVersion)
    return this.keep({ ...current, ...changes, version: current.version + 1, updatedAt: new Date() })
  }

  async delete(id: string, expectedVersion?: number, ownerId?: string): Promise<boolean> {
    const current = this.owned(id, ownerId)
    if (!current) return false
    checkVersion(current, expectedVersion)
    return this.records.delete(id)
  }

  /** The product, unless there is none or `ownerId` is given and is not its owner (the scope contract). */
  private owned(id: string, ownerId: string | undefined): ProductRecord | undefined {
    const current = this.records.get(id)
    return current && (ownerId === undefined || current.ownerId === ownerId) ? current : undefined
  }
}

export class FakeRefreshTokenRepository implements RefreshTokenRepository {
  /** Every stored token by hash. */
  readonly records = new Map<string, RefreshTokenRecord>()

  async insert(token: NewRefreshToken): Promise<void> {
    this.records.set(token.tokenHash, { ...token, createdAt: new Date(), rotatedAt: null, revokedAt: null })
  }

  async rotate(tokenHash: string, now: Date): Promise<RotateResult> {
    const token = this.records.get(tokenHash)
    if (!token || token.revokedAt || token.expiresAt <= now) return { outcome: 'invalid' }
    if (token.rotatedAt) return { outcome: 'reused', token: structuredClone(token) }
    token.rotatedAt = now
    return { outcome: 'rotated', token: structuredClone(token) }
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const token = this.records.get(tokenHash)
    return token ? structuredClone(token) : null
  }

  async revokeChain(chainId: string, now: Date): Promise<void> {
    for (const token of this.records.values()) if (token.chainId === chainId) token.revokedAt ??= now
  }

  async revokeAllForUser(userId: string, now: Date): Promise<void> {
    for (const token of this.records.values()) if (token.userId === userId) token.revokedAt ??= now
  }

  async revokeForClient(userId: string, clientId: string, now: Date): Promise<void> {
    for (const token of this.records.values())
      if (token.userId === userId && token.clientId === clientId) token.revokedAt ??= now
  }
}

/** One failure recorded under one key. */
export interface FailureRecord {
  attemptId: string
  key: string
  at: Date
  expiresAt: Date
}

export class FakeLoginAttemptRepository implements LoginAttemptRepository {
  /** Every failure still stored, one per key an attempt was recorded under. */
  readonly records: FailureRecord[] = []

  async recordFailure(keys: string[], at: Date, expiresAt: Date): Promise<string> {
    const attemptId = newId()
    for (const key of keys) this.records.push({ attemptId, key, at, expiresAt })
    return attemptId
  }

  async forget(attemptId: string): Promise<void> {
    for (let i = this.records.length - 1; i >= 0; i--) {
      if (this.records[i]?.attemptId === attemptId) this.records.splice(i, 1)
    }
  }

  async failuresSince(key: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
    const now = Date.now()
    const counted = this.records
      .filter((r) => r.key === key && r.at >= since && r.expiresAt.getTime() > now)
      .map((r) => r.at.getTime())
    return { count: counted.length, oldest: counted.length ? new Date(Math.min(...counted)) : null }
  }
}
