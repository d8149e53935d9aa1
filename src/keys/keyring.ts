/**
 * The signing keys every instance shares through the store: which one signs now, which ones verify,
 * the JWKS, and rotation. Each instance keeps the imported `CryptoKey`s in memory, so verifying a
 * token whose `kid` is known reads nothing from the store and imports nothing.
 *
 * jose does every cryptographic step (generation, import, export, thumbprints); the schedule is
 * ours. No library was taken for it: node-oidc-provider and Keycloak keep their keys inside their
 * own servers and configuration, and jose's `createRemoteJWKSet` is the client side of a JWKS,
 * not a key store shared by several instances with publish-before-use.
 */
import type { JWK } from 'jose'
import { createLogger, type Logger } from '../core/log'
import { StoreUnavailableError } from '../store/errors'
import type { SigningKeyRecord, SigningKeyRepository } from '../store/types'
import type { KeyCipher } from './cipher'
import { newKeyRecord, privateKeyOf, publicKeyOf } from './material'

export { SIGNING_ALG } from './material'

/** An RFC 7638 thumbprint: 43 base64url characters. A `kid` of any other shape is not ours. */
const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/

/** The longest an instance waits between two reloads of the key set. */
const MAX_RELOAD_INTERVAL_MS = 60_000
/**
 * The least time between two reloads for a token naming an unknown `kid`, whoever sends it: garbage
 * cannot hammer the store. A real new key is known from the periodic reload before it signs anyway.
 */
const UNKNOWN_KID_RELOAD_MS = 5_000
/** Seconds a token's `iat` may lie ahead (tokens.ts), kept as extra publication after a key's last token. */
const CLOCK_SKEW = 60

export interface KeyRingOptions {
  /** Seconds a new key is published before it signs. */
  activationDelay: number
  /** Seconds between automatic rotations. */
  rotationInterval: number
  /** Seconds the longest token signed with a key lives: a retired key stays published that long. */
  maxTokenTtl: number
  logger?: Logger
  /** The clock, in milliseconds; tests move it. */
  now?: () => number
}

/** A key as this instance holds it. */
interface HeldKey {
  record: SigningKeyRecord
  publicKey: CryptoKey
  /** Decrypted once, when the key may still sign. */
  privateKey?: Promise<CryptoKey>
  /** The JWKS entry. */
  jwk: JWK
}

/** The key that signs now. */
export interface SigningKey {
  kid: string
  alg: string
  privateKey: CryptoKey
}

/** What a rotation made (or found made by another instance at the same moment). */
export interface Rotation {
  kid: string
  alg: string
  activatesAt: Date
}

export class KeyRing {
  /** Published keys by kid; replaced as a whole on each reload. */
  #keys = new Map<string, HeldKey>()
  /** The same keys, oldest activation first. */
  #ordered: HeldKey[] = []
  #jwks: { keys: JWK[] } = { keys: [] }
  #ready: Promise<void> | undefined
  #reloading: Promise<void> | undefined
  #queued: Promise<void> | undefined
  #lastUnknownReload = Number.NEGATIVE_INFINITY
  #timer: ReturnType<typeof setInterval> | undefined
  readonly #now: () => number
  readonly #logger: Logger

  constructor(
    private readonly store: SigningKeyRepository,
    private readonly cipher: KeyCipher,
    private readonly options: KeyRingOptions,
  ) {
    this.#now = options.now ?? Date.now
    this.#logger = options.logger ?? createLogger('silent')
  }

  /**
   * Every instance reloads at least twice within the activation delay, so that it knows a new key
   * before the key signs, and at most every 60 s.
   */
  get reloadIntervalMs(): number {
    return Math.min(MAX_RELOAD_INTERVAL_MS, (this.options.activationDelay * 1000) / 2)
  }

  /** Seconds the JWKS may be cached: no longer than a new key is published before it signs. */
  get jwksMaxAge(): number {
    return this.options.activationDelay
  }

