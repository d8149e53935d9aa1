/** Pieces the user and product collections share: ids, literal search, paging and versioned writes. */
import { type Collection, type Filter, type Sort as MongoSort, ObjectId, type UpdateFilter } from 'mongodb'
import { PreconditionFailedError } from '../errors.ts'
import type { Page } from '../types.ts'
import type { ServerCompat, VersionFilter } from './compat/index.ts'

/** The fields every versioned document carries. */
export interface VersionedDoc {
  _id: ObjectId
  version: number
  createdAt: Date
  updatedAt: Date
}

const OBJECT_ID = /^[0-9a-f]{24}$/i

/** The ObjectId an API id names, or null for anything that is not 24 hex digits. */
export function toObjectId(id: string): ObjectId | null {
  return OBJECT_ID.test(id) ? ObjectId.createFromHexString(id) : null
}

/** A case-insensitive match of `text` as a literal substring: regex metacharacters are escaped. */
export function containsIgnoringCase(text: string): { $regex: string; $options: 'i' } {
  return { $regex: text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' }
}

/** Sorts by `field`, with `_id` (creation order) breaking ties in the same direction. */
export function sortBy(field: string, descending: boolean): MongoSort {
  const direction = descending ? -1 : 1
  return { [field]: direction, _id: direction }
}

/** One page of `filter`'s matches and the exact total, fetched in parallel. */
export async function findPage<D extends VersionedDoc>(
  collection: Collection<D>,
  filter: Filter<D>,
  sort: MongoSort,
  page: Page,
): Promise<{ docs: D[]; total: number }> {
  const [docs, total] = await Promise.all([
    collection
      .find(filter)
      .sort(sort)
      .skip((page.page - 1) * page.limit)
      .limit(page.limit)
      .toArray(),
    collection.countDocuments(filter),
  ])
  return { docs: docs as D[], total }
}

/** Drops keys whose value is `undefined`, so that `$set` never writes them. */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>
}

/**
 * Applies `set` (and `inc`) and bumps the version in one conditional write. Only when nothing
 * matched does it read again, to tell a missing document (null) from a stale `expectedVersion`
 * (412). `scope` narrows what may be written (a product's owner): outside it counts as missing.
 */
export async function updateVersioned<D extends VersionedDoc>(
  compat: ServerCompat,
  collection: Collection<D>,
  id: string,
  set: Partial<D>,
  expectedVersion: number | undefined,
  scope: Filter<D> = {},
  inc: Record<string, number> = {},
): Promise<D | null> {
  const _id = toObjectId(id)
  if (!_id) return null
  const update = {
    $set: { ...set, updatedAt: new Date() },
    $inc: { ...inc, version: 1 },
  } as unknown as UpdateFilter<D>
  const doc = await compat.updateIfMatches(collection, versionFilter(_id, expectedVersion, scope), update)
  if (doc) return doc as D
  await throwIfStale(collection, _id, expectedVersion, scope)
  return null
}

/** Deletes by id, honouring `expectedVersion` the way `updateVersioned` does. */
export async function deleteVersioned<D extends VersionedDoc>(
  compat: ServerCompat,
  collection: Collection<D>,
  id: string,
  expectedVersion: number | undefined,
  scope: Filter<D> = {},
): Promise<boolean> {
  const _id = toObjectId(id)
  if (!_id) return false
  if (await compat.deleteIfMatches(collection, versionFilter(_id, expectedVersion, scope))) return true
  await throwIfStale(collection, _id, expectedVersion, scope)
  return false
}

const versionFilter = <D extends VersionedDoc>(
  _id: ObjectId,
  expectedVersion: number | undefined,
  scope: Filter<D>,
) =>
  ({
    ...scope,
    _id,
    ...(expectedVersion === undefined ? {} : { version: expectedVersion }),
  }) as VersionFilter<D>

/** After a versioned write matched nothing: 412 if the document exists (its version moved on). */
async function throwIfStale<D extends VersionedDoc>(
  collection: Collection<D>,
  _id: ObjectId,
  expectedVersion: number | undefined,
  scope: Filter<D>,
): Promise<void> {
  if (expectedVersion === undefined) return
  const exists = await collection.findOne({ ...scope, _id } as Filter<D>, { projection: { _id: 1 } })
  if (exists) throw new PreconditionFailedError()
}
