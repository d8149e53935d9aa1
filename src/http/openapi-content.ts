/** The prose, headers and examples of the OpenAPI document (see `openapi.ts` for how they are used). */
import type { ApiScope, OIDC_SCOPES } from '../core/domain'
import { problemBody } from './problem'

export const DESCRIPTION = `Accounts, login and a product catalog.

## Authentication
\`POST /auth/login\` is the OAuth2 password grant (RFC 6749 section 4.3): send
\`grant_type=password&username=...&password=...\` form-encoded, or JSON \`{ "username", "password" }\`.
It answers an access token (a JWT, valid \`ACCESS_TOKEN_TTL\`, 15 minutes by default) and a refresh token.
Send the access token as \`Authorization: Bearer <token>\`. In Swagger UI, press **Authorize** and use
*OAuth2AuthorizationCode* (sign in on the sign-in page, the authorization code flow with PKCE), fill in
the *OAuth2Password* form, or paste a token into *BearerJWT*. \`POST /auth/refresh\` rotates the refresh
token; \`POST /auth/logout\` revokes it.

## Errors
Errors are RFC 9457 problem details (\`application/problem+json\`): \`{ type, title, status, detail, instance }\`.
Validation errors (422) add \`errors: [{ pointer, detail }]\`, one entry per bad field (\`is required\` for
a missing one, \`must be a string\` and the like for a wrong type); unknown body fields are refused. The token routes answer RFC 6749 section 5.2 errors (\`{ error, error_description }\`, 400) instead.
Faulty client metadata on \`/clients\` is an RFC 7591 error (\`invalid_redirect_uri\` or \`invalid_client_metadata\`, 400).
A 401 carries \`WWW-Authenticate: Bearer\`; 429 and 503 carry \`Retry-After\` (seconds). A path that exists
answers another method with 405 and an \`Allow\` header; an unknown path answers 404.

## Concurrency: ETags
Single-resource responses carry an \`ETag\`. \`GET\` with \`If-None-Match\` answers 304 when nothing changed.
\`PUT\`, \`PATCH\` and \`DELETE\` with \`If-Match\` answer 412 when the resource changed meanwhile; writes
without \`If-Match\` are allowed.

## Lists
Lists take \`page\` (from 1) and \`limit\` (1 to 100, default 20) and answer
\`{ items, page, limit, total }\`. \`sort\` takes one of the route's fields, \`-field\` for descending.

## Request ids
Every response carries \`X-Request-Id\`: the client's own, when it sends a sane one, or a generated one.
The service's log lines name it.

## Strings
Lengths (\`minLength\`, \`maxLength\`) count Unicode characters (code points), as JSON Schema does: an
emoji is one character. Names and descriptions are trimmed;
emails, usernames and tags compare ignoring case.`

export const TAGS = [
  { name: 'auth', description: 'Register, log in (OAuth2 password grant), refresh and log out' },
  { name: 'users', description: 'Your own account under `/users/me`; every other user route is for admins' },
  {
    name: 'products',
    description: 'The catalog: public reads; writes by signed-in users, changes by the owner or an admin',
  },
  {
    name: 'clients',
    description:
      'The registry of OAuth client applications, for admins: RFC 7591 registration (an admin token is the initial access token), reads, replacement, secret rotation and deletion',
  },
  { name: 'service', description: 'Service information, health, readiness and static files' },
  {
    name: 'keys',
    description: 'The public signing keys (JWKS) that verify access tokens, and their rotation (admins)',
  },
]

/** What each API scope allows (docs/api.md, Scopes); the OAuth2 flows list them. */
const API_SCOPE_TEXT: Record<ApiScope, string> = {
  'products:read': 'Read products (the reads are public today)',
  'products:write': 'Create, change and delete your products (any product, for admins)',
  'users:read': 'Read your account (any account, for admins)',
  'users:write': 'Change your account, end your sessions (any account, for admins)',
  'clients:read': 'Read the registered OAuth clients (admins)',
  'clients:write': 'Register, change and delete OAuth clients (admins)',
  'keys:write': 'Rotate the signing keys (admins)',
}

/** What each OpenID Connect scope adds (OpenID Connect Core 1.0 sections 3.1.2.1, 5.4 and 11). */
const OIDC_SCOPE_TEXT: Record<(typeof OIDC_SCOPES)[number], string> = {
  openid: 'Sign in with OpenID Connect: an ID token (who signed in, when) and `/userinfo`',
  profile: 'Your username and full name, in the ID token and from `/userinfo`',
  email: 'Your email address, in the ID token and from `/userinfo`',
  offline_access: 'A refresh token, to get new access tokens while you are away',
}

