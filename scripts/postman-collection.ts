/**
 * The Postman collection of the API: the OpenAPI document converted by openapi-to-postmanv2, then made
 * runnable. A collection-level pre-request script logs in once (password grant with `{{username}}` and
 * `{{password}}` from the environment) and keeps `{{accessToken}}`, which the collection's bearer auth
 * sends; every request tests its documented success status, that JSON parses and that problem
 * documents have `type`, `title` and `status`; creates save their ids for the reads and writes after
 * them. `RUN_ORDER` is the order of the requests and the set `bun run postman:test` runs.
 */
import { createHash } from 'node:crypto'
import type { Options } from 'openapi-to-postmanv2'

// biome-ignore lint/suspicious/noExplicitAny: the converter's output is a loose Postman collection JSON
type Json = any

/**
 * Every operation newman runs, in order, as `METHOD /path`. They pass against a fresh service whose
 * first admin is `{{username}}`: each create comes before what reads, changes or deletes it.
 */
export const RUN_ORDER = [
  'GET /',
  'GET /health',
  'GET /ready',
  'GET /static/{path}',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/openid-configuration',
  'POST /auth/register',
  'POST /auth/login',
  'POST /auth/token',
  'POST /auth/refresh',
  'POST /auth/logout',
  'POST /auth/password-reset',
  'POST /auth/verify-email/resend',
  'POST /auth/logout-all',
  'GET /users/me',
  'PATCH /users/me',
  'GET /users/me/consents',
  'POST /users',
  'GET /users',
  'GET /users/{id}',
  'PUT /users/{id}',
  'PATCH /users/{id}',
  'DELETE /users/{id}',
  'POST /products',
  'GET /products',
  'GET /products/{id}',
  'PUT /products/{id}',
  'PATCH /products/{id}',
  'DELETE /products/{id}',
  'POST /clients',
  'GET /clients',
  'GET /clients/{client_id}',
  'PUT /clients/{client_id}',
  'POST /clients/{client_id}/secret',
  'POST /auth/introspect',
  'POST /auth/revoke',
  'DELETE /clients/{client_id}',
  'POST /admin/keys/rotate',
] as const

/** Operations in the collection that the newman run leaves out, and why (shown in their description). */
export const NOT_RUN: Record<string, string> = {
  'GET /userinfo': 'needs a token with the `openid` scope (the authorization code flow)',
  'POST /userinfo': 'needs a token with the `openid` scope (the authorization code flow)',
  'DELETE /users/me/consents/{clientId}': 'needs a consent given on the consent page',
  'POST /auth/verify-email': 'needs the token of a verification mail',
  'POST /auth/password-reset/confirm': 'needs the token of a password reset mail',
}

/** Path variables, by `METHOD /path`: the collection variables earlier requests saved. */
const PATH_VARIABLES: Record<string, Record<string, string>> = {
  '/static/{path}': { path: 'favicon.svg' },
  '/users/{id}': { id: '{{userId}}' },
  '/products/{id}': { id: '{{productId}}' },
  '/clients/{client_id}': { client_id: '{{clientId}}' },
  '/clients/{client_id}/secret': { client_id: '{{clientId}}' },
  '/users/me/consents/{clientId}': { clientId: '{{clientId}}' },
}

/** Form bodies: the fields sent; the converter's other fields stay listed, unticked. */
const FORMS: Record<string, Record<string, string>> = {
  'POST /auth/login': { grant_type: 'password', username: '{{username}}', password: '{{password}}' },
  'POST /auth/token': { grant_type: 'password', username: '{{username}}', password: '{{password}}' },
  'POST /auth/refresh': { refresh_token: '{{refreshToken}}' },
  'POST /auth/logout': { refresh_token: '{{refreshToken}}' },
  'POST /auth/introspect': { token: '{{accessToken}}' },
  // A client may revoke only its own tokens; an unknown token is a 200 (RFC 7009 section 2.2).
  'POST /auth/revoke': { token: 'unknown-token-{{runId}}' },
}

/** Operations that authenticate as the client `POST /clients` registered (HTTP Basic), not a user. */
const CLIENT_AUTH = new Set(['POST /auth/introspect', 'POST /auth/revoke'])
const CLIENT_AUTH_NOTE =
  'Authenticates as the client that _Register a client_ saved in `{{clientId}}` and `{{clientSecret}}`: send that request first.'

