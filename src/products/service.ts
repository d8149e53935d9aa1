import { forbidden, notFound, unprocessable } from '../http/errors'
import type {
  Page,
  ProductChanges,
  ProductFilter,
  ProductRecord,
  ProductRepository,
  ProductSortField,
  Sort,
} from '../store/types'
import type { Actor } from '../users/service'

export interface ProductInput {
  name?: string
  description?: string
  price?: number
  stock?: number
  tags?: string[]
}

/** True when `price` has at most two decimals (a float like 19.99 is not exactly representable). */
const hasCents = (price: number) => Math.abs(Math.round(price * 100) - price * 100) < 1e-6

/** Trims text, lower-cases and de-duplicates tags, and checks what a schema cannot. */
function normalize(input: ProductInput): ProductChanges {
  if (input.price !== undefined && !hasCents(input.price)) {
    throw unprocessable([{ pointer: '/price', detail: 'must have at most 2 decimals' }])
  }
  return {
    ...input,
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.description !== undefined ? { description: input.description.trim() } : {}),
    ...(input.price !== undefined ? { price: Math.round(input.price * 100) / 100 } : {}),
    ...(input.tags !== undefined
      ? { tags: [...new Set(input.tags.map((tag) => tag.trim().toLowerCase()))] }
      : {}),
  }
}

/** The catalog: anyone reads, signed-in users create, owners and admins change. */
export class ProductService {
  constructor(private readonly products: ProductRepository) {}

  create(actor: Actor, input: ProductInput & { name: string; price: number }): Promise<ProductRecord> {
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
    input: ProductInput,
    expectedVersion?: number,
  ): Promise<ProductRecord> {
    await this.authorize(actor, id)
    // The owner never changes, so the check above holds for the write below.
    const updated = await this.products.update(id, normalize(input), expectedVersion)
    if (!updated) throw notFound('product')
    return updated
  }

  async delete(actor: Actor, id: string, expectedVersion?: number): Promise<void> {
    await this.authorize(actor, id)
    if (!(await this.products.delete(id, expectedVersion))) throw notFound('product')
  }

  private async authorize(actor: Actor, id: string): Promise<void> {
    const product = await this.get(id)
    if (actor.role !== 'admin' && product.ownerId !== actor.id) {
      throw forbidden('only the owner or an admin may change this product')
    }
  }
}
