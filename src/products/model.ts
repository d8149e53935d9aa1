import { type Static, t } from 'elysia'
import {
  DESCRIPTION_MAX,
  PRODUCT_NAME_MAX as NAME_MAX,
  PRICE_MAX,
  PRODUCT_SORT_FIELDS,
  SEARCH_MAX,
  TAG_MAX,
  TAGS_MAX,
} from '../core/domain'
import {
  documentOnly,
  Integer,
  lenientQuery,
  ObjectId,
  pageOf,
  pagingQuery,
  sortQuery,
  Text,
  Timestamp,
} from '../http/schemas'
import type { ProductRecord } from '../store/types'

const Name = Text({
  minLength: 1,
  maxLength: NAME_MAX,
  pattern: '\\S',
  error: `must be 1 to ${NAME_MAX} characters, not only spaces`,
  description: 'Trimmed',
  examples: ['Espresso cup'],
})
const Description = Text({
  maxLength: DESCRIPTION_MAX,
  error: `must be at most ${DESCRIPTION_MAX} characters`,
  description: 'Trimmed; may be empty',
  examples: ['Porcelain, 90 ml'],
})
/**
 * At most two decimals is `multipleOf: 0.01` in JSON Schema, which means the decimal value: 19.99
 * is a multiple, 19.990000000000002 is not. TypeBox would divide binary floats and refuse even
 * 12.5, so the keyword is for the document only and the service checks it (`hasCents`), agreeing
 * with exact validators such as schemathesis' on every price from 0 to PRICE_MAX.
 */
const Price = t.Number({
  minimum: 0,
  maximum: PRICE_MAX,
  error: `must be a number from 0 to ${PRICE_MAX} with at most 2 decimals`,
  description:
    'At most 2 decimals: `multipleOf: 0.01` on the decimal value, so 19.99 is valid; a validator that divides binary floats wrongly refuses it',
  examples: [12.5],
  ...documentOnly({ multipleOf: 0.01 }),
})
const Stock = t.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  error: 'must be an integer from 0',
  examples: [40],
})
const Tags = t.Array(
  Text({ minLength: 1, maxLength: TAG_MAX, pattern: '\\S', error: `must be 1 to ${TAG_MAX} characters` }),
  {
    maxItems: TAGS_MAX,
    error: `must be at most ${TAGS_MAX} tags of 1 to ${TAG_MAX} characters`,
    description: 'Stored trimmed, lower-case and without duplicates',
    examples: [['kitchen', 'porcelain']],
  },
)

const strict = { additionalProperties: false } as const

export const Product = t.Object({
  id: ObjectId,
  name: t.String(),
  description: t.String(),
  price: t.Number(),
  stock: Integer(),
  tags: t.Array(t.String()),
  ownerId: ObjectId,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type Product = Static<typeof Product>

export const ProductPage = pageOf(Product)

export const CreateProduct = t.Object(
  {
    name: Name,
    description: t.Optional(Description),
    price: Price,
    stock: t.Optional(Stock),
    tags: t.Optional(Tags),
  },
  strict,
)

export const ReplaceProduct = t.Object(
  { name: Name, description: Description, price: Price, stock: Stock, tags: Tags },
  strict,
)

export const PatchProduct = t.Partial(ReplaceProduct, strict)

export const ProductListQuery = t.Object(
  {
    ...pagingQuery,
    q: t.Optional(
      Text({
        maxLength: SEARCH_MAX,
        error: `must be at most ${SEARCH_MAX} characters`,
        description: 'Case-insensitive substring of name or description',
      }),
    ),
    tag: t.Optional(
      Text({
        maxLength: TAG_MAX,
        error: `must be at most ${TAG_MAX} characters`,
        description: 'Only products with this tag (case-insensitive)',
      }),
    ),
    minPrice: t.Optional(
      t.Number({
        title: 'minPrice',
        minimum: 0,
        maximum: PRICE_MAX,
        error: `must be a number from 0 to ${PRICE_MAX}`,
        description: 'Lowest price, inclusive; greater than maxPrice is a 422',
      }),
    ),
    maxPrice: t.Optional(
      t.Number({
        title: 'maxPrice',
        minimum: 0,
        maximum: PRICE_MAX,
        error: `must be a number from 0 to ${PRICE_MAX}`,
        description: 'Highest price, inclusive',
      }),
    ),
    inStock: t.Optional(
      t.Boolean({
        title: 'inStock',
        error: 'must be true or false',
        description: 'true: only products with stock > 0',
      }),
    ),
    sort: sortQuery(PRODUCT_SORT_FIELDS, '-createdAt'),
  },
  lenientQuery,
)

/** The schemas the OpenAPI document names, as Elysia reference models: routes use them by name. */
export const productModels = { Product, ProductPage, CreateProduct, ReplaceProduct, PatchProduct }

/** What a client sends to create a product, and to change one (`PUT` or `PATCH`). */
export type NewProductInput = Static<typeof CreateProduct>
export type ProductChangesInput = Static<typeof PatchProduct>

/** The public view of a stored product. */
export const publicProduct = (p: ProductRecord): Product => ({
  id: p.id,
  name: p.name,
  description: p.description,
  price: p.price,
  stock: p.stock,
  tags: p.tags,
  ownerId: p.ownerId,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
})