/** The order is the order of Swagger UI's Authorize dialog: the recommended flow first. */
export const SECURITY_SCHEMES = {
  OAuth2AuthorizationCode: {
    type: 'oauth2',
    description:
      'Sign in on the sign-in page (the authorization code flow with PKCE, as the built-in docs client `mercado-docs`): Swagger UI opens a window, you sign in there, and it comes back with the token. Tick the API scopes you want; `openid`, `profile` and `email` add an ID token, which Swagger UI does not use.',
    flows: {
      authorizationCode: {
        authorizationUrl: '/authorize',
        tokenUrl: '/auth/token',
        refreshUrl: '/auth/token',
        scopes: { ...OIDC_SCOPE_TEXT, ...API_SCOPE_TEXT },
      },
    },
  },
  OAuth2Password: {
    type: 'oauth2',
    description:
      'Log in with a username (or email) and password (the legacy password grant, as the built-in docs client); the token endpoint takes a form or JSON. Leave every scope unticked to get all of them.',
    flows: { password: { tokenUrl: '/auth/login', refreshUrl: '/auth/refresh', scopes: API_SCOPE_TEXT } },
  },
  BearerJWT: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token (RFC 9068) from `POST /auth/token` or `POST /auth/login`; each operation names the scope it needs.',
  },
}

export const HEADERS = {
  XRequestId: {
    description:
      "The request's id: the client's own `X-Request-Id` when it is sane, otherwise a generated one",
    schema: { type: 'string' },
  },
  ETag: {
    description: 'The current version of the resource, for `If-None-Match` and `If-Match`',
    schema: { type: 'string' },
  },
  Location: { description: 'The new resource', schema: { type: 'string', format: 'uri-reference' } },
  WWWAuthenticate: {
    description: 'The Bearer challenge (RFC 6750); with `error="invalid_token"` when a token was sent',
    schema: { type: 'string' },
  },
  RetryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created; `Location` names the new resource',
  204: 'Done; no body',
  304: 'Not modified: `If-None-Match` matches the current ETag',
  400: 'The body is not valid JSON or UTF-8, or nests, repeats or runs on beyond the reading limits',
  401: 'No token, or a bad, expired or revoked one',
  403: 'Signed in, but the role or ownership does not allow it, or the account is disabled',
  404: 'No such resource',
  409: 'A unique field (username, email) is taken, the change would remove the last enabled admin, or a public client has no secret to rotate',
  412: '`If-Match` does not match the current ETag',
  413: "The body is larger than this route's limit (8 KiB, 32 KiB for product writes, 64 KiB for client metadata) or `BODY_LIMIT`",
  415: 'The body has a content type this route does not take',
  422: 'The request failed validation; `errors` lists each bad field',
  429: 'Too many failed logins; retry after `Retry-After` seconds',
  500: 'Unexpected error; it is logged with the request id',
  503: 'The database is unreachable; retry after `Retry-After` seconds',
}

/** A response's description: the route's own if it wrote one, else what the status means here. */
export function responseDescription(
  status: number,
  schemaName: string | undefined,
  generated: unknown,
): string {
  const own =
    typeof generated === 'string' && !/^Response for status|problem details|error response$/.test(generated)
  if (own) return generated
  if (status === 400 && schemaName === 'OAuthError') return 'OAuth2 error (RFC 6749 section 5.2)'
  if (status === 400 && schemaName === 'ClientMetadataError') {
    return 'Faulty client metadata, or a body that is not JSON (RFC 7591 section 3.2.2)'
  }
  const text = STATUS_TEXT[status] ?? 'See the body'
  return (status === 200 || status === 201) && schemaName ? `${text}: ${schemaName}` : text
}

const at = '2026-11-28T09:30:00.000Z'
const user = {
  id: '66f1c0ffee0000000000beef',
  username: 'ada_lovelace',
  email: 'ada@example.com',
  fullName: 'Ada Lovelace',
  role: 'user',
  disabled: false,
  emailVerified: true,
  createdAt: at,
  updatedAt: at,
}
const product = {
  id: '66f1c0ffee0000000000cafe',
  name: 'Espresso cup',
  description: 'Porcelain, 90 ml',
  price: 12.5,
  stock: 40,
  tags: ['kitchen', 'porcelain'],
  ownerId: user.id,
  createdAt: at,
  updatedAt: at,
}
const productFields = {
  name: product.name,
  description: product.description,
  price: 12.5,
  stock: 40,
  tags: product.tags,
}

