import { toOpenAPISchema } from '@elysiajs/openapi'
import type { AnyElysia } from 'elysia'
import { mediaTypesOf } from './body'
import {
  DESCRIPTION,
  EXAMPLES,
  FORM_REQUIRED,
  HEADERS,
  OPERATION_EXAMPLES,
  problemExample,
  responseDescription,
  SECURITY_SCHEMES,
  TAGS,
} from './openapi-content'
import { cleanSchema, isNode, type Node } from './openapi-schema'
import { ProblemSchema } from './problem'

/** The OpenAPI version we emit: 3.1, because TypeBox schemas are JSON Schema 2020-12. */
export const OPENAPI_VERSION = '3.1.0'

export interface BuiltDocument {
  document: Node
  /** Problems that made the document less precise than it should be (two schemas with one name). */
  warnings: string[]
}

const PROBLEM_REF = '#/components/schemas/Problem'
/** Routes that answer without the store, so they never answer 503. */
const STORELESS = new Set(['/', '/health', '/static/{path}'])
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value))

/** `/users/:id` → `/users/{id}`; a trailing `*` becomes the parameter `{path}`. */
export const toDocumentPath = (path: string) => path.replace(/:([^/]+)/g, '{$1}').replace(/\/\*$/, '/{path}')

/**
 * Builds the OpenAPI document of `app` (the finished root app, whose `routes` are all of them): what `@elysiajs/openapi` generates from the routes'
 * schemas and `detail`, completed with what it cannot know: shared schemas under `components`,
 * `application/problem+json` for problems, the statuses the HTTP conventions add to every route
 * (413, 415, 500, 503...), response headers, examples and public routes' empty `security`.
 */
export function buildOpenApiDocument(
  app: AnyElysia,
  info: { title: string; version: string },
): BuiltDocument {
  const warnings: string[] = []
  const schemas: Node = {}
  const generated = json(
    toOpenAPISchema(app, { staticFile: false }, undefined, undefined, OPENAPI_VERSION),
  ) as Node
  const hooks = new Map<string, Node>()
  for (const route of app.routes) {
    hooks.set(`${route.method.toLowerCase()} ${toDocumentPath(route.path)}`, route.hooks as Node)
  }

  /** Moves a reference model to `components.schemas` and answers a `$ref` to it. */
  const share = (schema: Node, name: string): Node => {
    const existing = schemas[name]
    if (existing && !Bun.deepEquals(existing, schema)) {
      warnings.push(`two different schemas are named "${name}"; the second stays inline`)
      return schema
    }
    schemas[name] = schema
    return { $ref: `#/components/schemas/${name}` }
  }
  const clean = (schema: unknown) => cleanSchema(schema, share)
  // The error mapping answers problems on every route, so the schema is there even if no route names it.
  clean(json(ProblemSchema))
  for (const model of Object.values((generated.components?.schemas ?? {}) as Node)) clean(model)

  const paths: Node = {}
  for (const [rawPath, item] of Object.entries(generated.paths as Node)) {
    const path = toDocumentPath(rawPath)
    paths[path] ??= {}
    for (const [method, operation] of Object.entries(item as Node)) {
      paths[path][method] = completeOperation(operation as Node, {
        path,
        method,
        hooks: hooks.get(`${method} ${path}`) ?? {},
        clean,
      })
    }
  }

  const document = {
    openapi: OPENAPI_VERSION,
    info: { ...info, description: DESCRIPTION },
    tags: TAGS,
    paths,
    components: { schemas, securitySchemes: SECURITY_SCHEMES, headers: HEADERS },
  }
  return { document, warnings }
}

interface OperationContext {
  path: string
  method: string
  hooks: Node
  clean: (schema: unknown) => Node
}

