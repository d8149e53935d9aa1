import type { Context } from 'elysia'
import { Elysia, t } from 'elysia'
import type { authPlugin } from '../auth/plugin'
import type { Actor } from '../core/domain'
import { parseJson } from '../http/body'
import { etagOf, etagOrNotModified, markCreated, requiredVersion } from '../http/etag'
import { IdParams, ifMatchHeaders, ifNoneMatchHeaders, parseSort, problems } from '../http/schemas'
import { type ProductChangesInput, ProductListQuery, productModels, publicProduct } from './model'
import type { ProductService } from './service'

interface ChangeContext {
  user: Actor
  params: { id: string }
  body: ProductChangesInput
  headers: { 'if-match'?: string }
  set: Context['set']
}

/**
 * The largest body a product write takes: name (200 characters), description (2000) and 20 tags of
 * 40 are 3000 characters, at most 6 bytes each even when `\u`-escaped: 18,000 bytes, and room to spare.
 */
export const PRODUCT_BODY_LIMIT = 32 * 1024

const writeResponses = { 200: 'Product', ...problems(401, 403, 404, 409, 412, 415, 422) } as const

/** `/products`: public reads; writes by signed-in users, changes by the owner or an admin. */
export const productRoutes = (
  products: ProductService,
  auth: ReturnType<typeof authPlugin>,
  bodyLimit: number,
) => {
  const parse = parseJson(Math.min(PRODUCT_BODY_LIMIT, bodyLimit))
  /** `PUT` and `PATCH` differ only in the body they take. */
  const change = async ({ user, params, body, headers, set }: ChangeContext) => {
    const product = await products.update(user, params.id, body, requiredVersion(headers['if-match']))
    set.headers.etag = etagOf(product.version)
    return publicProduct(product)
  }
  return new Elysia({ prefix: '/products', tags: ['products'] })
    .use(auth)
    .model(productModels)
    .get(
      '',
      async ({ query }) => {
        const { page, limit, sort, q, tag, minPrice, maxPrice, inStock } = query
        const result = await products.list({ q, tag, minPrice, maxPrice, inStock }, parseSort(sort), {
          page,
          limit,
        })
        return { items: result.items.map(publicProduct), page, limit, total: result.total }
      },
      {
        query: ProductListQuery,
        response: { 200: 'ProductPage', ...problems(422) },
        detail: { summary: 'List products', operationId: 'listProducts', security: [] },
      },
    )
    .get(
      '/:id',
      async ({ params, headers, set }) => {
        const product = await products.get(params.id)
        if (etagOrNotModified(set, headers['if-none-match'], product.version)) return
        return publicProduct(product)
      },
      {
        params: IdParams,
        headers: ifNoneMatchHeaders,
        response: { 200: 'Product', 304: t.Void(), ...problems(404, 422) },
        detail: { summary: 'Read a product', operationId: 'getProduct', security: [] },
      },
    )
    .post(
      '',
      async ({ user, body, set }) => {
        const product = await products.create(user, body)
        markCreated(set, `/products/${product.id}`, product.version)
        return publicProduct(product)
      },
      {
        auth: { scope: 'products:write' },
        parse,
        body: 'CreateProduct',
        response: { 201: 'Product', ...problems(401, 403, 415, 422) },
        detail: {
          summary: 'Create a product',
          operationId: 'createProduct',
          description: 'The caller becomes its owner.',
        },
      },
    )
    .put('/:id', change, {
      auth: { scope: 'products:write' },
      parse,
      params: IdParams,
      headers: ifMatchHeaders,
      body: 'ReplaceProduct',
      response: writeResponses,
      detail: { summary: 'Replace a product (owner or admin)', operationId: 'replaceProduct' },
    })
    .patch('/:id', change, {
      auth: { scope: 'products:write' },
      parse,
      params: IdParams,
      headers: ifMatchHeaders,
      body: 'PatchProduct',
      response: writeResponses,
      detail: { summary: 'Change a product (owner or admin)', operationId: 'updateProduct' },
    })
    .delete(
      '/:id',
      async ({ user, params, headers, set }) => {
        await products.delete(user, params.id, requiredVersion(headers['if-match']))
        set.status = 204
      },
      {
        auth: { scope: 'products:write' },
        params: IdParams,
        headers: ifMatchHeaders,
        response: { 204: t.Void(), ...problems(401, 403, 404, 412, 422) },
        detail: { summary: 'Delete a product (owner or admin)', operationId: 'deleteProduct' },
      },
    )
}
