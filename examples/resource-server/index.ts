/**
 * A resource server of your own that accepts Mercado's access tokens with no shared secret.
 *
 * It reads Mercado's discovery document once, then verifies every bearer token against the keys
 * Mercado publishes (`jwks_uri`, fetched and cached by jose, fetched again when a token names a key
 * it has not seen: that is how a key rotation reaches it), and checks what RFC 9068 asks of a
 * resource server: the `at+jwt` type, the issuer, its own audience, the expiry, and the scope each
 * route needs (RFC 6750 errors otherwise).
 *
 *   MERCADO_URL=http://localhost:8000 bun examples/resource-server/index.ts
 *   curl -H "Authorization: Bearer $TOKEN" http://localhost:8100/whoami
 */
import { Elysia } from 'elysia'
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, jwtVerify } from 'jose'

export interface ResourceServerOptions {
  /** Mercado's issuer URL (its `PUBLIC_URL`). */
  issuer: string
  /** The audience tokens must be issued for. */
  audience: string
  /** The scope `GET /whoami` needs. */
  scope: string
  /** How to reach Mercado; the global `fetch` unless given (tests hand requests to the app in process). */
  fetch?: (url: string) => Promise<Response>
}

/** Why a request was refused, as RFC 6750 section 3 words it. */
class BearerError extends Error {
  constructor(
    readonly status: 401 | 403,
    /** The RFC 6750 error code (not `code`: Elysia reads an error's `code` as its own). */
    readonly reason: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined,
    description: string,
  ) {
    super(description)
  }
}

/** The resource server as an Elysia app (not listening), built from Mercado's discovery document. */
export async function resourceServer({
  issuer,
  audience,
  scope,
  fetch = globalThis.fetch,
}: ResourceServerOptions) {
  const reply = await fetch(`${issuer}/.well-known/oauth-authorization-server`)
  if (!reply.ok) throw new Error(`discovery at ${issuer} answered ${reply.status}`)
  const metadata = (await reply.json()) as { issuer: string; jwks_uri: string }
  // RFC 8414 section 3.3: the document must name the issuer it was fetched for.
  if (metadata.issuer !== issuer) throw new Error(`discovery names issuer ${metadata.issuer}, not ${issuer}`)
  const keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { [customFetch]: (url) => fetch(String(url)) })

  async function authorize(header: string | null, needed: string): Promise<JWTPayload> {
    const token = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header ?? '')?.[1]
    if (!token) throw new BearerError(401, undefined, 'a bearer token is required')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, keys, { issuer, audience, typ: 'at+jwt' }))
    } catch (error) {
      const why = error instanceof errors.JWTExpired ? 'the token has expired' : 'the token is invalid'
      throw new BearerError(401, 'invalid_token', why)
    }
    const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : []
    if (!granted.includes(needed))
      throw new BearerError(403, 'insufficient_scope', `this needs scope ${needed}`)
    return payload
  }

  return new Elysia()
    .error({ BearerError })
    .onError(({ code, error }) => {
      if (code !== 'BearerError') return
      const params = [`realm="example"`]
      if (error.reason) params.push(`error="${error.reason}"`, `error_description="${error.message}"`)
      if (error.reason === 'insufficient_scope') params.push(`scope="${scope}"`)
      return Response.json(
        { error: error.reason ?? 'unauthorized', error_description: error.message },
        { status: error.status, headers: { 'www-authenticate': `Bearer ${params.join(', ')}` } },
      )
    })
    .get('/whoami', async ({ request }) => {
      const claims = await authorize(request.headers.get('authorization'), scope)
      return { sub: claims.sub, client_id: claims.client_id, scope: claims.scope }
    })
}

if (import.meta.main) {
  const issuer = process.env.MERCADO_URL ?? 'http://localhost:8000'
  const app = await resourceServer({
    issuer,
    audience: process.env.AUDIENCE ?? 'mercado',
    scope: process.env.SCOPE ?? 'products:read',
  })
  app.listen(Number(process.env.PORT ?? 8100))
  console.log(`example resource server on :${app.server?.port}, trusting ${issuer}`)
}
