/** Registered OAuth clients in the `clients` collection. */
import type { Collection, Db, IndexDescription } from 'mongodb'
import type { ClientAuthMethod, GrantType } from '../../core/domain.ts'
import type { ClientChanges, ClientRecord, ClientRepository, NewClient, Page, Paged } from '../types.ts'
import {
  definedOnly,
  deleteVersioned,
  findPage,
  sortBy,
  updateVersioned,
  type VersionedDoc,
} from './common.ts'
import type { ServerCompat } from './compat/index.ts'
import { guard } from './errors.ts'

/**
 * A client as stored. `_id` is an ObjectId like every versioned document's (the versioned writes
 * and FerretDB's write claims key on it); the API names a client by `clientId`, which never changes.
 */
export interface ClientDoc extends VersionedDoc {
  clientId: string
  secretHash: string | null
  name: string
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  grantTypes: GrantType[]
  responseTypes: 'code'[]
  scopes: string[]
  tokenEndpointAuthMethod: ClientAuthMethod
  firstParty: boolean
}

export const clientIndexes: IndexDescription[] = [
  { key: { clientId: 1 }, name: 'clients_client_id', unique: true },
  { key: { createdAt: 1, _id: 1 }, name: 'clients_created_at' },
]

function toRecord(doc: ClientDoc): ClientRecord {
  return {
    clientId: doc.clientId,
    secretHash: doc.secretHash,
    name: doc.name,
    redirectUris: doc.redirectUris,
    postLogoutRedirectUris: doc.postLogoutRedirectUris,
    grantTypes: doc.grantTypes,
    responseTypes: doc.responseTypes,
    scopes: doc.scopes,
    tokenEndpointAuthMethod: doc.tokenEndpointAuthMethod,
    firstParty: doc.firstParty,
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

export class MongoClientRepository implements ClientRepository {
  private readonly clients: Collection<ClientDoc>

  constructor(
    db: Db,
    private readonly compat: ServerCompat,
  ) {
    this.clients = db.collection<ClientDoc>('clients')
  }

  create(input: NewClient): Promise<ClientRecord> {
    return guard(async () => {
      const now = new Date()
      const doc = { ...input, version: 1, createdAt: now, updatedAt: now }
      const { insertedId } = await this.clients.insertOne(doc as ClientDoc)
      return toRecord({ ...doc, _id: insertedId })
    })
  }

  findById(clientId: string): Promise<ClientRecord | null> {
    return guard(async () => {
      const doc = await this.clients.findOne({ clientId })
      return doc ? toRecord(doc) : null
    })
  }

  list(page: Page): Promise<Paged<ClientRecord>> {
    return guard(async () => {
      const { docs, total } = await findPage(this.clients, {}, sortBy('createdAt', false), page)
      return { items: docs.map(toRecord), total }
    })
  }

  update(clientId: string, changes: ClientChanges, expectedVersion?: number): Promise<ClientRecord | null> {
    const set = definedOnly(changes) as Partial<ClientDoc>
    return guard(async () => {
      const id = await this.objectIdOf(clientId)
      if (!id) return null
      const doc = await updateVersioned(this.compat, this.clients, id, set, expectedVersion)
      return doc ? toRecord(doc) : null
    })
  }

  delete(clientId: string, expectedVersion?: number): Promise<boolean> {
    return guard(async () => {
      const id = await this.objectIdOf(clientId)
      return id ? deleteVersioned(this.compat, this.clients, id, expectedVersion) : false
    })
  }

  /**
   * The `_id` of the client, hex, for the versioned writes. Reading it first is safe: a client's
   * `_id` and `clientId` never change, and a client deleted in between is a write that matches nothing.
   */
  private async objectIdOf(clientId: string): Promise<string | null> {
    const doc = await this.clients.findOne({ clientId }, { projection: { _id: 1 } })
    return doc ? doc._id.toHexString() : null
  }
}