const clientMetadata = {
  client_name: 'Shop analytics',
  redirect_uris: ['https://analytics.example.com/callback'],
  post_logout_redirect_uris: [],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: 'openid profile offline_access products:read',
  token_endpoint_auth_method: 'client_secret_basic',
  first_party: false,
}
const client = { client_id: 'pD1x0e5mYbqk9Yd3yq2nVw', ...clientMetadata, client_id_issued_at: 1_795_858_200 }
const clientSecret = 'Zr1q8W3xkN0cV5bT7yL2mP4sD6fG9hJ1aQ3eR5tY7uI'

/** Fields a form body must carry beyond its JSON schema, by schema name (RFC 6749 section 4.3.2). */
export const FORM_REQUIRED: Record<string, string[]> = { LoginForm: ['grant_type'] }

/** Examples of the main bodies, by schema name; `tests/docs.test.ts` checks each against its schema. */
export const EXAMPLES: Record<string, unknown> = {
  User: user,
  UserPage: { items: [user], page: 1, limit: 20, total: 1 },
  Product: product,
  ProductPage: { items: [product], page: 1, limit: 20, total: 1 },
  Register: {
    username: user.username,
    email: user.email,
    password: 'correct horse battery',
    fullName: user.fullName,
  },
  CreateUser: {
    username: 'grace',
    email: 'grace@example.com',
    password: 'correct horse battery',
    role: 'admin',
  },
  ReplaceUser: {
    username: user.username,
    email: user.email,
    fullName: user.fullName,
    role: 'user',
    disabled: false,
  },
  PatchUser: { disabled: true },
  VerifyEmail: { token: '8Vx3o1VqZyPpS6m0nYQ2g4v7bJxk1yF3Qm9hXo2tC5E' },
  PasswordResetRequest: { login: user.email },
  PasswordResetConfirm: {
    token: 'Qm9hXo2tC5E8Vx3o1VqZyPpS6m0nYQ2g4v7bJxk1yF3',
    newPassword: 'a new long passphrase',
  },
  ResetAccepted: {
    status: 'accepted',
    detail: 'If an account matches, a link to choose a new password is on its way to its email address.',
  },
  PatchMe: {
    fullName: 'Ada King',
    password: 'a new long passphrase',
    currentPassword: 'correct horse battery',
  },
  CreateProduct: productFields,
  ReplaceProduct: productFields,
  PatchProduct: { price: 9.9, stock: 12 },
  LoginForm: { grant_type: 'password', username: user.username, password: 'correct horse battery' },
  RefreshForm: { refresh_token: 'mG3ZKx2uN6j0dKZqY6bJv0q2Wm1rYdXo8sHk4TqPz9E' },
  TokenResponse: {
    access_token:
      'eyJhbGciOiJSUzI1NiIsImtpZCI6Ik56YkxzWGg4dURDY2QtNk1Od1hGNFdfN25vV1hGWkFmSGt4WnNSR0M5WHMiLCJ0eXAiOiJhdCtqd3QifQ.eyJzdWIiOiI2NmYxYzBmZmVlMDAwMDAwMDAwMGJlZWYiLCJyb2xlIjoidXNlciJ9.c2lnbmF0dXJl',
    token_type: 'bearer',
    expires_in: 900,
    refresh_token: 'mG3ZKx2uN6j0dKZqY6bJv0q2Wm1rYdXo8sHk4TqPz9E',
    scope: 'products:read products:write users:read users:write',
  },
  OAuthError: { error: 'invalid_grant', error_description: 'invalid username or password' },
  TokenForm: { grant_type: 'client_credentials', scope: 'products:read' },
  TokenParameter: { token: 'mG3ZKx2uN6j0dKZqY6bJv0q2Wm1rYdXo8sHk4TqPz9E', token_type_hint: 'refresh_token' },
  Introspection: {
    active: true,
    scope: 'products:read',
    client_id: 'ehbEwkRMWzOIeAV--Cwq6w',
    token_type: 'Bearer',
    exp: 1_795_948_917,
    iat: 1_795_948_017,
    sub: 'ehbEwkRMWzOIeAV--Cwq6w',
    aud: 'mercado',
    iss: 'https://mercado.example',
    jti: '975df7f7-6bbd-4159-82e7-59900e21510f',
  },
  ClientMetadata: clientMetadata,
  Client: client,
  ClientPage: { items: [client], page: 1, limit: 20, total: 1 },
  RegisteredClient: { ...client, client_secret: clientSecret, client_secret_expires_at: 0 },
  ClientSecret: { client_id: client.client_id, client_secret: clientSecret, client_secret_expires_at: 0 },
  ClientMetadataError: {
    error: 'invalid_redirect_uri',
    error_description:
      'redirect_uris: "http://app.example.com/cb" must use https (http only on localhost, 127.0.0.1 or [::1])',
  },
}

