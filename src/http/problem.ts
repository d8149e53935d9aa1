import { t } from 'elysia'
import type { FieldError } from '../core/errors'
import { Integer } from './integer'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

export const ProblemSchema = t.Object(
  {
    type: t.String({ examples: ['about:blank'] }),
    title: t.String({ examples: ['Not Found'] }),
    status: Integer({ examples: [404] }),
    detail: t.String({ examples: ['product not found'] }),
    instance: t.String({ examples: ['/products/66f1c0ffee0000000000beef'] }),
    errors: t.Optional(
      t.Array(t.Object({ pointer: t.String({ examples: ['/email'] }), detail: t.String() }), {
        description: 'One entry per bad field (validation errors, 422)',
      }),
    ),
  },
  // Named like a reference model, so that the document shares it (every route answers problems).
  { $id: '#/components/schemas/Problem', description: 'RFC 9457 problem details' },
)

export const OAuthErrorSchema = t.Object(
  {
    error: t.Union(
      [
        'invalid_request',
        'invalid_grant',
        'unsupported_grant_type',
        'invalid_client',
        'invalid_scope',
        'unauthorized_client',
      ].map((e) => t.Literal(e)),
    ),
    error_description: t.String(),
  },
  { description: 'RFC 6749 section 5.2 error response' },
)

/** The problem body for `status`; `type` is `about:blank`, so `title` is the status phrase. */
export function problemBody(status: number, detail: string, instance: string, errors?: FieldError[]) {
  return {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance,
    ...(errors ? { errors } : {}),
  }
}

/** A complete `application/problem+json` response. */
export function problemResponse(
  status: number,
  detail: string,
  instance: string,
  options: { headers?: Record<string, string>; errors?: FieldError[] } = {},
): Response {
  return new Response(JSON.stringify(problemBody(status, detail, instance, options.errors)), {
    status,
    headers: { ...options.headers, 'content-type': 'application/problem+json' },
  })
}
