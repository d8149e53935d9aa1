import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  EMAIL_MAX,
  EMAIL_PATTERN,
  PASSWORD_MAX,
  PASSWORD_MIN,
  textLength,
  USERNAME_PATTERN,
} from './core/domain'
import { LOG_LEVELS, type LogLevel } from './core/log'

/** The service's configuration, read from the environment once at start. */
export interface Config {
  env: 'development' | 'production' | 'test'
  port: number
  host: string
  /** Unset: the embedded SQLite store in `dataDir`. */
  mongodbUri: string | undefined
  mongodbDb: string
  /** Milliseconds: the longest a store call waits on MongoDB before it fails as unavailable (503). */
  mongodbTimeoutMs: number
  dataDir: string
  /** The externally visible base URL, without a trailing slash: the issuer (`iss`) of every token. */
  publicUrl: string
  jwtAudience: string
  /** Encrypts the private signing keys kept in the store (at least 32 bytes). */
  keyEncryptionSecret: string
  /** Seconds between automatic signing-key rotations. */
  keyRotationInterval: number
  /**
   * Seconds a new signing key is published in the JWKS before it signs; the JWKS `max-age` too, so
   * that every cached copy has the key before a token signed with it can arrive.
   */
  keyActivationDelay: number
  /** Seconds. */
  accessTokenTtl: number
  /** Seconds. */
  refreshTokenTtl: number
  /** Seconds a sign-in (SSO) session of the sign-in page lasts, from the sign-in. */
  sessionTtl: number
  /** Bytes. */
  bodyLimit: number
  /** Seconds a connection may stay silent or a request go unanswered (Bun's `idleTimeout`). */
  idleTimeout: number
  /** `['*']` allows any origin; `[]` turns CORS off. */
  corsOrigins: string[]
  loginMaxFailures: number
  /** Seconds. */
  loginWindow: number
  /** Failed registrations (taken username or email) allowed per client address within `loginWindow`. */
  registerMaxFailures: number
  /** The OAuth2 password grant (legacy, RFC 9700 section 2.4) is on: `/auth/login` and `grant_type=password`. */
  passwordGrant: boolean
  /** Take the client address from `X-Forwarded-For` (only behind a proxy that sets it). */
  trustProxy: boolean
  /** Only users who verified their email address may sign in (password grant, sign-in page). */
  requireVerifiedEmail: boolean
  /** Seconds an email verification link stays valid. */
  verifyTokenTtl: number
  /** Seconds a password reset link stays valid. */
  resetTokenTtl: number
  admin: { username: string; email: string; password: string } | undefined
  logLevel: LogLevel
  /** `smtp://` or `smtps://` with any credentials; unset: mails are written to the log, not sent. */
  smtpUrl: string | undefined
  /** The From of every mail, `Name <address>` or an address. */
  mailFrom: string
  /**
   * The bearer token `GET /metrics` requires when set. Unset: metrics are open in development and
   * off (404, nothing recorded) in production.
   */
  metricsToken: string | undefined
  /** OpenTelemetry traces over OTLP/HTTP, from the standard `OTEL_*` variables; unset: no tracing. */
  tracing: TracingConfig | undefined
}

export interface TracingConfig {
  /** Where spans are POSTed: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  endpoint: string
  /** `OTEL_SERVICE_NAME`, default `mercado`. */
  serviceName: string
  /** `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,key2=value2`), e.g. a receiver's API key. */
  headers: Record<string, string>
  /** `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` (the specification's default) or `http/json`. */
  protocol: 'http/protobuf' | 'http/json'
  /** `OTEL_BSP_SCHEDULE_DELAY`: milliseconds between two exports of the spans batched meanwhile. */
  scheduleDelayMs: number
}

/** A variable is missing or malformed; the message names it. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`)
    this.name = 'ConfigError'
  }
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

/** Parses `90`, `45s`, `15m`, `12h` or `30d` into seconds. */
function parseDuration(variable: string, value: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim())
  const seconds = match ? Number(match[1]) * (DURATION_UNITS[match[2] || 's'] ?? 1) : Number.NaN
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConfigError(
      variable,
      `expected a positive duration such as 90s, 15m, 12h or 30d, got "${value}"`,
    )
  }
  return seconds
}

/** The bounds of `MONGODB_TIMEOUT`: below 100 ms a busy server fails for nothing; past a minute clients give up first. */
const TIMEOUT_MIN_MS = 100
const TIMEOUT_MAX_MS = 60_000

