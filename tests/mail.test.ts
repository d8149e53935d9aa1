/**
 * Mail (issue #13) against a real SMTP server: the Mailpit that `bun run test` starts
 * (MAILPIT_SMTP_URL, MAILPIT_API_URL). Never skipped: without them the suite fails, saying why.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { freePort } from '../scripts/mail-server'
import { createServices } from '../src/app'
import { createLogger, type Logger } from '../src/core/log'
import {
  LogTransport,
  logTransportWarning,
  MailOutbox,
  type MailTransport,
  SmtpTransport,
  smtpOptions,
} from '../src/mail'
import type { Store } from '../src/store/types'
import { testConfig } from './support/app'
import { ENGINES, freshStore, sharedStores } from './support/stores'
import { unique } from './support/unique'

function mailpit(): { smtpUrl: string; apiUrl: string } {
  const smtpUrl = process.env.MAILPIT_SMTP_URL
  const apiUrl = process.env.MAILPIT_API_URL
  if (!smtpUrl || !apiUrl) {
    throw new Error(
      'MAILPIT_SMTP_URL and MAILPIT_API_URL are not set: run the mail suite with `bun run test tests/mail.test.ts`, which starts Mailpit',
    )
  }
  return { smtpUrl, apiUrl }
}

interface Summary {
  ID: string
  Subject: string
  From: { Name: string; Address: string }
  To: { Address: string }[]
}

/** The messages Mailpit holds for `to`, newest first. */
async function inbox(to: string): Promise<Summary[]> {
  const query = encodeURIComponent(`to:"${to}"`)
  const reply = await fetch(`${mailpit().apiUrl}/api/v1/search?query=${query}`)
  if (!reply.ok) throw new Error(`Mailpit search answered ${reply.status}`)
  return ((await reply.json()) as { messages: Summary[] }).messages
}

/** Waits until Mailpit holds at least `count` messages for `to` (or 10 s pass), and returns them. */
async function arrived(to: string, count = 1): Promise<Summary[]> {
  const deadline = Date.now() + 10_000
  let messages = await inbox(to)
  while (messages.length < count && Date.now() < deadline) {
    await Bun.sleep(50)
    messages = await inbox(to)
  }
  return messages
}

/** A logger whose lines the test reads, every level kept. */
function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  let out = ''
  const logger = createLogger('debug', (chunk) => {
    out += chunk
  })
  return {
    logger,
    lines: () => {
      logger.flush()
      return out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    },
  }
}

function newMail(to: string) {
  const token = unique()
  const link = `https://shop.example.test/verify-email?token=${token}`
  return {
    link,
    mail: {
      to,
      subject: `Verify your address ${token}`,
      text: `Follow this link to verify your address:\n${link}\n`,
      html: `<p><a href="${link}">Verify your address</a></p>`,
    },
  }
}

const FROM = 'Mercado Test <no-reply@shop.example.test>'
const later = (ms: number) => () => new Date(Date.now() + ms)

/** An SMTP URL where nothing listens (a port just freed). */
async function closedSmtpUrl(credentials = ''): Promise<string> {
  return `smtp://${credentials}127.0.0.1:${await freePort()}`
}

