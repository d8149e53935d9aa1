/**
 * The accounts the fuzzing gate (scripts/gates/fuzz.ts) acts as, made through the API of a fresh
 * server: a user, the admin that `ADMIN_*` created at start, and a spare admin.
 */

/** Who a run acts as: its bearer token, and what fuzz-hooks.py needs to know of it. */
export interface Identity {
  bearer?: string
  env?: Record<string, string>
}

export const USER = { username: 'fuzz_user', email: 'fuzz-user@example.com', password: 'fuzz-user-password' }
/** Give these to the server as `ADMIN_*`. */
export const ADMIN = {
  username: 'fuzz_admin',
  email: 'fuzz-admin@example.com',
  password: 'fuzz-admin-password',
}
/** Whose sessions `POST /auth/logout-all` ends in the signed-in runs, instead of the run's own (see fuzz-hooks.py). */
const GONE = { username: 'fuzz_gone', email: 'fuzz-gone@example.com', password: 'fuzz-gone-password' }
/** Takes the admin run's writes to its own admin's record (see fuzz-hooks.py). */
const SPARE = { username: 'fuzz_spare', email: 'fuzz-spare@example.com', password: 'fuzz-spare-password' }

/** A setup call the runs depend on: its JSON answer, or an error naming what failed. */
async function call(
  url: string,
  method: string,
  path: string,
  options: { bearer?: string; body?: object } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`
  const body = options.body && JSON.stringify(options.body)
  const reply = await fetch(`${url}${path}`, { method, headers, body })
  if (!reply.ok) throw new Error(`${method} ${path}: ${reply.status} ${await reply.text()}`)
  // biome-ignore lint/suspicious/noExplicitAny: setup reads a field or two of known answers
  return (await reply.json()) as any
}

/** The anonymous, user and admin identities on the server at `url`. */
export async function identities(url: string): Promise<Record<'anonymous' | 'user' | 'admin', Identity>> {
  await call(url, 'POST', '/auth/register', { body: USER })
  const goneId = (await call(url, 'POST', '/auth/register', { body: GONE })).id as string
  const gone = {
    MERCADO_FUZZ_GONE_ID: goneId,
    MERCADO_FUZZ_GONE_USER: GONE.username,
    MERCADO_FUZZ_GONE_PASSWORD: GONE.password,
  }
  const logIn = async (account: typeof USER) =>
    (await call(url, 'POST', '/auth/login', { body: account })).access_token as string
  const [user, admin] = [await logIn(USER), await logIn(ADMIN)]
  const spare = await call(url, 'POST', '/users', { bearer: admin, body: { ...SPARE, role: 'admin' } })
  const adminId = (await call(url, 'GET', '/users/me', { bearer: admin })).id
  return {
    anonymous: {},
    user: { bearer: user, env: { MERCADO_FUZZ_URL: url, ...gone } },
    admin: {
      bearer: admin,
      env: {
        MERCADO_FUZZ_ADMIN_ID: adminId,
        MERCADO_FUZZ_SPARE_ID: spare.id,
        MERCADO_FUZZ_URL: url,
        ...gone,
      },
    },
  }
}

/** Whether `bearer` still acts for its account: a run that lost it went on unauthenticated. */
export const signedIn = async (url: string, bearer: string) =>
  (await fetch(`${url}/users/me`, { headers: { authorization: `Bearer ${bearer}` } })).status === 200
