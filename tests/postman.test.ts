import { expect, test } from 'bun:test'
import { key, NOT_RUN, RUN_ORDER } from '../scripts/postman-collection'
import {
  COLLECTION_PATH,
  ENVIRONMENT,
  ENVIRONMENT_PATH,
  generateCollection,
  openApiDocument,
  serialize,
} from '../scripts/postman-generate'

// biome-ignore lint/suspicious/noExplicitAny: a Postman collection JSON
type Json = any

test('the committed Postman collection is what `bun run postman:generate` makes of the current API', async () => {
  const generated = serialize(await generateCollection(await openApiDocument()))
  const committed = await Bun.file(COLLECTION_PATH).text()
  // A mismatch means the API changed: run `bun run postman:generate` and commit postman/.
  expect(committed === generated).toBe(true)
  expect(await Bun.file(ENVIRONMENT_PATH).text()).toBe(serialize(ENVIRONMENT))
})

test('every operation of the collection is either in the newman run or listed with the reason it is not', async () => {
  const collection: Json = await Bun.file(COLLECTION_PATH).json()
  const operations = collection.item.flatMap((folder: Json) => folder.item.map(key)).sort()
  const covered = [...RUN_ORDER, ...Object.keys(NOT_RUN)].sort()
  expect(operations).toEqual(covered)
})

test('the collection logs in with the environment credentials and sends the token as a bearer token', async () => {
  const collection: Json = await Bun.file(COLLECTION_PATH).json()
  expect(collection.auth).toEqual({
    type: 'bearer',
    bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }],
  })
  const login = collection.event.find((event: Json) => event.listen === 'prerequest').script.exec.join('\n')
  expect(login).toContain("'{{baseUrl}}/auth/login'")
  expect(login).toContain("mode: 'urlencoded'")
  expect(login).toContain("pm.collectionVariables.set('accessToken'")
})
