/** Placeholder until the account flows (#13, branch of the recovery work) replace this file. */
import type { AccountTokenRecord, AccountTokenRepository } from '../types.ts'

export class MongoAccountTokenRepository implements AccountTokenRepository {
  insert(): Promise<void> {
    throw new Error('not implemented')
  }

  consume(): Promise<AccountTokenRecord | null> {
    throw new Error('not implemented')
  }

  countSince(): Promise<number> {
    throw new Error('not implemented')
  }
}
