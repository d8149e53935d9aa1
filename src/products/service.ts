import { type Actor, type ProductSortField, TAG_MAX, textLength } from '../core/domain'
import { forbidden, notFound, unprocessable } from '../core/errors'
import type {
  Page,
  ProductChanges,
  ProductFilter,
  ProductRecord,
  ProductRepository,
  Sort,
} from '../store/types'
import type { NewProductInput, ProductChangesInput } from './model'

/**
 * True when `price` has at most two decimals: the document's `multipleOf: 0.01`, which JSON Schema
 * judges on the decimal value. A JSON number reaches us as a double; its shortest decimal spelling
 * (`String`, as Python's `repr` that exact validators such as schemathesis' read) is the number the
 * client wrote, so 19.99 passes and 19.990000000000002 (the double 1999 * 0.01) does not. On every
 * price from 0 to PRICE_MAX this is the same as rounding to cents and comparing.
 */
const hasCents = (price: number) => /^\d+(?:\.\d{1,2})?$/.test(String(price))

/** Trims text, lower-cases and de-duplicates tags, and checks what a schema cannot. */
function normalize(input: ProductChangesInput): ProductChanges {
  if (input.price !== undefined && !hasCents(input.price)) {
    throw unprocessable([{ pointer: '/price', detail: 'must have at most 2 decimals' }])
  }
  const tags = input.tags && [...new Set(input.tags.map((tag) => tag.trim().toLowerCase()))]
  // Lower-casing can lengthen a tag (İ becomes i + a combining dot): check the stored form.
  const long = tags?.findIndex((tag) => textLength(tag) > TAG_MAX) ?? -1
  if (long >= 0) throw unprocessable([{ pointer: '/tags', detail: `must be 1 to ${TAG_MAX} characters` }])
  return {
    ...input,
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.description !== undefined ? { description: input.description.trim() } : {}),
    ...(tags ? { tags } : {}),
  }
}

/** The catalog: anyone reads, signed-in users create, owners and admins change. */
export class ProductService {
  constructor(private readonly products: ProductRepository) {}

  create(actor: Actor, input: NewProductInput): Promise<ProductRecord> {
    const p = normalize(input)
    return this.products.create({
      name: p.name as string,
      description: p.description ?? '',
      price: p.price as number,
      stock: p.stock ?? 0,
      tags: p.tags ?? [],
      ownerId: actor.id,
    })
  }

  async get(id: string): Promise<ProductRecord> {
    const product = await this.products.findById(id)
    if (!product) throw notFound('product')
    return product
  }

  list(filter: ProductFilter, sort: Sort<ProductSortField>, page: Page) {
    if (filter.minPrice !== undefined && filter.maxPrice !== undefined && filter.minPrice > filter.maxPrice) {
      throw unprocessable([{ pointer: '/minPrice', detail: 'must not be greater than maxPrice' }])
    }
    return this.products.list({ ...filter, tag: filter.tag?.trim().toLowerCase() }, sort, page)
  }

  async update(
    actor: Actor,
    id: string,
    input: ProductChangesInput,
    expectedVersion?: number,
  ): Promise<ProductRecord> {
    const updated = await this.products.update(id, normalize(input), expectedVersion, ownerScope(actor))
    if (!updated) throw await this.refusal(id)
    return updated
  }

  async delete(actor: Actor, id: string, expectedVersion?: number): Promise<void> {
    if (!(await this.products.delete(id, expectedVersion, ownerScope(actor)))) throw await this.refusal(id)
  }

  /** Why a write scoped to its owner matched nothing (read only on that path): 404 or 403. */
  private async refusal(id: string) {
    return (await this.products.findById(id))
      ? forbidden('only the owner or an admin may change this product')
      : notFound('product')
  }
}

/** Admins change any product; everyone else only their own, checked by the write itself. */
const ownerScope = (actor: Actor) => (actor.role === 'admin' ? undefined : actor.id)
