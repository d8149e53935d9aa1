import { hashClientSecret, newClientId, newClientSecret } from '../core/client-secrets'
import { type GrantType, SCOPES } from '../core/domain'
import { HttpError, notFound, OAuthError } from '../core/errors'
import { type RequestContext, SecurityEvents } from '../core/security-events'
import type { ClientChanges, ClientRecord, ClientRepository, NewClient, Page } from '../store/types'
import type { ClientMetadataInput } from './model'

const invalidMetadata = (why: string) => new OAuthError('invalid_client_metadata', why)
const invalidRedirect = (why: string) => new OAuthError('invalid_redirect_uri', why)

/** Hosts that may take plain http: the loopback interface, where nothing travels the network (RFC 8252 section 7.3). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
const KNOWN_SCOPES = new Set<string>(SCOPES)
/** Granted when a client with `authorization_code` names no scope: signing in, nothing of the API. */
const DEFAULT_SIGN_IN_SCOPES = ['openid', 'profile', 'email']

/**
 * Why `uri` may not be a redirect URI, or undefined when it may. Checked with the WHATWG URL parser
 * (built in); the URI is kept as the client wrote it, since redirects will match it exactly.
 */
function redirectUriFault(uri: string): string | undefined {
  // A fragment, even an empty one, may not be part of a redirect URI (RFC 6749 section 3.1.2).
  if (uri.includes('#')) return 'must not have a fragment'
  if (!URL.canParse(uri)) return 'must be an absolute URL'
  const url = new URL(uri)
  if (url.username || url.password) return 'must not carry credentials'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined
  return 'must use https (http only on localhost, 127.0.0.1 or [::1])'
}

function checkRedirectUris(field: string, uris: string[]): string[] {
  for (const uri of uris) {
    const fault = redirectUriFault(uri)
    if (fault) throw invalidRedirect(`${field}: ${JSON.stringify(uri)} ${fault}`)
  }
  return [...new Set(uris)]
}

function scopesOf(scope: string | undefined, grantTypes: GrantType[]): string[] {
  if (scope === undefined) return grantTypes.includes('authorization_code') ? DEFAULT_SIGN_IN_SCOPES : []
  const scopes = [...new Set(scope.split(' ').filter(Boolean))]
  const unknown = scopes.filter((s) => !KNOWN_SCOPES.has(s))
  if (unknown.length > 0)
    throw invalidMetadata(`scope: unknown ${unknown.join(', ')}; known: ${SCOPES.join(' ')}`)
  return scopes
}

/** The stored form of registered metadata, after every rule RFC 7591 and this service set. */
function toMetadata(input: ClientMetadataInput): Omit<NewClient, 'clientId' | 'secretHash'> {
  const method = input.token_endpoint_auth_method ?? 'client_secret_basic'
  const grantTypes = [...new Set(input.grant_types ?? ['authorization_code'])] as GrantType[]
  const has = (grant: GrantType) => grantTypes.includes(grant)
  const redirectUris = checkRedirectUris('redirect_uris', input.redirect_uris ?? [])
  const postLogoutRedirectUris = checkRedirectUris(
    'post_logout_redirect_uris',
    input.post_logout_redirect_uris ?? [],
  )
  if (has('client_credentials') && method === 'none') {
    throw invalidMetadata(
      'grant_types: client_credentials needs a confidential client, not token_endpoint_auth_method none',
    )
  }
  if (has('refresh_token') && !has('authorization_code') && !has('password')) {
    throw invalidMetadata(
      'grant_types: refresh_token needs a grant that issues refresh tokens (authorization_code or password)',
    )
  }
  if (has('authorization_code') && redirectUris.length === 0) {
    throw invalidRedirect('redirect_uris: authorization_code needs at least one redirect URI')
  }
  // RFC 7591 section 2.1: the code response type goes with the authorization_code grant, and only with it.
  const responseTypes: 'code'[] = has('authorization_code') ? ['code'] : []
  if (input.response_types !== undefined && input.response_types.length !== responseTypes.length) {
    throw invalidMetadata(
      has('authorization_code')
        ? 'response_types: authorization_code needs ["code"]'
        : 'response_types: "code" needs the authorization_code grant',
    )
  }
  return {
    name: input.client_name.trim(),
    redirectUris,
    postLogoutRedirectUris,
    grantTypes,
    responseTypes,
    scopes: scopesOf(input.scope, grantTypes),
    tokenEndpointAuthMethod: method,
    firstParty: input.first_party ?? false,
  }
}

