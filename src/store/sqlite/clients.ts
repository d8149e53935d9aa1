import type { Database } from 'bun:sqlite'
import type { ClientAuthMethod, GrantType } from '../../core/domain'
import { PreconditionFailedError } from '../errors'
import type { ClientChanges, ClientRecord, ClientRepository, NewClient, Page, Paged } from '../types'
import { guarded } from './errors'
import { listPage, type Params } from './query'

interface ClientRow {
  id: string
  secret_hash: string | null
  name: string
  redirect_uris: string
  post_logout_redirect_uris: string
  grant_types: string
  response_types: string
  scopes: string
  token_endpoint_auth_method: string
  first_party: number
  version: number
  created_at: number
  updated_at: number
}

const COLUMNS = `id, secret_hash, name, redirect_uris, post_logout_redirect_uris, grant_types, response_types,
  scopes, token_endpoint_auth_method, first_party, version, created_at, updated_at`

function toClient(row: ClientRow): ClientRecord {
  return {
    clientId: row.id,
    secretHash: row.secret_hash,
    name: row.name,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    grantTypes: JSON.parse(row.grant_types) as GrantType[],
    responseTypes: JSON.parse(row.response_types) as 'code'[],
    scopes: JSON.parse(row.scopes) as string[],
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as ClientAuthMethod,
    firstParty: row.first_party === 1,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

/** `changes` as statement parameters: null leaves a column as it is (`coalesce`). */
function toParams(changes: ClientChanges): Params {
  const list = (value: string[] | undefined) => (value ? JSON.stringify(value) : null)
  return {
    name: changes.name ?? null,
    redirectUris: list(changes.redirectUris),
    postLogoutRedirectUris: list(changes.postLogoutRedirectUris),
    grantTypes: list(changes.grantTypes),
    responseTypes: list(changes.responseTypes),
    scopes: list(changes.scopes),
    method: changes.tokenEndpointAuthMethod ?? null,
    firstParty: changes.firstParty === undefined ? null : changes.firstParty ? 1 : 0,
  }
}

/** Registered OAuth clients in SQLite; their lists are JSON arrays. */
export class SqliteClientRepository implements ClientRepository {
  readonly #insert
  readonly #findById
  readonly #update
  readonly #delete

  constructor(private readonly db: Database) {
    this.#insert = db.query<ClientRow, Params>(
      `INSERT INTO clients (id, secret_hash, name, redirect_uris, post_logout_redirect_uris, grant_types,
         response_types, scopes, token_endpoint_auth_method, first_party, version, created_at, updated_at)
       VALUES ($id, $secretHash, $name, $redirectUris, $postLogoutRedirectUris, $grantTypes,
         $responseTypes, $scopes, $method, $firstParty, 1, $now, $now)
       RETURNING ${COLUMNS}`,
    )
    this.#findById = db.query<ClientRow, Params>(`SELECT ${COLUMNS} FROM clients WHERE id = $id`)
    // A NULL parameter leaves its column as it is, except the secret: `$setSecret` says whether to write it.
    this.#update = db.query<ClientRow, Params>(
      `UPDATE clients SET
         secret_hash = CASE WHEN $setSecret THEN $secretHash ELSE secret_hash END,
         name = coalesce($name, name),
         redirect_uris = coalesce($redirectUris, redirect_uris),
         post_logout_redirect_uris = coalesce($postLogoutRedirectUris, post_logout_redirect_uris),
         grant_types = coalesce($grantTypes, grant_types),
         response_types = coalesce($responseTypes, response_types),
         scopes = coalesce($scopes, scopes),
         token_endpoint_auth_method = coalesce($method, token_endpoint_auth_method),
         first_party = coalesce($firstParty, first_party),
         version = version + 1,
         updated_at = $now
       WHERE id = $id AND ($expectedVersion IS NULL OR version = $expectedVersion)
       RETURNING ${COLUMNS}`,
    )
    this.#delete = db.query<never, Params>(
      'DELETE FROM clients WHERE id = $id AND ($expectedVersion IS NULL OR version = $expectedVersion)',
    )
  }

  async create(input: NewClient): Promise<ClientRecord> {
    const row = guarded(() =>
      this.#insert.get({
        ...toParams(input),
        id: input.clientId,
        secretHash: input.secretHash,
        now: Date.now(),
      }),
    )
    if (!row) throw new Error('INSERT ... RETURNING gave no row')
    return toClient(row)
  }

  async findById(clientId: string): Promise<ClientRecord | null> {
    const row = guarded(() => this.#findById.get({ id: clientId }))
    return row ? toClient(row) : null
  }

  async list(page: Page): Promise<Paged<ClientRecord>> {
    const { rows, total } = guarded(() =>
      listPage<ClientRow>(this.db, {
        from: 'clients',
        columns: COLUMNS,
        where: [],
        params: {},
        orderBy: 'created_at',
        // Client ids are random: clients of one millisecond go in the order they were registered.
        tieBreak: 'rowid',
        descending: false,
        page,
      }),
    )
    return { items: rows.map(toClient), total }
  }

  async update(
    clientId: string,
    changes: ClientChanges,
    expectedVersion?: number,
  ): Promise<ClientRecord | null> {
    const row = guarded(() =>
      this.#update.get({
        ...toParams(changes),
        id: clientId,
        expectedVersion: expectedVersion ?? null,
        setSecret: changes.secretHash !== undefined ? 1 : 0,
        secretHash: changes.secretHash ?? null,
        now: Date.now(),
      }),
    )
    if (row) return toClient(row)
    this.#assertMissing(clientId, expectedVersion)
    return null
  }

  async delete(clientId: string, expectedVersion?: number): Promise<boolean> {
    const { changes } = guarded(() =>
      this.#delete.run({ id: clientId, expectedVersion: expectedVersion ?? null }),
    )
    if (changes > 0) return true
    this.#assertMissing(clientId, expectedVersion)
    return false
  }

  /** After a write matched no row: the client is not there, fine; or only its version moved on (412). */
  #assertMissing(clientId: string, expectedVersion: number | undefined): void {
    if (expectedVersion === undefined) return
    if (guarded(() => this.#findById.get({ id: clientId }))) throw new PreconditionFailedError()
  }
}
