import { describe, expect, test } from 'bun:test'
import type { NewOutboxMail } from '../../../src/store/types'
import { type Engine, sharedStores } from '../../support/stores'
import { unique } from '../../support/unique'
import type { GetStore } from './fixtures'

function newMail(overrides: Partial<NewOutboxMail> = {}): NewOutboxMail {
  const m = unique()
  return {
    to: `${m}@example.test`,
    subject: `Subject ${m}`,
    text: `Follow https://shop.example.test/verify?token=${m}`,
    html: `<p><a href="https://shop.example.test/verify?token=${m}">Verify</a></p>`,
    ...overrides,
  }
}

const at = (seconds: number) => new Date(1_700_000_000_000 + seconds * 1000)

/**
 * The mail outbox: enqueued mails are claimed by one caller at a time until sent. `store` must be
 * fresh for each test (a claim takes any due mail, not a scope); `engine` opens two stores on one
 * database for the race.
 */
export function describeOutboxContract(store: GetStore, engine: Engine): void {
  describe('outbox', () => {
    test('enqueue stores the mail due at once, unclaimed and unsent', async () => {
      const mail = newMail()
      const stored = await store().outbox.enqueue(mail, at(0))
      expect(stored).toEqual({
        ...mail,
        id: expect.any(String),
        attempts: 0,
        nextAttemptAt: at(0),
        lockedUntil: null,
        sentAt: null,
        lastError: null,
        createdAt: at(0),
      })
    })

    test('claimDue returns due mails oldest first, locked until the given time, up to the limit', async () => {
      const first = await store().outbox.enqueue(newMail(), at(0))
      const second = await store().outbox.enqueue(newMail(), at(1))
      await store().outbox.enqueue(newMail(), at(2))
      const claimed = await store().outbox.claimDue(at(5), at(65), 2)
      expect(claimed.map((mail) => mail.id)).toEqual([first.id, second.id])
      expect(claimed[0]).toEqual({ ...first, lockedUntil: at(65) })
    })

    test('claimDue leaves out mails claimed by another, not yet due, and sent', async () => {
      const locked = await store().outbox.enqueue(newMail(), at(0))
      expect(await store().outbox.claimDue(at(0), at(60), 1)).toEqual([{ ...locked, lockedUntil: at(60) }])
      await store().outbox.enqueue(newMail(), at(100))
      const sent = await store().outbox.enqueue(newMail(), at(0))
      await store().outbox.markSent(sent.id, at(1))
      expect(await store().outbox.claimDue(at(30), at(90), 10)).toEqual([])
    })

    test('a lapsed claim can be claimed again', async () => {
      const mail = await store().outbox.enqueue(newMail(), at(0))
      await store().outbox.claimDue(at(0), at(60), 10)
      const again = await store().outbox.claimDue(at(60), at(120), 10)
      expect(again.map((claimed) => claimed.id)).toEqual([mail.id])
    })

    test('markFailed counts the attempt, keeps the error, frees the mail and makes it due later', async () => {
      const mail = await store().outbox.enqueue(newMail(), at(0))
      await store().outbox.claimDue(at(0), at(60), 10)
      await store().outbox.markFailed(mail.id, 'connect ECONNREFUSED', at(10))
      expect(await store().outbox.claimDue(at(9), at(69), 10)).toEqual([])
      const [retried] = await store().outbox.claimDue(at(10), at(70), 10)
      expect(retried).toEqual({
        ...mail,
        attempts: 1,
        lastError: 'connect ECONNREFUSED',
        nextAttemptAt: at(10),
        lockedUntil: at(70),
      })
    })

    test('a sent mail is never claimed again, even after a late failure mark', async () => {
      const mail = await store().outbox.enqueue(newMail(), at(0))
      await store().outbox.claimDue(at(0), at(60), 10)
      await store().outbox.markSent(mail.id, at(1))
      await store().outbox.markFailed(mail.id, 'late', at(2))
      expect(await store().outbox.claimDue(at(3600), at(3660), 10)).toEqual([])
    })

    test('concurrent claims from two instances never hand out one mail twice', async () => {
      const shared = await sharedStores(engine)
      try {
        const [a, b] = shared.stores
        const ids = new Set<string>()
        for (let i = 0; i < 12; i++) ids.add((await a.outbox.enqueue(newMail(), at(i))).id)
        const rounds = await Promise.all(
          [a, b, a, b, a, b].map((instance) => instance.outbox.claimDue(at(20), at(80), 3)),
        )
        const claimed = rounds.flat().map((mail) => mail.id)
        expect(new Set(claimed).size).toBe(claimed.length)
        for (const id of claimed) expect(ids.has(id)).toBe(true)
        // What nobody got is still there for the next round.
        const rest = await b.outbox.claimDue(at(20), at(80), 20)
        expect(claimed.length + rest.length).toBe(12)
      } finally {
        await shared.close()
      }
    })
  })
}