/** Parses `5s`, `2500ms`, `1m` or `5` (seconds, like the other durations) into milliseconds. */
function parseTimeout(variable: string, value: string): number {
  const match = /^(\d+)\s*(ms|s|m)?$/.exec(value.trim())
  const unit = match?.[2] === 'ms' ? 1 : match?.[2] === 'm' ? 60_000 : 1000
  const ms = match ? Number(match[1]) * unit : Number.NaN
  if (!Number.isSafeInteger(ms) || ms < TIMEOUT_MIN_MS || ms > TIMEOUT_MAX_MS) {
    throw new ConfigError(variable, `expected a time from 100ms to 60s such as 2500ms or 5s, got "${value}"`)
  }
  return ms
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2 }

/** Parses `1048576`, `512kb` or `1mb` (binary units) into bytes. */
function parseSize(variable: string, value: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value.trim())
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? 'x']
  const bytes = match && unit ? Number(match[1]) * unit : Number.NaN
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new ConfigError(variable, `expected a size in bytes such as 1048576, 512kb or 1mb, got "${value}"`)
  }
  return bytes
}

function integer(variable: string, value: string, min: number, max: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new ConfigError(variable, `expected an integer from ${min} to ${max}, got "${value}"`)
  }
  return n
}

function boolean(variable: string, value: string): boolean {
  const v = value.trim().toLowerCase()
  if (['1', 'true', 'yes'].includes(v)) return true
  if (['0', 'false', 'no', ''].includes(v)) return false
  throw new ConfigError(variable, `expected true or false, got "${value}"`)
}

const MIN_SECRET_BYTES = 32

/**
 * A secret from `variable`, or in development one generated once and kept in `DATA_DIR/<file>`, so
 * that it survives `bun dev` restarts. Production refuses to start without a real one.
 */
function secret(
  variable: string,
  file: string,
  env: Config['env'],
  value: string | undefined,
  dataDir: string,
): string {
  if (value !== undefined && value !== '') {
    if (Buffer.byteLength(value) < MIN_SECRET_BYTES) {
      throw new ConfigError(variable, `must be at least ${MIN_SECRET_BYTES} bytes long`)
    }
    return value
  }
  if (env === 'production') throw new ConfigError(variable, 'is required when NODE_ENV=production')
  const path = join(dataDir, file)
  if (existsSync(path)) return secretFile(variable, path)
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    chmodSync(dataDir, 0o700) // mkdir's mode is masked by the umask
  }
  const generated = randomBytes(48).toString('base64url')
  // 'wx': never through a file that appeared meanwhile; the mode applies to the file created.
  writeFileSync(path, `${generated}\n`, { mode: 0o600, flag: 'wx' })
  return generated
}

/**
 * A secret kept in `DATA_DIR` is held to the rules of its variable, and must be private: mode bits
 * (not access: root reads anything) that let the group or others read it stop the start.
 */
function secretFile(variable: string, file: string): string {
  const mode = statSync(file).mode & 0o777
  if (mode & 0o077) {
    throw new ConfigError(
      variable,
      `${file} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it`,
    )
  }
  const value = readFileSync(file, 'utf8').trim()
  if (Buffer.byteLength(value) < MIN_SECRET_BYTES) {
    throw new ConfigError(
      variable,
      `${file} holds ${Buffer.byteLength(value)} bytes, at least ${MIN_SECRET_BYTES} are needed; delete it to have a new one generated`,
    )
  }
  return value
}

/**
 * `PUBLIC_URL`: an absolute http(s) URL without credentials, query or fragment; a trailing slash is
 * dropped, so that `${publicUrl}/.well-known/jwks.json` is right whether or not it has a path.
 */
function publicUrl(value: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    value.includes('?') ||
    value.includes('#')
  ) {
    throw new ConfigError(
      'PUBLIC_URL',
      `expected an absolute http or https URL without query or fragment, such as https://shop.example.com, got "${value}"`,
    )
  }
  return url.href.replace(/\/+$/, '')
}

/**
 * Variables of earlier versions whose meaning is gone: a start that still sets one is refused, so
 * that nobody believes they still do something (docs/api.md, Configuration).
 */
const RETIRED: Record<string, string> = {
  JWT_SECRET:
    'is retired: tokens are signed with asymmetric keys kept in the store, encrypted with KEY_ENCRYPTION_SECRET; remove it',
  JWT_ISSUER: 'is retired: the issuer of every token is PUBLIC_URL; remove it',
}

/** `CORS_ORIGINS`: `*`, or exact origins such as `https://app.example.com` (a trailing / is dropped). */
function corsOrigins(value: string): string[] {
  const entries = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  if (entries.includes('*')) return ['*']
  return entries.map((entry) => {
    let url: URL | undefined
    try {
      url = new URL(entry)
    } catch {}
    if (!url || url.origin === 'null' || url.pathname !== '/' || url.search || url.hash) {
      throw new ConfigError('CORS_ORIGINS', `"${entry}" is not an origin such as https://app.example.com`)
    }
    return url.origin
  })
}

