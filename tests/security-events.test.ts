/** Security events (docs/api.md, Operation): one `msg: "security"` log line per event, no secrets. */
import { expect, test } from 'bun:test'
import { hashClientSecret } from '../src/core/client-secrets'
import { createLogger } from '../src/core/log'
import type { Account, Reply } from './support/app'
import { webApp } from './support/clients'
import { forEachStore } from './support/fixture'
import { unique } from './support/unique'

const MAX = 2
const written: string[] = []
const logger = createLogger('info', (chunk) => written.push(...chunk.split('\n').filter(Boolean)))

/** Headers of a request from `address` (through the trusted proxy) with a chosen request id. */
function from(address: string) {
  const reqId = `sec-${unique()}`
  return { reqId, address, headers: { 'x-request-id': reqId, 'x-forwarded-for': address } }
}

/** A fresh address for each test, so that throttle counters do not carry over. */
let addresses = 0
const nextAddress = () => `198.51.100.${(addresses++ % 250) + 1}`

/** Where the log is now: buffered lines (info is written once per turn) are written first. */
function now(): number {
  logger.flush()
  return written.length
}

/** The security lines written since `mark`, parsed. */
function securityLinesSince(mark: number): Record<string, unknown>[] {
  logger.flush()
  return written
    .slice(mark)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === 'security')
}

/** No line written since `mark` holds a password, a token or a password hash. */
function expectNoSecretsSince(mark: number, secrets: string[]): void {
  logger.flush()
  for (const line of written.slice(mark)) {
    expect(line).not.toContain('$argon2')
    for (const secret of secrets) expect(line).not.toContain(secret)
  }
}

const secretsOf = (a: Account) => [a.password, a.token, a.refreshToken]

