import { type AnyElysia, Elysia } from 'elysia'
import redocBundle from 'redoc/bundles/redoc.standalone.js' with { type: 'file' }
import { version as redocVersion } from 'redoc/package.json'
import oauth2RedirectHtml from 'swagger-ui-dist/oauth2-redirect.html' with { type: 'file' }
import oauth2RedirectJs from 'swagger-ui-dist/oauth2-redirect.js' with { type: 'file' }
import { version as swaggerUiVersion } from 'swagger-ui-dist/package.json'
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import { version } from '../../package.json'
import { API_SCOPES, DOCS_CLIENT_ID } from '../core/domain'
import { buildOpenApiDocument } from './openapi'

/** Where the docs live; the document leaves these routes out (they are not part of the API). */
export const DOCS_PATHS = {
  swagger: '/swagger',
  document: '/swagger/json',
  redoc: '/redoc',
  legacy: '/docs',
  /** Where the sign-in window of Swagger UI's Authorize comes back with the code (its redirect URI). */
  oauth2Redirect: '/swagger/oauth2-redirect.html',
}

/** The versioned URLs of the pages' scripts and styles, served by us so that no page needs a CDN. */
export const ASSETS = {
  swaggerJs: `/swagger/assets/${swaggerUiVersion}/swagger-ui-bundle.js`,
  swaggerCss: `/swagger/assets/${swaggerUiVersion}/swagger-ui.css`,
  redocJs: `/redoc/assets/${redocVersion}/redoc.standalone.js`,
  oauth2RedirectJs: `/swagger/assets/${swaggerUiVersion}/oauth2-redirect.js`,
}

const TITLE = 'Mercado API'
const hidden = { detail: { hide: true } }

/** The options of `SwaggerUIBundle`: see swagger-ui's docs/usage/configuration.md. */
const SWAGGER_UI_OPTIONS = {
  url: DOCS_PATHS.document,
  dom_id: '#swagger-ui',
  deepLinking: true,
  // Keeps the token of the Authorize dialog across reloads (in the browser's localStorage).
  persistAuthorization: true,
  displayRequestDuration: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  filter: true,
  tryItOutEnabled: false,
  // The default sends the document to validator.swagger.io for a badge: no calls elsewhere.
  validatorUrl: null,
}

/**
 * The Authorize dialog's OAuth2 settings (`initOAuth`, swagger-ui's docs/usage/oauth2.md): the
 * built-in public docs client, PKCE for the authorization code flow. The API scopes come ticked:
 * Swagger UI shares these settings between both OAuth2 schemes, and the password grant grants API
 * scopes only (`openid` there is `invalid_scope`); Swagger UI uses only the access token, so the
 * OpenID Connect scopes stay a choice in the dialog, and `offline_access` would only leave a
 * refresh token in the browser's localStorage (`persistAuthorization`) that nothing uses.
 */
const SWAGGER_OAUTH = {
  clientId: DOCS_CLIENT_ID,
  usePkceWithAuthorizationCodeGrant: true,
  scopes: [...API_SCOPES],
}

/**
 * The one inline script, Swagger UI's start; the CSP allows it by its hash, no other inline script.
 * The redirect URL is taken from the page's own origin in the browser, so the script (and its
 * hash) is the same behind any host name; the window it opens must come back to this origin,
 * where the redirect page reaches Swagger UI through `window.opener`.
 */
const SWAGGER_BOOT = [
  `window.ui = SwaggerUIBundle(Object.assign(${JSON.stringify(SWAGGER_UI_OPTIONS)}, { oauth2RedirectUrl: window.location.origin + ${JSON.stringify(DOCS_PATHS.oauth2Redirect)} }))`,
  `window.ui.initOAuth(${JSON.stringify(SWAGGER_OAUTH)})`,
].join('\n')

/** `'sha256-...'` of an inline script's exact text, as a CSP source (computed once, at start). */
const scriptHash = (script: string) =>
  `'sha256-${new Bun.CryptoHasher('sha256').update(script).digest('base64')}'`

/**
 * The pages use only our own scripts and styles, and no inline script but the one `scripts` names
 * by its hash. ReDoc styles itself inline (styled-components) and starts a blob: worker, so styles
 * keep 'unsafe-inline'; a style cannot run script.
 */