function admin(env: Record<string, string | undefined>): Config['admin'] {
  const username = env.ADMIN_USERNAME
  const email = env.ADMIN_EMAIL
  const password = env.ADMIN_PASSWORD
  if (!username && !email && !password) return undefined
  for (const [name, value] of [
    ['ADMIN_USERNAME', username],
    ['ADMIN_EMAIL', email],
    ['ADMIN_PASSWORD', password],
  ] as const) {
    if (!value)
      throw new ConfigError(
        name,
        'is required when any of ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_PASSWORD is set',
      )
  }
  // Held to the rules of registration, so that the first admin is an account like any other.
  if (!new RegExp(USERNAME_PATTERN).test(username as string)) {
    throw new ConfigError('ADMIN_USERNAME', 'must be 3 to 32 of a-z A-Z 0-9 _ . -')
  }
  if ((email as string).length > EMAIL_MAX || !new RegExp(EMAIL_PATTERN).test(email as string)) {
    throw new ConfigError('ADMIN_EMAIL', 'must be a valid email address')
  }
  const passwordLength = textLength(password as string)
  if (passwordLength < PASSWORD_MIN || passwordLength > PASSWORD_MAX) {
    throw new ConfigError('ADMIN_PASSWORD', `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`)
  }
  return { username: username as string, email: email as string, password: password as string }
}

/** `IDLE_TIMEOUT`: a duration of at most 255 s, the most Bun takes. */
function idleTimeout(value: string): number {
  const seconds = parseDuration('IDLE_TIMEOUT', value)
  if (seconds > 255) throw new ConfigError('IDLE_TIMEOUT', `must be at most 255 seconds, got "${value}"`)
  return seconds
}

/** `SMTP_URL`: an `smtp://` or `smtps://` URL with a host; its credentials are never repeated in a message. */
function smtpUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname || url.hash) {
    throw new ConfigError(
      'SMTP_URL',
      'expected smtp://[user:password@]host[:port] or smtps://..., such as smtps://mailer:secret@smtp.example.com:465',
    )
  }
  return value
}

const MAIL_FROM = /^(?:([^<>\r\n]*)<([^<>\s]+)>|([^<>\s]+))$/

/**
 * `MAIL_FROM`: `Name <address>` or a bare address (no line breaks: it becomes a header); by default
 * `Mercado <no-reply@host>` with the host of `PUBLIC_URL`.
 */
function mailFrom(value: string | undefined, publicUrl: string): string {
  if (value === undefined || value.trim() === '') return `Mercado <no-reply@${new URL(publicUrl).hostname}>`
  const match = MAIL_FROM.exec(value.trim())
  const address = match?.[2] ?? match?.[3] ?? ''
  if (!match || address.length > EMAIL_MAX || !new RegExp(EMAIL_PATTERN).test(address)) {
    throw new ConfigError('MAIL_FROM', `expected "Name <address>" or an address, got "${value}"`)
  }
  return value.trim()
}

