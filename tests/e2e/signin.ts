/**
 * The sign-in page in Chromium, with the keyboard only (run by scripts/e2e.ts): the first field
 * has the focus, Tab moves on, Enter submits; no click anywhere. Then the sign-out button, by Tab
 * and Enter too.
 */
import { join } from 'node:path'
import type { Page } from 'playwright-core'

// Page code as strings: this project's TypeScript has no DOM library.
const activeId = (page: Page) => page.evaluate<string>("document.activeElement?.id ?? ''")
const activeText = (page: Page) => page.evaluate<string>("document.activeElement?.textContent ?? ''")

/** Whether the focused element shows a focus indicator a sighted keyboard user can see. */
const focusShows = (page: Page) =>
  page.evaluate<boolean>(`(() => {
    const element = document.activeElement
    if (!element) return false
    const style = getComputedStyle(element)
    return style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2
  })()`)

export async function signInWithKeyboard(
  page: Page,
  base: string,
  shots: string,
  account: { username: string; password: string },
): Promise<string> {
  await page.goto(`${base}/signin`)
  await page.locator('h1', { hasText: 'Sign in to Mercado' }).waitFor()
  if ((await activeId(page)) !== 'username') throw new Error('the username field does not have the focus')
  await page.keyboard.type(account.username)
  if (!(await focusShows(page))) throw new Error('the focused username field shows no focus outline')
  await page.keyboard.press('Tab')
  if ((await activeId(page)) !== 'password') throw new Error('Tab did not move to the password field')
  await page.keyboard.type(account.password)
  await page.screenshot({ path: join(shots, 'signin-form.png') })
  await Promise.all([page.waitForURL(`${base}/signin/done`), page.keyboard.press('Enter')])
  await page.locator('p', { hasText: `Signed in as ${account.username}` }).waitFor()
  await page.screenshot({ path: join(shots, 'signin-done.png') })

  // The sign-out button is the first thing Tab reaches on that page.
  await page.keyboard.press('Tab')
  const focused = await activeText(page)
  if (focused !== 'Sign out') throw new Error(`Tab reached "${focused}", not the sign-out button`)
  if (!(await focusShows(page))) throw new Error('the focused sign-out button shows no focus outline')
  await Promise.all([page.waitForURL(`${base}/signin`), page.keyboard.press('Enter')])
  await page.goto(`${base}/signin/done`)
  if (new URL(page.url()).pathname !== '/signin') throw new Error('still signed in after signing out')
  return `signed in as "${account.username}" by Tab, typing and Enter, landed on /signin/done, and signed out`
}
