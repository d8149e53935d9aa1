/**
 * Where the token routes look clients up: the registry in the store, plus the built-in public
 * client of the docs pages (`DOCS_CLIENT_ID`), which exists in code only, so that it is there on
 * every instance and database from the first start and nobody can delete or change it.
 */
import { API_SCOPES, DOCS_CLIENT_ID } from '../core/domain'
import type { ClientRecord, ClientRepository } from '../store/types'

/** The built-in client: public (no secret), the password grant and refresh, every API scope. */
export const DOCS_CLIENT: ClientRecord = Object.freeze({
  clientId: DOCS_CLIENT_ID,
  secretHash: null,
  name: 'Mercado API docs and quick start',
  redirectUris: [],
  postLogoutRedirectUris: [],
  grantTypes: ['password', 'refresh_token'],
  responseTypes: [],
  scopes: [...API_SCOPES],
  tokenEndpointAuthMethod: 'none',
  firstParty: true,
  version: 1,
  createdAt: new Date(0),
  updatedAt: new Date(0),
}) as ClientRecord

export class ClientDirectory {
  constructor(private readonly clients: Pick<ClientRepository, 'findById'>) {}

  findById(clientId: string): Promise<ClientRecord | null> {
    return clientId === DOCS_CLIENT_ID ? Promise.resolve(DOCS_CLIENT) : this.clients.findById(clientId)
  }
}
