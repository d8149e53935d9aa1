/**
 * The domain's vocabulary, defined once: roles, who is acting, sort keys and field limits. Every
 * layer imports these; this file imports nothing of ours (see docs/architecture.md).
 */

/** The roles an account can have. */
export const ROLES = ['user', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** The caller of a service method, as the auth plugin resolved it. */
export interface Actor {
  id: string
  role: Role
}

/** Keys `GET /users` sorts by. */
export const USER_SORT_FIELDS = ['username', 'email', 'createdAt'] as const
export type UserSortField = (typeof USER_SORT_FIELDS)[number]

/** Keys `GET /products` sorts by. */
export const PRODUCT_SORT_FIELDS = ['name', 'price', 'stock', 'createdAt'] as const
export type ProductSortField = (typeof PRODUCT_SORT_FIELDS)[number]

/** A resource id: 24 hex digits (a MongoDB ObjectId), the id format of both stores. */
export const ID_PATTERN = '^[0-9a-fA-F]{24}$'

/** Account fields (docs/api.md, Accounts). */
export const USERNAME_PATTERN = '^[a-zA-Z0-9_.-]{3,32}$'
/**
 * What an email address must look like (the check Elysia's own `email` format made), stated as a
 * pattern: importing `@elysiajs/openapi` replaces the `email` format's checker with a stricter
 * one, and the document would then promise more than the service takes.
 */
export const EMAIL_PATTERN =
  "^[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\\.)+[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$"
export const EMAIL_MAX = 254
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 128
export const FULL_NAME_MAX = 100
/** A login name is a username or an email, so it is as long as the longer of the two may be. */
export const LOGIN_MAX = EMAIL_MAX

/** Product fields (docs/api.md, Products). */
export const PRODUCT_NAME_MAX = 200
export const DESCRIPTION_MAX = 2000
export const PRICE_MAX = 1_000_000_000
export const TAGS_MAX = 20
export const TAG_MAX = 40

/** Free-text search (`q`) in lists. */
export const SEARCH_MAX = 100

/**
 * A string's length as every length limit counts it: Unicode characters (code points), as JSON
 * Schema's `minLength` and `maxLength` do, so that an emoji is one character, as the OpenAPI
 * document says, and not the two UTF-16 code units of JavaScript's `length`.
 */
export function textLength(text: string): number {
  let length = text.length
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0xd800 || unit > 0xdbff) continue
    const next = text.charCodeAt(i + 1)
    // A high surrogate followed by a low one is one character; a lone one counts as one, as it does in JSON Schema tools.
    if (next >= 0xdc00 && next <= 0xdfff) {
      length--
      i++
    }
  }
  return length
}
