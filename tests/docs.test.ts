import { beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { Validator } from '@seriousme/openapi-schema-validator'
import type { TSchema } from 'elysia'
import { TypeCompiler } from 'elysia/type-system'
import { version } from '../package.json'
import { authModels } from '../src/auth/model'
import { recoveryModels } from '../src/auth/recovery/model'
import { clientModels } from '../src/clients/model'
import { API_SCOPES, DOCS_CLIENT_ID, OIDC_SCOPES } from '../src/core/domain'
import { ASSETS, DOCS_PATHS } from '../src/http/docs'
import { buildOpenApiDocument, toDocumentPath } from '../src/http/openapi'
import { productModels } from '../src/products/model'
import { userModels } from '../src/users/model'
import { useFixture } from './support/fixture'

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON
type Node = Record<string, any>

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
/** docs/api.md, Authentication: everything else needs a token. */
const PUBLIC = new Set([
  'get /',
  'get /health',
  'get /ready',
  'get /static/{path}',
  'post /auth/register',
  'post /auth/login',
  'post /auth/refresh',
  'post /auth/logout',
  'post /auth/token',
  'post /auth/introspect',
  'post /auth/revoke',
  'get /.well-known/oauth-authorization-server',
  'get /.well-known/openid-configuration',
  'get /products',
  'get /products/{id}',
  'get /.well-known/jwks.json',
  // Email verification and password reset: the mailed token is the credential (tests/recovery.test.ts).
  'post /auth/verify-email',
  'post /auth/password-reset',
  'post /auth/password-reset/confirm',
])
/** The sign-in pages: HTML for browsers, not API, so left out like the docs (docs/api.md, Sign-in page). */
const PAGES = [
  '/signin',
  '/signin/done',
  '/signout',
  '/authorize',
  '/authorize/consent',
  '/logout',
  '/verify-email',
  '/reset-password',
  '/reset-password/done',
  '/forgot-password',
]
/** Prometheus' scrape target: its text format, not the JSON API (docs/api.md, Operation: Metrics). */
const OPERATION = ['/metrics']
const isDocsRoute = (path: string) =>
  Object.values(DOCS_PATHS).includes(path) ||
  PAGES.includes(path) ||
  OPERATION.includes(path) ||
  path.startsWith('/swagger/assets/') ||
  path.startsWith('/redoc/assets/')

const ctx = useFixture('sqlite')
let document: Node

const operations = () =>
  Object.entries(document.paths as Node).flatMap(([path, item]) =>
    Object.entries(item as Node)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ path, method, operation: operation as Node })),
  )

const resolveRef = (ref: string): Node =>
  ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: Node, key) => node?.[key], document)

beforeAll(async () => {
  document = (await ctx.client.get('/swagger/json')).body
})

