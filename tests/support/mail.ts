/** A `MailSender` that keeps what it is given, for tests to read the links in the mails. */
import type { MailSender, OutgoingMail } from '../../src/mail'

export class FakeMailSender implements MailSender {
  readonly sent: OutgoingMail[] = []

  async send(mail: OutgoingMail): Promise<void> {
    this.sent.push(structuredClone(mail))
  }

  /** The mails to `address` (ignoring case), oldest first. */
  to(address: string): OutgoingMail[] {
    return this.sent.filter((mail) => mail.to.toLowerCase() === address.toLowerCase())
  }

  /** The last mail to `address`; throws when there is none. */
  last(address: string): OutgoingMail {
    const mail = this.to(address).at(-1)
    if (!mail) throw new Error(`no mail to ${address}`)
    return mail
  }
}

/** The token of the first link to `path` in a mail's text, checking the HTML carries the same link. */
export function tokenIn(mail: OutgoingMail, path: string): string {
  const match = new RegExp(`https?://[^\\s"]+${path}\\?token=([A-Za-z0-9_-]+)`).exec(mail.text)
  if (!match?.[1]) throw new Error(`no ${path} link in the mail "${mail.subject}"`)
  if (!mail.html.includes(`${path}?token=${match[1]}`)) throw new Error('the HTML body lacks the link')
  return match[1]
}
