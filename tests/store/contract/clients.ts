import { describe, expect, test } from 'bun:test'
import { newClientId } from '../../../src/core/client-secrets'
import { PreconditionFailedError } from '../../../src/store/errors'
import type { NewClient } from '../../../src/store/types'
import { rejectionOf } from '../../support/assertions'
import { unique } from '../../support/unique'
import type { GetStore } from './fixtures'

function newClient(overrides: Partial<NewClient> = {}): NewClient {
  return {
    clientId: newClientId(),
    secretHash: 'ab'.repeat(32),
    name: `Client ${unique()}`,
    redirectUris: ['https://a.example/cb', 'http://localhost:8080/cb'],
    postLogoutRedirectUris: ['https://a.example/bye'],
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code'],
    scopes: ['openid', 'products:read'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    firstParty: false,
    ...overrides,
  }
}

/** Registered OAuth clients: round-trips, versioned writes, the secret hash, paging. */
export function describeClientContract(store: GetStore): void {
  describe('clients', () => {
    test('create returns the client with version 1 and equal timestamps; findById the same', async () => {
      const input = newClient()
      const client = await store().clients.create(input)
      expect(client).toEqual({
        ...input,
        version: 1,
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      })
      expect(client.updatedAt.getTime()).toBe(client.createdAt.getTime())
      expect(await store().clients.findById(input.clientId)).toEqual(client)
    })

    test('a public client keeps a null secret hash, and empty lists stay empty', async () => {
      const input = newClient({
        secretHash: null,
        tokenEndpointAuthMethod: 'none',
        redirectUris: [],
        postLogoutRedirectUris: [],
        grantTypes: ['password'],
        responseTypes: [],
        scopes: [],
        firstParty: true,
      })
      await store().clients.create(input)
      expect(await store().clients.findById(input.clientId)).toMatchObject(input)
    })

    test('findById of an unknown id is null; update and delete of one find nothing', async () => {
      const id = newClientId()
      expect(await store().clients.findById(id)).toBeNull()
      expect(await store().clients.update(id, { name: 'x' }, 1)).toBeNull()
      expect(await store().clients.delete(id, 1)).toBe(false)
    })

    test('update writes only the given fields and bumps the version', async () => {
      const client = await store().clients.create(newClient())
      const updated = await store().clients.update(
        client.clientId,
        { name: 'Renamed', scopes: ['openid'] },
        1,
      )
      expect(updated).toEqual({
        ...client,
        name: 'Renamed',
        scopes: ['openid'],
        version: 2,
        updatedAt: expect.any(Date),
      })
      expect(await store().clients.findById(client.clientId)).toEqual(updated)
    })

    test('update replaces the secret hash alone when that is the change', async () => {
      const client = await store().clients.create(newClient())
      const rotated = await store().clients.update(client.clientId, { secretHash: 'cd'.repeat(32) })
      expect(rotated).toMatchObject({
        ...client,
        secretHash: 'cd'.repeat(32),
        version: 2,
        updatedAt: expect.any(Date),
      })
    })

    test('a stale expectedVersion throws PreconditionFailedError on update and delete', async () => {
      const client = await store().clients.create(newClient())
      const current = await store().clients.update(client.clientId, { firstParty: true }, 1)
      expect(await rejectionOf(store().clients.update(client.clientId, { name: 'x' }, 1))).toBeInstanceOf(
        PreconditionFailedError,
      )
      expect(await rejectionOf(store().clients.delete(client.clientId, 1))).toBeInstanceOf(
        PreconditionFailedError,
      )
      expect(await store().clients.findById(client.clientId)).toEqual(current)
    })

    test('delete with the current version removes the client', async () => {
      const client = await store().clients.create(newClient())
      expect(await store().clients.delete(client.clientId, 1)).toBe(true)
      expect(await store().clients.findById(client.clientId)).toBeNull()
    })

    test('list pages clients in registration order with the exact total', async () => {
      const made = []
      for (let i = 0; i < 3; i++) {
        made.push(await store().clients.create(newClient()))
        await Bun.sleep(2)
      }
      const { total } = await store().clients.list({ page: 1, limit: 1 })
      const all = await store().clients.list({ page: 1, limit: total })
      expect(all.total).toBe(total)
      const ids = all.items.map((c) => c.clientId)
      const positions = made.map((c) => ids.indexOf(c.clientId))
      expect(positions).toEqual([...positions].sort((a, b) => a - b))
      expect(positions[0]).toBeGreaterThanOrEqual(0)
      const last = await store().clients.list({ page: total, limit: 1 })
      expect(last.items.map((c) => c.clientId)).toEqual([made[2]?.clientId as string])
    })

    test('clients registered within one millisecond are listed in the order they were registered', async () => {
      const made = []
      // No pause between them: most share their createdAt, and their random ids must not decide.
      for (let i = 0; i < 8; i++) made.push(await store().clients.create(newClient()))
      const { total } = await store().clients.list({ page: 1, limit: 1 })
      const all = await store().clients.list({ page: 1, limit: total })
      const ids = all.items.map((c) => c.clientId)
      expect(ids.slice(-8)).toEqual(made.map((c) => c.clientId))
    })
  })
}
