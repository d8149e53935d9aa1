/**
 * Where the token routes look clients up: the registry in the store, plus the built-in public
 * client of the docs pages (`DOCS_CLIENT_ID`), which exists in code only, so that it is there on
 * every instance and database from the first start and nobody can delete or change it.
 */
import { API_SCOPES, DOCS_CLIENT_ID, OIDC_SCOPES } from '../core/domain'
import type { ClientRecord, ClientRepository } from '../store/types'

/** Where Swagger UI receives the authorization code (its `oauth2RedirectUrl`). */
export const DOCS_REDIRECT_PATH = '/swagger/oauth2-redirect.html'

/**
 * The built-in client: public (no secret), first-party (no consent page), the sign-in flow and the
 * password grant, with refresh, and every scope. Its redirect URI is Swagger UI's page on this
 * service: `ClientDirectory` fills it in from `PUBLIC_URL`.
 */
export const DOCS_CLIENT: ClientRecord = Object.freeze({
  clientId: DOCS_CLIENT_ID,
  secretHash: null,
  name: 'Mercado API docs and quick start',
  redirectUris: [],
  postLogoutRedirectUris: [],
  grantTypes: ['authorization_code', 'password', 'refresh_token'],
  responseTypes: ['code'],
  scopes: [...OIDC_SCOPES, ...API_SCOPES],
  tokenEndpointAuthMethod: 'none',
  firstParty: true,
  version: 1,
  createdAt: new Date(0),
  updatedAt: new Date(0),
}) as ClientRecord

/** Whether `client` is the built-in docs client (also what a token request naming no client acts for). */
export const isDocsClient = (client: ClientRecord) => client.clientId === DOCS_CLIENT_ID

export class ClientDirectory {
  /** The docs client with its redirect URIs on this service. */
  readonly docs: ClientRecord

  constructor(
    private readonly clients: Pick<ClientRepository, 'findById'>,
    /** `PUBLIC_URL`. */
    issuer: string,
  ) {
    this.docs = Object.freeze({
      ...DOCS_CLIENT,
      redirectUris: [`${issuer}${DOCS_REDIRECT_PATH}`],
      postLogoutRedirectUris: [`${issuer}/swagger`],
    })
  }

  findById(clientId: string): Promise<ClientRecord | null> {
    return clientId === DOCS_CLIENT_ID ? Promise.resolve(this.docs) : this.clients.findById(clientId)
  }
}