/** JSON bodies that would collide on a second run or need a secret: fields replaced. */
const BODY_FIELDS: Record<string, Record<string, unknown>> = {
  'POST /auth/register': { username: 'postman_{{runId}}', email: 'postman_{{runId}}@example.com' },
  'PATCH /users/me': { fullName: 'Postman Admin', password: undefined, currentPassword: undefined },
  'POST /users': { username: 'member_{{runId}}', email: 'member_{{runId}}@example.com', role: 'user' },
  'PUT /users/{id}': { username: 'member_{{runId}}', email: 'member_{{runId}}@example.com' },
}

/** Test lines after a request's status check: what later requests need from its answer. */
const SAVES: Record<string, string[]> = {
  'POST /auth/login': ["pm.collectionVariables.set('refreshToken', pm.response.json().refresh_token)"],
  'POST /auth/refresh': [
    'const pair = pm.response.json()',
    "pm.collectionVariables.set('accessToken', pair.access_token)",
    "pm.collectionVariables.set('refreshToken', pair.refresh_token)",
  ],
  // Both end the session the collection's token belongs to: the next request logs in again.
  'POST /auth/logout': ["pm.collectionVariables.unset('accessToken')"],
  'POST /auth/logout-all': ["pm.collectionVariables.unset('accessToken')"],
  'POST /users': ["pm.collectionVariables.set('userId', pm.response.json().id)"],
  'POST /products': ["pm.collectionVariables.set('productId', pm.response.json().id)"],
  'POST /clients': [
    'const registered = pm.response.json()',
    "pm.collectionVariables.set('clientId', registered.client_id)",
    "pm.collectionVariables.set('clientSecret', registered.client_secret)",
  ],
  'POST /auth/introspect': [
    "pm.test('the collection token is active', () => pm.expect(pm.response.json().active).to.equal(true))",
  ],
  'POST /clients/{client_id}/secret': [
    "pm.collectionVariables.set('clientSecret', pm.response.json().client_secret)",
  ],
}

const LOGIN_SCRIPT = [
  '// Logs in once with the password grant and keeps the access token until shortly before it expires.',
  "if (!pm.collectionVariables.get('runId')) pm.collectionVariables.set('runId', Date.now().toString(36))",
  "const expiresAt = Number(pm.collectionVariables.get('accessTokenExpiresAt') || 0)",
  "if (!pm.collectionVariables.get('accessToken') || Date.now() > expiresAt - 30000) {",
  '  pm.sendRequest(',
  '    {',
  "      url: pm.variables.replaceIn('{{baseUrl}}/auth/login'),",
  "      method: 'POST',",
  "      header: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },",
  '      body: {',
  "        mode: 'urlencoded',",
  '        urlencoded: [',
  "          { key: 'grant_type', value: 'password' },",
  "          { key: 'username', value: pm.variables.replaceIn('{{username}}') },",
  "          { key: 'password', value: pm.variables.replaceIn('{{password}}') },",
  '        ],',
  '      },',
  '    },',
  '    (error, response) => {',
  '      if (error || response.code !== 200) {',
  "        console.error('login as {{username}} failed', error || response.code)",
  '        return',
  '      }',
  '      const tokens = response.json()',
  "      pm.collectionVariables.set('accessToken', tokens.access_token)",
  "      pm.collectionVariables.set('refreshToken', tokens.refresh_token)",
  "      pm.collectionVariables.set('accessTokenExpiresAt', String(Date.now() + tokens.expires_in * 1000))",
  '    },',
  '  )',
  '}',
]

const RESPONSE_SHAPE_SCRIPT = [
  "const type = pm.response.headers.get('Content-Type') || ''",
  "if (/json/.test(type) && pm.response.text() !== '') {",
  "  pm.test('the JSON body parses', () => pm.response.json())",
  '}',
  "if (type.startsWith('application/problem+json')) {",
  "  pm.test('a problem has type, title and status', () => {",
  '    const problem = pm.response.json()',
  "    pm.expect(problem).to.have.property('type').that.is.a('string')",
  "    pm.expect(problem).to.have.property('title').that.is.a('string')",
  '    pm.expect(problem.status).to.equal(pm.response.code)',
  '  })',
  '}',
]

/** Converter options: folders by tag, values from the document's examples. */
export const CONVERTER_OPTIONS: Options = {
  folderStrategy: 'Tags',
  requestParametersResolution: 'Example',
  exampleParametersResolution: 'Example',
  includeAuthInfoInExample: false,
}

