import { type AnyElysia, Elysia } from 'elysia'
import { authRoutes } from './auth'
import { authorizeRoutes } from './auth/authorize'
import { ClientDirectory } from './auth/client-directory'
import { consentRoutes } from './auth/consents'
import { discoveryRoutes } from './auth/discovery'
import { IdTokens } from './auth/id-tokens'
import { TokenInspector } from './auth/introspection'
import { keyRoutes } from './auth/keys'
import { logoutRoutes } from './auth/logout'
import { authPlugin } from './auth/plugin'
import { RecoveryService, recoveryRoutes } from './auth/recovery'
import { AuthService } from './auth/service'
import { SignInSessions, signInRoutes } from './auth/signin'
import { LoginThrottle } from './auth/throttle'
import { AccessTokens } from './auth/tokens'
import { userInfoRoutes } from './auth/userinfo'
import { clientRoutes } from './clients'
import { ClientService } from './clients/service'
import type { Config } from './config'
import { createLogger, type Logger } from './core/log'
import { SecurityEvents } from './core/security-events'
import { drainGuard, healthRoutes, Probes } from './health'
import { bodyLimit } from './http/body-limit'
import { cors } from './http/cors'
import { docs } from './http/docs'
import { errorMapping } from './http/error-mapping'
import { AccessLog } from './http/request-log'
import { fixedPathMethods, lazyRouteIndex, type RouteTable } from './http/routes'
import { securityHeaders } from './http/security-headers'
import { staticFiles } from './http/static'
import { KeyCipher } from './keys/cipher'
import { KeyRing } from './keys/keyring'
import { LogTransport, MailOutbox, type MailSender, SmtpTransport } from './mail'
import { Observability } from './observability'
import { productRoutes } from './products'
import { ProductService } from './products/service'
import type { Store } from './store/types'
import { registrationRoutes, userRoutes } from './users'
import { UserService } from './users/service'

/** What a caller (the tests) may put in place of what `createServices` builds. */
export interface ServiceOverrides {
  /** Where the account mails go; by default the outbox (`MailOutbox`). */
  mail?: MailSender
}

/** The services behind the routes, built once per app; `logger` takes their security events. */
export function createServices(
  config: Config,
  store: Store,
  logger: Logger = createLogger('silent'),
  overrides: ServiceOverrides = {},
) {
  const events = new SecurityEvents(logger)
  // Mails wait in the store's outbox; `index.ts` starts and stops the loop that delivers them.
  const outbox = new MailOutbox({
    outbox: store.outbox,
    transport: config.smtpUrl
      ? new SmtpTransport(config.smtpUrl)
      : new LogTransport(logger, { production: config.env === 'production' }),
    from: config.mailFrom,
    logger,
  })
  const mail: MailSender = overrides.mail ?? outbox
  const keys = new KeyRing(store.signingKeys, new KeyCipher(config.keyEncryptionSecret), {
    activationDelay: config.keyActivationDelay,
    rotationInterval: config.keyRotationInterval,
    maxTokenTtl: config.accessTokenTtl,
    logger,
  })
  const accessTokens = new AccessTokens({
    keys,
    issuer: config.publicUrl,
    audience: config.jwtAudience,
    ttl: config.accessTokenTtl,
  })
  const throttle = new LoginThrottle(store.loginAttempts, {
    maxFailures: config.loginMaxFailures,
    window: config.loginWindow,
    registerMaxFailures: config.registerMaxFailures,
  })
  const clients = new ClientDirectory(store.clients, config.publicUrl)
  // ID tokens live as long as access tokens: both say who signed in, for that long.
  const idTokens = new IdTokens({ keys, issuer: config.publicUrl, ttl: config.accessTokenTtl })
  const auth = new AuthService({
    users: store.users,
    refreshTokens: store.refreshTokens,
    codes: store.authorizationCodes,
    accessTokens,
    idTokens,
    throttle,
    refreshTtl: config.refreshTokenTtl,
    events,
    requireVerifiedEmail: config.requireVerifiedEmail,
  })
  const recovery = new RecoveryService({
    users: store.users,
    tokens: store.accountTokens,
    refreshTokens: store.refreshTokens,
    signInSessions: store.signInSessions,
    mail,
    throttle,
    logger,
    events,
    publicUrl: config.publicUrl,
    verifyTtl: config.verifyTokenTtl,
    resetTtl: config.resetTokenTtl,
  })
  return {
    mail: outbox,
    recovery,
    keys,
    events,
    accessTokens,
    idTokens,
    clientDirectory: clients,
    inspector: new TokenInspector(
      accessTokens,
      store.users,
      store.refreshTokens,
      store.revokedTokens,
      clients,
      auth,
      config.publicUrl,
    ),
    users: new UserService(store.users, store.refreshTokens, throttle, events, recovery),
    products: new ProductService(store.products),
    clients: new ClientService(store.clients, events),
    // The cookies are `Secure` when the service is reached over https.
    signInSessions: new SignInSessions(store.signInSessions, store.users, {
      ttl: config.sessionTtl,
      cookieSecure: config.publicUrl.startsWith('https:'),
    }),
    auth,
  }
}

