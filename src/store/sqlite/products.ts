import type { Database } from 'bun:sqlite'
import { ObjectId } from 'bson'
import type { ProductSortField } from '../../core/domain'
import { PreconditionFailedError } from '../errors'
import type {
  NewProduct,
  Page,
  Paged,
  ProductChanges,
  ProductFilter,
  ProductRecord,
  ProductRepository,
  Sort,
} from '../types'
import { guarded } from './errors'
import { listPage, type Params } from './query'

export interface ProductRow {
  id: string
  name: string
  description: string
  price: number
  stock: number
  tags: string
  owner_id: string
  version: number
  created_at: number
  updated_at: number
}

const COLUMNS = 'id, name, description, price, stock, tags, owner_id, version, created_at, updated_at'

/** Names sort by their lower-cased key, so that "apple" comes before "Banana". */
const SORT_COLUMNS: Record<ProductSortField, string> = {
  name: 'name_key',
  price: 'price',
  stock: 'stock',
  createdAt: 'created_at',
}

function toProduct(row: ProductRow): ProductRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: row.price,
    stock: row.stock,
    tags: JSON.parse(row.tags) as string[],
    ownerId: row.owner_id,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

/** Products in SQLite; tags are a JSON array searched with `json_each`. */
export class SqliteProductRepository implements ProductRepository {
  readonly #insert
  readonly #findById
  readonly #update
  readonly #delete
  readonly #exists

  constructor(private readonly db: Database) {
    this.#insert = db.query<ProductRow, Params>(
      `INSERT INTO products (id, name, name_key, description, description_key, price, stock, tags,
         owner_id, version, created_at, updated_at)
       VALUES ($id, $name, $nameKey, $description, $descriptionKey, $price, $stock, $tags,
         $ownerId, 1, $now, $now)
       RETURNING ${COLUMNS}`,
    )
    this.#findById = db.query<ProductRow, Params>(`SELECT ${COLUMNS} FROM products WHERE id = $id`)
    // A NULL parameter leaves its column as it is, so one statement serves every set of changes.
    this.#update = db.query<ProductRow, Params>(
      `UPDATE products SET
         name = coalesce($name, name),
         name_key = coalesce($nameKey, name_key),
         description = coalesce($description, description),
         description_key = coalesce($descriptionKey, description_key),
         price = coalesce($price, price),
         stock = coalesce($stock, stock),
         tags = coalesce($tags, tags),
         version = version + 1,
         updated_at = $now
       WHERE id = $id AND ($expectedVersion IS NULL OR version = $expectedVersion)
         AND ($ownerId IS NULL OR owner_id = $ownerId)
       RETURNING ${COLUMNS}`,
    )
    this.#delete = db.query<never, Params>(
      `DELETE FROM products WHERE id = $id AND ($expectedVersion IS NULL OR version = $expectedVersion)
         AND ($ownerId IS NULL OR owner_id = $ownerId)`,
    )
    this.#exists = db.query<{ found: number }, Params>(
      'SELECT 1 AS found FROM products WHERE id = $id AND ($ownerId IS NULL OR owner_id = $ownerId)',
    )
  }

  async create(input: NewProduct): Promise<ProductRecord> {
    const row = guarded(() =>
      this.#insert.get({
        id: new ObjectId().toHexString(),
        name: input.name,
        nameKey: input.name.toLowerCase(),
        description: input.description,
        descriptionKey: input.description.toLowerCase(),
        price: input.price,
        stock: input.stock,
        tags: JSON.stringify(input.tags),
        ownerId: input.ownerId,
        now: Date.now(),
      }),
    )
    if (!row) throw new Error('INSERT ... RETURNING gave no row')
    return toProduct(row)
  }

  async findById(id: string): Promise<ProductRecord | null> {
    const row = guarded(() => this.#findById.get({ id }))
    return row ? toProduct(row) : null
  }

  async list(filter: ProductFilter, sort: Sort<ProductSortField>, page: Page): Promise<Paged<ProductRecord>> {
    const where: string[] = []
    const params: Params = {}
    if (filter.q !== undefined) {
      where.push('(instr(name_key, $q) > 0 OR instr(description_key, $q) > 0)')
      params.q = filter.q.toLowerCase()
    }
    if (filter.tag !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(products.tags) WHERE json_each.value = $tag)')
      params.tag = filter.tag
    }
    if (filter.minPrice !== undefined) {
      where.push('price >= $minPrice')
      params.minPrice = filter.minPrice
    }
    if (filter.maxPrice !== undefined) {
      where.push('price <= $maxPrice')
      params.maxPrice = filter.maxPrice
    }
    // `inStock: false` asks for the sold-out products; leaving it out asks for all.
    if (filter.inStock !== undefined) where.push(filter.inStock ? 'stock > 0' : 'stock = 0')
    const { rows, total } = guarded(() =>
      listPage<ProductRow>(this.db, {
        from: 'products',
        columns: COLUMNS,
        where,
        params,
        orderBy: SORT_COLUMNS[sort.field],
        descending: sort.descending,
        page,
      }),
    )
    return { items: rows.map(toProduct), total }
  }

  async update(
    id: string,
    changes: ProductChanges,
    expectedVersion?: number,
    ownerId?: string,
  ): Promise<ProductRecord | null> {
    const row = guarded(() =>
      this.#update.get({
        id,
        expectedVersion: expectedVersion ?? null,
        ownerId: ownerId ?? null,
        name: changes.name ?? null,
        nameKey: changes.name?.toLowerCase() ?? null,
        description: changes.description ?? null,
        descriptionKey: changes.description?.toLowerCase() ?? null,
        price: changes.price ?? null,
        stock: changes.stock ?? null,
        tags: changes.tags ? JSON.stringify(changes.tags) : null,
        now: Date.now(),
      }),
    )
    if (row) return toProduct(row)
    this.#assertMissing(id, expectedVersion, ownerId)
    return null
  }

  async delete(id: string, expectedVersion?: number, ownerId?: string): Promise<boolean> {
    const { changes } = guarded(() =>
      this.#delete.run({ id, expectedVersion: expectedVersion ?? null, ownerId: ownerId ?? null }),
    )
    if (changes > 0) return true
    this.#assertMissing(id, expectedVersion, ownerId)
    return false
  }

  /**
   * After a write matched no row: the product (of that owner) is not there, fine; or it is, and
   * only its version moved on (412).
   */
  #assertMissing(id: string, expectedVersion: number | undefined, ownerId: string | undefined): void {
    if (expectedVersion === undefined) return
    if (guarded(() => this.#exists.get({ id, ownerId: ownerId ?? null }))) throw new PreconditionFailedError()
  }
}
