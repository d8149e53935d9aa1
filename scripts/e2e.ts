/**
 * The docs pages in a real browser (`bun run test:e2e`): starts the service on a free port with a
 * fresh embedded store and an admin, then drives Debian's Chromium through Swagger UI (Authorize
 * with the OAuth2 password flow, then GET /users/me; Authorize with the authorization code flow,
 * signing in on the sign-in page in the window it opens, tests/e2e/swagger.ts), ReDoc and the
 * sign-in page (keyboard only, tests/e2e/signin.ts), the password reset (forgot-password page, the
 * link mailed through a real SMTP server, Mailpit, a new password, then sign-in with it, keyboard
 * only, tests/e2e/reset.ts), and checks that no request left the service. Prints where the
 * screenshots are, and `N passed, N failed`; exits 1 on any failure, and when Mailpit cannot start.
 *
 * Needs `/usr/bin/chromium` (`apt-get install chromium`); CHROMIUM_PATH overrides it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { resetPasswordWithKeyboard } from '../tests/e2e/reset'
import { signInWithKeyboard } from '../tests/e2e/signin'
import { swaggerAuthorizeWithCode, tryGetMe } from '../tests/e2e/swagger'
import { type MailServer, startMailServer } from './mail-server'
import { freePort, startDevService } from './support/processes'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ADMIN = { username: 'e2e_admin', email: 'e2e_admin@example.com', password: 'e2e-admin-password' }
const STEP_TIMEOUT_MS = 20_000

/** The service, with its mail going through the outbox to Mailpit (the reset check reads it). */
const startService = (port: number, dataDir: string, smtpUrl: string) =>
  startDevService(port, dataDir, ADMIN, { SMTP_URL: smtpUrl })

async function stopService(service: ReturnType<typeof Bun.spawn>) {
  service.kill('SIGTERM')
  const stopped = await Promise.race([service.exited.then(() => true), Bun.sleep(12_000).then(() => false)])
  if (!stopped) service.kill('SIGKILL')
}

