import { describe, expect, test } from 'bun:test'
import { useStore } from '../support/fixture'
import type { Engine } from '../support/stores'
import { describeAccountTokenContract } from './contract/account-tokens'
import { describeLoginAttemptContract } from './contract/attempts'
import { describeAuthorizationCodeContract } from './contract/authorization-codes'
import { describeClientContract } from './contract/clients'
import { describeConsentContract } from './contract/consents'
import { describeOutboxContract } from './contract/outbox'
import { describeProductListContract } from './contract/product-list'
import { describeProductContract } from './contract/products'
import { describeRevokedTokenContract } from './contract/revoked-tokens'
import { describeSessionAndAdminContract } from './contract/sessions'
import { describeSignInSessionContract } from './contract/signin-sessions'
import { describeSigningKeyContract } from './contract/signing-keys'
import { describeRefreshTokenContract } from './contract/tokens'
import { describeUserListContract } from './contract/user-list'
import { describeUserContract } from './contract/users'

/**
 * The behaviour every storage engine must show, run against each engine by its own test file.
 * One store serves the whole suite; every test makes its own uniquely named data and scopes its
 * queries to it, so tests do not depend on each other or on what the store held before.
 */
export function describeStoreContract(engine: Engine): void {
  describe(`store contract: ${engine}`, () => {
    const fixture = useStore(engine)
    const store = () => fixture.store

    test('ping resolves while the store is open', async () => {
      expect(await store().ping()).toBeUndefined()
    })

    describeUserContract(store)
    describeSessionAndAdminContract(store)
    describeUserListContract(store)
    describeProductContract(store)
    describeProductListContract(store)
    describeRefreshTokenContract(store)
    describeLoginAttemptContract(store)
    describeClientContract(store)
    describeSignInSessionContract(store)
    describeRevokedTokenContract(store)
    describeAuthorizationCodeContract(store)
    describeConsentContract(store)
    describeAccountTokenContract(store)
  })

  describe(`store contract: ${engine}, a fresh store per test`, () => {
    const fixture = useStore(engine, 'test')
    describeSigningKeyContract(() => fixture.store)
    describeOutboxContract(() => fixture.store, engine)
  })
}
