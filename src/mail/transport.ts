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

/**
 * Writes each mail (recipient, subject, the plain-text body with its links) to the log at info,
 * instead of sending it: the service runs with no SMTP server (`SMTP_URL` unset), and whoever
 * reads the log can still follow a verification or reset link.
 */
export class LogTransport implements MailTransport {
  constructor(private readonly logger: Logger) {}

  async send(mail: Envelope): Promise<void> {
    this.logger.info('mail not sent, written here: SMTP_URL is unset', {
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
    })
  }

  close(): void {}
}
