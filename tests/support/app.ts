import { type App, createApp, createServices, type ServiceOverrides, type Services } from '../../src/app'
import { type Config, loadConfig } from '../../src/config'
import { createLogger, type Logger } from '../../src/core/log'
import type { Store } from '../../src/store/types'
import { unique } from './unique'

/** The `KEY_ENCRYPTION_SECRET` of test apps. */
export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long'

/** A config as the environment would give it, with test values; `env` overrides variables. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', KEY_ENCRYPTION_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', ...env })
}

export interface Reply {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of every shape
  body: any
}

export interface RequestOptions {
  token?: string
  headers?: Record<string, string>
  /** A JSON body; a string is sent as is. */
  body?: unknown
  /** A form body (application/x-www-form-urlencoded). */
  form?: Record<string, string>
}

/** A client that calls the app the way an HTTP client does, through `app.handle`. */
export class Client {
  constructor(
    readonly app: App,
    /** The services behind `app`, for what has no public route (creating an admin). */
    readonly services: Services,
  ) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers = new Headers(options.headers)
    if (options.token) headers.set('authorization', `Bearer ${options.token}`)
    let body: string | undefined
    if (options.form) {
      body = new URLSearchParams(options.form).toString()
      if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded')
    } else if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
      if (!headers.has('content-type')) headers.set('content-type', 'application/json')
    }
    const response = await this.app.handle(new Request(`http://localhost${path}`, { method, headers, body }))
    const text = await response.text()
    let parsed: unknown = text
    if (text && /json/.test(response.headers.get('content-type') ?? '')) parsed = JSON.parse(text)
    return { status: response.status, headers: response.headers, body: parsed }
  }

  get = (path: string, options?: RequestOptions) => this.request('GET', path, options)
  post = (path: string, options?: RequestOptions) => this.request('POST', path, options)
  put = (path: string, options?: RequestOptions) => this.request('PUT', path, options)
  patch = (path: string, options?: RequestOptions) => this.request('PATCH', path, options)
  delete = (path: string, options?: RequestOptions) => this.request('DELETE', path, options)
}

/** An app on `store` with test configuration, and a client for it; `logger` is silent unless given. */
export function testApp(
  store: Store,
  env: Record<string, string> = {},
  logger: Logger = createLogger('silent'),
  /** In place of what `createServices` builds, such as a mail sender that keeps the mails. */
  overrides: ServiceOverrides = {},
) {
  const config = testConfig(env)
  const services = createServices(config, store, logger, overrides)
  const app = createApp({ config, store, logger, services })
  return { app, config, services, client: new Client(app, services) }
}

/** Unique, valid registration fields; `overrides` replace any of them. */
export function newAccount(
  overrides: Partial<{ username: string; email: string; password: string; fullName: string }> = {},
) {
  const n = unique()
  return { username: `user_${n}`, email: `user_${n}@example.com`, password: `pw-${n}-secret`, ...overrides }
}

export interface Account {
  id: string
  username: string
  email: string
  password: string
  token: string
  refreshToken: string
}

/** Registers a user through the API and logs it in. */
export async function registerUser(
  client: Client,
  overrides: Parameters<typeof newAccount>[0] = {},
): Promise<Account> {
  const account = newAccount(overrides)
  const registered = await client.post('/auth/register', { body: account })
  if (registered.status !== 201)
    throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`)
  return { ...account, id: registered.body.id, ...(await login(client, account.username, account.password)) }
}

/** Logs in with the password grant (form-encoded, as OAuth2 clients do). */
export async function login(client: Client, username: string, password: string) {
  const reply = await client.post('/auth/login', { form: { grant_type: 'password', username, password } })
  if (reply.status !== 200) throw new Error(`login failed: ${reply.status} ${JSON.stringify(reply.body)}`)
  return { token: reply.body.access_token as string, refreshToken: reply.body.refresh_token as string }
}

/** Creates an admin directly through the service layer (there is no public way to become one). */
export async function createAdmin(client: Client): Promise<Account> {
  const account = newAccount()
  const user = await client.services.users.create({ ...account, role: 'admin' })
  return { ...account, id: user.id, ...(await login(client, account.username, account.password)) }
}
