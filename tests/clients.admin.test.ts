/**
 * `/clients` for admins: list, read, replace, rotate the secret and delete, with ETags and
 * `If-Match`; and the registry behind client authentication (docs/api.md: Clients).
 */
import { describe, expect, test } from 'bun:test'
import { authenticateClient } from '../src/auth/clients'
import { OAuthError } from '../src/core/errors'
import { etagOf, expectProblem, rejectionOf } from './support/assertions'
import { webApp } from './support/clients'
import { forEachStore } from './support/fixture'

const UNKNOWN = 'AAAAAAAAAAAAAAAAAAAAAA'

forEachStore(
  'client administration',
  (ctx) => {
    const as = (token = ctx.root.token, headers: Record<string, string> = {}) => ({ token, headers })
    const register = async (fields: Record<string, unknown> = {}) => {
      const reply = await ctx.client.post('/clients', { token: ctx.root.token, body: webApp(fields) })
      expect(reply.status).toBe(201)
      return reply
    }
    /** Authenticates with Basic credentials, as the token endpoint will (form-encoded, then base64). */
    const basicLogin = (id: string, secret: string) => {
      const credentials = `${encodeURIComponent(id)}:${encodeURIComponent(secret)}`
      const headers = new Headers({ authorization: `Basic ${btoa(credentials)}` })
      return authenticateClient(headers, {}, ctx.store.clients)
    }

    describe('GET /clients', () => {
      test('pages clients oldest first, without secrets', async () => {
        const first = (await register()).body
        const second = (await register()).body
        const all = await ctx.client.get('/clients?limit=100', as())
        expect(all.status).toBe(200)
        expect(all.body).toMatchObject({ page: 1, limit: 100, total: expect.any(Number) })
        const ids = all.body.items.map((c: { client_id: string }) => c.client_id)
        expect(ids.indexOf(first.client_id)).toBeLessThan(ids.indexOf(second.client_id))
        expect(JSON.stringify(all.body)).not.toContain('"client_secret"')
        const one = await ctx.client.get('/clients?limit=1&page=2', as())
        expect(one.body.items).toHaveLength(1)
        expect(one.body.items[0].client_id).toBe(ids[1])
      })

      test('a bad page is a 422 problem', async () => {
        expectProblem(await ctx.client.get('/clients?limit=0', as()), 422, '/limit')
      })
    })

    describe('guards', () => {
      test('every client route answers 401 anonymous and 403 to a user', async () => {
        const id = (await register()).body.client_id
        const routes: Array<[string, string]> = [
          ['GET', '/clients'],
          ['GET', `/clients/${id}`],
          ['PUT', `/clients/${id}`],
          ['POST', `/clients/${id}/secret`],
          ['DELETE', `/clients/${id}`],
        ]
        for (const [method, path] of routes) {
          const body = method === 'PUT' ? webApp() : undefined
          const anonymous = await ctx.client.request(method, path, { body })
          expect({ route: `${method} ${path}`, status: anonymous.status }).toEqual({
            route: `${method} ${path}`,
            status: 401,
          })
          const user = await ctx.client.request(method, path, { token: ctx.alice.token, body })
          expect({ route: `${method} ${path}`, status: user.status }).toEqual({
            route: `${method} ${path}`,
            status: 403,
          })
        }
        expect((await ctx.client.get(`/clients/${id}`, as())).status).toBe(200)
      })
    })

    describe('GET /clients/{client_id}', () => {
      test('reads the client with its ETag; If-None-Match answers 304', async () => {
        const created = await register()
        const { client_secret: _, client_secret_expires_at: __, ...metadata } = created.body
        const read = await ctx.client.get(`/clients/${created.body.client_id}`, as())
        expect(read.status).toBe(200)
        expect(read.body).toEqual(metadata)
        const etag = etagOf(read)
        expect(etag).toBe(etagOf(created))
        const again = await ctx.client.get(
          `/clients/${created.body.client_id}`,
          as(undefined, { 'if-none-match': etag }),
        )
        expect(again.status).toBe(304)
      })

      test('an unknown client is a 404; a malformed id a 422', async () => {
        expectProblem(await ctx.client.get(`/clients/${UNKNOWN}`, as()), 404)
        expectProblem(await ctx.client.get('/clients/not*an*id', as()), 422)
      })
    })

    describe('PUT /clients/{client_id}', () => {
      test('replaces the metadata, keeps id and secret, and moves the ETag on', async () => {
        const created = await register()
        const { client_id, client_secret } = created.body
        const body = webApp({ client_name: 'Renamed', scope: 'openid', first_party: true })
        const reply = await ctx.client.put(`/clients/${client_id}`, {
          ...as(undefined, { 'if-match': etagOf(created) }),
          body,
        })
        expect(reply.status).toBe(200)
        expect(reply.body).toMatchObject({
          client_id,
          client_name: 'Renamed',
          scope: 'openid',
          first_party: true,
        })
        expect(reply.body.client_secret).toBeUndefined()
        expect(etagOf(reply)).not.toBe(etagOf(created))
        expect((await basicLogin(client_id, client_secret)).name).toBe('Renamed')
      })

      test('a stale If-Match is a 412 and changes nothing', async () => {
        const created = await register()
        const id = created.body.client_id
        await ctx.client.put(`/clients/${id}`, { ...as(), body: webApp({ client_name: 'First' }) })
        const stale = await ctx.client.put(`/clients/${id}`, {
          ...as(undefined, { 'if-match': etagOf(created) }),
          body: webApp({ client_name: 'Second' }),
        })
        expectProblem(stale, 412)
        expect((await ctx.client.get(`/clients/${id}`, as())).body.client_name).toBe('First')
      })

      test('metadata is judged as at registration', async () => {
        const id = (await register()).body.client_id
        const reply = await ctx.client.put(`/clients/${id}`, {
          ...as(),
          body: webApp({ redirect_uris: ['http://x.example/cb'] }),
        })
        expect({ status: reply.status, error: reply.body.error }).toEqual({
          status: 400,
          error: 'invalid_redirect_uri',
        })
      })

      test('a confidential client cannot become public, nor the other way round', async () => {
        const confidential = (await register()).body.client_id
        const toPublic = await ctx.client.put(`/clients/${confidential}`, {
          ...as(),
          body: webApp({ token_endpoint_auth_method: 'none' }),
        })
        expect(toPublic.body.error).toBe('invalid_client_metadata')
        const pub = (await register({ token_endpoint_auth_method: 'none' })).body.client_id
        const toConfidential = await ctx.client.put(`/clients/${pub}`, { ...as(), body: webApp() })
        expect(toConfidential.body.error).toBe('invalid_client_metadata')
      })

      test('switching between Basic and post keeps the secret and changes the accepted method', async () => {
        const { client_id, client_secret } = (await register()).body
        const body = webApp({ token_endpoint_auth_method: 'client_secret_post' })
        expect((await ctx.client.put(`/clients/${client_id}`, { ...as(), body })).status).toBe(200)
        const post = await authenticateClient(new Headers(), { client_id, client_secret }, ctx.store.clients)
        expect(post.clientId).toBe(client_id)
        expect(await rejectionOf(basicLogin(client_id, client_secret))).toBeInstanceOf(OAuthError)
      })

      test('an unknown client is a 404', async () => {
        expectProblem(await ctx.client.put(`/clients/${UNKNOWN}`, { ...as(), body: webApp() }), 404)
      })
    })

    describe('POST /clients/{client_id}/secret', () => {
      test('a new secret, shown once; the old one stops working', async () => {
        const created = await register()
        const { client_id, client_secret: old } = created.body
        expect((await basicLogin(client_id, old)).clientId).toBe(client_id)
        const reply = await ctx.client.post(
          `/clients/${client_id}/secret`,
          as(undefined, { 'if-match': etagOf(created) }),
        )
        expect(reply.status).toBe(200)
        expect(reply.headers.get('cache-control')).toBe('no-store')
        expect(reply.body).toEqual({
          client_id,
          client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
          client_secret_expires_at: 0,
        })
        expect(reply.body.client_secret).not.toBe(old)
        const refused = (await rejectionOf(basicLogin(client_id, old))) as OAuthError
        expect({ error: refused.error, status: refused.status }).toEqual({
          error: 'invalid_client',
          status: 401,
        })
        expect((await basicLogin(client_id, reply.body.client_secret)).clientId).toBe(client_id)
        expect(etagOf(reply)).not.toBe(etagOf(created))
      })

      test('a stale If-Match is a 412 and the old secret stays', async () => {
        const created = await register()
        const { client_id, client_secret } = created.body
        await ctx.client.put(`/clients/${client_id}`, { ...as(), body: webApp() })
        expectProblem(
          await ctx.client.post(
            `/clients/${client_id}/secret`,
            as(undefined, { 'if-match': etagOf(created) }),
          ),
          412,
        )
        expect((await basicLogin(client_id, client_secret)).clientId).toBe(client_id)
      })

      test('a public client has no secret to rotate: 409', async () => {
        const id = (await register({ token_endpoint_auth_method: 'none' })).body.client_id
        expectProblem(await ctx.client.post(`/clients/${id}/secret`, as()), 409)
      })

      test('an unknown client is a 404', async () => {
        expectProblem(await ctx.client.post(`/clients/${UNKNOWN}/secret`, as()), 404)
      })
    })

    describe('DELETE /clients/{client_id}', () => {
      test('a stale If-Match is a 412; the current one deletes: 204, then 404', async () => {
        const created = await register()
        const { client_id, client_secret } = created.body
        await ctx.client.put(`/clients/${client_id}`, { ...as(), body: webApp() })
        expectProblem(
          await ctx.client.delete(`/clients/${client_id}`, as(undefined, { 'if-match': etagOf(created) })),
          412,
        )
        const current = etagOf(await ctx.client.get(`/clients/${client_id}`, as()))
        const deleted = await ctx.client.delete(
          `/clients/${client_id}`,
          as(undefined, { 'if-match': current }),
        )
        expect(deleted.status).toBe(204)
        expectProblem(await ctx.client.get(`/clients/${client_id}`, as()), 404)
        expectProblem(await ctx.client.delete(`/clients/${client_id}`, as()), 404)
        const refused = (await rejectionOf(basicLogin(client_id, client_secret))) as OAuthError
        expect(refused.error).toBe('invalid_client')
      })
    })

    describe('client authentication against the store', () => {
      test('a public client authenticates with its id alone; a confidential one needs its secret', async () => {
        const pub = (await register({ token_endpoint_auth_method: 'none' })).body.client_id
        expect(
          (await authenticateClient(new Headers(), { client_id: pub }, ctx.store.clients)).clientId,
        ).toBe(pub)
        const conf = (await register()).body.client_id
        const refused = (await rejectionOf(
          authenticateClient(new Headers(), { client_id: conf }, ctx.store.clients),
        )) as OAuthError
        expect(refused.error).toBe('invalid_client')
        expect((await rejectionOf(basicLogin(conf, 'wrong'))) as OAuthError).toMatchObject({
          error: 'invalid_client',
          status: 401,
        })
      })
    })
  },
  { accounts: { alice: 'user', root: 'admin' } },
)
