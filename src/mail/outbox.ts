/**
 * The outbox and its delivery loop. A mail is stored first (`send`), so that nothing a request
 * accepted is lost to a crash or an SMTP outage, and delivered by whichever instance claims it:
 * each claim holds the mail for `claimMs`, so two instances never send it at once, and a claim left
 * by a process that died lapses and is taken again. Delivery is at least once: a send that the
 * server took but whose `markSent` failed is sent again later.
 */
import type { Logger } from '../core/log.ts'
import type { OutboxMailRecord, OutboxRepository } from '../store/types.ts'
import type { MailSender, OutgoingMail } from './index.ts'
import type { MailTransport } from './transport.ts'

/** Waits before the 1st, 2nd, ... retry; the last one repeats for good. */
export const RETRY_DELAYS_MS: readonly number[] = [10_000, 30_000, 120_000, 600_000, 3_600_000]

export interface MailOutboxOptions {
  outbox: OutboxRepository
  transport: MailTransport
  /** The From of every mail (`MAIL_FROM`). */
  from: string
  logger: Logger
  /** How often the loop looks for due mails besides being nudged by `send`; default 5 s. */
  pollIntervalMs?: number
  /** How long a claim holds a mail: longer than one delivery can take; default 60 s. */
  claimMs?: number
  /** Waits between attempts; default `RETRY_DELAYS_MS`. */
  retryDelaysMs?: readonly number[]
  /** From this many failed attempts on, each failure is logged as an error, not a warning; default 5. */
  errorAfterAttempts?: number
  /** The clock; tests move it. */
  now?: () => Date
}

/** Stores mails in the outbox and, once started, delivers them in the background. */
export class MailOutbox implements MailSender {
  private readonly outbox: OutboxRepository
  private readonly transport: MailTransport
  private readonly from: string
  private readonly logger: Logger
  private readonly pollIntervalMs: number
  private readonly claimMs: number
  private readonly retryDelaysMs: readonly number[]
  private readonly errorAfterAttempts: number
  private readonly now: () => Date
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = true

  constructor(options: MailOutboxOptions) {
    this.outbox = options.outbox
    this.transport = options.transport
    this.from = options.from
    this.logger = options.logger
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000
    this.claimMs = options.claimMs ?? 60_000
    this.retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS
    this.errorAfterAttempts = options.errorAfterAttempts ?? 5
    this.now = options.now ?? (() => new Date())
  }

  /** Stores `mail` (bounded by the store's own deadline) and nudges the loop, without waiting for it. */
  async send(mail: OutgoingMail): Promise<void> {
    const stored = await this.outbox.enqueue(
      { to: mail.to, subject: mail.subject, text: mail.text, html: mail.html },
      this.now(),
    )
    this.logger.debug('mail queued', { mailId: stored.id, to: stored.to })
    this.nudge()
  }

  /** Starts the loop: a pass now, then every `pollIntervalMs` and whenever a mail is queued. */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.timer = setInterval(() => this.nudge(), this.pollIntervalMs)
    this.timer.unref?.()
    this.nudge()
  }

  /**
   * Stops the loop: claims no other mail, and waits for the one being sent up to `graceMs` (the
   * shutdown does not wait out an SMTP server that hangs; that mail's claim lapses and another
   * instance sends it).
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    this.timer = undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([this.running, grace])
    clearTimeout(timer)
    this.transport.close()
  }

  /** Runs a pass unless one is running, in which case that one goes round once more. */
  private nudge(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.passes().finally(() => {
      this.running = undefined
    })
  }

  private async passes(): Promise<void> {
    do {
      this.again = false
      try {
        await this.deliverDue()
      } catch (error) {
        // The store is down: the mails wait in it, and the next poll tries again.
        this.logger.warn('mail outbox unavailable', { err: error })
      }
    } while (this.again && !this.stopped)
  }

  /**
   * Claims and sends due mails one at a time until none is due (or the loop stops); the number
   * sent. Public for the tests and for a one-off run without the loop.
   */
  async deliverDue(): Promise<number> {
    let sent = 0
    while (true) {
      const now = this.now()
      const [mail] = await this.outbox.claimDue(now, new Date(now.getTime() + this.claimMs), 1)
      if (!mail) return sent
      if (await this.deliver(mail)) sent++
      if (this.stopped) return sent
    }
  }

  private async deliver(mail: OutboxMailRecord): Promise<boolean> {
    const fields = { mailId: mail.id, to: mail.to }
    try {
      await this.transport.send({ from: this.from, ...mail })
    } catch (error) {
      await this.failed(mail, error instanceof Error ? error.message : String(error))
      return false
    }
    try {
      await this.outbox.markSent(mail.id, this.now())
      this.logger.info('mail sent', fields)
    } catch (error) {
      // Sent, but still unsent in the store: it goes out again once the claim lapses.
      this.logger.warn('mail sent, but not marked sent; it may be sent twice', { ...fields, err: error })
    }
    return true
  }

  private async failed(mail: OutboxMailRecord, reason: string): Promise<void> {
    const attempts = mail.attempts + 1
    const delay = this.retryDelaysMs[Math.min(attempts, this.retryDelaysMs.length) - 1] ?? 60_000
    const nextAttemptAt = new Date(this.now().getTime() + delay)
    const fields = {
      mailId: mail.id,
      to: mail.to,
      attempts,
      error: reason,
      nextAttemptAt: nextAttemptAt.toISOString(),
    }
    if (attempts >= this.errorAfterAttempts) this.logger.error('mail delivery keeps failing', fields)
    else this.logger.warn('mail delivery failed; will retry', fields)
    // Released at once for the retry; should this write fail, the claim lapses and it is retried then.
    await this.outbox.markFailed(mail.id, reason, nextAttemptAt).catch((error: unknown) => {
      this.logger.warn('mail failure not recorded', { mailId: mail.id, err: error })
    })
  }
}
