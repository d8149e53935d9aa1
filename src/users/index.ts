import type { Server } from 'bun'
import { type Context, Elysia, t } from 'elysia'
import type { authPlugin } from '../auth/plugin'
import { parseJson } from '../http/body'
import { clientAddress } from '../http/client-address'
import { etagOf, etagOrNotModified, markCreated, requiredVersion } from '../http/etag'
import { requestIdOf } from '../http/request-log'
import { IdParams, ifMatchHeaders, ifNoneMatchHeaders, parseSort, problems } from '../http/schemas'
import { publicUser, type UserChangesInput, UserListQuery, userModels } from './model'
import type { UserService } from './service'

const mine = { 304: t.Void(), ...problems(401, 403, 404) }

/**
 * The largest body a user route takes: its fields (email 254 characters, password and
 * currentPassword 128 each, fullName 100, username 32) are under 700 characters, at most 6 bytes
 * each even when `\u`-escaped: about 4 KiB, and twice that for names, spaces and what is refused.
 */
export const USER_BODY_LIMIT = 8 * 1024

interface ChangeContext {
  user: { id: string }
  request: Request
  server: Server<unknown> | null
  params: { id: string }
  body: UserChangesInput
  headers: { 'if-match'?: string }
  set: Context['set']
}

/** `POST /auth/register`: anyone may create an account with role `user`. */
export const registrationRoutes = (users: UserService, bodyLimit: number, trustProxy: boolean) =>
  new Elysia({ prefix: '/auth', tags: ['auth'] }).model(userModels).post(
    '/register',
    async ({ body, set, request, server }) => {
      const user = await users.register(body, {
        reqId: requestIdOf(request),
        address: clientAddress(request, server, trustProxy),
      })
      markCreated(set, `/users/${user.id}`, user.version)
      return publicUser(user)
    },
    {
      parse: parseJson(Math.min(USER_BODY_LIMIT, bodyLimit)),
      body: 'Register',
      response: { 201: 'User', ...problems(409, 415, 422, 429, 503) },
      detail: {
        summary: 'Create an account',
        operationId: 'register',
        description:
          'Creates a user with role `user`. A taken username or email is a 409 naming the field, and counts as a failed registration: after `REGISTER_MAX_FAILURES` of them from one address within `LOGIN_WINDOW`, 429 with `Retry-After`.',
      },
    },
  )

