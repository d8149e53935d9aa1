/** Sign-in (SSO) sessions: started by the sign-in page, read by whatever needs "who is this browser". */
import type {
  SignInSessionRecord,
  SignInSessionRepository,
  UserRecord,
  UserRepository,
} from '../../store/types'
import { clearCookie, randomToken, setCookie, tokenCookie } from './cookies'

/** The session cookie's name; its value is a random 256-bit token, stored only as its SHA-256. */
export const SESSION_COOKIE = 'mercado_session'

/** A live session and its user, enabled and with the sessions it had at sign-in. */
export interface SignedIn {
  session: SignInSessionRecord
  user: UserRecord
}

export const hashSessionToken = (token: string) => new Bun.CryptoHasher('sha256').update(token).digest('hex')

export interface SignInSessionsOptions {
  /** `SESSION_TTL`, seconds. */
  ttl: number
  /**
   * Mark the cookie `Secure`: the service is reached over https. Today `createApp` passes
   * `NODE_ENV=production`; once the configuration knows the public URL, pass whether it is https.
   */
  cookieSecure: boolean
}

export class SignInSessions {
  constructor(
    private readonly sessions: SignInSessionRepository,
    private readonly users: UserRepository,
    readonly options: SignInSessionsOptions,
  ) {}

  /**
   * Starts a session for `user`, whose password was checked at `authTime`: the new cookie's
   * `Set-Cookie` value, and the record.
   */
  async start(user: UserRecord, authTime: Date): Promise<{ cookie: string; session: SignInSessionRecord }> {
    const token = randomToken()
    const session = await this.sessions.create({
      tokenHash: hashSessionToken(token),
      userId: user.id,
      userSessionVersion: user.sessionVersion,
      authTime,
      expiresAt: new Date(authTime.getTime() + this.options.ttl * 1000),
    })
    const cookie = setCookie(SESSION_COOKIE, token, {
      sameSite: 'Lax',
      secure: this.options.cookieSecure,
      maxAge: this.options.ttl,
    })
    return { cookie, session }
  }

  /**
   * The sign-in session of the browser that sent `request`, or null: no cookie, an unknown, ended
   * or expired session, or a user who is gone, disabled or whose sessions were all ended since
   * (a new password, `POST /auth/logout-all`: `sessionVersion` moved on).
   */
  async signInSessionOf(request: Request): Promise<SignedIn | null> {
    const token = tokenCookie(request, SESSION_COOKIE)
    if (!token) return null
    const session = await this.sessions.findLiveByTokenHash(hashSessionToken(token), new Date())
    if (!session) return null
    const user = await this.users.findById(session.userId)
    if (!user || user.disabled || user.sessionVersion !== session.userSessionVersion) return null
    return { session, user }
  }

  /** Ends the session of `request`'s cookie, if any: the `Set-Cookie` value that removes the cookie. */
  async end(request: Request): Promise<string> {
    const token = tokenCookie(request, SESSION_COOKIE)
    if (token) {
      const session = await this.sessions.findLiveByTokenHash(hashSessionToken(token), new Date())
      if (session) await this.sessions.end(session.id, new Date())
    }
    return clearCookie(SESSION_COOKIE, { sameSite: 'Lax', secure: this.options.cookieSecure })
  }
}
