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

/** An admin whose account is enabled: the kind there must always be one of. */
export const isEnabledAdmin = (user: { role: Role; disabled: boolean }) =>
  user.role === 'admin' && !user.disabled

/**
 * Scopes of the OpenID Connect sign-in (`openid`, `profile`, `email`; OpenID Connect Core 1.0
 * section 5.4) and `offline_access` (section 11: a refresh token may be issued).
 */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const
/**
 * Scopes of the API, one `resource:access` pair per resource: `:read` covers the reads that need a
 * token, `:write` creating, changing and deleting. The list is kept short on purpose: a route
 * declares one of these, and roles still apply on top (an admin-only route stays admin-only).
 */
export const API_SCOPES = [
  'products:read',
  'products:write',
  'users:read',
  'users:write',
  'clients:read',
  'clients:write',
  'keys:write',
] as const
export type ApiScope = (typeof API_SCOPES)[number]
/** Every scope a client may be registered for, and so may ask for. */
export const SCOPES = [...OIDC_SCOPES, ...API_SCOPES] as const
export type Scope = (typeof SCOPES)[number]

/**
 * The built-in public client: the docs pages (Swagger UI), and whoever calls the token routes
 * without naming a client (the quick start, Postman). Tokens from before clients existed count as
 * its own. It may ask for every API scope.
 */
export const DOCS_CLIENT_ID = 'mercado-docs'

/** The grant types a client may be registered for (RFC 7591 section 2). */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'password'] as const
export type GrantType = (typeof GRANT_TYPES)[number]

/** How a client authenticates at the token endpoint; `none` is a public client (PKCE only). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number]

/** Client fields (docs/api.md, Clients). */
export const CLIENT_NAME_MAX = 100
export const REDIRECT_URI_MAX = 2000
export const REDIRECT_URIS_MAX = 10
