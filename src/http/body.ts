import { HttpError } from '../core/errors'

/** JSON and its `+json` relatives. */
export const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * What a body may hold before it is parsed (docs/api.md, Conventions). Each is far above what any
 * body of ours needs, so that a field that breaks its own rule still gets a 422 naming it; a body
 * beyond them is refused with a 400 before any work that grows with its shape (parsing, validation,
 * one 422 entry per unknown field).
 */
const BODY_SHAPE = {
  /**
   * Arrays and objects inside one another: deeper than any body of ours, far shallower than what
   * overflows the validator's recursion.
   */
  depth: 32,
  /** Members of one object, elements of one array, fields of one form: ours have 7 and 20 tags at most. */
  items: 64,
  /**
   * Characters (UTF-16 code units, escapes decoded) of one string or name: the longest field, a
   * description, takes 2000.
   */
  string: 4096,
} as const

/** A 413 for a body over `limit` bytes, answered with `Connection: close`: the rest of it is not read. */
export const bodyTooLarge = (limit: number) =>
  new HttpError(413, `the body is larger than the limit of ${limit} bytes`, { connection: 'close' })

/** A 413 when the body's `Content-Length` already says it is over `limit`, before any of it is read. */
export function refuseDeclaredOversize(request: Request, limit: number): void {
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw bodyTooLarge(limit)
}

/** Decodes strictly: invalid UTF-8 is an error, never U+FFFD. A leading BOM is dropped. */
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The body as text: read from its stream with a byte count, so that one sent without
 * `Content-Length` (chunked) is cut off at `limit` like one that declares its size (413), and
 * decoded as strict UTF-8 (400 otherwise). Callers refuse a declared oversize first
 * (`refuseDeclaredOversize`), before they judge the media type.
 */
export async function readText(request: Request, limit: number): Promise<string> {
  const stream = request.body
  if (!stream) return ''
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      // Stop reading; the 413 closes the connection, so whatever the client still sends is dropped.
      reader.cancel().catch(() => {})
      throw bodyTooLarge(limit)
    }
    chunks.push(value)
  }
  const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size)
  try {
    return utf8.decode(bytes)
  } catch {
    throw new HttpError(400, 'the body is not valid UTF-8')
  }
}

const shapeError = (detail: string) => new HttpError(400, detail)

/** The value of the four hex digits from `at`, or -1 (then `JSON.parse` refuses the escape later). */
function hex4(text: string, at: number): number {
  let code = 0
  for (let k = at; k < at + 4; k++) {
    const c = text.charCodeAt(k) | 0x20 // lower-case a letter
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1
    if (digit < 0) return -1
    code = code * 16 + digit
  }
  return code
}

/**
 * Throws a 400 when `text` goes beyond `BODY_SHAPE` (nesting, items per container, string length)
 * or escapes a lone UTF-16 surrogate (which no store can keep as text), in one pass over the text
 * and before `JSON.parse`. It assumes nothing about the text being valid JSON: `JSON.parse` decides
 * that afterwards.
 *
 * Hand-written: the JSON libraries that take limits are streaming tokenizers in JavaScript
 * (`@streamparser/json`, `clarinet`, `stream-json`), ten times slower than the engine's
 * `JSON.parse` and so costlier than this scan plus `JSON.parse`; `secure-json-parse` only guards
 * against prototype poisoning, and a `JSON.parse` reviver runs only after the whole body is parsed.
 */
