/** Authorization codes in `authorization_codes`, stored by hash only. */
import type { Collection, Db, IndexDescription, ObjectId } from 'mongodb'
import {
  type AuthorizationCodeRecord,
  type AuthorizationCodeRepository,
  CODE_RETENTION_MS,
  type NewAuthorizationCode,
  type RedeemResult,
} from '../types.ts'
import { toObjectId } from './common.ts'
import { guard } from './errors.ts'

interface AuthorizationCodeDoc {
  _id: ObjectId
  codeHash: string
  clientId: string
  userId: ObjectId
  redirectUri: string
  codeChallenge: string
  nonce: string | null
  scopes: string[]
  signInSessionId: string
  authTime: Date
  userSessionVersion: number
  chainId: string
  expiresAt: Date
  createdAt: Date
  usedAt: Date | null
  /** `expiresAt` plus `CODE_RETENTION_MS`: until then a second use is still seen as one. */
  deleteAt: Date
}

export const authorizationCodeIndexes: IndexDescription[] = [
  { key: { codeHash: 1 }, name: 'authorization_codes_hash', unique: true },
  // Clean-up only: `redeem` checks `expiresAt` itself (FerretDB v1 has no TTL indexes).
  { key: { deleteAt: 1 }, name: 'authorization_codes_ttl', expireAfterSeconds: 0 },
]

/** The record of a stored code. */
export function toRecord(doc: AuthorizationCodeDoc): AuthorizationCodeRecord {
  return {
    codeHash: doc.codeHash,
    clientId: doc.clientId,
    userId: doc.userId.toHexString(),
    redirectUri: doc.redirectUri,
    codeChallenge: doc.codeChallenge,
    nonce: doc.nonce,
    scopes: doc.scopes,
    signInSessionId: doc.signInSessionId,
    authTime: doc.authTime,
    userSessionVersion: doc.userSessionVersion,
    chainId: doc.chainId,
    expiresAt: doc.expiresAt,
    createdAt: doc.createdAt,
    usedAt: doc.usedAt,
  }
}

export class MongoAuthorizationCodeRepository implements AuthorizationCodeRepository {
  protected readonly codes: Collection<AuthorizationCodeDoc>

  constructor(db: Db) {
    this.codes = db.collection<AuthorizationCodeDoc>('authorization_codes')
  }

  insert(code: NewAuthorizationCode): Promise<void> {
    const userId = toObjectId(code.userId)
    if (!userId) return Promise.reject(new TypeError(`userId is not an id: ${code.userId}`))
    return guard(async () => {
      await this.codes.insertOne({
        codeHash: code.codeHash,
        clientId: code.clientId,
        userId,
        redirectUri: code.redirectUri,
        codeChallenge: code.codeChallenge,
        nonce: code.nonce,
        scopes: code.scopes,
        signInSessionId: code.signInSessionId,
        authTime: code.authTime,
        userSessionVersion: code.userSessionVersion,
        chainId: code.chainId,
        expiresAt: code.expiresAt,
        createdAt: new Date(),
        usedAt: null,
        deleteAt: new Date(code.expiresAt.getTime() + CODE_RETENTION_MS),
      } as AuthorizationCodeDoc)
    })
  }

  /** One `findOneAndUpdate` that only an unused live code matches; a read only when it matched nothing. */
  redeem(codeHash: string, now: Date): Promise<RedeemResult> {
    return guard(async () => {
      const doc = await this.codes.findOneAndUpdate(
        { codeHash, usedAt: null, expiresAt: { $gt: now } },
        { $set: { usedAt: now } },
        { returnDocument: 'after' },
      )
      return doc ? { outcome: 'redeemed', code: toRecord(doc) } : this.notRedeemed(codeHash)
    })
  }

  /** A used code presented again is reused, whatever its expiry; anything else invalid. */
  protected async notRedeemed(codeHash: string): Promise<RedeemResult> {
    const doc = await this.codes.findOne({ codeHash })
    return doc?.usedAt ? { outcome: 'reused', code: toRecord(doc) } : { outcome: 'invalid' }
  }
}
