import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'bun'
import { newAccount } from './support/app'
import { startServer } from './support/server'

/** The process as an operator runs it: `bun src/index.ts` with the embedded store (docs/api.md: Running it, Operation). */
describe('server process', () => {
  const dirs: string[] = []
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mercado-server-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  const form = (username: string, password: string) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  })

  const tokenFor = async (url: string, username: string, password: string) => {
    const reply = await fetch(`${url}/auth/login`, form(username, password))
    return ((await reply.json()) as { access_token: string }).access_token
  }

  test('keeps users, its signing key and its generated key-encryption secret across a restart; SIGTERM exits 0', async () => {
    const DATA_DIR = dataDir()
    const account = newAccount()
    const first = await startServer({ DATA_DIR })
    expect(first.logs.some((l) => l.msg === 'store: embedded sqlite')).toBe(true)
    const registered = await fetch(`${first.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    })
    expect(registered.status).toBe(201)
    const access_token = await tokenFor(first.url, account.username, account.password)
    expect(await first.stop()).toBe(0)

    const second = await startServer({ DATA_DIR })
    try {
      expect((await fetch(`${second.url}/auth/login`, form(account.username, account.password))).status).toBe(
        200,
      )
      const me = await fetch(`${second.url}/users/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      })
      expect(me.status).toBe(200)
    } finally {
      expect(await second.stop()).toBe(0)
    }
  })

  test('logs one JSON line per request with the request id', async () => {
    const server = await startServer({ DATA_DIR: dataDir() })
    try {
      const reply = await fetch(`${server.url}/health?probe=1`, { headers: { 'x-request-id': 'log-test-1' } })
      expect(reply.headers.get('x-request-id')).toBe('log-test-1')
      await Bun.sleep(100)
      const lines = server.logs.filter((l) => l.reqId === 'log-test-1')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ level: 'info', method: 'GET', path: '/health', status: 200 })
      expect(typeof lines[0]?.ms).toBe('number')
      expect(Date.parse(String(lines[0]?.time))).not.toBeNaN()
    } finally {
      await server.stop()
    }
  })

  test('a 2 MiB body gets 413', async () => {
    const server = await startServer({ DATA_DIR: dataDir() })
    try {
      const reply = await fetch(`${server.url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }),
      })
      expect(reply.status).toBe(413)
      expect(reply.headers.get('content-type')).toBe('application/problem+json')
      expect(reply.headers.get('x-request-id')).toBeTruthy()
    } finally {
      await server.stop()
    }
  })

  test('SIGTERM lets a request in flight finish', async () => {
    const server = await startServer({ DATA_DIR: dataDir() })
    const account = newAccount()
    await fetch(`${server.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    })
    // A login hashes with argon2: slow enough to be in flight when the signal lands.
    const inFlight = fetch(`${server.url}/auth/login`, form(account.username, account.password))
    // Long enough for the request to reach the server, shorter than the argon2 verification.
    await Bun.sleep(30)
    const code = server.stop('SIGTERM')
    expect((await inFlight).status).toBe(200)
    expect(await code).toBe(0)
  })

  test('ADMIN_* creates the first admin at start', async () => {
    const admin = newAccount()
    const server = await startServer({
      DATA_DIR: dataDir(),
      ADMIN_USERNAME: admin.username,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    })
    try {
      const access_token = await tokenFor(server.url, admin.username, admin.password)
      const users = await fetch(`${server.url}/users`, {
        headers: { authorization: `Bearer ${access_token}` },
      })
      expect(users.status).toBe(200)
    } finally {
      await server.stop()
    }
  })

  test('ADMIN_* naming an account that is no longer an admin does not stop the start', async () => {
    const admin = newAccount()
    const env = {
      DATA_DIR: dataDir(),
      ADMIN_USERNAME: admin.username,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    }
    expect(await (await startServer(env)).stop()).toBe(0)
    // Demoted behind the store's back (which refuses to remove the last admin): no enabled admin is
    // left, and the name is taken.
    const db = new Database(join(env.DATA_DIR, 'mercado.sqlite'))
    db.run("UPDATE users SET role = 'user' WHERE username = ?", [admin.username])
    db.close()

    const restarted = await startServer(env)
    try {
      expect((await fetch(`${restarted.url}/ready`)).status).toBe(200)
      await Bun.sleep(50)
      expect(restarted.logs.some((l) => l.level === 'warn' && String(l.msg).includes('ADMIN_USERNAME'))).toBe(
        true,
      )
    } finally {
      expect(await restarted.stop()).toBe(0)
    }
  })

  const refuse = async (env: Record<string, string>) => {
    const child = spawn(['bun', 'src/index.ts'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir(), PORT: '0', ...env },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    return { code: await child.exited, stderr: await new Response(child.stderr).text() }
  }

  test('a malformed variable stops the start with a message naming it', async () => {
    const { code, stderr } = await refuse({ ACCESS_TOKEN_TTL: 'soon' })
    expect(code).toBe(1)
    expect(stderr).toContain('ACCESS_TOKEN_TTL')
  })

  test('production refuses to start without KEY_ENCRYPTION_SECRET', async () => {
    const { code, stderr } = await refuse({ NODE_ENV: 'production' })
    expect(code).toBe(1)
    expect(stderr).toContain('KEY_ENCRYPTION_SECRET')
  })

  test('production refuses a KEY_ENCRYPTION_SECRET shorter than 32 bytes', async () => {
    const { code, stderr } = await refuse({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: 'too-short' })
    expect(code).toBe(1)
    expect(stderr).toContain('KEY_ENCRYPTION_SECRET')
  })

  test('a KEY_ENCRYPTION_SECRET other than the one the stored keys were encrypted with stops the start', async () => {
    const DATA_DIR = dataDir()
    const first = await startServer({ DATA_DIR, KEY_ENCRYPTION_SECRET: 'a'.repeat(32) })
    expect(await first.stop()).toBe(0)
    const { code, stderr } = await refuse({ DATA_DIR, KEY_ENCRYPTION_SECRET: 'b'.repeat(32) })
    expect(code).toBe(1)
    expect(stderr).toContain('KEY_ENCRYPTION_SECRET is not the secret it was encrypted with')
  })
})
