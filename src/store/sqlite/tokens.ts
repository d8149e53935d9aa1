import type { Database } from 'bun:sqlite'
import { API_SCOPES, DOCS_CLIENT_ID } from '../../core/domain'
import type { NewRefreshToken, RefreshTokenRecord, RefreshTokenRepository, RotateResult } from '../types'
import { guarded } from './errors'
import type { Params } from './query'

interface TokenRow {
  token_hash: string
  user_id: string
  chain_id: string
  client_id: string | null
  scope: string | null
  expires_at: number
  created_at: number
  rotated_at: number | null
  revoked_at: number | null
}

const COLUMNS =
  'token_hash, user_id, chain_id, client_id, scope, expires_at, created_at, rotated_at, revoked_at'

function toToken(row: TokenRow): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    userId: row.user_id,
    chainId: row.chain_id,
    clientId: row.client_id ?? DOCS_CLIENT_ID,
    scopes: row.scope === null ? [...API_SCOPES] : row.scope.split(' ').filter(Boolean),
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
    rotatedAt: row.rotated_at === null ? null : new Date(row.rotated_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  }
}

/** Refresh-token hashes in SQLite; rotation is one conditional UPDATE, so only one caller wins. */
export class SqliteRefreshTokenRepository implements RefreshTokenRepository {
  readonly #insert
  readonly #rotate
  readonly #findByHash
  readonly #revokeChain
  readonly #revokeAllForUser
  readonly #revokeForClient

  constructor(db: Database) {
    this.#insert = db.query<never, Params>(
      `INSERT INTO refresh_tokens (token_hash, user_id, chain_id, client_id, scope, expires_at, created_at)
       VALUES ($tokenHash, $userId, $chainId, $clientId, $scope, $expiresAt, $now)`,
    )
    this.#rotate = db.query<TokenRow, Params>(
      `UPDATE refresh_tokens SET rotated_at = $now
       WHERE token_hash = $tokenHash AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $now
       RETURNING ${COLUMNS}`,
    )
    this.#findByHash = db.query<TokenRow, Params>(
      `SELECT ${COLUMNS} FROM refresh_tokens WHERE token_hash = $tokenHash`,
    )
    // `revoked_at IS NULL` keeps the first revocation time.
    this.#revokeChain = db.query<never, Params>(
      'UPDATE refresh_tokens SET revoked_at = $now WHERE chain_id = $chainId AND revoked_at IS NULL',
    )
    this.#revokeAllForUser = db.query<never, Params>(
      'UPDATE refresh_tokens SET revoked_at = $now WHERE user_id = $userId AND revoked_at IS NULL',
    )
    // A NULL client is the docs client's (a token from before clients existed), as `toToken` reads it.
    this.#revokeForClient = db.query<never, Params>(
      `UPDATE refresh_tokens SET revoked_at = $now
       WHERE user_id = $userId AND coalesce(client_id, $docsClientId) = $clientId AND revoked_at IS NULL`,
    )
  }

  async insert(token: NewRefreshToken): Promise<void> {
    guarded(() =>
      this.#insert.run({
        tokenHash: token.tokenHash,
        userId: token.userId,
        chainId: token.chainId,
        clientId: token.clientId,
        scope: token.scopes.join(' '),
        expiresAt: token.expiresAt.getTime(),
        now: Date.now(),
      }),
    )
  }

  async rotate(tokenHash: string, now: Date): Promise<RotateResult> {
    const rotated = guarded(() => this.#rotate.get({ tokenHash, now: now.getTime() }))
    if (rotated) return { outcome: 'rotated', token: toToken(rotated) }
    // A token rotated before is reported as reused even when it has since expired or been revoked:
    // presenting it again is still a sign that it was stolen.
    const row = guarded(() => this.#findByHash.get({ tokenHash }))
    if (row && row.rotated_at !== null) return { outcome: 'reused', token: toToken(row) }
    return { outcome: 'invalid' }
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const row = guarded(() => this.#findByHash.get({ tokenHash }))
    return row ? toToken(row) : null
  }

  async revokeChain(chainId: string, now: Date): Promise<void> {
    guarded(() => this.#revokeChain.run({ chainId, now: now.getTime() }))
  }

  async revokeAllForUser(userId: string, now: Date): Promise<void> {
    guarded(() => this.#revokeAllForUser.run({ userId, now: now.getTime() }))
  }

  async revokeForClient(userId: string, clientId: string, now: Date): Promise<void> {
    guarded(() =>
      this.#revokeForClient.run({ userId, clientId, docsClientId: DOCS_CLIENT_ID, now: now.getTime() }),
    )
  }
}