/** Reads and validates the environment; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const nodeEnv = env.NODE_ENV || 'development'
  if (nodeEnv !== 'development' && nodeEnv !== 'production' && nodeEnv !== 'test') {
    throw new ConfigError('NODE_ENV', `expected development, production or test, got "${nodeEnv}"`)
  }
  const production = nodeEnv === 'production'
  const dataDir = env.DATA_DIR || './data'
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`)
  }
  const mongodbUri = env.MONGODB_URI || undefined
  if (mongodbUri && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    throw new ConfigError('MONGODB_URI', 'must start with mongodb:// or mongodb+srv://')
  }
  for (const [variable, reason] of Object.entries(RETIRED)) {
    if (env[variable] !== undefined && env[variable] !== '') throw new ConfigError(variable, reason)
  }
  const corsDefault = production ? '' : '*'
  const port = integer('PORT', env.PORT || '3000', 0, 65535)
  const keyRotationInterval = parseDuration('KEY_ROTATION_INTERVAL', env.KEY_ROTATION_INTERVAL || '30d')
  const keyActivationDelay = parseDuration('KEY_ACTIVATION_DELAY', env.KEY_ACTIVATION_DELAY || '10m')
  if (keyActivationDelay >= keyRotationInterval) {
    throw new ConfigError('KEY_ACTIVATION_DELAY', 'must be shorter than KEY_ROTATION_INTERVAL')
  }
  const baseUrl = publicUrl(env.PUBLIC_URL || `http://localhost:${port}`)
  return {
    env: nodeEnv,
    port,
    host: env.HOST || '0.0.0.0',
    mongodbUri,
    mongodbDb: env.MONGODB_DB || 'mercado',
    mongodbTimeoutMs: parseTimeout('MONGODB_TIMEOUT', env.MONGODB_TIMEOUT || '5s'),
    dataDir,
    publicUrl: baseUrl,
    jwtAudience: env.JWT_AUDIENCE || 'mercado',
    keyEncryptionSecret: secret(
      'KEY_ENCRYPTION_SECRET',
      'key-encryption-secret',
      nodeEnv,
      env.KEY_ENCRYPTION_SECRET,
      dataDir,
    ),
    keyRotationInterval,
    keyActivationDelay,
    accessTokenTtl: parseDuration('ACCESS_TOKEN_TTL', env.ACCESS_TOKEN_TTL || '15m'),
    refreshTokenTtl: parseDuration('REFRESH_TOKEN_TTL', env.REFRESH_TOKEN_TTL || '30d'),
    sessionTtl: parseDuration('SESSION_TTL', env.SESSION_TTL || '12h'),
    bodyLimit: parseSize('BODY_LIMIT', env.BODY_LIMIT || '1mb'),
    idleTimeout: idleTimeout(env.IDLE_TIMEOUT || '30s'),
    corsOrigins: corsOrigins(env.CORS_ORIGINS ?? corsDefault),
    loginMaxFailures: integer('LOGIN_MAX_FAILURES', env.LOGIN_MAX_FAILURES || '5', 1, 1000),
    loginWindow: parseDuration('LOGIN_WINDOW', env.LOGIN_WINDOW || '15m'),
    registerMaxFailures: integer('REGISTER_MAX_FAILURES', env.REGISTER_MAX_FAILURES || '10', 1, 10000),
    passwordGrant: boolean('PASSWORD_GRANT', env.PASSWORD_GRANT ?? 'true'),
    trustProxy: boolean('TRUST_PROXY', env.TRUST_PROXY || 'false'),
    requireVerifiedEmail: boolean('REQUIRE_VERIFIED_EMAIL', env.REQUIRE_VERIFIED_EMAIL || 'false'),
    verifyTokenTtl: parseDuration('VERIFY_TOKEN_TTL', env.VERIFY_TOKEN_TTL || '24h'),
    resetTokenTtl: parseDuration('RESET_TOKEN_TTL', env.RESET_TOKEN_TTL || '30m'),
    admin: admin(env),
    logLevel,
    smtpUrl: smtpUrl(env.SMTP_URL),
    mailFrom: mailFrom(env.MAIL_FROM, baseUrl),
    metricsToken: metricsToken(env.METRICS_TOKEN),
    tracing: tracing(env),
  }
}

/**
 * The OpenTelemetry variables Mercado reads (the specification's names): tracing is on when an
 * OTLP endpoint is set, unless `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
 */
function tracing(env: Record<string, string | undefined>): TracingConfig | undefined {
  const exporter = (env.OTEL_TRACES_EXPORTER || 'otlp').trim().toLowerCase()
  if (exporter !== 'otlp' && exporter !== 'none') {
    throw new ConfigError('OTEL_TRACES_EXPORTER', `expected otlp or none, got "${env.OTEL_TRACES_EXPORTER}"`)
  }
  const protocol =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf'
  if (protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new ConfigError(
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      `only OTLP over HTTP is supported, got "${protocol}"`,
    )
  }
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT
  const variable = signal ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT'
  const endpoint = signal || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined)
  if (!endpoint || exporter === 'none' || /^true$/i.test(env.OTEL_SDK_DISABLED ?? '')) return undefined
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new ConfigError(variable, 'must be an http:// or https:// URL')
  }
  const headers: Record<string, string> = {}
  for (const pair of (env.OTEL_EXPORTER_OTLP_TRACES_HEADERS || env.OTEL_EXPORTER_OTLP_HEADERS || '').split(
    ',',
  )) {
    if (!pair.trim()) continue
    const cut = pair.indexOf('=')
    if (cut <= 0)
      throw new ConfigError('OTEL_EXPORTER_OTLP_HEADERS', 'expected key=value pairs separated by commas')
    headers[decodeURIComponent(pair.slice(0, cut).trim())] = decodeURIComponent(pair.slice(cut + 1).trim())
  }
  const scheduleDelayMs = integer(
    'OTEL_BSP_SCHEDULE_DELAY',
    env.OTEL_BSP_SCHEDULE_DELAY || '5000',
    1,
    600_000,
  )
  return { endpoint, serviceName: env.OTEL_SERVICE_NAME || 'mercado', headers, protocol, scheduleDelayMs }
}

/** A bearer token (RFC 6750 `b64token` characters), long enough not to be guessed. */
function metricsToken(value: string | undefined): string | undefined {
  if (!value) return undefined
  if (!/^[\w.~+/-]{16,256}=*$/.test(value)) {
    throw new ConfigError('METRICS_TOKEN', 'must be 16 to 256 characters of letters, digits and - . _ ~ + /')
  }
  return value
}
