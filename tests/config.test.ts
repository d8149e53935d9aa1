import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../src/config'

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!'
const load = (env: Record<string, string>) => loadConfig({ KEY_ENCRYPTION_SECRET: SECRET, ...env })
/** The variable a refused configuration names. */
const refused = (env: Record<string, string>) => {
  try {
    load(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.variable
    throw error
  }
  return 'accepted'
}

describe('configuration (docs/api.md, Configuration)', () => {
  test('defaults', () => {
    const config = load({})
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      host: '0.0.0.0',
      mongodbUri: undefined,
      mongodbDb: 'mercado',
      mongodbTimeoutMs: 5000,
      dataDir: './data',
      publicUrl: 'http://localhost:3000',
      jwtAudience: 'mercado',
      accessTokenTtl: 15 * 60,
      refreshTokenTtl: 30 * 86400,
      sessionTtl: 12 * 3600,
      bodyLimit: 1024 * 1024,
      corsOrigins: ['*'],
      loginMaxFailures: 5,
      loginWindow: 15 * 60,
      keyRotationInterval: 30 * 86400,
      keyActivationDelay: 10 * 60,
      logLevel: 'info',
      admin: undefined,
      requireVerifiedEmail: false,
      verifyTokenTtl: 24 * 3600,
      resetTokenTtl: 30 * 60,
      metricsToken: undefined,
      tracing: undefined,
    })
  })

  test('durations and sizes take units', () => {
    const config = load({
      ACCESS_TOKEN_TTL: '90s',
      REFRESH_TOKEN_TTL: '12h',
      LOGIN_WINDOW: '2m',
      BODY_LIMIT: '512kb',
    })
    expect([config.accessTokenTtl, config.refreshTokenTtl, config.loginWindow, config.bodyLimit]).toEqual([
      90,
      12 * 3600,
      120,
      512 * 1024,
    ])
  })

  test('REQUIRE_VERIFIED_EMAIL is a boolean; VERIFY_TOKEN_TTL and RESET_TOKEN_TTL are durations', () => {
    const config = load({ REQUIRE_VERIFIED_EMAIL: 'yes', VERIFY_TOKEN_TTL: '2d', RESET_TOKEN_TTL: '10m' })
    expect(config).toMatchObject({
      requireVerifiedEmail: true,
      verifyTokenTtl: 2 * 86400,
      resetTokenTtl: 600,
    })
    expect(() => load({ REQUIRE_VERIFIED_EMAIL: 'maybe' })).toThrow('REQUIRE_VERIFIED_EMAIL')
    expect(() => load({ VERIFY_TOKEN_TTL: 'a day' })).toThrow('VERIFY_TOKEN_TTL')
    expect(() => load({ RESET_TOKEN_TTL: '0' })).toThrow('RESET_TOKEN_TTL')
  })

  test('SESSION_TTL is a duration', () => {
    expect(load({ SESSION_TTL: '30m' }).sessionTtl).toBe(30 * 60)
  })

  test('MONGODB_TIMEOUT takes milliseconds, seconds (the unit of a bare number) or minutes', () => {
    const timeout = (value: string) => load({ MONGODB_TIMEOUT: value }).mongodbTimeoutMs
    expect([timeout('2500ms'), timeout('3s'), timeout('3'), timeout('1m'), timeout('100ms')]).toEqual([
      2500, 3000, 3000, 60_000, 100,
    ])
  })

  test.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['REFRESH_TOKEN_TTL', '0'],
    ['SESSION_TTL', 'all day'],
    ['BODY_LIMIT', 'big'],
    ['LOGIN_MAX_FAILURES', '-1'],
    ['LOGIN_WINDOW', '15 minutes'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['MONGODB_URI', 'postgres://localhost'],
    ['MONGODB_TIMEOUT', 'soon'],
    ['MONGODB_TIMEOUT', '50ms'],
    ['MONGODB_TIMEOUT', '2m'],
    ['MONGODB_TIMEOUT', '0'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['TRUST_PROXY', 'maybe'],
    ['METRICS_TOKEN', 'short'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_TRACES_EXPORTER', 'zipkin'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['METRICS_TOKEN', 'a token with spaces in it'],
    ['KEY_ENCRYPTION_SECRET', 'short'],
    ['KEY_ROTATION_INTERVAL', 'monthly'],
    ['KEY_ACTIVATION_DELAY', '0'],
    ['PUBLIC_URL', 'shop.example.com'],
    ['PUBLIC_URL', 'ftp://shop.example.com'],
    ['PUBLIC_URL', 'https://shop.example.com/?a=1'],
    ['PUBLIC_URL', 'https://shop.example.com/#top'],
    ['PUBLIC_URL', 'https://shop.example.com/?'],
    ['PUBLIC_URL', 'https://user:pw@shop.example.com'],
  ])('a malformed %s stops the start, naming it', (variable, value) => {
    expect(refused({ [variable]: value })).toBe(variable)
  })

  test('METRICS_TOKEN is a bearer token of at least 16 characters', () => {
    expect(load({ METRICS_TOKEN: 'scrape-token-0123456789' }).metricsToken).toBe('scrape-token-0123456789')
    expect(load({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined()
  })

  test('tracing is on with an OTLP endpoint, from the standard OTEL_* variables', () => {
    expect(load({ OTEL_SERVICE_NAME: 'shop' }).tracing).toBeUndefined()
    expect(
      load({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_SERVICE_NAME: 'shop',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D,tenant=t1',
      }).tracing,
    ).toEqual({
      endpoint: 'http://collector:4318/v1/traces',
      serviceName: 'shop',
      headers: { 'x-api-key': 'abc=', tenant: 't1' },
      protocol: 'http/protobuf',
      scheduleDelayMs: 5000,
    })
    const signal = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example.com/traces' }
    expect(load(signal).tracing?.endpoint).toBe('https://otlp.example.com/traces')
    expect(load({ ...signal, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined()
    expect(load({ ...signal, OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined()
  })

  test('PUBLIC_URL defaults to localhost on PORT; a trailing slash is dropped, a path kept', () => {
    expect(load({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080')
    expect(load({ PUBLIC_URL: 'https://Shop.Example.com/' }).publicUrl).toBe('https://shop.example.com')
    expect(load({ PUBLIC_URL: 'https://example.com/mercado/' }).publicUrl).toBe('https://example.com/mercado')
  })

  test('SMTP_URL takes smtp:// or smtps:// with a host; unset, mails go to the log, also in production', () => {
    expect(load({ SMTP_URL: 'smtp://localhost:1025' }).smtpUrl).toBe('smtp://localhost:1025')
    expect(load({ SMTP_URL: 'smtps://u:p%40ss@smtp.example.com:465' }).smtpUrl).toBe(
      'smtps://u:p%40ss@smtp.example.com:465',
    )
    for (const bad of ['http://smtp.example.com', 'smtp://', 'localhost:25', 'smtp://host#x']) {
      expect(refused({ SMTP_URL: bad })).toBe('SMTP_URL')
    }
    expect(load({ NODE_ENV: 'production' }).smtpUrl).toBeUndefined()
  })

  test('MAIL_FROM is "Name <address>" or an address, by default no-reply at the host of PUBLIC_URL', () => {
    expect(load({ PUBLIC_URL: 'https://shop.example.com:8443/base' }).mailFrom).toBe(
      'Mercado <no-reply@shop.example.com>',
    )
    expect(load({ MAIL_FROM: 'Shop <shop@example.com>' }).mailFrom).toBe('Shop <shop@example.com>')
    expect(load({ MAIL_FROM: 'shop@example.com' }).mailFrom).toBe('shop@example.com')
    for (const bad of ['Shop', 'Shop <not-an-address>', 'a@example.com\r\nBcc: x@example.com', '<a@b.c> x']) {
      expect(refused({ MAIL_FROM: bad })).toBe('MAIL_FROM')
    }
  })

  test('KEY_ROTATION_INTERVAL and KEY_ACTIVATION_DELAY take durations; the delay must be the shorter', () => {
    const config = load({ KEY_ROTATION_INTERVAL: '7d', KEY_ACTIVATION_DELAY: '5m' })
    expect([config.keyRotationInterval, config.keyActivationDelay]).toEqual([7 * 86400, 300])
    expect(refused({ KEY_ROTATION_INTERVAL: '1h', KEY_ACTIVATION_DELAY: '1h' })).toBe('KEY_ACTIVATION_DELAY')
  })

  test('JWT_SECRET and JWT_ISSUER are retired: setting one stops the start, saying what replaced it', () => {
    expect(refused({ JWT_SECRET: SECRET })).toBe('JWT_SECRET')
    expect(refused({ JWT_ISSUER: 'mercado' })).toBe('JWT_ISSUER')
    expect(() => load({ JWT_ISSUER: 'mercado' })).toThrow(/PUBLIC_URL/)
    expect(() => load({ JWT_SECRET: SECRET })).toThrow(/KEY_ENCRYPTION_SECRET/)
  })

  test('production requires KEY_ENCRYPTION_SECRET and closes CORS unless told', () => {
    expect(refused({ NODE_ENV: 'production', KEY_ENCRYPTION_SECRET: '' })).toBe('KEY_ENCRYPTION_SECRET')
    expect(load({ NODE_ENV: 'production' }).corsOrigins).toEqual([])
    expect(load({ NODE_ENV: 'production', CORS_ORIGINS: 'https://shop.example.com' }).corsOrigins).toEqual([
      'https://shop.example.com',
    ])
  })

  test('development generates a key-encryption secret once and keeps it in DATA_DIR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mercado-config-'))
    try {
      const first = loadConfig({ DATA_DIR: dir }).keyEncryptionSecret
      expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32)
      expect(loadConfig({ DATA_DIR: dir }).keyEncryptionSecret).toBe(first)
      expect(readFileSync(join(dir, 'key-encryption-secret'), 'utf8').trim()).toBe(first)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  describe('the generated secret in DATA_DIR (issue #10)', () => {
    const modeOf = (path: string) => statSync(path).mode & 0o777
    let dir: string
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mercado-config-'))
    })
    afterEach(() => rmSync(dir, { recursive: true, force: true }))
    /** The ConfigError a start with `DATA_DIR/key-encryption-secret` holding `content` at `mode` throws. */
    const refusal = (content: string, mode: number) => {
      const file = join(dir, 'key-encryption-secret')
      writeFileSync(file, content)
      chmodSync(file, mode)
      try {
        loadConfig({ DATA_DIR: dir })
      } catch (error) {
        if (error instanceof ConfigError) return { variable: error.variable, message: error.message, file }
        throw error
      }
      return undefined
    }

    test('DATA_DIR is created 0700 and the secret file 0600, whatever the umask', () => {
      const old = process.umask(0o022)
      try {
        const data = join(dir, 'data')
        loadConfig({ DATA_DIR: data })
        expect(modeOf(data)).toBe(0o700)
        expect(modeOf(join(data, 'key-encryption-secret'))).toBe(0o600)
      } finally {
        process.umask(old)
      }
    })

    test.each([
      ['6 bytes', 'abcdef\n'],
      ['empty', ''],
      ['31 bytes', `${'x'.repeat(31)}\n`],
    ])(
      'a key-encryption-secret file that is too short (%s) stops the start, naming the file',
      (_, content) => {
        const refused = refusal(content, 0o600)
        expect(refused?.variable).toBe('KEY_ENCRYPTION_SECRET')
        expect(refused?.message).toContain(refused?.file)
        expect(refused?.message).toContain('32')
      },
    )

    test.each([
      ['0644', 0o644],
      ['0640', 0o640],
      ['0604', 0o604],
      ['0660', 0o660],
    ])(
      'a key-encryption-secret file open to other users (mode %s) stops the start, naming the file',
      (_, mode) => {
        const refused = refusal('s'.repeat(48), mode)
        expect(refused?.variable).toBe('KEY_ENCRYPTION_SECRET')
        expect(refused?.message).toContain(refused?.file)
        expect(refused?.message).toContain(`mode 0${mode.toString(8)}`)
      },
    )

    test('a private key-encryption-secret file of 32 bytes or more is used', () => {
      expect(refusal(`${'k'.repeat(32)}\n`, 0o600)).toBeUndefined()
      expect(refusal(`${'k'.repeat(32)}\n`, 0o400)).toBeUndefined()
      expect(loadConfig({ DATA_DIR: dir }).keyEncryptionSecret).toBe('k'.repeat(32))
    })
  })

  test('ADMIN_* come together and follow the rules of registration', () => {
    const admin = {
      ADMIN_USERNAME: 'root_admin',
      ADMIN_EMAIL: 'root@example.com',
      ADMIN_PASSWORD: 'long-enough-pw',
    }
    expect(load(admin).admin).toEqual({
      username: 'root_admin',
      email: 'root@example.com',
      password: 'long-enough-pw',
    })
    expect(refused({ ADMIN_USERNAME: 'root_admin' })).toBe('ADMIN_EMAIL')
    expect(refused({ ...admin, ADMIN_USERNAME: 'no spaces' })).toBe('ADMIN_USERNAME')
    expect(refused({ ...admin, ADMIN_EMAIL: 'nope' })).toBe('ADMIN_EMAIL')
    expect(refused({ ...admin, ADMIN_PASSWORD: 'short' })).toBe('ADMIN_PASSWORD')
  })
})
