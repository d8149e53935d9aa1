/** JSON Schema clean-up for the OpenAPI document (see `openapi.ts`). */
import { DOCUMENT_ONLY } from './schemas'

/** An OpenAPI or JSON Schema object as we walk it: plain JSON. */
// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON of many shapes
export type Node = Record<string, any>

/** Elysia's own annotation, not JSON Schema. */
const DROPPED_KEYWORDS = new Set(['error', '$id'])
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas'])
const SCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems'])
const SCHEMA_VALUES = new Set([
  'items',
  'not',
  'additionalProperties',
  'contains',
  'if',
  'then',
  'else',
  'propertyNames',
])

export const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Where Elysia's `.model()` names a reference model, and so the document's components. */
const COMPONENT_ID = '#/components/schemas/'

/** The component name of a reference model (Elysia stamps its `$id`), or undefined. */
const modelName = (schema: Node): string | undefined =>
  typeof schema.$id === 'string' && schema.$id.startsWith(COMPONENT_ID)
    ? schema.$id.slice(COMPONENT_ID.length)
    : undefined

/**
 * Turns a generated schema into a clean JSON Schema: Elysia's `error` messages and `$id`s dropped,
 * the keywords kept for the document only (`documentOnly`) moved in,
 * the "number or numeric string" unions that query coercion leaves behind collapsed to the number,
 * and reference models (wherever they are nested) handed to `share` with their name.
 */
export function cleanSchema(schema: unknown, share?: (schema: Node, name: string) => Node): Node {
  if (!isNode(schema)) return schema as Node
  let out: Node = {}
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED_KEYWORDS.has(key)) continue
    if (key === DOCUMENT_ONLY && isNode(value)) {
      Object.assign(out, value)
      continue
    }
    if (SCHEMA_MAPS.has(key) && isNode(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cleanSchema(v, share)]))
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map((v) => cleanSchema(v, share))
    } else if (SCHEMA_VALUES.has(key) && isNode(value)) {
      out[key] = cleanSchema(value, share)
    } else {
      out[key] = value
    }
  }
  if (Array.isArray(out.anyOf) && out.anyOf.length === 2) {
    const coercion = out.anyOf.findIndex(
      (s: Node) => s.type === 'string' && ['integer', 'numeric', 'boolean'].includes(s.format),
    )
    if (coercion >= 0) {
      const { anyOf, ...rest } = out
      out = { ...rest, ...anyOf[1 - coercion] }
    }
  }
  const name = modelName(schema)
  return share && name ? share(out, name) : out
}
