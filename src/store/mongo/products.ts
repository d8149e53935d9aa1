/** Products in the `products` collection. */
import type { Collection, Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import type { ProductSortField } from '../../core/domain.ts'
import type {
  NewProduct,
  Page,
  Paged,
  ProductChanges,
  ProductFilter,
  ProductRecord,
  ProductRepository,
  Sort,
} from '../types.ts'
import {
  containsIgnoringCase,
  definedOnly,
  deleteVersioned,
  findPage,
  sortBy,
  toObjectId,
  updateVersioned,
  type VersionedDoc,
} from './common.ts'
import type { ServerCompat } from './compat/index.ts'
import { guard } from './errors.ts'

/** A product as stored: `nameKey` is the lower-cased name the sort uses; `ownerId` references `users._id`. */
export interface ProductDoc extends VersionedDoc {
  name: string
  nameKey: string
  description: string
  price: number
  stock: number
  tags: string[]
  ownerId: ObjectId
}

/** Indexes for the list's sort orders (each with `_id`, the tie-breaker), tag filter and owner. */
export const productIndexes: IndexDescription[] = [
  { key: { createdAt: 1, _id: 1 }, name: 'products_created_at' },
  { key: { price: 1, _id: 1 }, name: 'products_price' },
  { key: { nameKey: 1, _id: 1 }, name: 'products_name' },
  { key: { stock: 1, _id: 1 }, name: 'products_stock' },
  { key: { tags: 1 }, name: 'products_tags' },
  { key: { ownerId: 1 }, name: 'products_owner' },
]

/** Names sort ignoring case, so that "apple" comes before "Banana". */
const SORT_FIELDS: Record<ProductSortField, keyof ProductDoc> = {
  name: 'nameKey',
  price: 'price',
  stock: 'stock',
  createdAt: 'createdAt',
}

function toRecord(doc: ProductDoc): ProductRecord {
  return {
    id: doc._id.toHexString(),
    name: doc.name,
    description: doc.description,
    price: doc.price,
    stock: doc.stock,
    tags: doc.tags,
    ownerId: doc.ownerId.toHexString(),
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  }
}

function toQuery(filter: ProductFilter): Filter<ProductDoc> {
  const query: Filter<ProductDoc> = {}
  if (filter.q) {
    const match = containsIgnoringCase(filter.q)
    query.$or = [{ name: match }, { description: match }]
  }
  if (filter.tag !== undefined) query.tags = filter.tag
  if (filter.minPrice !== undefined || filter.maxPrice !== undefined) {
    query.price = {
      ...(filter.minPrice !== undefined && { $gte: filter.minPrice }),
      ...(filter.maxPrice !== undefined && { $lte: filter.maxPrice }),
    }
  }
  if (filter.inStock !== undefined) query.stock = filter.inStock ? { $gt: 0 } : { $lte: 0 }
  return query
}

/** The filter that keeps a write to `ownerId`'s products; null for an owner id no product can have. */
function ownedBy(ownerId: string | undefined): Filter<ProductDoc> | null {
  if (ownerId === undefined) return {}
  const _id = toObjectId(ownerId)
  return _id ? { ownerId: _id } : null
}

export class MongoProductRepository implements ProductRepository {
  private readonly products: Collection<ProductDoc>

  constructor(
    db: Db,
    private readonly compat: ServerCompat,
  ) {
    this.products = db.collection<ProductDoc>('products')
  }

  create(input: NewProduct): Promise<ProductRecord> {
    const ownerId = toObjectId(input.ownerId)
    if (!ownerId) return Promise.reject(new TypeError(`ownerId is not an id: ${input.ownerId}`))
    return guard(async () => {
      const now = new Date()
      const doc = {
        name: input.name,
        nameKey: input.name.toLowerCase(),
        description: input.description,
        price: input.price,
        stock: input.stock,
        tags: input.tags,
        ownerId,
        version: 1,
        createdAt: now,
        updatedAt: now,
      }
      const { insertedId } = await this.products.insertOne(doc as ProductDoc)
      return toRecord({ ...doc, _id: insertedId })
    })
  }

  findById(id: string): Promise<ProductRecord | null> {
    const _id = toObjectId(id)
    if (!_id) return Promise.resolve(null)
    return guard(async () => {
      const doc = await this.products.findOne({ _id })
      return doc ? toRecord(doc) : null
    })
  }

  list(filter: ProductFilter, sort: Sort<ProductSortField>, page: Page): Promise<Paged<ProductRecord>> {
    const query = toQuery(filter)
    return guard(async () => {
      const { docs, total } = await findPage(
        this.products,
        query,
        sortBy(SORT_FIELDS[sort.field], sort.descending),
        page,
      )
      return { items: docs.map(toRecord), total }
    })
  }

  update(
    id: string,
    changes: ProductChanges,
    expectedVersion?: number,
    ownerId?: string,
  ): Promise<ProductRecord | null> {
    const set: Partial<ProductDoc> = definedOnly({
      name: changes.name,
      nameKey: changes.name?.toLowerCase(),
      description: changes.description,
      price: changes.price,
      stock: changes.stock,
      tags: changes.tags,
    })
    const scope = ownedBy(ownerId)
    if (!scope) return Promise.resolve(null)
    return guard(async () => {
      const doc = await updateVersioned(this.compat, this.products, id, set, expectedVersion, scope)
      return doc ? toRecord(doc) : null
    })
  }

  delete(id: string, expectedVersion?: number, ownerId?: string): Promise<boolean> {
    const scope = ownedBy(ownerId)
    if (!scope) return Promise.resolve(false)
    return guard(() => deleteVersioned(this.compat, this.products, id, expectedVersion, scope))
  }
}