describe('mail through Mailpit (issue #13)', () => {
  // A fresh store per test: a claim takes any due mail, whichever test queued it.
  let store: Store
  beforeEach(async () => {
    mailpit()
    store = await freshStore('sqlite')
  })
  afterEach(async () => {
    await store?.close()
  })

  const outboxWith = (transport: MailTransport, logger: Logger, now?: () => Date) =>
    new MailOutbox({ outbox: store.outbox, transport, from: FROM, logger, now, pollIntervalMs: 100 })

  test('a mail sent through the outbox arrives with its From, plain-text and HTML bodies', async () => {
    const to = `${unique()}@example.test`
    const { link, mail } = newMail(to)
    const { logger, lines } = capturingLogger()
    const outbox = outboxWith(new SmtpTransport(mailpit().smtpUrl), logger)
    outbox.start()
    try {
      await outbox.send(mail)
      const [message] = await arrived(to)
      if (!message) throw new Error(`no mail to ${to} arrived in Mailpit`)
      expect(message.Subject).toBe(mail.subject)
      expect(message.From).toEqual({ Name: 'Mercado Test', Address: 'no-reply@shop.example.test' })
      const full = (await (await fetch(`${mailpit().apiUrl}/api/v1/message/${message.ID}`)).json()) as {
        Text: string
        HTML: string
      }
      expect(full.Text).toContain(link)
      expect(full.HTML).toContain(`href="${link}"`)
    } finally {
      await outbox.stop()
    }
    expect(lines().some((line) => line.msg === 'mail sent' && line.to === to)).toBe(true)
  })

  test('send resolves once the mail is stored, without waiting for a slow or absent server', async () => {
    const { logger } = capturingLogger()
    const outbox = outboxWith(new SmtpTransport(await closedSmtpUrl()), logger)
    outbox.start()
    try {
      const started = performance.now()
      await outbox.send(newMail(`${unique()}@example.test`).mail)
      expect(performance.now() - started).toBeLessThan(500)
    } finally {
      await outbox.stop()
    }
  })

  test('with the server down the mail stays in the outbox, failed once and logged; it goes out once the server is back', async () => {
    const to = `${unique()}@example.test`
    const { mail } = newMail(to)
    const { logger, lines } = capturingLogger()
    const down = outboxWith(new SmtpTransport(await closedSmtpUrl('mailer:s3cr%21t-pw@')), logger)
    await down.send(mail)
    expect(await down.deliverDue()).toBe(0)
    await down.stop()

    const failure = lines().find((line) => line.msg === 'mail delivery failed; will retry' && line.to === to)
    expect(failure).toMatchObject({ level: 'warn', attempts: 1, mailId: expect.any(String) })
    expect(JSON.stringify(lines())).not.toContain('s3cr')
    // Not due again for 10 s; a minute on, it is, with its attempt counted.
    expect(await store.outbox.claimDue(new Date(), new Date(), 10)).toEqual([])
    const [pending] = await store.outbox.claimDue(
      new Date(Date.now() + 60_000),
      new Date(Date.now() + 60_000),
      10,
    )
    expect(pending).toMatchObject({ id: failure?.mailId, to, attempts: 1, sentAt: null })
    expect(pending?.lastError).toContain('ECONNREFUSED')

    // The claim just taken lapses at once; the server is back (Mailpit) a minute later.
    const back = outboxWith(new SmtpTransport(mailpit().smtpUrl), logger, later(120_000))
    back.start()
    try {
      expect(await arrived(to)).toHaveLength(1)
    } finally {
      await back.stop()
    }
    expect(await store.outbox.claimDue(new Date(Date.now() + 86_400_000), new Date(), 10)).toEqual([])
  })

  test('from the fifth failed attempt on, each failure is logged as an error', async () => {
    const to = `${unique()}@example.test`
    const { logger, lines } = capturingLogger()
    let offset = 0
    const outbox = outboxWith(
      new SmtpTransport(await closedSmtpUrl()),
      logger,
      () => new Date(Date.now() + offset),
    )
    await outbox.send(newMail(to).mail)
    for (let i = 0; i < 6; i++) {
      await outbox.deliverDue()
      offset += 2 * 3_600_000
    }
    const failures = lines().filter((line) => line.to === to && typeof line.attempts === 'number')
    expect(failures.map((line) => [line.level, line.attempts])).toEqual([
      ['warn', 1],
      ['warn', 2],
      ['warn', 3],
      ['warn', 4],
      ['error', 5],
      ['error', 6],
    ])
    // Given up on by nobody: it is still in the outbox, due later.
    const [still] = await store.outbox.claimDue(new Date(Date.now() + offset + 3_600_000), new Date(), 10)
    expect(still).toMatchObject({ to, attempts: 6, sentAt: null })
  })

  test('stop waits for a hanging send no longer than its grace, and claims nothing after', async () => {
    const { logger } = capturingLogger()
    let sends = 0
    const hanging: MailTransport = {
      send: () => {
        sends++
        return new Promise<void>(() => {})
      },
      close: () => {},
    }
    const outbox = outboxWith(hanging, logger)
    outbox.start()
    await outbox.send(newMail(`${unique()}@example.test`).mail)
    await outbox.send(newMail(`${unique()}@example.test`).mail)
    while (sends === 0) await Bun.sleep(5)
    const started = performance.now()
    await outbox.stop(100)
    expect(performance.now() - started).toBeLessThan(1_000)
    await Bun.sleep(150)
    expect(sends).toBe(1)
  })

  test('without SMTP_URL, the log transport writes the mail with its link to the log', async () => {
    const to = `${unique()}@example.test`
    const { link, mail } = newMail(to)
    const { logger, lines } = capturingLogger()
    const outbox = outboxWith(new LogTransport(logger), logger)
    await outbox.send(mail)
    expect(await outbox.deliverDue()).toBe(1)
    const written = lines().find((line) => line.to === to && line.level === 'info' && 'text' in line)
    expect(written).toMatchObject({ subject: mail.subject, from: FROM })
    expect(written?.text).toContain(link)
  })
})