/** Turns the converter's collection into the runnable one (in place) and returns it. */
export function finishCollection(collection: Json, document: Json): Json {
  collection.info._postman_id = uuidFrom('mercado')
  collection.auth = { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] }
  collection.event = [
    { listen: 'prerequest', script: { type: 'text/javascript', exec: LOGIN_SCRIPT } },
    { listen: 'test', script: { type: 'text/javascript', exec: RESPONSE_SHAPE_SCRIPT } },
  ]
  collection.variable = [
    { key: 'baseUrl', value: 'http://localhost:3000', type: 'string' },
    ...[
      'runId',
      'accessToken',
      'accessTokenExpiresAt',
      'refreshToken',
      'userId',
      'productId',
      'clientId',
      'clientSecret',
    ].map((key) => ({ key, value: '', type: 'string' })),
  ]
  for (const folder of collection.item) {
    folder.id = undefined
    for (const item of folder.item) finishRequest(item, document)
    folder.item.sort((a: Json, b: Json) => rank(key(a)) - rank(key(b)))
  }
  collection.item.sort((a: Json, b: Json) => rank(key(a.item[0])) - rank(key(b.item[0])))
  return JSON.parse(JSON.stringify(collection))
}

function finishRequest(item: Json, document: Json) {
  const operationKey = key(item)
  const [method, path] = operationKey.split(' ') as [string, string]
  const operation = document.paths[path]?.[method.toLowerCase()]
  if (!operation) throw new Error(`no operation in the OpenAPI document for ${operationKey}`)
  item.id = uuidFrom(operationKey)
  item.response = (item.response ?? []).map((example: Json, n: number) => ({
    ...example,
    id: uuidFrom(`${operationKey} ${n}`),
  }))
  const request = item.request
  // Public operations send no token; the others inherit the collection's bearer token.
  request.auth = operation.security?.length ? undefined : { type: 'noauth' }
  if (CLIENT_AUTH.has(operationKey)) {
    request.auth = {
      type: 'basic',
      basic: [
        { key: 'username', value: '{{clientId}}', type: 'string' },
        { key: 'password', value: '{{clientSecret}}', type: 'string' },
      ],
    }
  }
  for (const variable of request.url.variable ?? []) {
    const value = PATH_VARIABLES[path]?.[variable.key]
    if (value !== undefined) variable.value = value
  }
  for (const header of request.header ?? []) {
    if (/^if-(none-)?match$/i.test(header.key)) header.disabled = true
  }
  const form = FORMS[operationKey]
  if (form && request.body?.mode === 'urlencoded') {
    for (const field of request.body.urlencoded) {
      field.disabled = !(field.key in form)
      if (field.key in form) field.value = form[field.key]
    }
    // The converter lists one variant of a oneOf body: the fields it left out are added.
    for (const [name, value] of Object.entries(form)) {
      if (!request.body.urlencoded.some((field: Json) => field.key === name))
        request.body.urlencoded.push({ disabled: false, key: name, value })
    }
  }
  const fields = BODY_FIELDS[operationKey]
  if (fields && request.body?.mode === 'raw') {
    request.body.raw = JSON.stringify({ ...JSON.parse(request.body.raw), ...fields }, null, 2)
  }
  const success = Object.keys(operation.responses)
    .filter((code) => /^2\d\d$/.test(code))
    .sort()[0]
  const notRun = NOT_RUN[operationKey]
  const note = notRun
    ? `Not in the \`bun run postman:test\` run: it ${notRun}.`
    : CLIENT_AUTH.has(operationKey)
      ? CLIENT_AUTH_NOTE
      : undefined
  if (note) {
    request.description = {
      content: `${request.description?.content ?? ''}\n\n${note}`.trim(),
      type: 'text/plain',
    }
  }
  item.event = [
    {
      listen: 'test',
      script: {
        type: 'text/javascript',
        exec: [
          `pm.test('${operationKey} answers ${success}', () => pm.response.to.have.status(${success}))`,
          ...(SAVES[operationKey] ?? []),
        ],
      },
    },
  ]
}

/** `METHOD /path` of a request, with the document's `{name}` path parameters. */
export function key(item: Json): string {
  const path = (item.request.url.path as string[]).map((part) => part.replace(/^:(.+)$/, '{$1}')).join('/')
  return `${item.request.method} /${path}`
}

function rank(operationKey: string): number {
  const index = (RUN_ORDER as readonly string[]).indexOf(operationKey)
  return index < 0 ? RUN_ORDER.length : index
}

/** A stable UUID-shaped id, so that regenerating changes nothing the document did not change. */
function uuidFrom(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
