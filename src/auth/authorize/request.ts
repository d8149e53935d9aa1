/**
 * Reading an authorization request (RFC 6749 section 4.1.1, RFC 7636 section 4.3, OpenID Connect
 * Core 1.0 section 3.1.2.1) in the order that decides where its errors go: a request whose client
 * or redirect URI cannot be trusted gets an error page and is never redirected (RFC 6749 section
 * 4.1.2.1); every later error is sent back to the client's redirect URI.
 */
import type { ClientRecord } from '../../store/types'
import type { ClientDirectory } from '../client-directory'

/** The `error` codes of an authorization error response (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6). */
export type AuthorizeErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'request_not_supported'
  | 'request_uri_not_supported'

/** The request cannot be answered at the client: shown as a page, never redirected. */
export class UntrustedAuthorizeRequest extends Error {
  override name = 'UntrustedAuthorizeRequest'
}

/** An error the client hears about at its redirect URI. */
export class AuthorizeError extends Error {
  override name = 'AuthorizeError'
  constructor(
    readonly error: AuthorizeErrorCode,
    readonly description: string,
  ) {
    super(description)
  }
}

export type Prompt = 'none' | 'login' | 'consent'

/** A checked authorization request. */
export interface AuthorizationRequest {
  client: ClientRecord
  redirectUri: string
  /** Echoed as it came; absent when the client sent none. */
  state: string | undefined
  scopes: string[]
  codeChallenge: string
  nonce: string | null
  /** An ID token naming whom the client expects to be signed in; checked by the route. */
  idTokenHint: string | undefined
  prompt: Set<Prompt>
  /** Seconds; undefined when not asked. */
  maxAge: number | undefined
  loginHint: string | undefined
}

/** RFC 7636 section 4.2: the S256 challenge is the base64url SHA-256 of the verifier, 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/
/** Long enough for any client's opaque value, short enough to keep the redirect and the code small. */
const STATE_MAX = 1024
const NONCE_MAX = 256
const HINT_MAX = 254
const PROMPTS = new Set<string>(['none', 'login', 'consent'])

/** The parameters of an authorization request: the query of a GET or the form of a POST. */
export type Params = URLSearchParams

/**
 * The value of `name`, or undefined when left out or empty (RFC 6749 section 3.1: a parameter
 * sent without a value is treated as omitted). A parameter given twice is an error.
 */
function single(params: Params, name: string, fail: (why: string) => Error): string | undefined {
  const values = params.getAll(name)
  if (values.length > 1) throw fail(`${name} is given more than once`)
  return values[0] === '' ? undefined : values[0]
}

/** Client and redirect URI: until both are known good, nothing may be sent to the redirect URI. */
async function trustedTarget(params: Params, clients: ClientDirectory) {
  const untrusted = (why: string) => new UntrustedAuthorizeRequest(why)
  const clientId = single(params, 'client_id', untrusted)
  if (clientId === undefined) throw untrusted('The request names no client (client_id).')
  const client = await clients.findById(clientId)
  if (!client) throw untrusted('The application that sent you here is not registered with Mercado.')
  const redirectUri = single(params, 'redirect_uri', untrusted)
  // OpenID Connect requires it, and with it an exact match (RFC 9700 section 2.1): no default.
  if (redirectUri === undefined) throw untrusted('The request names no redirect_uri.')
  if (!client.redirectUris.includes(redirectUri))
    throw untrusted('The redirect_uri is not one this application registered.')
  return { client, redirectUri }
}

/**
 * Reads and checks `params`. Throws `UntrustedAuthorizeRequest` when the client or the redirect URI
 * is unknown, and `AuthorizeError` (with `state` known) for anything else wrong.
 */
export async function readAuthorizationRequest(
  params: Params,
  clients: ClientDirectory,
): Promise<{
  request?: AuthorizationRequest
  error?: AuthorizeError
  target: { redirectUri: string; state?: string }
}> {
  const { client, redirectUri } = await trustedTarget(params, clients)
  const invalid = (why: string) => new AuthorizeError('invalid_request', why)
  // `state` first: every error from here on carries it back.
  let state: string | undefined
  try {
    state = single(params, 'state', invalid)
    if (state !== undefined && state.length > STATE_MAX)
      // Still echoed, so that the client can match the error to its request (section 4.1.2.1).
      return {
        error: invalid(`state is longer than ${STATE_MAX} characters`),
        target: { redirectUri, state },
      }
  } catch (error) {
    return { error: error as AuthorizeError, target: { redirectUri } }
  }
  const target = { redirectUri, state }
  try {
    return { request: check(params, client, redirectUri, state), target }
  } catch (error) {
    if (error instanceof AuthorizeError) return { error, target }
    throw error
  }
}

