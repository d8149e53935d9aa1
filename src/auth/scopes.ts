/** The scopes a token request gets (RFC 6749 section 3.3). */
import { API_SCOPES } from '../core/domain'
import { OAuthError } from '../core/errors'
import type { ClientRecord } from '../store/types'

/**
 * The scopes granted to `client` for `requested` (a space-separated `scope` parameter, or nothing):
 * by default every API scope it is registered for; otherwise exactly those asked for, each of
 * which it must be registered for (`invalid_scope` else, rather than silently less). Only API
 * scopes are granted here: the OpenID Connect ones belong to the sign-in flow.
 */
export function grantScopes(client: ClientRecord, requested: string | undefined): string[] {
  const allowed = client.scopes.filter((scope) => (API_SCOPES as readonly string[]).includes(scope))
  if (requested === undefined || requested.trim() === '') {
    if (allowed.length === 0) throw new OAuthError('invalid_scope', 'this client may have no API scope')
    return allowed
  }
  const asked = [...new Set(requested.split(' ').filter(Boolean))]
  const refused = asked.filter((scope) => !allowed.includes(scope))
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', `not granted to this client here: ${refused.join(' ')}`)
  }
  return asked
}

/**
 * The scopes of a refreshed token: those of the refresh token, or fewer when `requested` narrows
 * them (RFC 6749 section 6: never more than originally granted).
 */
export function narrowScopes(granted: string[], requested: string | undefined): string[] {
  if (requested === undefined || requested.trim() === '') return granted
  const asked = [...new Set(requested.split(' ').filter(Boolean))]
  const wider = asked.filter((scope) => !granted.includes(scope))
  if (wider.length > 0) throw new OAuthError('invalid_scope', `not granted originally: ${wider.join(' ')}`)
  return asked
}
