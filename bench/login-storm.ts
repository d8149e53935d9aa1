/**
 * The login storm of `bun run bench`: one client per account, each logging in (OAuth2 password
 * grant, `POST /auth/login`) again as soon as the last answer came, until the duration is over.
 * Prints `{ logins, failures, rate, statuses }` as JSON.
 *
 * Usage: bun bench/login-storm.ts <base url> <duration ms>, the accounts as JSON on stdin:
 * `[{ "username": …, "password": … }, …]`.
 */
const [base = '', durationText = '3000'] = process.argv.slice(2)
const accounts = (await Bun.stdin.json()) as Array<{ username: string; password: string }>
const deadline = performance.now() + Number(durationText)
const started = performance.now()
let logins = 0
let failures = 0
const statuses: Record<string, number> = {}

await Promise.all(
  accounts.map(async ({ username, password }) => {
    while (performance.now() < deadline) {
      const reply = await fetch(`${base}/auth/login`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'password', username, password }),
      }).catch(() => undefined)
      const status = reply ? String(reply.status) : 'network error'
      statuses[status] = (statuses[status] ?? 0) + 1
      await reply?.arrayBuffer()
      if (reply?.status === 200) logins++
      else failures++
    }
  }),
)
const elapsed = (performance.now() - started) / 1000
console.log(JSON.stringify({ logins, failures, rate: logins / elapsed, statuses }))

export {}