const ISSUER = 'https://mercado.example'

/** What the discovery documents say, for a service whose `PUBLIC_URL` is `ISSUER`. */
const DISCOVERY_EXAMPLE = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/auth/token`,
  jwks_uri: `${ISSUER}/.well-known/jwks.json`,
  registration_endpoint: `${ISSUER}/clients`,
  introspection_endpoint: `${ISSUER}/auth/introspect`,
  revocation_endpoint: `${ISSUER}/auth/revoke`,
  scopes_supported: ['openid', 'profile', 'email', 'offline_access', 'products:read', 'products:write'],
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'password'],
  code_challenge_methods_supported: ['S256'],
  authorization_response_iss_parameter_supported: true,
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  service_documentation: `${ISSUER}/swagger`,
}

const USER_INFO_EXAMPLE = {
  sub: user.id,
  preferred_username: user.username,
  name: user.fullName,
  updated_at: 1764322800,
  email: user.email,
  email_verified: true,
}

/** Examples of bodies without a schema name, by operationId and status. */
export const OPERATION_EXAMPLES: Record<string, Record<number, unknown>> = {
  getServiceInfo: { 200: { name: 'mercado', version: '1.0.0', docs: '/swagger', openapi: '/swagger/json' } },
  getHealth: { 200: { status: 'ok' } },
  getReady: { 200: { status: 'ready', store: 'mongodb' } },
  getJwks: {
    200: {
      keys: [
        {
          kty: 'RSA',
          kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
          alg: 'RS256',
          use: 'sig',
          n: 'u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw',
          e: 'AQAB',
        },
      ],
    },
  },
  getAuthorizationServerMetadata: { 200: DISCOVERY_EXAMPLE },
  getOpenIdConfiguration: {
    200: {
      ...DISCOVERY_EXAMPLE,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      end_session_endpoint: `${ISSUER}/logout`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    },
  },
  getUserInfo: { 200: USER_INFO_EXAMPLE },
  postUserInfo: { 200: USER_INFO_EXAMPLE },
  listMyConsents: {
    200: [
      {
        client_id: client.client_id,
        client_name: client.client_name,
        scope: 'openid profile email',
        created_at: '2026-11-28T09:40:00.000Z',
        updated_at: '2026-11-28T09:40:00.000Z',
      },
    ],
  },
  rotateSigningKey: {
    200: {
      kid: 'b7SBBq2FkR4h2lVpHzEXxlWw8XIcPbp3FJyPBhwKwy8',
      alg: 'RS256',
      activatesAt: '2026-11-28T09:40:00.000Z',
    },
  },
}

const PROBLEM_DETAIL: Record<number, string> = {
  400: 'the body is not valid JSON',
  401: 'a bearer token is required',
  403: 'only the owner or an admin may change this product',
  409: 'email is already taken',
  412: 'the resource has changed since it was read; fetch it again and retry with the new ETag',
  413: 'the body is larger than the limit of 1048576 bytes',
  415: 'content type "text/plain" is not accepted here; send application/json',
  429: 'too many failed logins; retry in 600 seconds',
  500: 'an unexpected error occurred; it has been logged',
  503: 'the database is unavailable; retry shortly',
}

/** A problem body as the route at `path` would answer it with `status`. */
export function problemExample(status: number, path: string, _method: string) {
  const instance = path
    .replace('{id}', path.startsWith('/users') ? user.id : product.id)
    .replace('{client_id}', client.client_id)
    .replace('{path}', 'missing.txt')
  if (status === 422) {
    return problemBody(422, 'the body failed validation', instance, [
      { pointer: '/email', detail: 'must be a valid email address' },
    ])
  }
  if (status === 404) {
    const what = (['user', 'product', 'client'] as const).find((w) => path.startsWith(`/${w}s`)) ?? 'file'
    return problemBody(404, `${what} not found`, instance)
  }
  if (status === 409 && path.startsWith('/clients')) {
    return problemBody(409, 'a public client has no secret to rotate', instance)
  }
  if (status === 403 && ['/users', '/clients', '/admin'].some((prefix) => path.startsWith(prefix))) {
    return problemBody(
      403,
      path === '/users/me' ? 'the account is disabled' : 'this route is for admins',
      instance,
    )
  }
  return problemBody(status, PROBLEM_DETAIL[status] ?? 'see the status', instance)
}