function check(
  params: Params,
  client: ClientRecord,
  redirectUri: string,
  state: string | undefined,
): AuthorizationRequest {
  const invalid = (why: string) => new AuthorizeError('invalid_request', why)
  const get = (name: string) => single(params, name, invalid)
  if (get('request') !== undefined)
    throw new AuthorizeError('request_not_supported', 'request objects are not supported')
  if (get('request_uri') !== undefined)
    throw new AuthorizeError('request_uri_not_supported', 'request_uri is not supported')
  const responseType = get('response_type')
  if (responseType === undefined) throw invalid('response_type is required')
  if (responseType !== 'code')
    throw new AuthorizeError('unsupported_response_type', 'only response_type=code is supported')
  const responseMode = get('response_mode')
  if (responseMode !== undefined && responseMode !== 'query')
    throw invalid('only response_mode=query is supported')
  if (!client.grantTypes.includes('authorization_code'))
    throw new AuthorizeError('unauthorized_client', 'this client may not use the authorization code flow')

  // PKCE is required of every client (RFC 9700 section 2.1.1), and only S256 (`plain` shows the
  // verifier to whoever sees the request).
  const codeChallenge = get('code_challenge')
  if (codeChallenge === undefined) throw invalid('code_challenge is required (PKCE, RFC 7636)')
  const method = get('code_challenge_method')
  if (method !== 'S256') throw invalid('code_challenge_method must be S256')
  if (!S256_CHALLENGE.test(codeChallenge))
    throw invalid('code_challenge must be 43 base64url characters (the S256 of the verifier)')

  const scope = get('scope')
  if (scope === undefined) throw new AuthorizeError('invalid_scope', 'scope is required')
  const asked = [...new Set(scope.split(' ').filter(Boolean))]
  const refused = asked.filter((s) => !client.scopes.includes(s))
  if (asked.length === 0) throw new AuthorizeError('invalid_scope', 'scope is required')
  if (refused.length > 0)
    throw new AuthorizeError('invalid_scope', `not allowed for this client: ${refused.join(' ')}`)
  // OpenID Connect Core section 11: offline access is ignored for a client that cannot refresh.
  const scopes = client.grantTypes.includes('refresh_token')
    ? asked
    : asked.filter((s) => s !== 'offline_access')

  const nonce = get('nonce')
  if (nonce !== undefined && nonce.length > NONCE_MAX)
    throw invalid(`nonce is longer than ${NONCE_MAX} characters`)

  const prompt = new Set<Prompt>()
  for (const value of (get('prompt') ?? '').split(' ').filter(Boolean)) {
    if (!PROMPTS.has(value)) throw invalid(`prompt=${value} is not supported (none, login, consent)`)
    prompt.add(value as Prompt)
  }
  if (prompt.has('none') && prompt.size > 1)
    throw invalid('prompt=none cannot be combined with another value')

  const maxAgeText = get('max_age')
  if (maxAgeText !== undefined && !/^\d{1,9}$/.test(maxAgeText))
    throw invalid('max_age must be a whole number of seconds')
  const loginHint = get('login_hint')

  return {
    client,
    redirectUri,
    state,
    scopes,
    codeChallenge,
    nonce: nonce ?? null,
    idTokenHint: get('id_token_hint'),
    prompt,
    maxAge: maxAgeText === undefined ? undefined : Number(maxAgeText),
    loginHint: loginHint === undefined ? undefined : loginHint.slice(0, HINT_MAX),
  }
}

/**
 * The authorization response's `Location`: `redirectUri` with `params` and `iss` (RFC 9207) added
 * to its query, keeping the query it has (RFC 6749 section 3.1.2).
 */
export function redirectTo(
  redirectUri: string,
  issuer: string,
  params: Record<string, string | undefined>,
): string {
  const added = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined) added.append(name, value)
  added.append('iss', issuer)
  // Appended as text: re-serializing the registered URI's own query could change it.
  const separator = !redirectUri.includes('?') ? '?' : /[?&]$/.test(redirectUri) ? '' : '&'
  return `${redirectUri}${separator}${added}`
}
