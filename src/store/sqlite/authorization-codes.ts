import type { Database } from 'bun:sqlite'
import { PurgeSchedule } from '../purge'
import {
  type AuthorizationCodeRecord,
  type AuthorizationCodeRepository,
  CODE_RETENTION_MS,
  type NewAuthorizationCode,
  type RedeemResult,
} from '../types'
import { guarded } from './errors'
import type { Params } from './query'

interface CodeRow {
  code_hash: string
  client_id: string
  user_id: string
  redirect_uri: string
  code_challenge: string
  nonce: string | null
  scopes: string
  signin_session_id: string
  auth_time: number
  user_session_version: number
  chain_id: string
  expires_at: number
  created_at: number
  used_at: number | null
}

const COLUMNS = `code_hash, client_id, user_id, redirect_uri, code_challenge, nonce, scopes, signin_session_id,
  auth_time, user_session_version, chain_id, expires_at, created_at, used_at`

function toCode(row: CodeRow): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    nonce: row.nonce,
    scopes: JSON.parse(row.scopes) as string[],
    signInSessionId: row.signin_session_id,
    authTime: new Date(row.auth_time),
    userSessionVersion: row.user_session_version,
    chainId: row.chain_id,
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
    usedAt: row.used_at === null ? null : new Date(row.used_at),
  }
}

/** Authorization codes in SQLite, by hash; redeeming is one conditional UPDATE, so only one caller wins. */
export class SqliteAuthorizationCodeRepository implements AuthorizationCodeRepository {
  readonly #insert
  readonly #redeem
  readonly #findByHash
  readonly #purge
  readonly #purgeSchedule = new PurgeSchedule()

  constructor(db: Database) {
    this.#insert = db.query<never, Params>(
      `INSERT INTO authorization_codes (${COLUMNS})
       VALUES ($codeHash, $clientId, $userId, $redirectUri, $codeChallenge, $nonce, $scopes, $signInSessionId,
         $authTime, $userSessionVersion, $chainId, $expiresAt, $now, NULL)`,
    )
    this.#redeem = db.query<CodeRow, Params>(
      `UPDATE authorization_codes SET used_at = $now
       WHERE code_hash = $codeHash AND used_at IS NULL AND expires_at > $now
       RETURNING ${COLUMNS}`,
    )
    this.#findByHash = db.query<CodeRow, Params>(
      `SELECT ${COLUMNS} FROM authorization_codes WHERE code_hash = $codeHash`,
    )
    this.#purge = db.query<never, Params>('DELETE FROM authorization_codes WHERE expires_at <= $before')
  }

  async insert(code: NewAuthorizationCode): Promise<void> {
    const now = Date.now()
    if (this.#purgeSchedule.due(now)) {
      guarded(() => this.#purge.run({ before: now - CODE_RETENTION_MS }))
    }
    guarded(() =>
      this.#insert.run({
        codeHash: code.codeHash,
        clientId: code.clientId,
        userId: code.userId,
        redirectUri: code.redirectUri,
        codeChallenge: code.codeChallenge,
        nonce: code.nonce,
        scopes: JSON.stringify(code.scopes),
        signInSessionId: code.signInSessionId,
        authTime: code.authTime.getTime(),
        userSessionVersion: code.userSessionVersion,
        chainId: code.chainId,
        expiresAt: code.expiresAt.getTime(),
        now,
      }),
    )
  }

  async redeem(codeHash: string, now: Date): Promise<RedeemResult> {
    const redeemed = guarded(() => this.#redeem.get({ codeHash, now: now.getTime() }))
    if (redeemed) return { outcome: 'redeemed', code: toCode(redeemed) }
    // A used code stays reused after its expiry: the caller revokes what its exchange issued.
    const row = guarded(() => this.#findByHash.get({ codeHash }))
    if (row && row.used_at !== null) return { outcome: 'reused', code: toCode(row) }
    return { outcome: 'invalid' }
  }
}
