import { type Static, t } from 'elysia'
import {
  EMAIL_MAX,
  EMAIL_PATTERN,
  FULL_NAME_MAX,
  PASSWORD_MAX,
  PASSWORD_MIN,
  ROLES,
  type Role as RoleName,
  SEARCH_MAX,
  USER_SORT_FIELDS,
  USERNAME_PATTERN,
} from '../core/domain'
import {
  documentOnly,
  lenientQuery,
  ObjectId,
  pageOf,
  pagingQuery,
  sortQuery,
  Text,
  Timestamp,
} from '../http/schemas'
import type { UserRecord } from '../store/types'

/** One of `ROLES`; `Unsafe` only gives the union of literals its static type, `Role`. */
export const Role = t.Unsafe<RoleName>(
  t.Union(
    ROLES.map((role) => t.Literal(role)),
    { description: ROLES.join(' or '), error: `must be ${ROLES.map((r) => `"${r}"`).join(' or ')}` },
  ),
)

export const Username = t.String({
  pattern: USERNAME_PATTERN,
  error: 'must be 3 to 32 of a-z A-Z 0-9 _ . -',
  examples: ['ada_lovelace'],
})
export const Email = Text({
  pattern: EMAIL_PATTERN,
  maxLength: EMAIL_MAX,
  error: 'must be a valid email address',
  examples: ['ada@example.com'],
})
export const Password = Text({
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  error: `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
  examples: ['correct horse battery'],
})
export const FullName = Text({
  maxLength: FULL_NAME_MAX,
  error: `must be at most ${FULL_NAME_MAX} characters`,
  description: 'Trimmed; may be empty',
  examples: ['Ada Lovelace'],
})

const strict = { additionalProperties: false } as const

/** A user as every client sees it: never a password or its hash. */
export const User = t.Object({
  id: ObjectId,
  username: t.String(),
  email: t.String(),
  fullName: t.String(),
  role: Role,
  disabled: t.Boolean(),
  emailVerified: t.Boolean({
    description: 'The address was proven by following the link mailed to it; false again after a change',
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type User = Static<typeof User>

export const UserPage = pageOf(User)

export const Register = t.Object(
  { username: Username, email: Email, password: Password, fullName: t.Optional(FullName) },
  strict,
)

export const CreateUser = t.Object(
  {
    username: Username,
    email: Email,
    password: Password,
    fullName: t.Optional(FullName),
    role: t.Optional(Role),
    disabled: t.Optional(t.Boolean()),
  },
  strict,
)

export const ReplaceUser = t.Object(
  { username: Username, email: Email, fullName: FullName, role: Role, disabled: t.Boolean() },
  strict,
)

export const PatchUser = t.Partial(t.Object({ ...ReplaceUser.properties, password: Password }), strict)

export const PatchMe = t.Object(
  {
    fullName: t.Optional(FullName),
    email: t.Optional(Email),
    password: t.Optional(Password),
    currentPassword: t.Optional(
      Text({
        maxLength: PASSWORD_MAX,
        error: `must be at most ${PASSWORD_MAX} characters`,
        description: 'Required with password and with email',
      }),
    ),
  },
  // TypeBox does not know `dependentRequired`: the service refuses a password or an email without it (422).
  {
    ...strict,
    ...documentOnly({ dependentRequired: { password: ['currentPassword'], email: ['currentPassword'] } }),
  },
)

export const UserListQuery = t.Object(
  {
    ...pagingQuery,
    q: t.Optional(
      Text({
        maxLength: SEARCH_MAX,
        error: `must be at most ${SEARCH_MAX} characters`,
        description: 'Case-insensitive substring of username, email or full name',
      }),
    ),
    role: t.Optional(Role),
    disabled: t.Optional(t.Boolean({ title: 'disabled', error: 'must be true or false' })),
    sort: sortQuery(USER_SORT_FIELDS, 'createdAt'),
  },
  lenientQuery,
)

/** The schemas the OpenAPI document names, as Elysia reference models: routes use them by name. */
export const userModels = { User, UserPage, Register, CreateUser, ReplaceUser, PatchUser, PatchMe }

/** What a client may send to create an account, and what an admin may change of one. */
export type NewUserInput = Static<typeof CreateUser>
export type UserChangesInput = Static<typeof PatchUser>
export type SelfChangesInput = Static<typeof PatchMe>

/** The public view of a stored user: what every response shows of it. */
export const publicUser = (u: UserRecord): User => ({
  id: u.id,
  username: u.username,
  email: u.email,
  fullName: u.fullName,
  role: u.role,
  disabled: u.disabled,
  emailVerified: u.emailVerified,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
})
