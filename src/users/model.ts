import { type Static, t } from 'elysia'
import { lenientQuery, ObjectId, pageOf, pagingQuery, sortQuery, Timestamp } from '../http/schemas'
import type { UserRecord } from '../store/types'

/** Limits of SPEC section 3, in one place. */
export const USERNAME_PATTERN = '^[a-zA-Z0-9_.-]{3,32}$'
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 128
export const FULL_NAME_MAX = 100
export const USER_SORT_FIELDS = ['username', 'email', 'createdAt'] as const

export const Role = t.Union([t.Literal('user'), t.Literal('admin')], { description: 'user or admin' })

export const Username = t.String({
  pattern: USERNAME_PATTERN,
  error: 'must be 3 to 32 of a-z A-Z 0-9 _ . -',
  examples: ['ada_lovelace'],
})
/**
 * What an email address must look like (the check Elysia's own `email` format made). The schema
 * states it as a `pattern` rather than `format: 'email'`: importing `@elysiajs/openapi` replaces
 * that format's checker with a stricter one, and the document would then promise more than the
 * service takes.
 */
export const EMAIL_PATTERN =
  "^[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\\.)+[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$"
export const EMAIL_MAX = 254

export const Email = t.String({
  pattern: EMAIL_PATTERN,
  maxLength: EMAIL_MAX,
  error: 'must be a valid email address',
  examples: ['ada@example.com'],
})
export const Password = t.String({
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  error: `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
  examples: ['correct horse battery'],
})
export const FullName = t.String({
  maxLength: FULL_NAME_MAX,
  error: `must be at most ${FULL_NAME_MAX} characters`,
  description: 'Trimmed; may be empty',
  examples: ['Ada Lovelace'],
})

const strict = { additionalProperties: false } as const

/** A user as every client sees it: never a password or its hash. */
export const User = t.Object(
  {
    id: ObjectId,
    username: t.String(),
    email: t.String(),
    fullName: t.String(),
    role: Role,
    disabled: t.Boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'User' },
)
export type User = Static<typeof User>

export const UserPage = pageOf(User, 'UserPage')

export const Register = t.Object(
  { username: Username, email: Email, password: Password, fullName: t.Optional(FullName) },
  { ...strict, title: 'Register' },
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
  { ...strict, title: 'CreateUser' },
)

export const ReplaceUser = t.Object(
  { username: Username, email: Email, fullName: FullName, role: Role, disabled: t.Boolean() },
  { ...strict, title: 'ReplaceUser' },
)

export const PatchUser = t.Partial(t.Object({ ...ReplaceUser.properties, password: Password }), {
  ...strict,
  title: 'PatchUser',
})

export const PatchMe = t.Object(
  {
    fullName: t.Optional(FullName),
    email: t.Optional(Email),
    password: t.Optional(Password),
    currentPassword: t.Optional(t.String({ maxLength: PASSWORD_MAX, description: 'Required with password' })),
  },
  { ...strict, title: 'PatchMe' },
)

export const UserListQuery = t.Object(
  {
    ...pagingQuery,
    q: t.Optional(
      t.String({ maxLength: 100, description: 'Case-insensitive substring of username, email or full name' }),
    ),
    role: t.Optional(Role),
    disabled: t.Optional(t.Boolean({ title: 'disabled', error: 'must be true or false' })),
    sort: sortQuery(USER_SORT_FIELDS, 'createdAt'),
  },
  lenientQuery,
)

/** The public view of a stored user. */
export const toUser = (u: UserRecord): User => ({
  id: u.id,
  username: u.username,
  email: u.email,
  fullName: u.fullName,
  role: u.role,
  disabled: u.disabled,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
})