/** `/users`: self-service under `/users/me`, everything else for admins. */
export const userRoutes = (
  users: UserService,
  auth: ReturnType<typeof authPlugin>,
  bodyLimit: number,
  trustProxy: boolean,
) => {
  const parse = parseJson(Math.min(USER_BODY_LIMIT, bodyLimit))
  /** Who asks, for the security events (docs/api.md, Operation). */
  const contextOf = (request: Request, server: Server<unknown> | null, actorId?: string) => ({
    reqId: requestIdOf(request),
    address: clientAddress(request, server, trustProxy),
    actorId,
  })
  /** `PUT` and `PATCH /users/{id}` differ only in the body they take. */
  const change = async ({ user, request, server, params, body, headers, set }: ChangeContext) => {
    const updated = await users.update(
      params.id,
      body,
      requiredVersion(headers['if-match']),
      contextOf(request, server, user.id),
    )
    set.headers.etag = etagOf(updated.version)
    return publicUser(updated)
  }
  return new Elysia({ prefix: '/users', tags: ['users'] })
    .use(auth)
    .model(userModels)
    .get(
      '/me',
      ({ user, set, headers }) => {
        if (etagOrNotModified(set, headers['if-none-match'], user.version)) return
        return publicUser(user)
      },
      {
        auth: { scope: 'users:read' },
        headers: ifNoneMatchHeaders,
        response: { 200: 'User', ...mine },
        detail: { summary: 'Your own account', operationId: 'getMe' },
      },
    )
    .patch(
      '/me',
      async ({ user, body, headers, set, request, server }) => {
        const updated = await users.updateSelf(
          user,
          body,
          requiredVersion(headers['if-match']),
          contextOf(request, server),
        )
        set.headers.etag = etagOf(updated.version)
        return publicUser(updated)
      },
      {
        auth: { scope: 'users:write' },
        parse,
        headers: ifMatchHeaders,
        body: 'PatchMe',
        response: { 200: 'User', ...problems(401, 403, 409, 412, 415, 422, 429, 503) },
        detail: {
          summary: 'Change your own account',
          operationId: 'updateMe',
          description:
            'Changes `fullName`, `email` and `password`. A new `email` or `password` needs `currentPassword`; a new `password` ends every session of the account, this one included (its refresh tokens are revoked and its access tokens refused: sign in again). A wrong `currentPassword` counts as a failed login of the account (429 with `Retry-After` past the login limits).',
        },
      },
    )
    .get(
      '',
      async ({ query }) => {
        const { page, limit, sort, q, role, disabled } = query
        const result = await users.list({ q, role, disabled }, parseSort(sort), {
          page,
          limit,
        })
        return { items: result.items.map(publicUser), page, limit, total: result.total }
      },
      {
        auth: { scope: 'users:read', role: 'admin' },
        query: UserListQuery,
        response: { 200: 'UserPage', ...problems(401, 403, 422) },
        detail: { summary: 'List users', operationId: 'listUsers' },
      },
    )
    .post(
      '',
      async ({ body, set }) => {
        const user = await users.create(body)
        markCreated(set, `/users/${user.id}`, user.version)
        return publicUser(user)
      },
      {
        auth: { scope: 'users:write', role: 'admin' },
        parse,
        body: 'CreateUser',
        response: { 201: 'User', ...problems(401, 403, 409, 415, 422) },
        detail: { summary: 'Create a user', operationId: 'createUser' },
      },
    )
    .get(
      '/:id',
      async ({ user, params, headers, set }) => {
        const found = await users.get(user, params.id)
        if (etagOrNotModified(set, headers['if-none-match'], found.version)) return
        return publicUser(found)
      },
      {
        auth: { scope: 'users:read' },
        params: IdParams,
        headers: ifNoneMatchHeaders,
        response: { 200: 'User', ...mine, ...problems(401, 403, 404, 422) },
        detail: { summary: 'Read a user (admins, or the user itself)', operationId: 'getUser' },
      },
    )
    .put('/:id', change, {
      auth: { scope: 'users:write', role: 'admin' },
      parse,
      params: IdParams,
      headers: ifMatchHeaders,
      body: 'ReplaceUser',
      response: { 200: 'User', ...problems(401, 403, 404, 409, 412, 415, 422) },
      detail: { summary: 'Replace a user', operationId: 'replaceUser' },
    })
    .patch('/:id', change, {
      auth: { scope: 'users:write', role: 'admin' },
      parse,
      params: IdParams,
      headers: ifMatchHeaders,
      body: 'PatchUser',
      response: { 200: 'User', ...problems(401, 403, 404, 409, 412, 415, 422) },
      detail: {
        summary: 'Change a user',
        operationId: 'updateUser',
        description:
          "A new `password`, a new `role` or `disabled: true` also ends all of the user's sessions: their refresh tokens are revoked (for a password or disabling) and their access tokens refused. Refused with 409 when it would leave no enabled admin.",
      },
    })
    .delete(
      '/:id',
      async ({ user, request, server, params, headers, set }) => {
        await users.delete(
          params.id,
          requiredVersion(headers['if-match']),
          contextOf(request, server, user.id),
        )
        set.status = 204
      },
      {
        auth: { scope: 'users:write', role: 'admin' },
        params: IdParams,
        headers: ifMatchHeaders,
        response: { 204: t.Void(), ...problems(401, 403, 404, 409, 412, 422) },
        detail: {
          summary: 'Delete a user',
          operationId: 'deleteUser',
          description:
            "Also revokes the user's refresh tokens. Refused with 409 when it would leave no enabled admin.",
        },
      },
    )
}
