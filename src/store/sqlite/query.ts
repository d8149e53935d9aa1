import type { Database } from 'bun:sqlite'
import type { Page } from '../types'

/** Named parameters, bound without their `$` prefix (the database is opened in strict mode). */
export type Params = Record<string, string | number | boolean | null>

/** One page of a filtered, sorted list, described with SQL fragments from a fixed set. */
export interface ListQuery {
  /** Table name and the columns to select; constants, never input. */
  from: string
  columns: string
  /** Conditions joined with AND; values go in `params`. */
  where: string[]
  params: Params
  /** Sort column (a constant); `tieBreak` breaks ties in the same direction, so paging is stable. */
  orderBy: string
  /**
   * The column that orders rows of one sort value (a constant): `id` unless said. Ids made from
   * ObjectIds grow with time, as MongoDB's `_id` does; a table of random ids names `rowid`, the
   * insertion order, so that both engines list rows created in one millisecond alike.
   */
  tieBreak?: string
  descending: boolean
  page: Page
}

/**
 * Reads one page and the exact total in one read transaction, so both see the same snapshot.
 * The SQL varies only with which filters are present and the sort, so `db.query` (which caches a
 * prepared statement per SQL text) prepares each shape once.
 */
export function listPage<Row>(db: Database, query: ListQuery): { rows: Row[]; total: number } {
  const where = query.where.length > 0 ? `WHERE ${query.where.join(' AND ')}` : ''
  const direction = query.descending ? 'DESC' : 'ASC'
  const select = db.query<Row, Params>(
    `SELECT ${query.columns} FROM ${query.from} ${where}
     ORDER BY ${query.orderBy} ${direction}, ${query.tieBreak ?? 'id'} ${direction} LIMIT $limit OFFSET $offset`,
  )
  const count = db.query<{ total: number }, Params>(`SELECT count(*) AS total FROM ${query.from} ${where}`)
  const { page, limit } = query.page
  return db.transaction(() => ({
    rows: select.all({ ...query.params, limit, offset: (page - 1) * limit }),
    total: count.get(query.params)?.total ?? 0,
  }))()
}