for (const engine of ENGINES) {
  test(`${engine}: two instances over one store deliver each mail exactly once`, async () => {
    mailpit()
    const shared = await sharedStores(engine)
    const to = `${unique()}@example.test`
    const { logger } = capturingLogger()
    const instances = shared.stores.map(
      (s) =>
        new MailOutbox({
          outbox: s.outbox,
          transport: new SmtpTransport(mailpit().smtpUrl),
          from: FROM,
          logger,
          pollIntervalMs: 20,
        }),
    )
    try {
      const subjects = Array.from({ length: 10 }, (_, i) => `Mail ${i} ${unique()}`)
      await Promise.all(
        subjects.map((subject, i) => instances[i % 2]?.send({ ...newMail(to).mail, subject })),
      )
      for (const instance of instances) instance.start()
      await arrived(to, subjects.length)
      await Bun.sleep(500)
      const received = (await inbox(to)).map((message) => message.Subject)
      expect(received.toSorted()).toEqual(subjects.toSorted())
    } finally {
      for (const instance of instances) await instance.stop()
      await shared.close()
    }
  })
}

describe('mail without SMTP_URL, and the SMTP options (issue #13 review)', () => {
  test('in production the log transport logs recipient and subject only: no body, no link, and says it was not sent', async () => {
    const to = `${unique()}@example.test`
    const { link, mail } = newMail(to)
    const { logger, lines } = capturingLogger()
    await new LogTransport(logger, { production: true }).send({ from: FROM, ...mail })
    const written = lines().filter((line) => line.to === to)
    expect(written).toHaveLength(1)
    expect(written[0]).toMatchObject({ level: 'warn', subject: mail.subject })
    expect(String(written[0]?.msg)).toContain('not sent')
    expect(String(written[0]?.msg)).toContain('SMTP_URL is unset')
    expect(written[0]).not.toHaveProperty('text')
    expect(JSON.stringify(lines())).not.toContain(link)
    expect(JSON.stringify(lines())).not.toContain('token=')
  })

  test('in production without SMTP_URL the services log no mail text; in development they do', async () => {
    for (const [env, leaks] of [
      ['production', false],
      ['development', true],
    ] as const) {
      const store = await freshStore('sqlite')
      try {
        const { logger, lines } = capturingLogger()
        const services = createServices(testConfig({ NODE_ENV: env }), store, logger)
        const to = `${unique()}@example.test`
        const { link, mail } = newMail(to)
        await services.mail.send(mail)
        expect(await services.mail.deliverDue()).toBe(1)
        expect(JSON.stringify(lines()).includes(link)).toBe(leaks)
        expect(lines().some((line) => line.to === to && String(line.msg).includes('not sent'))).toBe(true)
      } finally {
        await store.close()
      }
    }
  })

  test('the start-up warning says whether mails and their links are logged', () => {
    expect(logTransportWarning(true)).toContain('not sent')
    expect(logTransportWarning(true)).toContain('never their text or links')
    expect(logTransportWarning(false)).toContain('links included')
  })

  test('smtp:// requires STARTTLS unless the host is a loopback address; smtps:// is TLS from the start', () => {
    for (const host of ['127.0.0.1', '[::1]', 'localhost', 'LOCALHOST']) {
      expect(smtpOptions(`smtp://${host}:1025`).requireTLS).toBe(false)
    }
    for (const host of [
      'smtp.example.com',
      '10.0.0.5',
      '[2001:db8::1]',
      '127.0.0.2',
      'localhost.example.com',
    ]) {
      const options = smtpOptions(`smtp://u:p@${host}`)
      expect(options).toMatchObject({ requireTLS: true, secure: false, port: 587 })
    }
    expect(smtpOptions('smtps://smtp.example.com')).toMatchObject({
      secure: true,
      port: 465,
      requireTLS: false,
    })
    expect(smtpOptions('smtp://[::1]:25').host).toBe('::1')
  })
})
