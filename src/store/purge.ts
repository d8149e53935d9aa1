/**
 * "Now and then" for the engines without TTL indexes (SQLite, FerretDB v1): a repository deletes
 * its old records on a write at most once a minute, instead of on every write or on a timer.
 */
export class PurgeSchedule {
  #last = 0

  constructor(private readonly intervalMs = 60_000) {}

  /** True at most once per interval, and then counts from `now`. */
  due(now = Date.now()): boolean {
    if (now - this.#last < this.intervalMs) return false
    this.#last = now
    return true
  }
}