/** Swagger UI: Authorize with the password flow, then Try it out on GET /users/me. */
async function swaggerAuthorizeAndCall(page: Page, base: string, shots: string): Promise<string> {
  await page.goto(`${base}/swagger`)
  await page.locator('.swagger-ui .info .title', { hasText: 'Mercado API' }).waitFor()

  await page.locator('.auth-wrapper button.authorize').click()
  const dialog = page.locator('.dialog-ux .modal-ux')
  await dialog.waitFor()
  const oauth = dialog.locator('.auth-container', { hasText: 'OAuth2Password' })
  await oauth.locator('#oauth_username').fill(ADMIN.username)
  await oauth.locator('#oauth_password').fill(ADMIN.password)
  const [login] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/auth/login` && r.request().method() === 'POST'),
    oauth.locator('button.authorize').click(),
  ])
  if (login.status() !== 200)
    throw new Error(
      `POST /auth/login from the Authorize dialog answered ${login.status()}: ${await login.text()}`,
    )
  await oauth.locator('button', { hasText: 'Logout' }).waitFor()
  await page.screenshot({ path: join(shots, 'swagger-authorized.png') })
  await dialog.locator('button.btn-done').first().click()
  await dialog.waitFor({ state: 'detached' })

  await tryGetMe(page, base, ADMIN.username, join(shots, 'swagger-users-me.png'))
  return `GET /users/me answered 200 with "${ADMIN.username}"`
}

/** ReDoc: the page renders, lists the operations by summary, and opens one from the menu. */
async function redocListsOperations(page: Page, base: string, shots: string): Promise<string> {
  await page.goto(`${base}/redoc`)
  await page.locator('h1', { hasText: 'Mercado API' }).first().waitFor()
  const summaries = [
    'Log in (OAuth2 password grant)',
    'Your own account',
    'List products',
    'Create a product',
  ]
  for (const summary of summaries) {
    await page.locator('h2', { hasText: summary }).first().waitFor()
  }
  await page.locator('li[data-item-id="tag/auth"] > label').click()
  await page.locator('li[data-item-id="tag/auth/operation/login"] > label').click()
  await page.locator('text=application/x-www-form-urlencoded').first().waitFor()
  await page.screenshot({ path: join(shots, 'redoc.png') })
  return `lists ${summaries.map((s) => `"${s}"`).join(', ')}`
}

async function main(): Promise<number> {
  const shots = mkdtempSync(join(tmpdir(), 'mercado-e2e-shots-'))
  const dataDir = mkdtempSync(join(tmpdir(), 'mercado-e2e-data-'))
  // No Mailpit, no run: the password reset check needs a real SMTP server and is never skipped.
  let mail: MailServer
  try {
    mail = await startMailServer()
  } catch (error) {
    console.log(`FAIL Mail server (Mailpit): ${error instanceof Error ? error.message : String(error)}`)
    console.log('0 passed, 1 failed')
    rmSync(dataDir, { recursive: true, force: true })
    return 1
  }
  const port = await freePort()
  let started: Awaited<ReturnType<typeof startService>>
  try {
    started = await startService(port, dataDir, mail.smtpUrl)
  } catch (error) {
    mail.stop()
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
  const { service, base } = started
  const serviceOrigin = new URL(base).origin
  const offsite: string[] = []
  const problems: string[] = []
  let browser: Browser | undefined
  let passed = 0
  let failed = 0

  const check = async (name: string, run: () => Promise<string>) => {
    try {
      const note = await run()
      passed++
      console.log(`ok   ${name}: ${note}`)
    } catch (error) {
      failed++
      console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    })
    const launched = browser
    /** A page in a fresh context (no cookies, no localStorage) that watches where it goes. */
    const freshPage = async () => {
      const context: BrowserContext = await launched.newContext({ viewport: { width: 1280, height: 900 } })
      context.setDefaultTimeout(STEP_TIMEOUT_MS)
      // Anything bound elsewhere is recorded and refused, so that a CDN link fails fast and loudly.
      await context.route(
        (url) => url.origin !== serviceOrigin && /^(https?|wss?):$/.test(url.protocol),
        (route) => {
          offsite.push(route.request().url())
          return route.abort()
        },
      )
      context.on('request', (request) => {
        const url = new URL(request.url())
        if (url.origin !== serviceOrigin && !['data:', 'blob:'].includes(url.protocol))
          offsite.push(request.url())
      })
      // Every page of the context, the sign-in window Swagger UI opens too.
      context.on('page', (opened) => {
        opened.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
        opened.on('console', (message) => {
          if (message.type() === 'error') problems.push(`console error: ${message.text()}`)
        })
      })
      return context.newPage()
    }
    const page = await freshPage()

    await check('Swagger UI: Authorize (OAuth2 password flow), then Try it out on GET /users/me', () =>
      swaggerAuthorizeAndCall(page, base, shots),
    )
    // Its own context: the password flow's token, kept in localStorage, must not be the one used.
    await check(
      'Swagger UI: Authorize with the authorization code flow (PKCE), sign in on the sign-in page, then Try it out on GET /users/me',
      async () => swaggerAuthorizeWithCode(await freshPage(), base, shots, ADMIN),
    )
    await check('ReDoc: renders the document and lists its operations', () =>
      redocListsOperations(page, base, shots),
    )
    await check('Sign-in page: keyboard only (Tab, typing, Enter), lands on /signin/done', () =>
      signInWithKeyboard(page, base, shots, ADMIN),
    )
    await check(
      'Password reset: forgot-password page, the mailed link, a new password, then sign in with it (keyboard only)',
      async () => resetPasswordWithKeyboard(await freshPage(), base, shots, mail),
    )
    await check('No request went to any host but the service', async () => {
      if (offsite.length > 0) throw new Error([...new Set(offsite)].join(', '))
      return `every request went to ${serviceOrigin}`
    })
  } finally {
    await browser?.close()
    await stopService(service)
    mail.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }

  for (const problem of problems) console.log(`note ${problem}`)
  console.log(`screenshots: ${shots}`)
  for (const name of [
    'swagger-authorized.png',
    'swagger-users-me.png',
    'swagger-code-signin.png',
    'swagger-code-authorized.png',
    'swagger-code-users-me.png',
    'redoc.png',
    'signin-form.png',
    'signin-done.png',
    'reset-forgot.png',
    'reset-requested.png',
    'reset-form.png',
    'reset-done.png',
    'reset-signin-done.png',
    'reset-link-used.png',
  ]) {
    if (await Bun.file(join(shots, name)).exists()) console.log(`  ${join(shots, name)}`)
  }
  console.log(`${passed} passed, ${failed} failed`)
  return failed === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error)
    console.log('0 passed, 1 failed')
    process.exit(1)
  },
)
