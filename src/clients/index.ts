import type { Server } from 'bun'
import { Elysia, t } from 'elysia'
import type { authPlugin } from '../auth/plugin'
import { HttpError, OAuthError } from '../core/errors'
import { parseJson, takes } from '../http/body'
import { clientAddress } from '../http/client-address'
import { etagOf, etagOrNotModified, markCreated, requiredVersion } from '../http/etag'
import { markOAuthRequest } from '../http/oauth'
import { requestIdOf } from '../http/request-log'
import { ifMatchHeaders, ifNoneMatchHeaders, problems } from '../http/schemas'
import { ClientIdParams, ClientListQuery, clientModels, publicClient } from './model'
import type { ClientService } from './service'

/**
 * The largest metadata body: 20 URLs (10 redirect, 10 post-logout) of 2000 characters are 40,000
 * characters, 40 KB as the ASCII that URLs are, and room for the other fields. Unlike the other
 * routes' limits it does not cover every character `\u`-escaped (240 KB), which no client sends.
 */
export const CLIENT_BODY_LIMIT = 64 * 1024

/**
 * Client metadata is read as JSON, and what is wrong with it is answered the RFC 7591 way
 * (section 3.2.2: 400 `invalid_client_metadata`), bad JSON included; 413 and 415 stay problems.
 */
const parseMetadata = (limit: number) => {
  const json = parseJson(limit)
  return takes(['application/json'], async (context: { request: Request }) => {
    markOAuthRequest(context.request, 'invalid_client_metadata')
    try {
      return await json(context)
    } catch (error) {
      if (error instanceof HttpError && (error.status === 400 || error.status === 422))
        throw new OAuthError('invalid_client_metadata', error.message)
      throw error
    }
  })
}

/** The registration answer is a secret's only appearance: no cache may keep it (RFC 7591 section 3.2.1). */
const noStore = (set: { headers: Record<string, unknown> }) => {
  set.headers['cache-control'] = 'no-store'
  set.headers.pragma = 'no-cache'
}

const metadataResponses = { 400: 'ClientMetadataError', ...problems(401, 403) } as const

/** `/clients`: the registry of OAuth client applications, all for admins (RFC 7591 registration included). */
export const clientRoutes = (
  clients: ClientService,
  auth: ReturnType<typeof authPlugin>,
  bodyLimit: number,
  trustProxy: boolean,
) => {
  const parse = parseMetadata(Math.min(CLIENT_BODY_LIMIT, bodyLimit))
  /** Who asks, for the security events (docs/api.md, Operation). */
  const contextOf = (request: Request, server: Server<unknown> | null, user: { id: string }) => ({
    reqId: requestIdOf(request),
    address: clientAddress(request, server, trustProxy),
    actorId: user.id,
  })
  return new Elysia({ prefix: '/clients', tags: ['clients'] })
    .use(auth)
    .model(clientModels)
    .post(
      '',
      async ({ body, set, request, server, user }) => {
        const { client, secret } = await clients.register(body, contextOf(request, server, user))
        markCreated(set, `/clients/${client.clientId}`, client.version)
        noStore(set)
        return {
          ...publicClient(client),
          ...(secret === null ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
        }
      },
      {
        auth: { scope: 'clients:write', role: 'admin' },
        parse,
        body: 'ClientMetadata',
        response: { 201: 'RegisteredClient', ...metadataResponses },
        detail: {
          summary: 'Register a client (RFC 7591)',
          operationId: 'registerClient',
          description:
            "The dynamic client registration endpoint; an admin's access token is the initial access token. Answers the registered metadata, with `client_secret` (confidential clients) shown this once: only its hash is kept. Faulty metadata is a 400 `invalid_redirect_uri` or `invalid_client_metadata` (RFC 7591 section 3.2.2); unknown fields are ignored.",
        },
      },
    )
    .get(
      '',
      async ({ query }) => {
        const { page, limit } = query
        const result = await clients.list({ page, limit })
        return { items: result.items.map(publicClient), page, limit, total: result.total }
      },
      {
        auth: { scope: 'clients:read', role: 'admin' },
        query: ClientListQuery,
        response: { 200: 'ClientPage', ...problems(401, 403, 422) },
        detail: { summary: 'List clients, oldest first', operationId: 'listClients' },
      },
    )
    .get(
      '/:client_id',
      async ({ params, headers, set }) => {
        const client = await clients.get(params.client_id)
        if (etagOrNotModified(set, headers['if-none-match'], client.version)) return
        return publicClient(client)
      },
      {
        auth: { scope: 'clients:read', role: 'admin' },
        params: ClientIdParams,
        headers: ifNoneMatchHeaders,
        response: { 200: 'Client', 304: t.Void(), ...problems(401, 403, 404, 422) },
        detail: { summary: 'Read a client (never its secret)', operationId: 'getClient' },
      },
    )
    .put(
      '/:client_id',
      async ({ params, body, headers, set, request, server, user }) => {
        const client = await clients.replace(
          params.client_id,
          body,
          requiredVersion(headers['if-match']),
          contextOf(request, server, user),
        )
        set.headers.etag = etagOf(client.version)
        return publicClient(client)
      },
      {
        auth: { scope: 'clients:write', role: 'admin' },
        parse,
        params: ClientIdParams,
        headers: ifMatchHeaders,
        body: 'ClientMetadata',
        response: { 200: 'Client', ...metadataResponses, ...problems(404, 412, 422) },
        detail: {
          summary: "Replace a client's metadata",
          operationId: 'replaceClient',
          description:
            'Every field as registration takes it; left-out fields take their defaults. The id and the secret stay. A client cannot switch between public (`none`) and confidential.',
        },
      },
    )
    .post(
      '/:client_id/secret',
      async ({ params, headers, set, request, server, user }) => {
        const { client, secret } = await clients.rotateSecret(
          params.client_id,
          requiredVersion(headers['if-match']),
          contextOf(request, server, user),
        )
        set.headers.etag = etagOf(client.version)
        noStore(set)
        return { client_id: client.clientId, client_secret: secret as string, client_secret_expires_at: 0 }
      },
      {
        auth: { scope: 'clients:write', role: 'admin' },
        params: ClientIdParams,
        headers: ifMatchHeaders,
        response: { 200: 'ClientSecret', ...problems(401, 403, 404, 409, 412, 422) },
        detail: {
          summary: "Rotate a client's secret",
          operationId: 'rotateClientSecret',
          description:
            'A new secret, shown this once; the old one stops working at once. A public client has none (409).',
        },
      },
    )
    .delete(
      '/:client_id',
      async ({ params, headers, set, request, server, user }) => {
        await clients.delete(
          params.client_id,
          requiredVersion(headers['if-match']),
          contextOf(request, server, user),
        )
        set.status = 204
      },
      {
        auth: { scope: 'clients:write', role: 'admin' },
        params: ClientIdParams,
        headers: ifMatchHeaders,
        response: { 204: t.Void(), ...problems(401, 403, 404, 412, 422) },
        detail: { summary: 'Delete a client', operationId: 'deleteClient' },
      },
    )
}
