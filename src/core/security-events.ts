import type { Logger } from './log'

/** What happened (docs/api.md, Operation: Security events). */
export type SecurityEventName =
  | 'login_failed'
  | 'login_throttled'
  | 'registration_throttled'
  | 'refresh_reused'
  | 'code_reused'
  | 'consent_revoked'
  | 'password_change_failed'
  | 'password_change_throttled'
  | 'password_changed'
  | 'password_reset_requested'
  | 'password_reset_throttled'
  | 'password_reset_completed'
  | 'password_reset_refused'
  | 'email_changed'
  | 'email_verified'
  | 'verification_refused'
  | 'role_changed'
  | 'account_disabled'
  | 'account_enabled'
  | 'account_deleted'
  | 'client_registered'
  | 'client_updated'
  | 'client_secret_rotated'
  | 'client_deleted'

/** Attacks and refusals are `warn`; changes that succeeded are `info`. */
const WARNINGS: ReadonlySet<SecurityEventName> = new Set([
  'login_failed',
  'login_throttled',
  'registration_throttled',
  'refresh_reused',
  'code_reused',
  'password_change_failed',
  'password_change_throttled',
  'password_reset_throttled',
  'password_reset_refused',
  'verification_refused',
])

/** Where a request came from, as the routes hand it to a service. */
export interface RequestContext {
  /** The request's `X-Request-Id`. */
  reqId?: string
  /** The client address. */
  address?: string
  /** The id of the account that made the request, when one is logged in. */
  actorId?: string
}

/**
 * One security event. Never put a password, a token or a hash in it: every field is written to
 * the log as it is.
 */
export interface SecurityEvent extends RequestContext {
  event: SecurityEventName
  /** The account the event is about. */
  accountId?: string
  /** How it ended, such as `wrong_password`, `refused` or `success`. */
  outcome: string
  /** The new role, for `role_changed`. */
  role?: string
  /** The OAuth client the event is about, for `client_*` events. */
  clientId?: string
}

/**
 * What observers (metrics) hear: every recorded event, and what succeeded without being logged:
 * sign-ins, and token responses by grant type.
 */
export type ObservedEvent =
  | SecurityEvent
  | { event: 'login_succeeded'; outcome: 'success' }
  | { event: 'tokens_issued'; outcome: 'success'; grantType: string }

/** Writes security events as log lines with `msg: "security"`, for an operator to alert on. */
export class SecurityEvents {
  /** Records nothing (for services built without a logger). */
  static readonly none = new SecurityEvents(null)

  private readonly observers = new Set<(event: ObservedEvent) => void>()

  constructor(private readonly logger: Logger | null) {}

  /** Also hands every event to `observer` (the metrics); the same observer twice counts once. */
  observe(observer: (event: ObservedEvent) => void): void {
    if (this !== SecurityEvents.none) this.observers.add(observer)
  }

  record(event: SecurityEvent): void {
    this.logger?.line(WARNINGS.has(event.event) ? 'warn' : 'info', { msg: 'security', ...event })
    for (const observer of this.observers) observer(event)
  }

  /** A password check that passed: observers count it; no log line, a success is nothing to alert on. */
  loginSucceeded(): void {
    for (const observer of this.observers) observer({ event: 'login_succeeded', outcome: 'success' })
  }

  /** A token response for `grantType`: observers count it; no log line. */
  tokensIssued(grantType: string): void {
    for (const observer of this.observers) observer({ event: 'tokens_issued', outcome: 'success', grantType })
  }

  /**
   * Runs `start` (a throttle's `begin`) and records `event` when it refuses with 429, before
   * passing the refusal on.
   */
  async throttled<T>(start: () => Promise<T>, event: Omit<SecurityEvent, 'outcome'>): Promise<T> {
    try {
      return await start()
    } catch (error) {
      if ((error as { status?: unknown } | null)?.status === 429)
        this.record({ ...event, outcome: 'refused' })
      throw error
    }
  }
}
