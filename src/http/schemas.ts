import { type TSchema, t } from 'elysia'
import { TypeRegistry } from 'elysia/type-system'
import { ID_PATTERN, textLength } from '../core/domain'
import { Integer } from './integer'
import { ProblemSchema } from './problem'

export { Integer }

/** TypeBox's kind marker, a registered symbol. */
const Kind = Symbol.for('TypeBox.Kind')

export interface TextOptions {
  minLength?: number
  maxLength?: number
  pattern?: string
  /** The 422 detail; a custom kind's own message would only name the kind. */
  error: string
  description?: string
  examples?: string[]
  title?: string
}

const patterns = new Map<string, RegExp>()
const unicodePattern = (source: string) => {
  const known = patterns.get(source)
  if (known) return known
  const pattern = new RegExp(source, 'u')
  patterns.set(source, pattern)
  return pattern
}

TypeRegistry.Set<TextOptions>('Text', (schema, value) => {
  if (typeof value !== 'string') return false
  // A character is at most two code units: past twice the limit there is nothing to count.
  if (schema.maxLength !== undefined && value.length > schema.maxLength * 2) return false
  const length = textLength(value)
  if (schema.minLength !== undefined && length < schema.minLength) return false
  if (schema.maxLength !== undefined && length > schema.maxLength) return false
  return schema.pattern === undefined || unicodePattern(schema.pattern).test(value)
})

/**
 * A request string checked as the OpenAPI document states it: `minLength` and `maxLength` in
 * characters (`textLength`), `pattern` as a Unicode regular expression. TypeBox's own string counts
 * UTF-16 code units, so a password of 4 emoji passed a documented minimum of 8 characters and 100
 * emoji failed a maximum of 128. Responses keep `t.String`: they are never checked for length.
 */
export const Text = (options: TextOptions) => t.Unsafe<string>({ ...options, [Kind]: 'Text', type: 'string' })

/** A 24-hex-digit MongoDB ObjectId, the id format of both stores. */
export const ObjectId = t.String({
  pattern: ID_PATTERN,
  error: 'must be a 24-hex-digit id',
  examples: ['66f1c0ffee0000000000beef'],
})

/**
 * `{id}` in a path: any case is taken, and handlers get it lower-case, the form the stores keep.
 * This is the one place where an id is lower-cased.
 */
export const IdParams = t.Object({
  id: t
    .Transform(ObjectId)
    .Decode((id) => id.toLowerCase())
    .Encode((id) => id),
})

/**
 * Where a schema keeps keywords meant for the OpenAPI document only (`cleanSchema` moves them in),
 * for rules the request validator would judge wrongly and the service checks itself: TypeBox tests
 * `multipleOf` with binary floats (`19.99 % 0.01` is not 0), and does not know `dependentRequired`.
 */
export const DOCUMENT_ONLY = 'x-document-only'

/** Keywords the document states and the service (not the schema validator) enforces. */
export const documentOnly = (keywords: Record<string, unknown>) => ({ [DOCUMENT_ONLY]: keywords })

/**
 * A time in a response. The service writes each with `Date.prototype.toISOString`, which gives RFC
 * 3339 or throws, so the `date-time` format is stated for the document only: checked on every
 * response (a long regular expression per time, two per item of a list) it could never fail, and
 * it was a fifth of the cost of `GET /products?limit=20` (issue #15).
 */
export const Timestamp = t.String({
  ...documentOnly({ format: 'date-time' }),
  examples: ['2026-11-28T00:00:00.000Z'],
})

/** `page` and `limit` of every list, with their bounds and defaults (docs/api.md, Lists). */
export const PAGE_LIMIT_MAX = 100
/** Far past any real list; keeps offsets within what both engines take. */
export const PAGE_MAX = 1_000_000
export const pagingQuery = {
  page: t.Integer({
    title: 'page',
    minimum: 1,
    maximum: PAGE_MAX,
    default: 1,
    error: `must be an integer from 1 to ${PAGE_MAX}`,
    description: 'Page number, from 1',
  }),
  limit: t.Integer({
    title: 'limit',
    minimum: 1,
    maximum: PAGE_LIMIT_MAX,
    default: 20,
    error: `must be an integer from 1 to ${PAGE_LIMIT_MAX}`,
    description: 'Items per page',
  }),
}

/** Query strings may carry parameters of no interest to us (cache busters); they are ignored. */
export const lenientQuery = { additionalProperties: true } as const

/** A `sort` query value: one of `fields`, or `-field` for descending. */
export function sortQuery<const F extends string>(fields: readonly F[], byDefault: F | `-${F}`) {
  return t.Unsafe<F | `-${F}`>(
    t.Union(
      fields.flatMap((f) => [t.Literal(f), t.Literal(`-${f}`)]),
      {
        default: byDefault,
        error: `must be one of ${fields.join(', ')}, optionally prefixed with -`,
        description: `Sort key; prefix with - for descending. Default ${byDefault}`,
      },
    ),
  )
}

/** Splits a validated `sort` value into field and direction. */
export function parseSort<F extends string>(sort: F | `-${F}`): { field: F; descending: boolean } {
  return sort.startsWith('-')
    ? { field: sort.slice(1) as F, descending: true }
    : { field: sort as F, descending: false }
}

/** The envelope of every list response. */
export const pageOf = <T extends TSchema>(item: T) =>
  t.Object({ items: t.Array(item), page: Integer(), limit: Integer(), total: Integer() })

/** Problem responses a route can answer, by status, for its `response` map. */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ProblemSchema])) as Record<number, typeof ProblemSchema>

/** Headers every single-resource write may carry. */
export const ifMatchHeaders = t.Object({
  'if-match': t.Optional(
    t.String({ description: 'ETag from an earlier read; 412 if the resource changed since' }),
  ),
})

/** Headers every single-resource read may carry. */
export const ifNoneMatchHeaders = t.Object({
  'if-none-match': t.Optional(t.String({ description: 'ETag of a cached copy; 304 when it is current' })),
})
