import type { OAuthError } from '../core/errors'

/** Requests to the OAuth2 token routes, whose errors take the RFC 6749 form. */
const oauthRequests = new WeakSet<Request>()

/** Makes validation errors of this request OAuth2 `invalid_request` errors instead of problems. */
export const markOAuthRequest = (request: Request) => void oauthRequests.add(request)

/** True for a request that `markOAuthRequest` marked. */
export const isOAuthRequest = (request: Request) => oauthRequests.has(request)

/** An RFC 6749 section 5.2 error response. */
export function oauthErrorResponse(error: OAuthError): Response {
  return new Response(JSON.stringify({ error: error.error, error_description: error.description }), {
    status: 400,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
  })
}
