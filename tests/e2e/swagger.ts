/**
 * Swagger UI in Chromium (run by scripts/e2e.ts): Try it out on GET /users/me, and Authorize with
 * the authorization code flow (PKCE) through the sign-in page in the window Swagger UI opens.
 */
import { join } from 'node:path'
import type { Page, Request } from 'playwright-core'

/** The scheme's section of the Authorize dialog, as swagger-ui 5 renders it (`.auth-container`). */
const CODE_SCHEME = 'OAuth2AuthorizationCode'
const REDIRECT_PATH = '/swagger/oauth2-redirect.html'

/** Try it out on GET /users/me: 200 with `username`, sent with a bearer token, which it returns. */
export async function tryGetMe(page: Page, base: string, username: string, shot: string): Promise<string> {
  const operation = page.locator('#operations-users-getMe')
  await operation.locator('.opblock-summary').first().click()
  await operation.locator('button.try-out__btn').click()
  const [me] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/users/me` && r.request().method() === 'GET'),
    operation.locator('button.execute').click(),
  ])
  const authorization = (await me.request().allHeaders()).authorization ?? ''
  if (!authorization.startsWith('Bearer '))
    throw new Error(`GET /users/me was sent without a bearer token (${authorization || 'none'})`)
  const shown = operation.locator('.live-responses-table .response', { hasText: username })
  await shown.first().waitFor()
  const statusCell = operation.locator('.live-responses-table .response .response-col_status').first()
  const status = ((await statusCell.textContent()) ?? '').trim()
  if (status !== '200') throw new Error(`Swagger UI shows status ${status} for GET /users/me`)
  await operation.scrollIntoViewIfNeeded()
  await page.screenshot({ path: shot, fullPage: false })
  return authorization.slice('Bearer '.length)
}

/** The parameters of a form-encoded request body. */
const formOf = (request: Request) => new URLSearchParams(request.postData() ?? '')

/**
 * Authorize with OAuth2AuthorizationCode: `openid` ticked on top of the preselected API scopes,
 * the window Swagger UI opens goes to /authorize, which (no sign-in session yet) sends it to
 * /signin; signing in there goes back to /authorize, which redirects to the redirect page with a
 * code; that page hands the code to Swagger UI and closes, and Swagger UI exchanges it (with the
 * PKCE verifier) at /auth/token. Then Try it out on GET /users/me with that token. `page` must
 * belong to a browser context without a sign-in session or a stored authorization.
 */
export async function swaggerAuthorizeWithCode(
  page: Page,
  base: string,
  shots: string,
  account: { username: string; password: string },
): Promise<string> {
  await page.goto(`${base}/swagger`)
  await page.locator('.swagger-ui .info .title', { hasText: 'Mercado API' }).waitFor()
  await page.locator('.auth-wrapper button.authorize').click()
  const dialog = page.locator('.dialog-ux .modal-ux')
  await dialog.waitFor()
  const section = dialog.locator('.auth-container', { hasText: CODE_SCHEME })
  await section.locator('h4', { hasText: 'authorizationCode with PKCE' }).waitFor()
  // The scopes come from initOAuth: the API scopes ticked; openid on top, for an ID token.
  const checkbox = (scope: string) => `${scope}-authorizationCode-checkbox-${CODE_SCHEME}`
  const openid = section.locator(`[id="${checkbox('openid')}"]`)
  if (!(await section.locator(`[id="${checkbox('users:read')}"]`).isChecked()))
    throw new Error('users:read is not ticked in advance')
  await section.locator(`label[for="${checkbox('openid')}"]`).click()
  if (!(await openid.isChecked())) throw new Error('the openid scope did not tick')

  const tokenRequest = page.waitForRequest((r) => r.url() === `${base}/auth/token` && r.method() === 'POST', {
    timeout: 60_000,
  })
  // Awaited later: a rejection before then (the browser closing on a failure) must not go unhandled.
  tokenRequest.catch(() => {})
  // Each page load from here on is the sign-in window's (redirects included): noted, with its
  // status, for the messages.
  const visited: string[] = []
  page.context().on('response', (r) => {
    if (r.request().isNavigationRequest()) visited.push(`${r.status()} ${new URL(r.url()).pathname}`)
  })
  const [popup] = await Promise.all([page.waitForEvent('popup'), section.locator('button.authorize').click()])
  const closed = popup.waitForEvent('close', { timeout: 60_000 })
  closed.catch(() => {})

  await popup
    .waitForURL((url) => url.pathname === '/signin')
    .catch(() => {
      throw new Error(
        `the sign-in window did not reach /signin (went through: ${visited.join(', ') || popup.url()})`,
      )
    })
  const authorize = new URL(new URL(popup.url()).searchParams.get('next') ?? '/', base)
  const expected = {
    response_type: 'code',
    client_id: 'mercado-docs',
    redirect_uri: `${base}${REDIRECT_PATH}`,
    code_challenge_method: 'S256',
  }
  for (const [name, value] of Object.entries(expected)) {
    if (authorize.searchParams.get(name) !== value)
      throw new Error(`/authorize got ${name}=${authorize.searchParams.get(name)}, not ${value}`)
  }
  const scope = (authorize.searchParams.get('scope') ?? '').split(' ')
  if (authorize.pathname !== '/authorize' || !scope.includes('openid') || !scope.includes('users:read'))
    throw new Error(`the sign-in page was to go back to ${authorize.pathname}, scope "${scope.join(' ')}"`)

  await popup.locator('#username').fill(account.username)
  await popup.locator('#password').fill(account.password)
  await popup.screenshot({ path: join(shots, 'swagger-code-signin.png') })
  await popup.locator('#password').press('Enter')
  await closed.catch(() => {
    throw new Error(
      `the sign-in window did not close (went through: ${visited.join(', ')}; at ${popup.url()})`,
    )
  })
  if (!visited.some((v) => v.endsWith(REDIRECT_PATH)))
    throw new Error(`the sign-in window never reached ${REDIRECT_PATH} (went through: ${visited.join(', ')})`)

  const sent = await tokenRequest
  const form = formOf(sent)
  if (form.get('grant_type') !== 'authorization_code' || !form.get('code'))
    throw new Error(`the token request was not a code exchange: ${sent.postData()}`)
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(form.get('code_verifier') ?? ''))
    throw new Error(`the token request carries no PKCE code_verifier: ${sent.postData()}`)
  if (form.get('client_id') !== 'mercado-docs' || form.get('redirect_uri') !== `${base}${REDIRECT_PATH}`)
    throw new Error(`the token request names another client or redirect URI: ${sent.postData()}`)
  const answer = await sent.response()
  const tokens = (await answer?.json().catch(() => ({}))) as Record<string, unknown>
  if (answer?.status() !== 200 || typeof tokens.access_token !== 'string')
    throw new Error(`POST /auth/token answered ${answer?.status()}: ${JSON.stringify(tokens)}`)
  if (typeof tokens.id_token !== 'string') throw new Error('openid was asked, but no id_token came back')

  await section.locator('button', { hasText: 'Logout' }).waitFor()
  await page.screenshot({ path: join(shots, 'swagger-code-authorized.png') })
  await dialog.locator('button.btn-done').first().click()
  await dialog.waitFor({ state: 'detached' })

  const used = await tryGetMe(page, base, account.username, join(shots, 'swagger-code-users-me.png'))
  if (used !== tokens.access_token) throw new Error("GET /users/me was not sent with the code flow's token")
  return `signed in on /signin in the window Swagger UI opened; /auth/token got grant_type=authorization_code with a code_verifier; GET /users/me answered 200 with "${account.username}"`
}
