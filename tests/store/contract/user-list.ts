import { describe, expect, test } from 'bun:test'
import type { UserSortField } from '../../../src/core/domain'
import type { UserFilter, UserRecord } from '../../../src/store/types'
import { createInOrder } from '../../support/crud'
import { unique } from '../../support/unique'
import { ALL, type GetStore, newUser } from './fixtures'

/** `users.list`: filters, case-insensitive sorts, stable paging and exact totals. */
export function describeUserListContract(store: GetStore): void {
  const seed = (inputs: Parameters<typeof newUser>[0][]) =>
    createInOrder((input) => store().users.create(newUser(input)), inputs)
  const ids = (users: (UserRecord | undefined)[]) => users.map((user) => user?.id)
  const listIds = async (filter: UserFilter, field: UserSortField = 'createdAt', descending = false) =>
    ids((await store().users.list(filter, { field, descending }, ALL)).items)

  describe('users.list', () => {
    test('q matches a substring of username, email or full name, ignoring case', async () => {
      const m = unique()
      const matching = await seed([
        { username: `u_${m}_1` },
        { email: `x.${m}@example.test` },
        { fullName: `Someone ${m.toUpperCase()} Else` },
      ])
      await seed([{}])
      const page = await store().users.list(
        { q: m.toUpperCase() },
        { field: 'createdAt', descending: false },
        ALL,
      )
      expect(page.total).toBe(3)
      expect(ids(page.items)).toEqual(ids(matching))
    })

    test('q is a literal: ".*" matches only names that contain ".*"', async () => {
      const m = unique()
      const [literal] = await seed([{ fullName: `${m}.*x` }, { fullName: `${m}abc` }])
      expect(await listIds({ q: `${m}.*` })).toEqual([literal?.id])
    })

    test('q is a literal: "^(a+)+$" matches itself, not strings of a', async () => {
      const m = unique()
      const [literal] = await seed([{ fullName: `${m}^(a+)+$` }, { fullName: `${m}${'a'.repeat(30)}` }])
      expect(await listIds({ q: `${m}^(a+)+$` })).toEqual([literal?.id])
      expect(await listIds({ q: `${m}a+` })).toEqual([])
    })

    test('role filter keeps only that role', async () => {
      const m = unique()
      const [user, admin] = await seed([
        { fullName: m, role: 'user' },
        { fullName: m, role: 'admin' },
      ])
      expect(await listIds({ q: m, role: 'admin' })).toEqual([admin?.id])
      expect(await listIds({ q: m, role: 'user' })).toEqual([user?.id])
    })

    test('disabled filter keeps only users with that flag', async () => {
      const m = unique()
      const [enabled, disabled] = await seed([
        { fullName: m, disabled: false },
        { fullName: m, disabled: true },
      ])
      expect(await listIds({ q: m, disabled: true })).toEqual([disabled?.id])
      expect(await listIds({ q: m, disabled: false })).toEqual([enabled?.id])
    })

    test('filters combine with AND', async () => {
      const m = unique()
      const [, target] = await seed([
        { fullName: m, role: 'admin', disabled: false },
        { fullName: m, role: 'admin', disabled: true },
        { fullName: m, role: 'user', disabled: true },
      ])
      const page = await store().users.list(
        { q: m, role: 'admin', disabled: true },
        { field: 'createdAt', descending: false },
        ALL,
      )
      expect(page.total).toBe(1)
      expect(ids(page.items)).toEqual([target?.id])
    })

    test('sort by username ignores case, ascending and descending', async () => {
      const m = unique()
      const [b, a, c] = await seed([{ username: `${m}_B` }, { username: `${m}_a` }, { username: `${m}_c` }])
      expect(await listIds({ q: m }, 'username')).toEqual(ids([a, b, c]))
      expect(await listIds({ q: m }, 'username', true)).toEqual(ids([c, b, a]))
    })

    test('sort by email ignores case, ascending and descending', async () => {
      const m = unique()
      const [b, a, c] = await seed([
        { email: `B.${m}@example.test` },
        { email: `a.${m}@example.test` },
        { email: `c.${m}@example.test` },
      ])
      expect(await listIds({ q: m }, 'email')).toEqual(ids([a, b, c]))
      expect(await listIds({ q: m }, 'email', true)).toEqual(ids([c, b, a]))
    })

    test('sort by createdAt follows creation order, ascending and descending', async () => {
      const m = unique()
      const users: UserRecord[] = []
      for (let i = 0; i < 3; i++) {
        users.push(await store().users.create(newUser({ fullName: m })))
        await Bun.sleep(3)
      }
      expect(await listIds({ q: m }, 'createdAt')).toEqual(ids(users))
      expect(await listIds({ q: m }, 'createdAt', true)).toEqual(ids(users).reverse())
    })

    test('pages are consecutive slices of the sorted list, each with the exact total', async () => {
      const m = unique()
      const users = await seed(['e', 'a', 'd', 'b', 'c'].map((name) => ({ username: `${m}_${name}` })))
      const sorted = ids([...users].sort((x, y) => x.username.localeCompare(y.username)))
      const sort = { field: 'username', descending: false } as const
      const pages = await Promise.all(
        [1, 2, 3, 4].map((page) => store().users.list({ q: m }, sort, { page, limit: 2 })),
      )
      expect(pages.map((page) => page.total)).toEqual([5, 5, 5, 5])
      expect(pages.map((page) => ids(page.items))).toEqual([
        sorted.slice(0, 2),
        sorted.slice(2, 4),
        [sorted[4]],
        [],
      ])
    })
  })
}
