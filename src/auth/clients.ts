/**
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 section
 * 2.3.1): HTTP Basic (`client_secret_basic`), the secret in the form (`client_secret_post`), or the
 * client id alone for a public client (`none`). A client may use only the method it registered.
 *
 * Hand-written: the Basic credentials are decoded twice (base64, then form-decoding of each part),
 * which generic Basic-auth helpers skip, and `URLSearchParams` cannot be borrowed for the second
 * step, since it would split a secret at `&` or `=`.
 */
import { clientSecretMatches } from '../core/client-secrets'
import type { ClientAuthMethod } from '../core/domain'
import { OAuthError } from '../core/errors'
import type { ClientRecord, ClientRepository } from '../store/types'

/** The challenge of every `invalid_client` answer (RFC 6749 section 5.2). */
export const BASIC_CHALLENGE = 'Basic realm="mercado"'

/**
 * `invalid_client` is 401 with the Basic challenge, whichever method the client tried: RFC 6749
 * section 5.2 requires both after Basic, and HTTP (RFC 9110 section 15.5.2) requires a challenge
 * with every 401, so one answer serves all cases and tells nothing of what was wrong.
 */
const invalidClient = (why: string) =>
  new OAuthError('invalid_client', why, 401, { 'www-authenticate': BASIC_CHALLENGE })
const invalidRequest = (why: string) => new OAuthError('invalid_request', why)

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i

/** One part of Basic credentials, decoded as `application/x-www-form-urlencoded` (RFC 6749 appendix B). */
function formDecode(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '))
  } catch {
    throw invalidClient('the Basic credentials are not form-encoded')
  }
}

/** The client id and secret of an `Authorization: Basic` header. */
function basicCredentials(authorization: string): { clientId: string; secret: string } {
  const encoded = BASIC.exec(authorization)?.[1]
  if (!encoded || encoded.length % 4 !== 0) throw invalidClient('the Basic credentials are malformed')
  let decoded: string
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'))
  } catch {
    throw invalidClient('the Basic credentials are not UTF-8')
  }
  // The id's own colons are percent-encoded, so the first colon ends it.
  const colon = decoded.indexOf(':')
  if (colon < 0) throw invalidClient('the Basic credentials have no colon')
  return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
}

/** A form field that must be a single string, if it is there. */
function field(form: Record<string, unknown>, name: string): string | undefined {
  const value = form[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidRequest(`${name} must be a single string`)
  return value
}

/**
 * The client a token-endpoint request authenticates as, given its headers and its (form or JSON)
 * body; throws `OAuthError`: `invalid_request` (400) for two methods at once, `invalid_client`
 * (401, `WWW-Authenticate: Basic`) for anything else wrong: no credentials, an unknown client, a
 * method other than the registered one, a wrong secret.
 */
export async function authenticateClient(
  headers: Headers,
  form: Record<string, unknown>,
  clients: Pick<ClientRepository, 'findById'>,
): Promise<ClientRecord> {
  const authorization = headers.get('authorization')
  // Another scheme (a Bearer token) is no client authentication; only Basic counts here.
  const basic = authorization && /^Basic\b/i.test(authorization) ? basicCredentials(authorization) : undefined
  const formId = field(form, 'client_id')
  const formSecret = field(form, 'client_secret')
  if (basic && formSecret !== undefined) {
    throw invalidRequest('use one client authentication method: Basic or client_secret in the body, not both')
  }
  if (basic && formId !== undefined && formId !== basic.clientId) {
    throw invalidRequest('client_id in the body differs from the Basic credentials')
  }
  const clientId = basic?.clientId ?? formId
  if (!clientId) throw invalidClient('client authentication is required')
  const used: ClientAuthMethod = basic
    ? 'client_secret_basic'
    : formSecret !== undefined
      ? 'client_secret_post'
      : 'none'
  const secret = basic?.secret ?? formSecret
  const client = await clients.findById(clientId)
  if (!client) throw invalidClient('unknown client')
  if (client.tokenEndpointAuthMethod !== used) {
    throw invalidClient(`this client authenticates with ${client.tokenEndpointAuthMethod}`)
  }
  if (used === 'none') return client
  if (secret === undefined || client.secretHash === null || !clientSecretMatches(secret, client.secretHash)) {
    throw invalidClient('wrong client secret')
  }
  return client
}
