/** Typed errors that services and guards throw; `http/error-mapping.ts` turns them into responses. */

export interface FieldError {
  /** JSON pointer to the offending field, such as `/email`. */
  pointer: string
  detail: string
}

/** An error with an HTTP status, answered as RFC 9457 problem details. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: FieldError[],
  ) {
    super(detail)
    this.name = 'HttpError'
  }
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`)
export const forbidden = (detail: string) => new HttpError(403, detail)
export const conflict = (detail: string, pointer?: string) =>
  new HttpError(409, detail, {}, pointer ? [{ pointer, detail }] : undefined)
export const unprocessable = (errors: FieldError[]) =>
  new HttpError(422, errors.map((e) => `${e.pointer}: ${e.detail}`).join('; '), {}, errors)

/** 401 with the `WWW-Authenticate` challenge of RFC 6750; `invalid_token` only when one was sent. */
export class UnauthorizedError extends HttpError {
  constructor(detail: string, tokenSent: boolean) {
    const challenge = tokenSent
      ? `Bearer realm="mercado", error="invalid_token", error_description="${detail.replaceAll('"', "'")}"`
      : 'Bearer realm="mercado"'
    super(401, detail, { 'www-authenticate': challenge })
  }
}

/** The error codes of RFC 6749 section 5.2, and of RFC 7591 section 3.2.2 for client registration. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'invalid_client'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'

/**
 * An OAuth2 error, answered as `{ error, error_description }` instead of problem details: by the
 * token routes (RFC 6749 section 5.2) and the client registration endpoint (RFC 7591 section 3.2.2).
 * The status is 400 unless given, e.g. 401 for `invalid_client` with its `WWW-Authenticate`.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description)
    this.name = 'OAuthError'
  }
}
