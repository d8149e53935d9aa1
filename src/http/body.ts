import { HttpError } from '../core/errors'

/** JSON and its `+json` relatives. */
export const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/** Deeper than any body of ours; far shallower than what overflows the validator's recursion. */
export const MAX_JSON_DEPTH = 32

/** True when `text` nests arrays or objects deeper than `limit` (strings are skipped). */
function nestedTooDeeply(text: string, limit = MAX_JSON_DEPTH): boolean {
  // A body that short cannot be that deep; most bodies end here.
  if (text.length <= limit * 2) return false
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--
  }
  return false
}

/**
 * Parses a JSON body: a 400 for one nested deeper than `MAX_JSON_DEPTH`, a 422 for anything but an
 * object (every body of ours is one; Elysia would turn `null` or `[]` into `{}` for a schema whose
 * fields are all optional, and a PATCH would then succeed on nothing).
 */
export async function readJson(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text()
  if (nestedTooDeeply(text)) {
    throw new HttpError(400, `the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`)
  }
  const body: unknown = JSON.parse(text)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(422, 'the body must be a JSON object', {}, [
      { pointer: '', detail: 'must be an object' },
    ])
  }
  return body as Record<string, unknown>
}

/** The media types a `parse` hook takes, for the OpenAPI document (see `takes`). */
const MEDIA_TYPES = new WeakMap<object, string[]>()

/** Declares which media types the `parse` hook `parse` takes. */
export function takes<F extends object>(mediaTypes: string[], parse: F): F {
  MEDIA_TYPES.set(parse, mediaTypes)
  return parse
}

/** The media types a `parse` hook declared with `takes`, if it did. */
export const mediaTypesOf = (parse: unknown) =>
  typeof parse === 'function' ? MEDIA_TYPES.get(parse) : undefined

/**
 * The `parse` hook of every JSON body route: another media type is a 415 (Elysia's own `'json'`
 * parser would read any body as JSON, whatever its `Content-Type` says), malformed JSON a 400.
 */
export const parseJson = takes(
  ['application/json'],
  ({ request }: { request: Request }): Promise<unknown> => {
    const type = request.headers.get('content-type') ?? ''
    if (!JSON_TYPE.test(type)) {
      throw new HttpError(415, `content type "${type || 'none'}" is not accepted here; send application/json`)
    }
    return readJson(request)
  },
)
