import type { Database } from 'bun:sqlite'
import type { RevokedTokenRepository } from '../types'
import { guarded } from './errors'
import type { Params } from './query'

/** Revoked client-credentials tokens by `jti`, until they would have expired anyway. */
export class SqliteRevokedTokenRepository implements RevokedTokenRepository {
  readonly #revoke
  readonly #find
  readonly #purge

  constructor(db: Database) {
    this.#revoke = db.query<never, Params>(
      'INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES ($jti, $expiresAt)',
    )
    this.#find = db.query<{ found: number }, Params>(
      'SELECT 1 AS found FROM revoked_tokens WHERE jti = $jti AND expires_at > $now',
    )
    this.#purge = db.query<never, Params>('DELETE FROM revoked_tokens WHERE expires_at <= $now')
  }

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    guarded(() => {
      this.#purge.run({ now: Date.now() })
      this.#revoke.run({ jti, expiresAt: expiresAt.getTime() })
    })
  }

  async isRevoked(jti: string): Promise<boolean> {
    return guarded(() => this.#find.get({ jti, now: Date.now() }) !== null)
  }
}