/** A client, and its secret when one was just made (shown once, then only its hash exists). */
export interface ClientWithSecret {
  client: ClientRecord
  secret: string | null
}

/**
 * The registry of OAuth client applications; every method is for admins (the routes check). Each
 * change is a security event (`client_*`), since a client can obtain tokens.
 */
export class ClientService {
  constructor(
    private readonly clients: ClientRepository,
    private readonly events: SecurityEvents = SecurityEvents.none,
  ) {}

  /** RFC 7591 registration: a new id, and a secret unless the client is public. */
  async register(input: ClientMetadataInput, context: RequestContext = {}): Promise<ClientWithSecret> {
    const metadata = toMetadata(input)
    const secret = metadata.tokenEndpointAuthMethod === 'none' ? null : newClientSecret()
    const client = await this.clients.create({
      ...metadata,
      clientId: newClientId(),
      secretHash: secret === null ? null : hashClientSecret(secret),
    })
    this.record('client_registered', client.clientId, context)
    return { client, secret }
  }

  async get(clientId: string): Promise<ClientRecord> {
    const client = await this.clients.findById(clientId)
    if (!client) throw notFound('client')
    return client
  }

  list(page: Page) {
    return this.clients.list(page)
  }

  /**
   * Replaces the metadata; the id and the secret stay. A public client cannot become confidential
   * (it has no secret to authenticate with) nor the other way round: register a new client instead.
   * Since no write ever switches it, checking against an earlier read is safe without a version.
   */
  async replace(
    clientId: string,
    input: ClientMetadataInput,
    expectedVersion?: number,
    context: RequestContext = {},
  ): Promise<ClientRecord> {
    const metadata: ClientChanges = toMetadata(input)
    const current = await this.get(clientId)
    if ((current.tokenEndpointAuthMethod === 'none') !== (metadata.tokenEndpointAuthMethod === 'none')) {
      throw invalidMetadata(
        'token_endpoint_auth_method: a client cannot switch between public (none) and confidential; register a new client',
      )
    }
    const updated = await this.clients.update(clientId, metadata, expectedVersion)
    if (!updated) throw notFound('client')
    this.record('client_updated', clientId, context)
    return updated
  }

  /** A new secret for a confidential client; the old one stops working at once. */
  async rotateSecret(
    clientId: string,
    expectedVersion?: number,
    context: RequestContext = {},
  ): Promise<ClientWithSecret> {
    const current = await this.get(clientId)
    if (current.secretHash === null) throw new HttpError(409, 'a public client has no secret to rotate')
    const secret = newClientSecret()
    const client = await this.clients.update(
      clientId,
      { secretHash: hashClientSecret(secret) },
      expectedVersion,
    )
    if (!client) throw notFound('client')
    this.record('client_secret_rotated', clientId, context)
    return { client, secret }
  }

  async delete(clientId: string, expectedVersion?: number, context: RequestContext = {}): Promise<void> {
    if (!(await this.clients.delete(clientId, expectedVersion))) throw notFound('client')
    this.record('client_deleted', clientId, context)
  }

  private record(
    event: 'client_registered' | 'client_updated' | 'client_secret_rotated' | 'client_deleted',
    clientId: string,
    context: RequestContext,
  ) {
    this.events.record({ ...context, event, clientId, outcome: 'success' })
  }
}