function completeOperation(generated: Node, { path, method, hooks, clean }: OperationContext): Node {
  const operation: Node = { ...generated, security: generated.security ?? [] }
  if (path.endsWith('/{path}')) {
    operation.parameters = [
      ...(operation.parameters ?? []),
      {
        name: 'path',
        in: 'path',
        required: true,
        description: 'A path below the folder',
        schema: { type: 'string' },
      },
    ]
  }
  operation.parameters = operation.parameters?.map((parameter: Node) =>
    completeParameter(parameter, hooks, clean),
  )

  const body = operation.requestBody
  if (body) {
    // The generator cannot see what a route's own `parse` hook takes; the hook says (see `takes`).
    const mediaTypes = Object.keys(body.content ?? {})
    const declared = (hooks.parse as Array<{ fn?: unknown }> | undefined)
      ?.map((p) => mediaTypesOf(p.fn))
      .find(Boolean)
    const types = declared ?? (mediaTypes.length > 0 ? mediaTypes : ['application/json'])
    // A body named by a reference model is that model; the generator leaves such a body out when
    // the route has its own parse hook.
    const source =
      mediaTypes.length > 0
        ? body.content[mediaTypes[0] as string].schema
        : typeof hooks.body === 'string'
          ? { $ref: `#/components/schemas/${hooks.body}` }
          : json(hooks.body)
    const schema = clean(source)
    const name = refName(schema) ?? ''
    const example = EXAMPLES[name]
    const formRequired = FORM_REQUIRED[name]
    // A form must say more than JSON does (the grant type); JSON keeps the shorter schema.
    const schemaFor = (type: string) =>
      formRequired && type === 'application/x-www-form-urlencoded'
        ? { allOf: [schema, { required: formRequired }] }
        : schema
    operation.requestBody = {
      required: true,
      content: Object.fromEntries(
        types.map((type) => [type, { schema: schemaFor(type), ...(example ? { example } : {}) }]),
      ),
    }
  }

  const responses: Node = { ...operation.responses }
  const takesJson = body && 'application/json' in operation.requestBody.content
  if (takesJson) responses['400'] ??= problemResponse()
  if (body) {
    responses['413'] ??= problemResponse()
    responses['415'] ??= problemResponse()
  }
  if (!STORELESS.has(path)) responses['503'] ??= problemResponse()
  responses['500'] ??= problemResponse()
  operation.responses = Object.fromEntries(
    Object.entries(responses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, response]) => [
        status,
        completeResponse(Number(status), response as Node, {
          path,
          method,
          operationId: operation.operationId,
          clean,
        }),
      ]),
  )
  return operation
}

const PATH_PARAMETERS: Record<string, string> = {
  id: 'The id, 24 hex digits',
  client_id: 'The client id (base64url)',
}

/** Query parameters with a default are optional to the client, whatever the schema says. */
function completeParameter(parameter: Node, hooks: Node, clean: OperationContext['clean']): Node {
  // The parameter carries the description; `title` is only Elysia's name for the error pointer.
  const { description: own, title: _, ...schema } = clean(parameter.schema)
  const source = parameter.in === 'query' ? hooks.query?.properties?.[parameter.name] : undefined
  if (source?.default !== undefined) schema.default ??= source.default
  const description = parameter.description ?? own ?? source?.description ?? PATH_PARAMETERS[parameter.name]
  return {
    ...parameter,
    // Headers as HTTP spells them: `If-None-Match`.
    name:
      parameter.in === 'header'
        ? parameter.name.replace(/(^|-)([a-z])/g, (s: string) => s.toUpperCase())
        : parameter.name,
    ...(description ? { description } : {}),
    required: parameter.in === 'path' || (parameter.required && schema.default === undefined),
    schema,
  }
}

interface ResponseContext {
  path: string
  method: string
  operationId: string
  clean: OperationContext['clean']
}

function completeResponse(
  status: number,
  generated: Node,
  { path, method, operationId, clean }: ResponseContext,
) {
  const response: Node = { description: '' }
  // 204 and 304 have no body; the generator writes `t.Void()` as a bogus `{ type: 'void' }` content.
  const media = status === 204 || status === 304 ? [] : Object.entries((generated.content ?? {}) as Node)
  let schemaName: string | undefined
  for (const [type, value] of media) {
    if (!isNode(value)) continue
    if (!value.schema) {
      response.content = { ...response.content, [type]: value }
      continue
    }
    const schema = clean(value.schema)
    schemaName = refName(schema)
    const problem = schema.$ref === PROBLEM_REF
    const example = problem
      ? problemExample(status, path, method)
      : (EXAMPLES[schemaName ?? ''] ?? OPERATION_EXAMPLES[operationId]?.[status])
    response.content = {
      ...response.content,
      [problem ? 'application/problem+json' : type.includes('/') ? type : 'application/json']: {
        schema,
        ...(example ? { example } : {}),
      },
    }
  }
  response.description = responseDescription(status, schemaName, generated.description)
  response.headers = responseHeaders(status, path)
  return response
}

const problemResponse = () => ({ content: { 'application/problem+json': { schema: { $ref: PROBLEM_REF } } } })

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` })

function responseHeaders(status: number, path: string): Node {
  const headers: Node = { 'X-Request-Id': headerRef('XRequestId') }
  const singleResource = /\/(\{id\}|\{client_id\}|me)$/.test(path)
  if (status === 201) Object.assign(headers, { Location: headerRef('Location'), ETag: headerRef('ETag') })
  if ((status === 200 || status === 304) && singleResource) headers.ETag = headerRef('ETag')
  if (status === 401) headers['WWW-Authenticate'] = headerRef('WWWAuthenticate')
  if (status === 429 || status === 503) headers['Retry-After'] = headerRef('RetryAfter')
  return headers
}

const refName = (schema: Node): string | undefined =>
  typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() : undefined
