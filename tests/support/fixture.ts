/**
 * The suites' one fixture, as a `conftest.py` hands them out: `forEachStore` declares a suite once
 * per engine and gives it a context whose store, app, client and named accounts are built in
 * `beforeAll` (or `beforeEach`) and torn down after. Read its members inside tests and hooks only.
 *
 *     forEachStore(
 *       'users',
 *       (ctx) => {
 *         test('an admin reads a user', async () => {
 *           const reply = await ctx.client.get(`/users/${ctx.user.id}`, { token: ctx.admin.token })
 *           expect(reply.status).toBe(200)
 *         })
 *       },
 *       { accounts: { admin: 'admin', user: 'user' } },
 *     )
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'bun:test'
import type { App, Services } from '../../src/app'
import type { Config } from '../../src/config'
import type { Role } from '../../src/core/domain'
import type { Logger } from '../../src/core/log'
import type { MailSender } from '../../src/mail'
import type { Store } from '../../src/store/types'
import type { User } from '../../src/users/model'
import { type Account, type Client, createAdmin, type newAccount, registerUser, testApp } from './app'
import { createUser } from './crud'
import { ENGINES, type Engine, freshStore } from './stores'

/** When the fixture is built: once for all the tests of its `describe`, or afresh for each test. */
export type Per = 'suite' | 'test'

/** What every fixture holds, whatever accounts it names. */
export interface BaseFixture {
  /** The engine, known when the suite is declared. */
  readonly kind: Engine
  /** A fresh, empty store of `kind`. */
  readonly store: Store
  readonly config: Config
  readonly services: Services
  readonly app: App
  /** A client of `app`, through `app.handle`. */
  readonly client: Client
  /** Registers another plain user through the API and logs it in. */
  registerUser(overrides?: Parameters<typeof newAccount>[0]): Promise<Account>
  /** Creates another enabled admin through the service layer and logs it in. */
  createAdmin(): Promise<Account>
  /**
   * A user that the suite's first admin account creates through `POST /users` (fresh fields,
   * `fields` on top): the 201 body.
   */
  createUser(fields?: Record<string, unknown>): Promise<User>
}

/** Names of the accounts a suite wants, each with its role; no name may hide a member of the fixture. */
export type Accounts = Record<string, Role> & { [K in keyof BaseFixture]?: never }

/** The fixture, and each named account as a member of it: `{ owner: 'user' }` gives `ctx.owner`. */
export type Fixture<A extends Accounts = Record<never, Role>> = BaseFixture & {
  readonly [K in keyof A]: Account
}

export interface FixtureOptions<A extends Accounts> {
  /** Variables on top of the test configuration (see `testConfig`), such as `LOGIN_MAX_FAILURES`. */
  env?: Record<string, string>
  /**
   * Accounts made before the tests, logged in: a `user` registers through the API, an `admin` is
   * created through the service layer (there is no public way to become one).
   */
  accounts?: A
  /** `suite` (the default): one store serves every test; `test`: a fresh store for each test. */
  per?: Per
  /** The app's logger (access log, security events); silent when not given. */
  logger?: Logger
  /** Where the app's mails go (a `FakeMailSender` keeps them); the log stub when not given. */
  mail?: MailSender
}

/** Registers `setUp` and `tearDown` around every test (`per: 'test'`) or around them all. */
function around(per: Per | undefined, setUp: () => Promise<void>, tearDown: () => Promise<void>) {
  if (per === 'test') {
    beforeEach(setUp)
    afterEach(tearDown)
  } else {
    beforeAll(setUp)
    afterAll(tearDown)
  }
}

/** Throws unless the fixture is built: its members are there for tests and hooks, not declarations. */
function built<T>(value: T | undefined, kind: Engine): T {
  if (value === undefined)
    throw new Error(`the ${kind} fixture is not built: read it inside a test or a hook`)
  return value
}

/** Just a fresh store of `kind`, for suites below HTTP (the store contract): opened before, closed after. */
export function useStore(kind: Engine, per?: Per): { readonly kind: Engine; readonly store: Store } {
  let store: Store | undefined
  around(
    per,
    async () => {
      store = await freshStore(kind)
    },
    async () => {
      const open = store
      store = undefined
      await open?.close()
    },
  )
  return {
    kind,
    get store() {
      return built(store, kind)
    },
  }
}

interface Built extends ReturnType<typeof testApp> {
  accounts: Map<string, Account>
}

/**
 * The fixture for `kind` in the `describe` (or file) this is called in: registers the hooks that
 * build and close it, and returns its context at once.
 */
export function useFixture<const A extends Accounts = Record<never, Role>>(
  kind: Engine,
  options: FixtureOptions<A> = {},
): Fixture<A> {
  const base = useStore(kind, options.per)
  const roles = Object.entries<Role>(options.accounts ?? {})
  let app: Built | undefined
  const current = () => built(app, kind)
  around(
    options.per,
    async () => {
      const made = testApp(base.store, options.env, options.logger, { mail: options.mail })
      const accounts = await Promise.all(
        roles.map(async ([name, role]) => {
          const account = role === 'admin' ? await createAdmin(made.client) : await registerUser(made.client)
          return [name, account] as const
        }),
      )
      app = { ...made, accounts: new Map(accounts) }
    },
    async () => {
      app = undefined
    },
  )
  const account = (name: string) => built(current().accounts.get(name), kind)
  const firstAdmin = roles.find(([, role]) => role === 'admin')?.[0]

  const fixture: BaseFixture = {
    kind,
    get store() {
      return base.store
    },
    get config() {
      return current().config
    },
    get services() {
      return current().services
    },
    get app() {
      return current().app
    },
    get client() {
      return current().client
    },
    registerUser: (overrides) => registerUser(current().client, overrides),
    createAdmin: () => createAdmin(current().client),
    createUser: async (fields) => {
      if (!firstAdmin) throw new Error('createUser needs an admin: name one in the fixture’s accounts')
      return (await createUser(current().client, account(firstAdmin).token, fields)).body
    },
  }
  for (const [name] of roles)
    Object.defineProperty(fixture, name, { get: () => account(name), enumerable: true })
  return fixture as Fixture<A>
}

/**
 * Declares `describe(\`${title} (${kind})\`)` for each engine, SQLite and MongoDB (never skipped:
 * without `MONGODB_URI` its suite fails), with the fixture of that engine.
 */
export function forEachStore<const A extends Accounts = Record<never, Role>>(
  title: string,
  suite: (ctx: Fixture<A>) => void,
  options: FixtureOptions<A> = {},
): void {
  for (const kind of ENGINES) describe(`${title} (${kind})`, () => suite(useFixture(kind, options)))
}
