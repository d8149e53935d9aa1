/** Where a mail goes once claimed from the outbox: an SMTP server, or the log in development. */
import type { Logger } from '../core/log.ts'
import type { OutgoingMail } from './index.ts'

/** A mail ready to go out: the outbox's mail and the service's From. */
export interface Envelope extends OutgoingMail {
  from: string
}

export interface MailTransport {
  /** Hands `mail` over; resolves once the server accepted it, rejects with a credential-free error. */
  send(mail: Envelope): Promise<void>
  /** Ends any open connection. */
  close(): void
}

/** Said once at start-up when `SMTP_URL` is unset, in production or not (`index.ts`). */
export const logTransportWarning = (production: boolean) =>
  production
    ? 'SMTP_URL is unset: mails are not sent; only their recipient and subject are logged, never their text or links'
    : 'SMTP_URL is unset: mails are written to this log, links included, not sent'

/**
 * Used when `SMTP_URL` is unset, instead of sending. In development (and tests) it writes each mail
 * (recipient, subject, the plain-text body with its links) to the log at info, so that whoever runs
 * the service can follow a verification or reset link. In production it writes the recipient and
 * subject only, at warn, saying that the mail was not sent: a live reset link in a log is a way
 * into the account for anyone who reads the log.
 */
export class LogTransport implements MailTransport {
  private readonly production: boolean

  constructor(
    private readonly logger: Logger,
    options: { production?: boolean } = {},
  ) {
    this.production = options.production ?? false
  }

  async send(mail: Envelope): Promise<void> {
    if (this.production) {
      this.logger.warn('mail not sent: SMTP_URL is unset', { to: mail.to, subject: mail.subject })
      return
    }
    this.logger.info('mail not sent, written here: SMTP_URL is unset', {
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
    })
  }

  close(): void {}
}