function checkJsonShape(text: string): void {
  const { depth: maxDepth, items: maxItems, string: maxString } = BODY_SHAPE
  // Separators seen in each open container: n items have n - 1 of them.
  const separators = new Int32Array(maxDepth + 1)
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      let length = 0
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i)
        if (s === 34) break
        if (s === 92 /* \ */) {
          i++
          if (text.charCodeAt(i) === 117 /* u */) {
            const code = hex4(text, i + 1)
            if (code >= 0xd800 && code <= 0xdfff) {
              // A high surrogate must be followed by an escaped low one; a low one never stands first.
              const low =
                text.charCodeAt(i + 5) === 92 && text.charCodeAt(i + 6) === 117 ? hex4(text, i + 7) : -1
              if (code >= 0xdc00 || low < 0xdc00 || low > 0xdfff) {
                throw shapeError('the body escapes a lone UTF-16 surrogate; strings must be valid Unicode')
              }
              i += 6
              length++
            }
            i += 4
          }
        }
        if (++length > maxString) {
          throw shapeError(`the body has a string longer than ${maxString} characters`)
        }
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > maxDepth) {
        throw shapeError(`the body nests arrays or objects deeper than ${maxDepth} levels`)
      }
      separators[depth] = 0
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      if (depth > 0) depth--
    } else if (c === 44 /* , */ && depth > 0) {
      const seen = (separators[depth] as number) + 1
      separators[depth] = seen
      if (seen >= maxItems) {
        throw shapeError(`the body has an object or array of more than ${maxItems} items`)
      }
    }
  }
}

/**
 * A JSON body's text as an object: a 400 for text beyond `BODY_SHAPE` or that is not JSON, a 422
 * for anything but an object (every body of ours is one; Elysia would turn `null` or `[]` into `{}`
 * for a schema whose fields are all optional, and a PATCH would then succeed on nothing).
 */
export function parseJsonText(text: string): Record<string, unknown> {
  checkJsonShape(text)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new HttpError(400, 'the body is not valid JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(422, 'the body must be a JSON object', {}, [
      { pointer: '', detail: 'must be an object' },
    ])
  }
  return body as Record<string, unknown>
}

/** A `%` not starting an escape is taken literally by the form parser; it must not fail the check. */
const LONE_PERCENT = /%(?![0-9A-Fa-f]{2})/g

/**
 * An `application/x-www-form-urlencoded` body's fields (the last of a repeated name wins), held to
 * `BODY_SHAPE`. `URLSearchParams` parses it, but decodes a percent-escape that is not UTF-8 (`%FF`)
 * to U+FFFD without a word; `decodeURIComponent` throws on exactly those, so it checks them first.
 */
export function parseFormText(text: string): Record<string, string> {
  if (text.includes('%')) {
    try {
      decodeURIComponent(text.replace(LONE_PERCENT, '%25'))
    } catch {
      throw new HttpError(400, 'the form has a percent-escape that is not UTF-8')
    }
  }
  const fields: Array<[string, string]> = []
  for (const [name, value] of new URLSearchParams(text)) {
    if (fields.length >= BODY_SHAPE.items) {
      throw shapeError(`the form has more than ${BODY_SHAPE.items} fields`)
    }
    if (name.length > BODY_SHAPE.string || value.length > BODY_SHAPE.string) {
      throw shapeError(`the form has a field longer than ${BODY_SHAPE.string} characters`)
    }
    fields.push([name, value])
  }
  return Object.fromEntries(fields)
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
 * The `parse` hook of a JSON body route that takes bodies of at most `limit` bytes, in this order:
 * a 413 by `Content-Length`; a 415 for another media type (Elysia's own `'json'` parser would read
 * any body as JSON, whatever its `Content-Type` says); a 413 once more than `limit` bytes arrive
 * without one; a 400 for invalid UTF-8, a shape beyond `BODY_SHAPE` or malformed JSON.
 */
export const parseJson = (limit: number) =>
  takes(['application/json'], async ({ request }: { request: Request }): Promise<unknown> => {
    refuseDeclaredOversize(request, limit)
    const type = request.headers.get('content-type') ?? ''
    if (!JSON_TYPE.test(type)) {
      throw new HttpError(415, `content type "${type || 'none'}" is not accepted here; send application/json`)
    }
    return parseJsonText(await readText(request, limit))
  })