const csp = (...scripts: string[]) =>
  [
    "default-src 'self'",
    ["script-src 'self'", ...scripts.map(scriptHash)].join(' '),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "frame-ancestors 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ')

const SWAGGER_CSP = csp(SWAGGER_BOOT)
const REDOC_CSP = csp()

/**
 * The redirect page runs its one script of ours (and any inline script the package's page has, by
 * hash) and nothing else: it loads no style, image or font, posts no form, calls nothing (the token
 * request is made by Swagger UI, in the window that opened it) and may not be framed.
 */
const redirectCsp = (inlineScripts: string[]) =>
  [
    "default-src 'none'",
    ["script-src 'self'", ...inlineScripts.map(scriptHash)].join(' '),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')

const page = (title: string, head: string, body: string, policy: string) =>
  new Response(
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
${head}
</head>
<body>
${body}
</body>
</html>
`,
    {
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': policy,
        'x-content-type-options': 'nosniff',
      },
    },
  )

const swaggerPage = () =>
  page(
    `${TITLE}: Swagger UI`,
    `<link rel="stylesheet" href="${ASSETS.swaggerCss}">
<style>body { margin: 0 } .swagger-ui .topbar { display: none }</style>`,
    `<div id="swagger-ui"></div>
<script src="${ASSETS.swaggerJs}"></script>
<script>${SWAGGER_BOOT}</script>`,
    SWAGGER_CSP,
  )

const redocPage = () =>
  page(
    `${TITLE}: ReDoc`,
    '<style>body { margin: 0; padding: 0 }</style>',
    `<redoc spec-url="${DOCS_PATHS.document}" expand-responses="200,201" required-props-first="true" sort-required-props-first="true"></redoc>
<script src="${ASSETS.redocJs}"></script>`,
    REDOC_CSP,
  )

/**
 * A file shipped with the service. `file` comes from an `import ... with { type: 'file' }`, so the
 * compiled executable carries it. Read (and `patch`ed) once, gzipped once on the first request
 * that takes gzip.
 */
function asset(file: string, contentType: string, patch?: (text: string) => string) {
  let plain: Uint8Array<ArrayBuffer> | undefined
  let gzipped: Uint8Array<ArrayBuffer> | undefined
  return async ({ request }: { request: Request }) => {
    plain ??= patch
      ? new TextEncoder().encode(patch(await Bun.file(file).text()))
      : await Bun.file(file).bytes()
    const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')
    if (gzip) gzipped ??= Bun.gzipSync(plain)
    return new Response(gzip ? gzipped : plain, {
      headers: {
        'content-type': contentType,
        // The URL names the package version, so the content under it never changes.
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'accept-encoding',
        'x-content-type-options': 'nosniff',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      },
    })
  }
}

/**
 * swagger-ui-dist's `oauth2-redirect.html`, where the sign-in window comes back with `?code=...`:
 * its script hands the code to Swagger UI (`window.opener`) and closes the window. The page loads
 * `oauth2-redirect.js` by a relative URL, pointed here at the versioned asset. Read once; its CSP is
 * computed from what it holds. `no-store` and no Referer: the URL carries the authorization code.
 */
function oauth2RedirectPage() {
  let page: { body: string; policy: string } | undefined
  return async () => {
    if (!page) {
      const body = (await Bun.file(oauth2RedirectHtml).text()).replace(
        /src="oauth2-redirect\.js"/,
        `src="${ASSETS.oauth2RedirectJs}"`,
      )
      const inline = [...body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '')
      page = { body, policy: redirectCsp(inline) }
    }
    return new Response(page.body, {
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': page.policy,
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      },
    })
  }
}

/** ReDoc's "API docs by Redocly" link shows a logo from Redocly's CDN; an empty image stays at home. */
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg'
const EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='0' height='0'/%3E"
const withoutCdnLogo = (bundle: string) => bundle.replaceAll(REDOC_CDN_LOGO, EMPTY_SVG)

/**
 * Swagger UI at `/swagger` (and its OAuth2 redirect page), the OpenAPI document at `/swagger/json`,
 * ReDoc at `/redoc`, `/docs` redirecting to `/swagger`, and the pages' assets. The document
 * describes `app()`, the finished app, built on first request (all routes exist by then) and cached.
 */
export function docs(app: () => AnyElysia) {
  let document: string | undefined
  let etag: string | undefined
  return new Elysia({ name: 'docs' })
    .get(DOCS_PATHS.swagger, swaggerPage, hidden)
    .get(DOCS_PATHS.redoc, redocPage, hidden)
    .get(DOCS_PATHS.legacy, ({ redirect }) => redirect(DOCS_PATHS.swagger, 301), hidden)
    .get(ASSETS.swaggerJs, asset(swaggerBundle, 'text/javascript; charset=utf-8'), hidden)
    .get(ASSETS.swaggerCss, asset(swaggerCss, 'text/css; charset=utf-8'), hidden)
    .get(DOCS_PATHS.oauth2Redirect, oauth2RedirectPage(), hidden)
    .get(ASSETS.oauth2RedirectJs, asset(oauth2RedirectJs, 'text/javascript; charset=utf-8'), hidden)
    .get(ASSETS.redocJs, asset(redocBundle, 'text/javascript; charset=utf-8', withoutCdnLogo), hidden)
    .get(
      DOCS_PATHS.document,
      ({ request }) => {
        if (!document) {
          document = JSON.stringify(buildOpenApiDocument(app(), { title: TITLE, version }).document)
          etag = `"${Bun.hash(document).toString(36)}"`
        }
        const headers: Record<string, string> = { etag: etag as string, 'cache-control': 'no-cache' }
        if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
        return new Response(document, {
          headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
        })
      },
      hidden,
    )
}
