/**
 * `bun bench/raw-sqlite.ts <database file>`: the floor of Mercado's SQLite reads in `bun run bench`.
 * A raw `Bun.serve` that answers `GET /products/{id}` and `GET /products?limit=N` from the same
 * database file (opened read-only beside the running service) with the same queries and the same
 * JSON as Mercado (docs/api.md, Products), and nothing else: no validation, no problem details,
 * no request id, no access log, no ETag check. What Mercado's rows fall short of these rows is
 * its own work; what these fall short of the raw `/health` floor is Bun's SQLite and JSON.
 */
import { Database } from 'bun:sqlite'
// The row's type only: nothing of Mercado runs here.
import type { ProductRow as Row } from '../src/store/sqlite/products'

const db = new Database(process.argv[2] as string, { readonly: true, strict: true })
const COLUMNS = 'id, name, description, price, stock, tags, owner_id, created_at, updated_at'
const byId = db.query(`SELECT ${COLUMNS} FROM products WHERE id = $id`)
const page = db.query(
  `SELECT ${COLUMNS} FROM products ORDER BY created_at DESC, id DESC LIMIT $limit OFFSET $offset`,
)
const count = db.query<{ total: number }, []>('SELECT count(*) AS total FROM products')

const product = (r: Row) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  price: r.price,
  stock: r.stock,
  tags: JSON.parse(r.tags),
  ownerId: r.owner_id,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
})

const list = db.transaction((limit: number) => ({
  rows: page.all({ limit, offset: 0 }) as Row[],
  total: count.get()?.total ?? 0,
}))

Bun.serve({
  port: Number(process.env.PORT),
  hostname: '127.0.0.1',
  routes: {
    '/products/:id': (request) => {
      const row = byId.get({ id: request.params.id }) as Row | null
      return row ? Response.json(product(row)) : new Response('not found', { status: 404 })
    },
    '/products': (request) => {
      const limit = Number(new URL(request.url).searchParams.get('limit') ?? 20)
      const { rows, total } = list(limit)
      return Response.json({ items: rows.map(product), page: 1, limit, total })
    },
  },
  fetch: () => new Response('not found', { status: 404 }),
})
