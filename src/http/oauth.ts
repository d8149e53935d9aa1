import { OAuthError, type OAuthErrorCode } from '../core/errors'

/** Requests whose errors take the OAuth2 form, with the code a failed validation answers. */
const oauthRequests = new WeakMap<Request, OAuthErrorCode>()

/**
 * Makes validation errors of this request OAuth2 errors instead of problems: `invalid_request` on
 * the token routes, `invalid_client_metadata` on client registration (RFC 7591 section 3.2.2).
 */
export const markOAuthRequest = (request: Request, onInvalid: OAuthErrorCode = 'invalid_request') =>
  void oauthRequests.set(request, onInvalid)

/** True for a request that `markOAuthRequest` marked. */
export const isOAuthRequest = (request: Request) => oauthRequests.has(request)

/**
 * The OAuth2 error a failed validation of this marked request answers. The token routes keep it
 * short; registration names the fields (`detail`), as a developer registering a client needs.
 */
export function oauthValidationError(request: Request, detail: string): OAuthError {
  const code = oauthRequests.get(request) ?? 'invalid_request'
  return new OAuthError(code, code === 'invalid_request' ? 'a field is missing or malformed' : detail)
}

/** An RFC 6749 section 5.2 (or RFC 7591 section 3.2.2) error response, 400 unless the error says. */
export function oauthErrorResponse(error: OAuthError): Response {
  return new Response(JSON.stringify({ error: error.error, error_description: error.description }), {
    status: error.status,
    headers: {
      ...error.headers,
      'content-type': 'application/json',
      'cache-control': 'no-store',
      pragma: 'no-cache',
    },
  })
}
