/// <reference path="../clients/globals.d.ts" />
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, createConfig } from '../clients/typescript/client'
import { getMe, listProducts, login, register } from '../clients/typescript/sdk.gen'
import { CLIENT_DIR, generateClient, readTree } from '../scripts/client-generate'
import { openApiDocument } from '../scripts/postman-generate'
import type { Store } from '../src/store/types'
import { newAccount, testApp } from './support/app'
import { freshSqliteStore } from './support/stores'

let store: Store
let client: ReturnType<typeof createClient>

beforeAll(() => {
  store = freshSqliteStore()
  const { app } = testApp(store)
  // The generated client's own fetch, pointed at the app in process instead of the network.
  const handle = (request: Request) => app.handle(request)
  client = createClient(createConfig({ baseUrl: 'http://localhost', fetch: handle as typeof fetch }))
})

afterAll(() => store.close())

test('the committed client in clients/typescript is what `bun run client:generate` makes of the current API', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mercado-client-'))
  try {
    await generateClient(await openApiDocument(), dir)
    // A mismatch means the API changed: run `bun run client:generate` and commit clients/typescript.
    expect(readTree(CLIENT_DIR)).toEqual(readTree(dir))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the generated client registers, logs in, reads the account and lists products on SQLite', async () => {
  const account = newAccount()
  const registered = await register({ client, body: account, throwOnError: true })
  expect(registered.response.status).toBe(201)
  expect(registered.data.username).toBe(account.username)

  const tokens = await login({
    client,
    body: { grant_type: 'password', username: account.username, password: account.password },
    throwOnError: true,
  })
  expect(tokens.data.token_type).toBe('bearer')

  const me = await getMe({ client, auth: tokens.data.access_token, throwOnError: true })
  expect(me.data).toMatchObject({ id: registered.data.id, username: account.username, role: 'user' })

  const products = await listProducts({ client, query: { limit: 5 }, throwOnError: true })
  expect(products.data).toMatchObject({ items: [], page: 1, limit: 5, total: 0 })
})

test('the generated client hands back problem documents as typed errors', async () => {
  const anonymous = await getMe({ client })
  expect(anonymous.response?.status).toBe(401)
  expect(anonymous.error).toMatchObject({ status: 401, title: expect.any(String) })
})
