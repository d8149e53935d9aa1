/**
 * Email verification and password reset through a real SMTP server (issue #13): the real server
 * process, its mail sent by SMTP (`SMTP_URL`) to Mailpit, and read back from Mailpit's HTTP API.
 * `bun run test` starts Mailpit and sets MAILPIT_SMTP_URL and MAILPIT_API_URL; without them this
 * suite fails, it never skips.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../scripts/support/processes'
import { TEST_SECRET } from './support/app'
import { type RunningServer, startServer } from './support/server'
import { unique } from './support/unique'

const SMTP_URL = process.env.MAILPIT_SMTP_URL
const API_URL = process.env.MAILPIT_API_URL
if (!SMTP_URL || !API_URL) {
  throw new Error(
    'MAILPIT_SMTP_URL and MAILPIT_API_URL are not set: run the suite with `bun run test`, which starts Mailpit',
  )
}

/** How long a mail may take from the request to Mailpit (the outbox sends in the background). */
const MAIL_WAIT_MS = 15_000

interface MailpitSummary {
  ID: string
  Subject: string
  To: Array<{ Address: string }>
}

/** The mails to `to` whose subject contains `subject`, as Mailpit lists them (newest first). */
async function listed(to: string, subject: string): Promise<MailpitSummary[]> {
  const reply = await fetch(`${API_URL}/api/v1/messages?limit=500`)
  if (!reply.ok) throw new Error(`Mailpit's API answered ${reply.status}`)
  const { messages } = (await reply.json()) as { messages: MailpitSummary[] }
  return messages.filter(
    (m) => m.Subject.includes(subject) && m.To.some((r) => r.Address.toLowerCase() === to.toLowerCase()),
  )
}

/** Waits for the mail to `to` with `subject` in its subject, and returns its text and HTML bodies. */
async function mailTo(to: string, subject: string): Promise<{ Text: string; HTML: string }> {
  const giveUp = Date.now() + MAIL_WAIT_MS
  for (;;) {
    const [newest] = await listed(to, subject)
    if (newest) {
      const reply = await fetch(`${API_URL}/api/v1/message/${newest.ID}`)
      return (await reply.json()) as { Text: string; HTML: string }
    }
    if (Date.now() > giveUp)
      throw new Error(`no mail "${subject}" to ${to} reached Mailpit in ${MAIL_WAIT_MS} ms`)
    await Bun.sleep(100)
  }
}

/** The first link to `path` in a mail's text; the HTML body must carry the same one. */
function linkIn(mail: { Text: string; HTML: string }, path: string): string {
  const link = new RegExp(`https?://\\S+${path}\\?token=[A-Za-z0-9_-]+`).exec(mail.Text)?.[0]
  if (!link) throw new Error(`no ${path} link in the mail:\n${mail.Text}`)
  expect(mail.HTML).toContain(link)
  return link
}

let server: RunningServer
let base: string
let dataDir: string

beforeAll(async () => {
  const cleared = await fetch(`${API_URL}/api/v1/messages`, { method: 'DELETE' })
  if (!cleared.ok) throw new Error(`Mailpit's API answered ${cleared.status} to DELETE /api/v1/messages`)
  dataDir = mkdtempSync(join(tmpdir(), 'mercado-mailpit-'))
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  server = await startServer({
    NODE_ENV: 'test',
    PORT: String(port),
    PUBLIC_URL: base,
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_SECRET: TEST_SECRET,
    SMTP_URL,
    MAIL_FROM: 'Mercado <no-reply@mercado.test>',
    // info: startServer waits for the 'listening' line, logged at info.
    LOG_LEVEL: 'info',
  })
})

afterAll(async () => {
  await server?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

async function passwordGrant(username: string, password: string) {
  return fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  })
}

async function register() {
  const n = unique()
  const account = { username: `mail_${n}`, email: `mail_${n}@example.com`, password: `pw-${n}-secret` }
  const reply = await fetch(`${base}/auth/register`, json(account))
  expect(reply.status).toBe(201)
  return account
}

test('registration mails a verification link over SMTP; following it verifies the address', async () => {
  const account = await register()
  const mail = await mailTo(account.email, 'Confirm your email')
  const link = linkIn(mail, '/verify-email')
  expect(link.startsWith(`${base}/verify-email?token=`)).toBe(true)
  const page = await fetch(link)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('Email address confirmed')
  const token = (await (await passwordGrant(account.username, account.password)).json()) as {
    access_token: string
  }
  const me = await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${token.access_token}` } })
  expect(((await me.json()) as { emailVerified: boolean }).emailVerified).toBe(true)
})

test('a password reset through the mailed link and the page, then a sign-in with the new password', async () => {
  const account = await register()
  const requested = await fetch(`${base}/auth/password-reset`, json({ login: account.username }))
  expect(requested.status).toBe(202)
  const link = linkIn(await mailTo(account.email, 'Reset your Mercado password'), '/reset-password')

  const form = await fetch(link)
  expect(form.status).toBe(200)
  const cookie = (form.headers.getSetCookie()[0] ?? '').split(';')[0] ?? ''
  const html = await form.text()
  const csrf = /name="csrf" value="([^"]*)"/.exec(html)?.[1] ?? ''
  const token = /name="token" value="([^"]*)"/.exec(html)?.[1] ?? ''
  const newPassword = `new-${unique()}-password`
  const posted = await fetch(`${base}/reset-password`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: base },
    body: new URLSearchParams({ csrf, token, password: newPassword, confirm: newPassword }),
  })
  expect(posted.status).toBe(303)
  expect((await passwordGrant(account.username, newPassword)).status).toBe(200)
  expect((await passwordGrant(account.username, account.password)).status).toBe(400)
})

test('an unknown login gets the same 202 and no mail', async () => {
  const nobody = `nobody_${unique()}@example.com`
  const reply = await fetch(`${base}/auth/password-reset`, json({ login: nobody }))
  expect(reply.status).toBe(202)
  await Bun.sleep(1_000)
  expect(await listed(nobody, '')).toEqual([])
})

test('an email change mails the new address a link and the old one a notice', async () => {
  const account = await register()
  const login = (await (await passwordGrant(account.username, account.password)).json()) as {
    access_token: string
  }
  const newEmail = `moved.${account.email}`
  const changed = await fetch(`${base}/users/me`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${login.access_token}` },
    body: JSON.stringify({ email: newEmail, currentPassword: account.password }),
  })
  expect(changed.status).toBe(200)
  linkIn(await mailTo(newEmail, 'Confirm your email'), '/verify-email')
  const notice = await mailTo(account.email, 'email address was changed')
  expect(notice.Text).toContain(newEmail)
})