  /**
   * Loads the keys (creating the first one, or rotating when due), then reloads them on a timer.
   * Rejects when a key cannot be decrypted (a wrong `KEY_ENCRYPTION_SECRET`), so that boot stops
   * there. A store that cannot answer now does not stop it: the service starts unready, as it does
   * for any outage, and the keys load on the next tick or the first request that needs them.
   */
  async start(): Promise<void> {
    try {
      await this.ready()
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      this.#logger.warn('the signing keys cannot be loaded yet; retrying', { err: error })
    }
    this.#timer ??= setInterval(() => void this.#tick(), this.reloadIntervalMs)
    this.#timer.unref?.()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** The first load, once: used by every call before `start` has run (tests build apps without it). */
  ready(): Promise<void> {
    this.#ready ??= this.#maintain().catch((error) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  /** The key that signs now: the newest one whose activation has come. */
  async signingKey(): Promise<SigningKey> {
    await this.ready()
    const now = this.#now()
    const held = this.#ordered.findLast((key) => key.record.activatesAt.getTime() <= now) ?? this.#ordered[0]
    if (!held) throw new Error('no signing key is loaded')
    held.privateKey ??= privateKeyOf(this.cipher, held.record)
    return { kid: held.record.kid, alg: held.record.alg, privateKey: await held.privateKey }
  }

  /**
   * The public key `kid` names. Known: the cached key itself, synchronously. Unknown: one reload
   * (at most every few seconds, whoever asks) in case another instance rotated; undefined if still unknown.
   */
  verificationKey(kid: string | undefined): CryptoKey | Promise<CryptoKey | undefined> {
    const held = kid === undefined ? undefined : this.#keys.get(kid)
    return held ? held.publicKey : this.#lookUpUnknown(kid)
  }

  /** Whether the key `kid` is held now (synchronously; no reload). */
  holds(kid: string): boolean {
    return this.#keys.has(kid)
  }

  /** The JWK Set: every published key's public half. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.ready()
    return this.#jwks
  }

  /**
   * Makes a new key that activates after the delay and succeeds the newest one. Two instances
   * rotating at once make one key: the second finds the slot taken and reports the first's key.
   */
  async rotate(): Promise<Rotation> {
    await this.reload()
    const newest = this.#ordered.at(-1)
    const activatesAt = new Date(this.#now() + this.options.activationDelay * 1000)
    const made = await this.#create(newest ? `after:${newest.record.kid}` : 'initial', activatesAt)
    await this.reload()
    const key = made ?? this.#ordered.at(-1)?.record
    if (!key) throw new Error('no signing key after a rotation')
    return { kid: key.kid, alg: key.alg, activatesAt: key.activatesAt }
  }

  /**
   * Reads the key set again. A read under way may have begun before the caller's own write (a new
   * key), so a caller arriving meanwhile gets one more read after it, shared by all who arrive.
   */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#queued ??= this.#reloading
        .catch(() => {})
        .then(() => {
          this.#queued = undefined
          return this.reload()
        })
      return this.#queued
    }
    this.#reloading = this.#load().finally(() => {
      this.#reloading = undefined
    })
    return this.#reloading
  }

  async #lookUpUnknown(kid: string | undefined): Promise<CryptoKey | undefined> {
    await this.ready()
    const known = kid === undefined ? undefined : this.#keys.get(kid)
    if (known) return known.publicKey
    if (kid === undefined || !KID_PATTERN.test(kid)) return undefined
    if (this.#now() - this.#lastUnknownReload < UNKNOWN_KID_RELOAD_MS) return undefined
    this.#lastUnknownReload = this.#now()
    await this.reload()
    return this.#keys.get(kid)?.publicKey
  }

  /**
   * Load; make the first key, or the next one when a rotation is due; delete expired keys. Once keys
   * are loaded, a store that cannot take the writes (read-only, down) leaves them serving.
   */
  async #maintain(): Promise<void> {
    await this.reload()
    const newest = this.#ordered.at(-1)
    const now = this.#now()
    if (!newest) {
      await this.#create('initial', new Date(now))
      await this.reload()
      return
    }
    try {
      const { rotationInterval, activationDelay } = this.options
      let changed = (await this.store.deleteExpired(new Date(now))) > 0
      if (newest.record.activatesAt.getTime() + (rotationInterval - activationDelay) * 1000 <= now) {
        const activatesAt = new Date(now + activationDelay * 1000)
        const made = await this.#create(`after:${newest.record.kid}`, activatesAt)
        if (made) this.#logger.info('rotated the signing key', { kid: made.kid, activatesAt })
        changed = true
      }
      if (changed) await this.reload()
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error
      this.#logger.warn('cannot rotate or clean up the signing keys now', { err: error })
    }
  }

  async #tick(): Promise<void> {
    try {
      await this.#maintain()
    } catch (error) {
      // The keys held go on serving; the next tick tries again. An unreachable store is an outage
      // the rest of the service reports too (a warning), anything else a bug.
      if (error instanceof StoreUnavailableError)
        this.#logger.warn('cannot reload the signing keys now', { err: error })
      else this.#logger.error('cannot reload the signing keys', { err: error })
    }
  }

  async #load(): Promise<void> {
    const now = this.#now()
    const records = await this.store.list()
    const ordered: HeldKey[] = []
    for (const record of records) {
      if (record.expiresAt && record.expiresAt.getTime() <= now) continue
      const known = this.#keys.get(record.kid)
      ordered.push(known ? { ...known, record } : await this.#hold(record, now))
    }
    this.#ordered = ordered
    this.#keys = new Map(ordered.map((key) => [key.record.kid, key]))
    this.#jwks = { keys: ordered.map((key) => key.jwk) }
  }

  /** Imports a stored key; its private half too (failing on a wrong secret) while it may still sign. */
  async #hold(record: SigningKeyRecord, now: number): Promise<HeldKey> {
    const held: HeldKey = { record, ...(await publicKeyOf(record)) }
    if (record.retiresAt === null || record.retiresAt.getTime() > now) {
      held.privateKey = privateKeyOf(this.cipher, record)
      await held.privateKey
    }
    return held
  }

  /** Generates and stores a key for `slot`; null when another instance took the slot first. */
  async #create(slot: string, activatesAt: Date): Promise<SigningKeyRecord | null> {
    const record = await newKeyRecord(this.cipher, { slot, createdAt: new Date(this.#now()), activatesAt })
    if (!(await this.store.insert(record))) return null
    // The keys before it sign until it activates; their last tokens live `maxTokenTtl` more, plus
    // the skew and an instance's reload interval, in case one signed with them a little longer.
    // Not one write with the insert: should this one fail, signing goes by activation all the same
    // (`signingKey`), and the next rotation retires the keys this one missed.
    const keep = this.options.maxTokenTtl * 1000 + CLOCK_SKEW * 1000 + this.reloadIntervalMs
    await this.store.retireBefore(record.kid, activatesAt, new Date(activatesAt.getTime() + keep))
    return record
  }
}