describe('the OpenAPI document', () => {
  test('is served as JSON with an ETag, and 304 for a matching If-None-Match', async () => {
    const reply = await ctx.client.get('/swagger/json')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toStartWith('application/json')
    const etag = reply.headers.get('etag')
    expect(etag).toBeTruthy()
    const again = await ctx.client.get('/swagger/json', { headers: { 'if-none-match': etag as string } })
    expect(again.status).toBe(304)
  })

  test('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(document))
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(document.openapi).toStartWith('3.1.')
  })

  test('shares each titled schema under one name, without clashes', () => {
    const { warnings } = buildOpenApiDocument(ctx.app, { title: 'Mercado API', version })
    expect(warnings).toEqual([])
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining([
        'Problem',
        'OAuthError',
        'User',
        'UserPage',
        'Product',
        'ProductPage',
        'TokenResponse',
        'LoginForm',
      ]),
    )
  })

  test('names the service, its version and the security schemes', () => {
    expect(document.info.title).toBe('Mercado API')
    expect(document.info.version).toBe(version)
    expect(document.info.description).toContain('ETag')
    const { OAuth2AuthorizationCode, OAuth2Password, BearerJWT } = document.components.securitySchemes
    expect(Object.keys(document.components.securitySchemes)[0]).toBe('OAuth2AuthorizationCode')
    expect(OAuth2AuthorizationCode).toMatchObject({
      type: 'oauth2',
      flows: {
        authorizationCode: {
          authorizationUrl: '/authorize',
          tokenUrl: '/auth/token',
          refreshUrl: '/auth/token',
        },
      },
    })
    const codeScopes = OAuth2AuthorizationCode.flows.authorizationCode.scopes
    expect(Object.keys(codeScopes).sort()).toEqual([...OIDC_SCOPES, ...API_SCOPES].sort())
    for (const [scope, text] of Object.entries(codeScopes)) expect(text, scope).not.toBe('')
    expect(OAuth2Password).toMatchObject({ type: 'oauth2', flows: { password: { tokenUrl: '/auth/login' } } })
    expect(BearerJWT).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  })

  test('lists every route of the app with every method, except the docs themselves', () => {
    const missing: string[] = []
    const hidden: string[] = []
    for (const route of ctx.app.routes) {
      const method = route.method.toLowerCase()
      const listed = document.paths[toDocumentPath(route.path)]?.[method]
      if (isDocsRoute(route.path)) {
        if (listed) hidden.push(`${route.method} ${route.path}`)
      } else if (!listed) {
        missing.push(`${route.method} ${route.path}`)
      }
    }
    expect(missing).toEqual([])
    expect(hidden).toEqual([])
    expect(operations().length).toBe(ctx.app.routes.filter((r) => !isDocsRoute(r.path)).length)
  })

  test('gives every operation a summary, a unique operationId, a known tag and described responses', () => {
    const tags = new Set(document.tags.map((t: Node) => t.name))
    const ids = new Set<string>()
    for (const { path, method, operation } of operations()) {
      const where = `${method} ${path}`
      expect(operation.summary, where).toBeString()
      expect(operation.operationId, where).toMatch(/^[a-zA-Z]\w*$/)
      expect(ids.has(operation.operationId), `${where}: duplicate operationId`).toBe(false)
      ids.add(operation.operationId)
      expect(operation.tags?.length, where).toBeGreaterThan(0)
      for (const tag of operation.tags) expect(tags.has(tag), `${where}: tag ${tag}`).toBe(true)
      expect(Object.keys(operation.responses).length, where).toBeGreaterThan(1)
      expect(operation.responses['500'], `${where}: 500`).toBeDefined()
      for (const [status, response] of Object.entries(operation.responses as Node)) {
        expect(response.description, `${where} ${status}`).not.toBe('')
        expect(response.headers?.['X-Request-Id'], `${where} ${status}`).toBeDefined()
      }
    }
  })

  test('marks public routes with empty security and protected ones with every scheme and their scope', () => {
    const scopes = Object.keys(document.components.securitySchemes.OAuth2Password.flows.password.scopes)
    expect(scopes.sort()).toEqual([...API_SCOPES].sort())
    for (const { path, method, operation } of operations()) {
      const route = `${method} ${path}`
      if (PUBLIC.has(route)) {
        expect(operation.security, route).toEqual([])
        continue
      }
      const scope = operation.security?.[0]?.OAuth2AuthorizationCode?.[0]
      expect(operation.responses['401'], route).toBeDefined()
      if (path === '/userinfo') {
        // Only the sign-in flow gives a token `openid`: the password flow cannot call UserInfo.
        expect(operation.security, route).toEqual([
          { OAuth2AuthorizationCode: ['openid'] },
          { BearerJWT: ['openid'] },
        ])
        continue
      }
      expect(API_SCOPES, route).toContain(scope)
      // The sign-in flow first: Swagger UI and code generators take the first as the preferred one.
      expect(operation.security, route).toEqual([
        { OAuth2AuthorizationCode: [scope] },
        { OAuth2Password: [scope] },
        { BearerJWT: [scope] },
      ])
    }
  })

  test('documents errors as problem details, and token errors in the OAuth2 format', () => {
    for (const { path, method, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses as Node)) {
        if (Number(status) < 400) continue
        // The endpoints that authenticate clients answer invalid_client (401) the OAuth2 way too.
        const clientAuth = [
          '/auth/token',
          '/auth/introspect',
          '/auth/revoke',
          '/auth/login',
          '/auth/refresh',
          '/auth/logout',
        ].includes(path)
        // Registration and the account recovery routes are no OAuth endpoints: they answer problems.
        const problemRoutes = /^\/auth\/(register|verify-email|password-reset)\b/
        const oauth =
          path.startsWith('/auth/') &&
          !problemRoutes.test(path) &&
          (status === '400' || (clientAuth && status === '401'))
        // Client metadata errors take the RFC 7591 form (section 3.2.2).
        const registration = path.startsWith('/clients') && status === '400' && method !== 'get'
        const expected = oauth
          ? { 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } }
          : registration
            ? { 'application/json': { schema: { $ref: '#/components/schemas/ClientMetadataError' } } }
            : { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
        expect(response.content, `${method} ${path} ${status}`).toMatchObject(expected)
      }
    }
    expect(document.components.schemas.Problem.required).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'instance',
    ])
  })

  test('takes the login as a form and as JSON', () => {
    const content = document.paths['/auth/login'].post.requestBody.content
    expect(Object.keys(content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded'])
    // A form must name the grant (RFC 6749 section 4.3.2); JSON may leave it out.
    expect(content['application/x-www-form-urlencoded'].schema).toEqual({
      allOf: [{ $ref: '#/components/schemas/LoginForm' }, { required: ['grant_type'] }],
    })
    expect(content['application/json'].schema).toEqual({ $ref: '#/components/schemas/LoginForm' })
    const form = resolveRef('#/components/schemas/LoginForm')
    expect(form.required).toEqual(['username', 'password'])
    expect(form.properties.grant_type.const).toBe('password')
  })

  test('documents every request body and the headers of created, cached and limited responses', () => {
    for (const { path, method, operation } of operations()) {
      if (operation.requestBody)
        expect(Object.keys(operation.requestBody.content).length, `${method} ${path}`).toBeGreaterThan(0)
    }
    const created = document.paths['/products'].post.responses['201']
    expect(Object.keys(created.headers)).toEqual(expect.arrayContaining(['Location', 'ETag']))
    expect(document.paths['/products/{id}'].get.responses['304'].content).toBeUndefined()
    expect(document.paths['/users/me'].get.responses['401'].headers['WWW-Authenticate']).toBeDefined()
    expect(document.paths['/auth/login'].post.responses['429'].headers['Retry-After']).toBeDefined()
    const page = document.paths['/products'].get.parameters.find((p: Node) => p.name === 'page')
    expect(page).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', default: 1 } })
  })

  test('has no dangling $ref and no Elysia-only keywords', () => {
    const refs: string[] = []
    const strays: string[] = []
    const walk = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return
      for (const [key, value] of Object.entries(node)) {
        if (key === 'example' || key === 'examples') continue
        if (key === '$ref') refs.push(value as string)
        if ((key === 'error' || key === '$id') && !at.endsWith('/properties')) strays.push(`${at}/${key}`)
        walk(value, `${at}/${key}`)
      }
    }
    walk(document, '#')
    expect(refs.filter((ref) => resolveRef(ref) === undefined)).toEqual([])
    expect(strays).toEqual([])
  })

  test('has examples for the main bodies, and each one fits the schema the route validates with', () => {
    // Routes name their bodies and responses by reference model.
    const models: Record<string, TSchema> = {
      ...authModels,
      ...productModels,
      ...userModels,
      ...clientModels,
      ...recoveryModels,
    }
    const schemaOf = (schema: TSchema | string): TSchema =>
      typeof schema === 'string' ? (models[schema] as TSchema) : schema
    let checked = 0
    for (const route of ctx.app.routes) {
      const operation = document.paths[toDocumentPath(route.path)]?.[route.method.toLowerCase()]
      if (!operation) continue
      const where = `${route.method} ${route.path}`
      const body = route.hooks.body && schemaOf(route.hooks.body as TSchema | string)
      if (body) {
        for (const media of Object.values(operation.requestBody.content as Node)) {
          expect(media.example, `${where} request`).toBeDefined()
          expect(TypeCompiler.Compile(body).Check(media.example), `${where} request example`).toBe(true)
          checked++
        }
      }
      const responses = (route.hooks.response ?? {}) as Record<string, TSchema | string>
      for (const [status, schema] of Object.entries(responses)) {
        const media = Object.values((operation.responses[status]?.content ?? {}) as Node)[0]
        if (!media || Number(status) === 204) continue
        expect(media.example, `${where} ${status}`).toBeDefined()
        expect(
          TypeCompiler.Compile(schemaOf(schema)).Check(media.example),
          `${where} ${status} example`,
        ).toBe(true)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(50)
  })
})

describe('the docs pages', () => {
  test('/docs answers 301 to /swagger', async () => {
    const reply = await ctx.client.get('/docs')
    expect(reply.status).toBe(301)
    expect(reply.headers.get('location')).toBe('/swagger')
  })

  test('Swagger UI loads its script and styles from the service, with the OAuth2 settings', async () => {
    const reply = await ctx.client.get('/swagger')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(reply.body).toContain(`<script src="${ASSETS.swaggerJs}">`)
    expect(reply.body).toContain(`<link rel="stylesheet" href="${ASSETS.swaggerCss}">`)
    expect(reply.body).toContain('"url":"/swagger/json"')
    expect(reply.body).toContain('"persistAuthorization":true')
    expect(reply.body).toContain('"validatorUrl":null')
    expect(reply.body).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  test('Swagger UI signs in with the docs client, PKCE, and the redirect page on its own origin', async () => {
    const reply = await ctx.client.get('/swagger')
    const boot = /<script>([\s\S]*?)<\/script>/.exec(reply.body)?.[1] ?? ''
    expect(boot).toContain(`oauth2RedirectUrl: window.location.origin + "${DOCS_PATHS.oauth2Redirect}"`)
    const init = /window\.ui\.initOAuth\((\{.*\})\)/.exec(boot)?.[1] ?? '{}'
    expect(JSON.parse(init)).toEqual({
      clientId: DOCS_CLIENT_ID,
      usePkceWithAuthorizationCodeGrant: true,
      scopes: [...API_SCOPES],
    })
  })

  test("the OAuth2 redirect page is swagger-ui-dist's, served here, with a CSP for its one script", async () => {
    const reply = await ctx.client.get(DOCS_PATHS.oauth2Redirect)
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8')
    // Its URL carries the authorization code: kept by no cache, sent on in no Referer.
    expect(reply.headers.get('cache-control')).toBe('no-store')
    expect(reply.headers.get('referrer-policy')).toBe('no-referrer')
    const page = reply.body as string
    expect(page).toContain(`<script src="${ASSETS.oauth2RedirectJs}"></script>`)
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(page).not.toContain('src="oauth2-redirect.js"')
    const policy = (reply.headers.get('content-security-policy') ?? '').split('; ')
    const inline = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '')
    const hashes = inline.map((script) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`)
    expect(policy).toEqual([
      "default-src 'none'",
      ["script-src 'self'", ...hashes].join(' '),
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ])
    const script = await ctx.client.get(ASSETS.oauth2RedirectJs)
    expect(script.status).toBe(200)
    // It hands the code to the Swagger UI that opened the window, and closes the window.
    expect(script.body).toContain('window.opener.swaggerUIRedirectOauth2')
    expect(script.body).toContain('window.close()')
    expect(script.body).not.toMatch(/https?:\/\//)
  })

  test.each(['/swagger', '/redoc'])(
    '%s allows no inline script but its own, by hash (no unsafe-inline in script-src)',
    async (path) => {
      const reply = await ctx.client.get(path)
      const policy = reply.headers.get('content-security-policy') ?? ''
      const scriptSrc = policy.split('; ').find((d) => d.startsWith('script-src ')) ?? ''
      expect(scriptSrc).not.toContain("'unsafe-inline'")
      expect(scriptSrc).not.toContain("'unsafe-eval'")
      const inline = [...(reply.body as string).matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
        (m) => m[1] ?? '',
      )
      const allowed = [...scriptSrc.matchAll(/'sha256-[^']+'/g)].map((m) => m[0])
      const hash = (script: string) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`
      expect(allowed).toEqual(inline.map(hash))
      expect(inline.length).toBe(path === '/swagger' ? 1 : 0)
    },
  )

  test('ReDoc loads its bundle from the service and reads /swagger/json', async () => {
    const reply = await ctx.client.get('/redoc')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(reply.body).toContain('<redoc spec-url="/swagger/json"')
    expect(reply.body).toContain(`<script src="${ASSETS.redocJs}">`)
    expect(reply.body).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  for (const [name, url] of Object.entries(ASSETS)) {
    test(`${name} is served with its content type and a long cache lifetime, gzipped on request`, async () => {
      const plain = await ctx.app.handle(new Request(`http://localhost${url}`))
      expect(plain.status).toBe(200)
      expect(plain.headers.get('content-type')).toStartWith(
        url.endsWith('.css') ? 'text/css' : 'text/javascript',
      )
      expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      const bytes = new Uint8Array(await plain.arrayBuffer())
      // The bundles are large; the redirect page's script is about 1.5 kB.
      expect(bytes.length).toBeGreaterThan(name === 'oauth2RedirectJs' ? 1_000 : 100_000)
      const gzipped = await ctx.app.handle(
        new Request(`http://localhost${url}`, { headers: { 'accept-encoding': 'gzip, br' } }),
      )
      expect(gzipped.headers.get('content-encoding')).toBe('gzip')
      expect(Bun.gunzipSync(new Uint8Array(await gzipped.arrayBuffer()))).toEqual(bytes)
    })
  }
})