forEachStore(
  'security events',
  (ctx) => {
    const loginAs = (username: string, password: string, headers: Record<string, string>): Promise<Reply> =>
      ctx.client.post('/auth/login', { form: { grant_type: 'password', username, password }, headers })

    test('a wrong password is login_failed (warn) with reqId, address, account id and outcome', async () => {
      const victim = await ctx.registerUser()
      const req = from(nextAddress())
      const mark = now()
      expect((await loginAs(victim.username, 'wrong-password-123', req.headers)).status).toBe(400)
      expect(securityLinesSince(mark)).toEqual([
        {
          time: expect.any(String),
          level: 'warn',
          msg: 'security',
          event: 'login_failed',
          reqId: req.reqId,
          address: req.address,
          accountId: victim.id,
          outcome: 'wrong_password',
        },
      ])
      expectNoSecretsSince(mark, [...secretsOf(victim), 'wrong-password-123'])
    })

    test('an unknown username is login_failed with outcome unknown_account and no account id', async () => {
      const req = from(nextAddress())
      const mark = now()
      expect((await loginAs(`nobody_${unique()}`, 'some-password-123', req.headers)).status).toBe(400)
      expect(securityLinesSince(mark)).toEqual([
        {
          time: expect.any(String),
          level: 'warn',
          msg: 'security',
          event: 'login_failed',
          reqId: req.reqId,
          address: req.address,
          outcome: 'unknown_account',
        },
      ])
      expectNoSecretsSince(mark, ['some-password-123'])
    })

    test('the right password of a disabled account is login_failed with outcome account_disabled', async () => {
      const victim = await ctx.registerUser()
      await ctx.client.patch(`/users/${victim.id}`, { token: ctx.admin.token, body: { disabled: true } })
      const req = from(nextAddress())
      const mark = now()
      expect((await loginAs(victim.username, victim.password, req.headers)).status).toBe(400)
      expect(securityLinesSince(mark)).toEqual([
        expect.objectContaining({
          level: 'warn',
          event: 'login_failed',
          reqId: req.reqId,
          address: req.address,
          accountId: victim.id,
          outcome: 'account_disabled',
        }),
      ])
      expectNoSecretsSince(mark, secretsOf(victim))
    })

    test('a 429 on login is login_throttled with outcome refused', async () => {
      const victim = await ctx.registerUser()
      const address = nextAddress()
      for (let i = 0; i < MAX; i++)
        await loginAs(victim.username, 'wrong-password-123', from(address).headers)
      const req = from(address)
      const mark = now()
      expect((await loginAs(victim.username, 'wrong-password-123', req.headers)).status).toBe(429)
      expect(securityLinesSince(mark)).toEqual([
        {
          time: expect.any(String),
          level: 'warn',
          msg: 'security',
          event: 'login_throttled',
          reqId: req.reqId,
          address: req.address,
          accountId: victim.id,
          outcome: 'refused',
        },
      ])
      expectNoSecretsSince(mark, [...secretsOf(victim), 'wrong-password-123'])
    })

    test('a 429 on registration is registration_throttled', async () => {
      const taken = await ctx.registerUser()
      const address = nextAddress()
      const again = {
        username: taken.username,
        email: `x_${unique()}@example.com`,
        password: 'pw-taken-secret-1',
      }
      expect(
        (await ctx.client.post('/auth/register', { body: again, headers: from(address).headers })).status,
      ).toBe(409)
      const req = from(address)
      const mark = now()
      expect((await ctx.client.post('/auth/register', { body: again, headers: req.headers })).status).toBe(
        429,
      )
      expect(securityLinesSince(mark)).toEqual([
        {
          time: expect.any(String),
          level: 'warn',
          msg: 'security',
          event: 'registration_throttled',
          reqId: req.reqId,
          address: req.address,
          outcome: 'refused',
        },
      ])
      expectNoSecretsSince(mark, ['pw-taken-secret-1', ...secretsOf(taken)])
    })

    test('a reused refresh token is refresh_reused with the account id', async () => {
      const victim = await ctx.registerUser()
      const first = await ctx.client.post('/auth/refresh', {
        form: { grant_type: 'refresh_token', refresh_token: victim.refreshToken },
      })
      expect(first.status).toBe(200)
      const req = from(nextAddress())
      const mark = now()
      const reused = await ctx.client.post('/auth/refresh', {
        form: { grant_type: 'refresh_token', refresh_token: victim.refreshToken },
        headers: req.headers,
      })
      expect(reused.status).toBe(400)
      expect(securityLinesSince(mark)).toEqual([
        {
          time: expect.any(String),
          level: 'warn',
          msg: 'security',
          event: 'refresh_reused',
          reqId: req.reqId,
          address: req.address,
          accountId: victim.id,
          outcome: 'session_revoked',
        },
      ])
      expectNoSecretsSince(mark, [...secretsOf(victim), first.body.refresh_token, first.body.access_token])
    })

    test('changing one’s own password is password_changed (info); a wrong current one password_change_failed', async () => {
      const self = await ctx.registerUser()
      const wrong = from(nextAddress())
      let mark = now()
      const refused = await ctx.client.patch('/users/me', {
        token: self.token,
        body: { currentPassword: 'not-my-password-1', password: 'new-password-123' },
        headers: wrong.headers,
      })
      expect(refused.status).toBe(403)
      expect(securityLinesSince(mark)).toEqual([
        {
          time: expect.any(String),
          level: 'warn',
          msg: 'security',
          event: 'password_change_failed',
          reqId: wrong.reqId,
          address: wrong.address,
          accountId: self.id,
          actorId: self.id,
          outcome: 'wrong_current_password',
        },
      ])
      const req = from(nextAddress())
      mark = now()
      const changed = await ctx.client.patch('/users/me', {
        token: self.token,
        body: { currentPassword: self.password, password: 'new-password-123' },
        headers: req.headers,
      })
      expect(changed.status).toBe(200)
      expect(securityLinesSince(mark)).toEqual([
        {
          time: expect.any(String),
          level: 'info',
          msg: 'security',
          event: 'password_changed',
          reqId: req.reqId,
          address: req.address,
          accountId: self.id,
          actorId: self.id,
          outcome: 'success',
        },
      ])
      expectNoSecretsSince(mark, [...secretsOf(self), 'new-password-123', 'not-my-password-1'])
    })

    test('changing one’s own email is email_changed; the same email again is no event', async () => {
      const self = await ctx.registerUser()
      const req = from(nextAddress())
      let mark = now()
      const email = `new_${unique()}@example.com`
      const reply = await ctx.client.patch('/users/me', {
        token: self.token,
        body: { email, currentPassword: self.password },
        headers: req.headers,
      })
      expect(reply.status).toBe(200)
      expect(securityLinesSince(mark)).toEqual([
        {
          time: expect.any(String),
          level: 'info',
          msg: 'security',
          event: 'email_changed',
          reqId: req.reqId,
          address: req.address,
          accountId: self.id,
          actorId: self.id,
          outcome: 'success',
        },
      ])
      mark = now()
      await ctx.client.patch('/users/me', {
        token: self.token,
        body: { email, currentPassword: self.password },
        headers: from(nextAddress()).headers,
      })
      expect(securityLinesSince(mark)).toEqual([])
      expectNoSecretsSince(0, secretsOf(self))
    })

    test('an admin’s role change, disabling, password reset and deletion each name the admin as actor', async () => {
      const target = await ctx.registerUser()
      const expected = (
        req: ReturnType<typeof from>,
        event: string,
        extra: Record<string, unknown> = {},
      ) => ({
        time: expect.any(String),
        level: 'info',
        msg: 'security',
        event,
        reqId: req.reqId,
        address: req.address,
        accountId: target.id,
        actorId: ctx.admin.id,
        outcome: 'success',
        ...extra,
      })
      const admin = (method: 'patch' | 'delete', body?: unknown) => {
        const req = from(nextAddress())
        const mark = now()
        return ctx.client[method](`/users/${target.id}`, {
          token: ctx.admin.token,
          body,
          headers: req.headers,
        }).then((reply) => ({ reply, req, lines: securityLinesSince(mark) }))
      }

      const role = await admin('patch', { role: 'admin' })
      expect(role.reply.status).toBe(200)
      expect(role.lines).toEqual([expected(role.req, 'role_changed', { role: 'admin' })])

      const disabled = await admin('patch', { role: 'user', disabled: true })
      expect(disabled.lines).toEqual([
        expected(disabled.req, 'role_changed', { role: 'user' }),
        expected(disabled.req, 'account_disabled'),
      ])

      const reset = await admin('patch', { password: 'reset-password-123' })
      expect(reset.lines).toEqual([expected(reset.req, 'password_changed')])

      const deleted = await admin('delete')
      expect(deleted.reply.status).toBe(204)
      expect(deleted.lines).toEqual([expected(deleted.req, 'account_deleted')])
      expectNoSecretsSince(0, [...secretsOf(target), ...secretsOf(ctx.admin), 'reset-password-123'])
    })

    test('an admin registering, changing, rotating and deleting a client: client_* events, no secret', async () => {
      const call = async (method: 'post' | 'put' | 'delete', path: string, body?: unknown) => {
        const req = from(nextAddress())
        const mark = now()
        const reply = await ctx.client[method](path, { token: ctx.admin.token, headers: req.headers, body })
        return { reply, lines: securityLinesSince(mark), req }
      }
      const expected = (req: ReturnType<typeof from>, event: string, clientId: string) => ({
        time: expect.any(String),
        level: 'info',
        msg: 'security',
        event,
        reqId: req.reqId,
        address: req.address,
        actorId: ctx.admin.id,
        clientId,
        outcome: 'success',
      })
      const registered = await call('post', '/clients', webApp())
      expect(registered.reply.status).toBe(201)
      const id = registered.reply.body.client_id
      expect(registered.lines).toEqual([expected(registered.req, 'client_registered', id)])
      const updated = await call('put', `/clients/${id}`, webApp())
      expect(updated.lines).toEqual([expected(updated.req, 'client_updated', id)])
      const rotated = await call('post', `/clients/${id}/secret`)
      expect(rotated.lines).toEqual([expected(rotated.req, 'client_secret_rotated', id)])
      const deleted = await call('delete', `/clients/${id}`)
      expect(deleted.reply.status).toBe(204)
      expect(deleted.lines).toEqual([expected(deleted.req, 'client_deleted', id)])
      const secrets = [registered.reply.body.client_secret, rotated.reply.body.client_secret]
      expectNoSecretsSince(0, [...secrets, ...secrets.map((secret) => hashClientSecret(secret))])
    })
  },
  {
    accounts: { admin: 'admin' },
    logger,
    env: { LOGIN_MAX_FAILURES: String(MAX), REGISTER_MAX_FAILURES: '1', TRUST_PROXY: 'true' },
  },
)
