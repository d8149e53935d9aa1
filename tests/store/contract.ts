import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Store } from '../../src/store/types'
import { describeLoginAttemptContract } from './contract/attempts'
import { describeProductListContract } from './contract/product-list'
import { describeProductContract } from './contract/products'
import { describeRefreshTokenContract } from './contract/tokens'
import { describeUserListContract } from './contract/user-list'
import { describeUserContract } from './contract/users'

/**
 * The behaviour every storage engine must show, run against each engine by its own test file.
 * One store serves the whole suite; every test makes its own uniquely named data and scopes its
 * queries to it, so tests do not depend on each other or on what the store held before.
 */
export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let opened: Store | undefined
    const store = (): Store => {
      if (!opened) throw new Error('the store is not open')
      return opened
    }

    beforeAll(async () => {
      opened = await open()
    })

    afterAll(async () => {
      await opened?.close()
    })

    test('ping resolves while the store is open', async () => {
      expect(await store().ping()).toBeUndefined()
    })

    describeUserContract(store)
    describeUserListContract(store)
    describeProductContract(store)
    describeProductListContract(store)
    describeRefreshTokenContract(store)
    describeLoginAttemptContract(store)
  })
}
