import { Elysia } from 'elysia'
import { authRoutes } from './auth'
import { authPlugin } from './auth/plugin'
import { AuthService } from './auth/service'
import { LoginThrottle } from './auth/throttle'
import { AccessTokens } from './auth/tokens'
import type { Config } from './config'
import { bodyLimit, httpConventions } from './http/conventions'
import { cors } from './http/cors'
import { docs } from './http/docs'
import type { Logger } from './http/log'
import type { RouteTable } from './http/routes'
import { staticFiles } from './http/static'
import { productRoutes } from './products'
import { ProductService } from './products/service'
import { serviceRoutes } from './service'
import type { Store } from './store/types'
import { userRoutes } from './users'
import { UserService } from './users/service'

export interface AppDeps {
  config: Config
  store: Store
  logger: Logger
}

/** The services behind the routes, built once per app. */
function createServices({ config, store }: Pick<AppDeps, 'config' | 'store'>) {
  const accessTokens = new AccessTokens({
    secret: config.jwtSecret,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttl: config.accessTokenTtl,
  })
  const throttle = new LoginThrottle(store.loginAttempts, {
    maxFailures: config.loginMaxFailures,
    window: config.loginWindow,
  })
  return {
    accessTokens,
    users: new UserService(store.users, store.refreshTokens),
    products: new ProductService(store.products),
    auth: new AuthService(store.users, store.refreshTokens, accessTokens, throttle, config.refreshTokenTtl),
  }
}

/** Composes the whole HTTP app; it does not listen (see `index.ts`). */
export function createApp(deps: AppDeps) {
  const { config, store, logger } = deps
  const services = createServices(deps)
  const auth = authPlugin(services.accessTokens, store.users)
  let routes: RouteTable = []
  // normalize: false, so unknown body fields are refused (422) instead of silently dropped.
  const app = new Elysia({ normalize: false })
    .use(httpConventions({ logger, routes: () => routes }))
    // CORS before the body limit, so that a browser can read the 413 too.
    .use(cors(config.corsOrigins))
    .use(bodyLimit(config.bodyLimit))
    .use(docs())
    .use(staticFiles())
    .use(serviceRoutes(store))
    .use(authRoutes({ auth: services.auth, users: services.users, trustProxy: config.trustProxy }))
    .use(userRoutes(services.users, auth))
    .use(productRoutes(services.products, auth))
  routes = app.routes
  return Object.assign(app, { services })
}

/** The app's type, for Eden Treaty clients. */
export type App = ReturnType<typeof createApp>
