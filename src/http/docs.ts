import { type AnyElysia, Elysia } from 'elysia'
import redocBundle from 'redoc/bundles/redoc.standalone.js' with { type: 'file' }
import { version as redocVersion } from 'redoc/package.json'
import { version as swaggerUiVersion } from 'swagger-ui-dist/package.json'
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import { version } from '../../package.json'
import { buildOpenApiDocument } from './openapi'

/** Where the docs live; the document leaves these routes out (they are not part of the API). */
export const DOCS_PATHS = { swagger: '/swagger', document: '/swagger/json', redoc: '/redoc', legacy: '/docs' }

/** The versioned URLs of the pages' scripts and styles, served by us so that no page needs a CDN. */
export const ASSETS = {
  swaggerJs: `/swagger/assets/${swaggerUiVersion}/swagger-ui-bundle.js`,
  swaggerCss: `/swagger/assets/${swaggerUiVersion}/swagger-ui.css`,
  redocJs: `/redoc/assets/${redocVersion}/redoc.standalone.js`,
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

/** The one inline script, Swagger UI's start; the CSP allows it by its hash, no other inline script. */
const SWAGGER_BOOT = `window.ui = SwaggerUIBundle(${JSON.stringify(SWAGGER_UI_OPTIONS)})`

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

/** ReDoc's "API docs by Redocly" link shows a logo from Redocly's CDN; an empty image stays at home. */
const REDOC_CDN_LOGO = 'https://cdn.redoc.ly/redoc/logo-mini.svg'
const EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='0' height='0'/%3E"
const withoutCdnLogo = (bundle: string) => bundle.replaceAll(REDOC_CDN_LOGO, EMPTY_SVG)

/**
 * Swagger UI at `/swagger`, the OpenAPI document at `/swagger/json`, ReDoc at `/redoc`, `/docs`
 * redirecting to `/swagger`, and the pages' assets. The document describes `app()`, the finished
 * app, built on first request (all routes exist by then) and cached.
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
