/**
 * Mail (issue #13): what the account flows hand over to be sent. The flows never talk SMTP: they
 * give a `MailSender` a finished mail and go on; the sender stores it in the outbox and delivers it
 * from there (docs/api.md, Mail).
 */

/** A mail as the flows write it: one recipient, a plain-text and an HTML body. */
export interface OutgoingMail {
  to: string
  subject: string
  text: string
  html: string
}

export interface MailSender {
  /**
   * Takes `mail` for delivery: it is stored before this resolves (nothing accepted is lost), and
   * sent soon after, in the background, with retries. Never waits for the SMTP server.
   */
  send(mail: OutgoingMail): Promise<void>
}

export { MailOutbox, type MailOutboxOptions, RETRY_DELAYS_MS } from './outbox.ts'
export { MailDeliveryError, SmtpTransport, smtpOptions } from './smtp.ts'
export { type Envelope, LogTransport, logTransportWarning, type MailTransport } from './transport.ts'
