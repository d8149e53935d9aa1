/**
 * `GET /users/me/consents` and `DELETE /users/me/consents/{clientId}`: the applications a user
 * allowed on the consent page, and taking that back. Here rather than under `users/` because the
 * consents, and the refresh tokens withdrawn with them, belong to the sign-in flow.
 */
import { Elysia, t } from 'elysia'
import { notFound } from '../core/errors'
import type { SecurityEvents } from '../core/security-events'
import { requestIdOf } from '../http/request-log'
import { problems } from '../http/schemas'
import type { ConsentRepository, RefreshTokenRepository } from '../store/types'
import type { ClientDirectory } from './client-directory'
import type { authPlugin } from './plugin'

const Consent = t.Object({
  client_id: t.String(),
  client_name: t.String({ description: 'Empty when the client has been deleted since' }),
  scope: t.String({ description: 'Space-separated: every scope allowed so far' }),
  created_at: t.String({ format: 'date-time' }),
  updated_at: t.String({ format: 'date-time' }),
})

export interface ConsentRoutesOptions {
  consents: ConsentRepository
  refreshTokens: RefreshTokenRepository
  clients: ClientDirectory
  guard: ReturnType<typeof authPlugin>
  events: SecurityEvents
}

export function consentRoutes({ consents, refreshTokens, clients, guard, events }: ConsentRoutesOptions) {
  return new Elysia({ prefix: '/users/me/consents', tags: ['users'] })
    .use(guard)
    .get(
      '',
      async ({ user }) => {
        const mine = await consents.listForUser(user.id)
        const names = await Promise.all(mine.map((c) => clients.findById(c.clientId)))
        return mine.map((consent, i) => ({
          client_id: consent.clientId,
          client_name: names[i]?.name ?? '',
          scope: consent.scopes.join(' '),
          created_at: consent.createdAt.toISOString(),
          updated_at: consent.updatedAt.toISOString(),
        }))
      },
      {
        auth: { scope: 'users:read' },
        response: { 200: t.Array(Consent), ...problems(401, 403, 503) },
        detail: {
          summary: 'The applications you allowed',
          operationId: 'listMyConsents',
          description:
            'What you allowed on the consent page of the sign-in flow, per application, oldest first. First-party applications never ask and are not listed.',
        },
      },
    )
    .delete(
      '/:clientId',
      async ({ user, params, set, request }) => {
        if (!(await consents.revoke(user.id, params.clientId))) throw notFound('consent')
        // Taking the consent back takes back what it gave: the application's refresh tokens.
        await refreshTokens.revokeForClient(user.id, params.clientId, new Date())
        events.record({
          event: 'consent_revoked',
          reqId: requestIdOf(request),
          accountId: user.id,
          clientId: params.clientId,
          outcome: 'success',
        })
        set.status = 204
      },
      {
        auth: { scope: 'users:write' },
        params: t.Object({ clientId: t.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: t.Void(), ...problems(401, 403, 404, 422, 503) },
        detail: {
          summary: "Remove an application's access",
          operationId: 'revokeMyConsent',
          description:
            'Forgets what you allowed the application, so that its next sign-in request asks again, and revokes its refresh tokens for your account. Access tokens it holds expire on their own (at most `ACCESS_TOKEN_TTL`).',
        },
      },
    )
}
