/**
 * The password reset in Chromium, with the keyboard only (run by scripts/e2e.ts), the mail read
 * from a real SMTP server (Mailpit): a new account asks for a link on /forgot-password, the link
 * from its mail opens the new-password form, the new password signs in on /signin; the old one no
 * longer logs in and the used link shows the refusal page.
 */
import { join } from 'node:path'
import type { Page } from 'playwright-core'

// Page code as strings: this project's TypeScript has no DOM library.
const activeId = (page: Page) => page.evaluate<string>("document.activeElement?.id ?? ''")
const mainText = (page: Page) =>
  page.evaluate<string>("document.querySelector('main')?.innerText ?? document.body.innerText")

const RESET_SUBJECT = 'Reset your Mercado password'
const MAIL_WAIT_MS = 15_000

interface MailpitSummary {
  ID: string
  Subject: string
  To: { Address: string }[] | null
}

/** The newest message to `address` with `subject`, waited for up to 15 s; its plain-text body. */
async function waitForMail(apiUrl: string, address: string, subject: string): Promise<string> {
  const deadline = Date.now() + MAIL_WAIT_MS
  while (Date.now() < deadline) {
    const response = await fetch(`${apiUrl}/api/v1/messages`)
    if (!response.ok) throw new Error(`Mailpit's GET /api/v1/messages answered ${response.status}`)
    const { messages } = (await response.json()) as { messages: MailpitSummary[] | null }
    const found = (messages ?? []).find(
      (m) => m.Subject === subject && (m.To ?? []).some((to) => to.Address.toLowerCase() === address),
    )
    if (found) {
      const message = await fetch(`${apiUrl}/api/v1/message/${found.ID}`)
      if (!message.ok) throw new Error(`Mailpit's GET /api/v1/message/${found.ID} answered ${message.status}`)
      return ((await message.json()) as { Text: string }).Text
    }
    await Bun.sleep(250)
  }
  throw new Error(`no mail "${subject}" to ${address} reached Mailpit within ${MAIL_WAIT_MS / 1000} s`)
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export async function resetPasswordWithKeyboard(
  page: Page,
  base: string,
  shots: string,
  mail: { apiUrl: string },
): Promise<string> {
  // A new account: the admin the other checks sign in with keeps its password.
  const suffix = crypto.randomUUID().slice(0, 8)
  const account = {
    username: `e2e_reset_${suffix}`,
    email: `e2e_reset_${suffix}@example.com`,
    password: 'e2e-old-password',
  }
  const newPassword = 'e2e-new-password-42'
  const registered = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  })
  if (registered.status !== 201)
    throw new Error(`POST /auth/register answered ${registered.status}: ${await registered.text()}`)

  // The forgot-password page: the login field has the focus, Enter submits.
  await page.goto(`${base}/forgot-password`)
  await page.locator('h1', { hasText: 'Forgot your password?' }).waitFor()
  if ((await activeId(page)) !== 'login') throw new Error('the login field does not have the focus')
  await page.keyboard.type(account.username)
  await page.screenshot({ path: join(shots, 'reset-forgot.png') })
  await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/forgot-password` && r.request().method() === 'POST'),
    page.keyboard.press('Enter'),
  ])
  await page.locator('h1', { hasText: 'Check your mail' }).waitFor()
  const answered = await mainText(page)
  if (!answered.includes('If an account matches what you entered, we have sent it a link'))
    throw new Error(`the forgot-password answer does not say "if an account matches": ${answered}`)
  await page.screenshot({ path: join(shots, 'reset-requested.png') })

  // The same answer for a login that matches no account.
  await page.goto(`${base}/forgot-password`)
  await page.locator('h1', { hasText: 'Forgot your password?' }).waitFor()
  await page.keyboard.type(`nobody_${suffix}`)
  await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/forgot-password` && r.request().method() === 'POST'),
    page.keyboard.press('Enter'),
  ])
  await page.locator('h1', { hasText: 'Check your mail' }).waitFor()
  const unknown = await mainText(page)
  if (unknown !== answered)
    throw new Error(`an unknown login got another answer: "${unknown}" instead of "${answered}"`)

  // The mail, through the real SMTP server.
  const text = await waitForMail(mail.apiUrl, account.email, RESET_SUBJECT)
  const link = text.match(new RegExp(`${escapeRegExp(base)}/reset-password\\?token=[^\\s]+`))?.[0]
  if (!link) throw new Error(`the reset mail has no ${base}/reset-password?token= link: ${text}`)

  // The link: the new password twice, Tab between the fields, Enter submits.
  const opened = await page.goto(link)
  if (opened?.status() !== 200) throw new Error(`the mailed link answered ${opened?.status()}`)
  await page.locator('h1', { hasText: 'Choose a new password' }).waitFor()
  if ((await activeId(page)) !== 'password') throw new Error('the new password field does not have the focus')
  await page.keyboard.type(newPassword)
  await page.keyboard.press('Tab')
  if ((await activeId(page)) !== 'confirm') throw new Error('Tab did not move to the confirmation field')
  await page.keyboard.type(newPassword)
  await page.screenshot({ path: join(shots, 'reset-form.png') })
  await Promise.all([page.waitForURL(`${base}/reset-password/done`), page.keyboard.press('Enter')])
  await page.locator('h1', { hasText: 'Password changed' }).waitFor()
  await page.screenshot({ path: join(shots, 'reset-done.png') })

  // Sign in with the new password, keyboard only.
  await page.goto(`${base}/signin`)
  await page.locator('h1', { hasText: 'Sign in to Mercado' }).waitFor()
  if ((await activeId(page)) !== 'username') throw new Error('the username field does not have the focus')
  await page.keyboard.type(account.username)
  await page.keyboard.press('Tab')
  if ((await activeId(page)) !== 'password') throw new Error('Tab did not move to the password field')
  await page.keyboard.type(newPassword)
  await Promise.all([page.waitForURL(`${base}/signin/done`), page.keyboard.press('Enter')])
  await page.locator('p', { hasText: `Signed in as ${account.username}` }).waitFor()
  await page.screenshot({ path: join(shots, 'reset-signin-done.png') })

  // The old password no longer logs in.
  const old = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username: account.username,
      password: account.password,
    }),
  })
  const oldBody = (await old.json().catch(() => ({}))) as { error?: string }
  if (old.status !== 400 || oldBody.error !== 'invalid_grant')
    throw new Error(
      `the old password: POST /auth/login answered ${old.status} ${JSON.stringify(oldBody)}, not 400 invalid_grant`,
    )

  // The used link shows the refusal page once submitted again (opening it does not spend a token;
  // setting a password with it does, and it is spent).
  const reopened = await page.goto(link)
  if (reopened?.status() !== 200) throw new Error(`the used link's form answered ${reopened?.status()}`)
  await page.locator('h1', { hasText: 'Choose a new password' }).waitFor()
  await page.keyboard.type('e2e-third-password')
  await page.keyboard.press('Tab')
  await page.keyboard.type('e2e-third-password')
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/reset-password` && r.request().method() === 'POST'),
    page.keyboard.press('Enter'),
  ])
  if (refused.status() !== 400) throw new Error(`the used link's POST answered ${refused.status()}, not 400`)
  await page.locator('h1', { hasText: 'This link does not work' }).waitFor()
  await page.screenshot({ path: join(shots, 'reset-link-used.png') })

  return `"${account.username}" asked on /forgot-password (the same answer as an unknown login), got the link by SMTP in Mailpit, set a new password by Tab, typing and Enter, signed in with it on /signin; the old password gets 400 invalid_grant and the used link shows "This link does not work"`
}
