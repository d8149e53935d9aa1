import type { Database } from 'bun:sqlite'
import type { SigningKeyRecord, SigningKeyRepository } from '../types'
import { guarded } from './errors'
import type { Params } from './query'

interface SigningKeyRow {
  kid: string
  slot: string
  alg: string
  public_jwk: string
  encrypted_private_jwk: string
  created_at: number
  activates_at: number
  retires_at: number | null
  expires_at: number | null
}

const COLUMNS =
  'kid, slot, alg, public_jwk, encrypted_private_jwk, created_at, activates_at, retires_at, expires_at'

const time = (value: number | null) => (value === null ? null : new Date(value))

function toKey(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    slot: row.slot,
    alg: row.alg,
    publicJwk: JSON.parse(row.public_jwk),
    encryptedPrivateJwk: row.encrypted_private_jwk,
    createdAt: new Date(row.created_at),
    activatesAt: new Date(row.activates_at),
    retiresAt: time(row.retires_at),
    expiresAt: time(row.expires_at),
  }
}

/** Signing keys in SQLite; a taken slot is one `ON CONFLICT DO NOTHING`, so one writer wins. */
export class SqliteSigningKeyRepository implements SigningKeyRepository {
  readonly #insert
  readonly #list
  readonly #retire
  readonly #deleteExpired

  constructor(db: Database) {
    this.#insert = db.query<never, Params>(
      `INSERT INTO signing_keys (${COLUMNS})
       VALUES ($kid, $slot, $alg, $publicJwk, $encryptedPrivateJwk, $createdAt, $activatesAt, $retiresAt, $expiresAt)
       ON CONFLICT (slot) DO NOTHING`,
    )
    this.#list = db.query<SigningKeyRow, []>(`SELECT ${COLUMNS} FROM signing_keys ORDER BY activates_at, kid`)
    this.#retire = db.query<never, Params>(
      `UPDATE signing_keys SET retires_at = $at, expires_at = $expiresAt
       WHERE kid <> $kid AND activates_at < $at AND (retires_at IS NULL OR retires_at > $at)`,
    )
    this.#deleteExpired = db.query<never, Params>('DELETE FROM signing_keys WHERE expires_at <= $now')
  }

  async insert(key: SigningKeyRecord): Promise<boolean> {
    const { changes } = guarded(() =>
      this.#insert.run({
        kid: key.kid,
        slot: key.slot,
        alg: key.alg,
        publicJwk: JSON.stringify(key.publicJwk),
        encryptedPrivateJwk: key.encryptedPrivateJwk,
        createdAt: key.createdAt.getTime(),
        activatesAt: key.activatesAt.getTime(),
        retiresAt: key.retiresAt?.getTime() ?? null,
        expiresAt: key.expiresAt?.getTime() ?? null,
      }),
    )
    return changes > 0
  }

  async list(): Promise<SigningKeyRecord[]> {
    return guarded(() => this.#list.all()).map(toKey)
  }

  async retireBefore(kid: string, at: Date, expiresAt: Date): Promise<void> {
    guarded(() => this.#retire.run({ kid, at: at.getTime(), expiresAt: expiresAt.getTime() }))
  }

  async deleteExpired(now: Date): Promise<number> {
    return guarded(() => this.#deleteExpired.run({ now: now.getTime() })).changes
  }
}
