/**
 * Delivery through an SMTP server with nodemailer: one connection per mail, short timeouts.
 * nodemailer is loaded on the first mail, not at start: in the compiled binary, evaluating it at
 * start held about 1.5 MB more memory (measured from /proc at the top of index.ts), which a service
 * without `SMTP_URL` would carry for nothing.
 */
import type { Transporter } from 'nodemailer'
import type { Envelope, MailTransport } from './transport.ts'

/** Timeouts of one delivery (ms): an SMTP server that hangs costs the loop seconds, not minutes. */
const CONNECTION_TIMEOUT_MS = 5_000
const GREETING_TIMEOUT_MS = 5_000
const SOCKET_TIMEOUT_MS = 10_000

/** An SMTP failure, its message freed of the credentials `SMTP_URL` holds. */
export class MailDeliveryError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MailDeliveryError'
  }
}

/** Hosts an `smtp://` URL may name without TLS: the connection never leaves the machine. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost'])

/**
 * The nodemailer options for `smtpUrl`: `smtps://` is TLS from the start (port 465 by default),
 * `smtp://` upgrades with STARTTLS (port 587 by default) and must (`requireTLS`), so that a server
 * or a man in the middle that offers no STARTTLS does not get the credentials and the links in
 * clear; only a loopback host (127.0.0.1, ::1, localhost: a relay or Mailpit on the machine) may
 * go without. No pool: the loop sends a few mails now and then, and a pooled connection would sit open.
 */
export function smtpOptions(smtpUrl: string) {
  const url = new URL(smtpUrl)
  const secure = url.protocol === 'smtps:'
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const user = decodeURIComponent(url.username)
  const pass = decodeURIComponent(url.password)
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && !LOOPBACK_HOSTS.has(host.toLowerCase()),
    pool: false as const,
    auth: user ? { user, pass } : undefined,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  }
}

/** Sends through the server `SMTP_URL` names (`smtpOptions`). */
export class SmtpTransport implements MailTransport {
  private transporter: Promise<Transporter> | undefined
  private readonly options: ReturnType<typeof smtpOptions>
  private readonly secrets: string[]

  constructor(smtpUrl: string) {
    const url = new URL(smtpUrl)
    const pass = decodeURIComponent(url.password)
    this.secrets = [url.password, pass].filter((secret) => secret !== '')
    this.options = smtpOptions(smtpUrl)
  }

  /** The nodemailer transport, made on first use (see the top of this file). */
  private transport(): Promise<Transporter> {
    this.transporter ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport(this.options),
    )
    return this.transporter
  }

  async send(mail: Envelope): Promise<void> {
    try {
      await (await this.transport()).sendMail({
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      })
    } catch (error) {
      throw new MailDeliveryError(this.redact(error instanceof Error ? error.message : String(error)))
    }
  }

  close(): void {
    void this.transporter?.then((transporter) => transporter.close())
  }

  private redact(message: string): string {
    return this.secrets.reduce((text, secret) => text.split(secret).join('***'), message)
  }
}