export type Services = ReturnType<typeof createServices>

export interface AppDeps {
  config: Config
  store: Store
  logger: Logger
  /** Built from `config`, `store` and `logger` when not given. */
  services?: Services
  /** The liveness sampling and the shutdown state; `index.ts` starts the drain on SIGTERM. */
  probes?: Probes
  /** Metrics and tracing: built from `config` when not given; `index.ts` wraps the store with the same one. */
  observability?: Observability
}

/** Composes the whole HTTP app; it does not listen (see `index.ts`). */
export function createApp({
  config,
  store,
  logger,
  services = createServices(config, store, logger),
  probes = new Probes(),
  observability = new Observability(config),
}: AppDeps) {
  services.events.observe(observability.securityObserver)
  const auth = authPlugin(services.accessTokens, store.users)
  // Routes are known once the app below is complete; 405s and the OpenAPI document read them then.
  const routes = lazyRouteIndex((): RouteTable => app.routes)
  const accessLog = new AccessLog(logger, observability.traceIdOf)
  const answered = (request: Request, status: number, route?: string) => {
    accessLog.record(request, status)
    observability.answered(request, status, route)
  }
  // normalize: false, so unknown body fields are refused (422) instead of silently dropped.
  const app = new Elysia({ normalize: false })
    .use(observability.recorder())
    .use(securityHeaders())
    .use(accessLog.plugin())
    .use(errorMapping({ logger, routes, answered }))
    .use(fixedPathMethods(routes))
    // CORS before the body limit, so that a browser can read the 413 too.
    .use(cors(config.corsOrigins))
    // At shutdown, refuses before anything runs; after CORS, so that a browser can read the 503.
    .use(drainGuard(probes))
    .use(bodyLimit(config.bodyLimit))
    .use(docs((): AnyElysia => app))
    .use(staticFiles())
    .use(healthRoutes(store, probes))
    .use(observability.routes())
    .use(registrationRoutes(services.users, config.bodyLimit, config.trustProxy))
    .use(
      authRoutes({
        auth: services.auth,
        inspector: services.inspector,
        clients: services.clientDirectory,
        passwordGrant: config.passwordGrant,
        guard: auth,
        trustProxy: config.trustProxy,
        bodyLimit: config.bodyLimit,
      }),
    )
    .use(
      recoveryRoutes({
        recovery: services.recovery,
        guard: auth,
        cookieSecure: config.publicUrl.startsWith('https:'),
        trustProxy: config.trustProxy,
        bodyLimit: config.bodyLimit,
      }),
    )
    .use(keyRoutes(services.keys, auth))
    .use(discoveryRoutes({ issuer: config.publicUrl, passwordGrant: config.passwordGrant }))
    .use(
      signInRoutes({
        auth: services.auth,
        sessions: services.signInSessions,
        trustProxy: config.trustProxy,
        bodyLimit: config.bodyLimit,
      }),
    )
    .use(
      authorizeRoutes({
        clients: services.clientDirectory,
        sessions: services.signInSessions,
        consents: store.consents,
        codes: store.authorizationCodes,
        idTokens: services.idTokens,
        issuer: config.publicUrl,
        secret: config.keyEncryptionSecret,
        bodyLimit: config.bodyLimit,
      }),
    )
    .use(userInfoRoutes(services.accessTokens, store.users))
    .use(
      logoutRoutes({
        auth: services.auth,
        sessions: services.signInSessions,
        clients: services.clientDirectory,
        idTokens: services.idTokens,
        bodyLimit: config.bodyLimit,
      }),
    )
    .use(
      consentRoutes({
        consents: store.consents,
        refreshTokens: store.refreshTokens,
        clients: services.clientDirectory,
        guard: auth,
        events: services.events,
      }),
    )
    .use(userRoutes(services.users, auth, config.bodyLimit, config.trustProxy))
    .use(productRoutes(services.products, auth, config.bodyLimit))
    .use(clientRoutes(services.clients, auth, config.bodyLimit, config.trustProxy))
  return app
}

/** The app's type, for Eden Treaty clients. */
export type App = ReturnType<typeof createApp>
