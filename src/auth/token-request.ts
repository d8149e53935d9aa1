/**
 * What every token-endpoint route shares (`/auth/login`, `/auth/refresh`, `/auth/logout`,
 * `/auth/token`, `/auth/introspect`, `/auth/revoke`): the body parser, the OAuth2 way of answering,
 * and who the requesting client is.
 */
import { DOCS_CLIENT_ID } from '../core/domain'
import { HttpError, OAuthError } from '../core/errors'
import {
  JSON_TYPE,
  parseFormText,
  parseJsonText,
  readText,
  refuseDeclaredOversize,
  takes,
} from '../http/body'
import { markOAuthRequest } from '../http/oauth'
import type { ClientRecord } from '../store/types'
import { type ClientDirectory, isDocsClient } from './client-directory'
import { authenticateClient, BASIC_CHALLENGE } from './clients'

export { JSON_TYPE }

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i

/**
 * The largest token request body: a username or email (254 characters) and a password (128), or a
 * refresh token (512), each at most 9 bytes per character once percent-encoded: under 4 KiB, and
 * twice that for the parameters we ignore.
 */
export const TOKEN_BODY_LIMIT = 8 * 1024

/**
 * The token routes take JSON or a form (what OAuth2 clients send), and answer malformed input the
 * OAuth2 way rather than with a problem (docs/api.md, Errors): a body that is not UTF-8, beyond
 * the shape limits or not JSON is `invalid_request`. 413 and 415 stay problems. Elysia's
 * `parse: [...]` uses only the first parser it lists, hence this one.
 */
export const parseTokenRequest = (limit: number) =>
  takes(
    ['application/x-www-form-urlencoded', 'application/json'],
    async ({ request }: { request: Request }) => {
      // Marked here already: a parse error comes before `transform`.
      markOAuthRequest(request)
      refuseDeclaredOversize(request, limit)
      const type = request.headers.get('content-type') ?? ''
      const form = FORM_TYPE.test(type)
      if (!form && !JSON_TYPE.test(type)) {
        throw new HttpError(415, `content type "${type || 'none'}" is not accepted here; send a form or JSON`)
      }
      try {
        const text = await readText(request, limit)
        if (!form) return parseJsonText(text)
        const fields = parseFormText(text)
        refuseRepeated(text)
        return fields
      } catch (error) {
        if (error instanceof HttpError && (error.status === 400 || error.status === 422)) {
          throw new OAuthError('invalid_request', error.message)
        }
        throw error
      }
    },
  )

/**
 * Hooks of a token route for `grantType`. A `grant_type` other than it is `unsupported_grant_type`,
 * told before any missing field (RFC 6749 section 5.2), so it is checked ahead of validation.
 */
export const tokenRequest = (
  grantType: 'password' | 'refresh_token',
  parse: ReturnType<typeof parseTokenRequest>,
) => ({
  parse,
  transform(context: { request: Request; body: unknown; set: { headers: Record<string, unknown> } }) {
    oauthAnswer(context)
    const sent = (context.body as { grant_type?: unknown } | null)?.grant_type
    if (sent !== undefined && sent !== grantType) {
      throw new OAuthError('unsupported_grant_type', `this route takes grant_type=${grantType} only`)
    }
  },
})

/** The parameters the token routes read; unknown ones are ignored (RFC 6749 section 3.2). */
const PARAMETERS = new Set([
  'grant_type',
  'username',
  'password',
  'refresh_token',
  'code',
  'redirect_uri',
  'code_verifier',
  'scope',
  'client_id',
  'client_secret',
  'token',
  'token_type_hint',
])

/**
 * RFC 6749 section 3.1: a parameter must not be sent twice (which value would count is anyone's
 * guess): `invalid_request`. Repeats of parameters we do not read are ignored with them.
 */
function refuseRepeated(text: string): void {
  const seen = new Set<string>()
  for (const name of new URLSearchParams(text).keys()) {
    if (!PARAMETERS.has(name)) continue
    if (seen.has(name))
      throw new OAuthError('invalid_request', `the parameter ${name} is sent more than once`)
    seen.add(name)
  }
}

/** Errors of this route are OAuth2 ones, and no answer, errors included, may be cached (RFC 6749 section 5.1). */
function oauthAnswer({ request, set }: { request: Request; set: { headers: Record<string, unknown> } }) {
  markOAuthRequest(request)
  set.headers['cache-control'] = 'no-store'
  set.headers.pragma = 'no-cache'
}

/** Hooks of a route of the token family that reads no `grant_type` (introspection, revocation). */
export const oauthRequest = (parse: ReturnType<typeof parseTokenRequest>) => ({
  parse,
  transform: oauthAnswer,
})

/**
 * The HTTP Basic credentials Swagger UI's password flow sends: an empty id and secret (`:`) when no
 * client is set, the docs client's id and an empty secret (`mercado-docs:`) once the docs page
 * names it (`initOAuth`, for the authorization code flow). Both mean the built-in docs client.
 */
const DOCS_BASIC = new Set(['Og==', btoa(`${DOCS_CLIENT_ID}:`)])

/**
 * The client of a token request: authenticated (RFC 6749 section 2.3.1) as soon as it sends
 * credentials or a `client_id`; the built-in docs client when it sends none, as the quick start,
 * Swagger UI's password flow and older callers do.
 */
export function requestingClient(
  request: Request,
  body: Record<string, unknown>,
  clients: ClientDirectory,
): Promise<ClientRecord> {
  // A parameter sent without a value counts as left out (RFC 6749 section 3.2).
  const given = (name: string) => body[name] !== undefined && body[name] !== ''
  const authorization = request.headers.get('authorization') ?? ''
  const credentials = /^Basic[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1] ?? ''
  const basic = /^Basic\b/i.test(authorization) && !DOCS_BASIC.has(credentials)
  const sendsClient = basic || given('client_id') || given('client_secret')
  return sendsClient ? authenticateClient(request.headers, body, clients) : Promise.resolve(clients.docs)
}

/** RFC 6749 section 5.2: the grant needs an authenticated client, and the request named none. */
export const needsClientAuthentication = () =>
  new OAuthError('invalid_client', 'this needs client authentication', 401, {
    'www-authenticate': BASIC_CHALLENGE,
  })

/**
 * RFC 7009 section 2.1: a client acts only on tokens issued to it. Another client's token is
 * `unauthorized_client`; a request naming no client (the docs client) must authenticate first.
 */
export function requireOwnToken(tokenClientId: string, client: ClientRecord): void {
  if (tokenClientId === client.clientId) return
  if (isDocsClient(client)) throw needsClientAuthentication()
  throw new OAuthError('unauthorized_client', 'the token was not issued to this client')
}

/** RFC 6749 section 5.2: a client may use only the grant types it is registered for. */
export function allowGrant(client: ClientRecord, grantType: string): void {
  // A client's own token needs the client itself (RFC 6749 section 4.4.2).
  if (grantType === 'client_credentials' && isDocsClient(client)) throw needsClientAuthentication()
  if (!(client.grantTypes as string[]).includes(grantType))
    throw new OAuthError('unauthorized_client', `this client may not use grant_type=${grantType}`)
}
