/**
 * The SMTP server for the test scripts: Mailpit (scripts/mailpit-server.sh, built with Go on first
 * use) on two free ports, SMTP and its HTTP API, stopped by `stop()`. A run that cannot start it
 * fails: the mail suites never skip.
 */

import { spawn } from 'bun'
import { freePort } from './support/processes'

/** The first run builds the server with Go, which can take a few minutes. */
const START_TIMEOUT_MS = 15 * 60_000

export { freePort }

export interface MailServer {
  /** `smtp://127.0.0.1:<port>`: what `SMTP_URL` is set to. */
  smtpUrl: string
  /** `http://127.0.0.1:<port>`: Mailpit's API (`/api/v1/messages`...). */
  apiUrl: string
  stop(): void
}

export async function startMailServer(): Promise<MailServer> {
  const root = new URL('..', import.meta.url).pathname
  const build = spawn(['bash', `${root}scripts/mailpit-server.sh`, 'build'], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const timer = setTimeout(() => build.kill(), START_TIMEOUT_MS)
  const bin = (await new Response(build.stdout).text()).trim()
  clearTimeout(timer)
  if ((await build.exited) !== 0 || !bin)
    throw new Error('the Mailpit test server could not be built (it needs Go on the PATH the first time)')
  const [smtp, http] = [await freePort(), await freePort()]
  const server = spawn(
    [
      bin,
      '--smtp',
      `127.0.0.1:${smtp}`,
      '--listen',
      `127.0.0.1:${http}`,
      // Any SMTP login is accepted, over plain text: an SMTP_URL with credentials works too.
      '--smtp-auth-accept-any',
      '--smtp-auth-allow-insecure',
      '--disable-version-check',
      '--quiet',
    ],
    { env: { ...process.env, MERCADO_WATCH_PARENT: '1' }, stdout: 'inherit', stderr: 'inherit' },
  )
  const apiUrl = `http://127.0.0.1:${http}`
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (server.exitCode !== null) break
    const up = await fetch(`${apiUrl}/api/v1/info`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) return { smtpUrl: `smtp://127.0.0.1:${smtp}`, apiUrl, stop: () => server.kill('SIGTERM') }
    await Bun.sleep(100)
  }
  server.kill('SIGKILL')
  throw new Error(`the Mailpit test server did not answer on ${apiUrl} (exit code ${server.exitCode})`)
}
