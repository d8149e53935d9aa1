import { ConflictError, LastAdminError, PreconditionFailedError } from '../store/errors'
import type { Store } from '../store/types'
import type { Metrics } from './metrics'

/** Runs one store call; `operation` is `repository.method` (`users.findById`). */
export type OperationWrapper = <T>(operation: string, call: () => T) => T

/**
 * Every repository of the store, so that a repository added to `Store` fails to compile until it
 * is listed here (and so instrumented).
 */
const REPOSITORIES: Record<Exclude<keyof Store, 'kind' | 'ping' | 'close'>, true> = {
  users: true,
  products: true,
  refreshTokens: true,
  loginAttempts: true,
  clients: true,
  revokedTokens: true,
  signingKeys: true,
  signInSessions: true,
  authorizationCodes: true,
  consents: true,
  outbox: true,
  accountTokens: true,
}

/** The refusals the store contract answers on purpose: outcomes, not failures of the store. */
const isRefusal = (error: unknown) =>
  error instanceof ConflictError ||
  error instanceof LastAdminError ||
  error instanceof PreconditionFailedError

/** Times each call into `store_operation_duration_seconds`, and its failures into `store_operation_errors_total`. */
export function timeStoreOperations(metrics: Metrics): OperationWrapper {
  return <T>(operation: string, call: () => T): T => {
    const start = performance.now()
    const done = (failure?: unknown) => {
      metrics.storeDuration.observe({ operation }, (performance.now() - start) / 1000)
      if (failure !== undefined && !isRefusal(failure)) metrics.storeErrors.inc({ operation })
    }
    try {
      const result = call()
      if (result instanceof Promise) {
        return result.then(
          (value) => {
            done()
            return value
          },
          (error) => {
            done(error ?? new Error('rejected'))
            throw error
          },
        ) as T
      }
      done()
      return result
    } catch (error) {
      done(error ?? new Error('thrown'))
      throw error
    }
  }
}

/** The names of `object`'s methods, own and inherited from its classes. */
function methodNames(object: object): string[] {
  const names = new Set<string>()
  for (let proto = object; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof (object as Record<string, unknown>)[name] === 'function')
        names.add(name)
    }
  }
  return [...names]
}

/**
 * A store whose repositories pass every call through `wrap`, built once at composition (index.ts)
 * without a Proxy: each method becomes a plain function that calls the engine's own, so calls a
 * repository makes to itself (`this.findById`) are not counted twice.
 */
export function observedStore(store: Store, wrap: OperationWrapper): Store {
  const observed: Record<string, unknown> = {
    kind: store.kind,
    ping: () => store.ping(),
    close: () => store.close(),
  }
  for (const name of Object.keys(REPOSITORIES)) {
    const repository = store[name as keyof typeof REPOSITORIES] as unknown as Record<
      string,
      (...args: unknown[]) => unknown
    >
    const wrapper: Record<string, unknown> = {}
    for (const method of methodNames(repository)) {
      const operation = `${name}.${method}`
      wrapper[method] = (...args: unknown[]) => wrap(operation, () => repository[method]?.(...args))
    }
    observed[name] = wrapper
  }
  return observed as unknown as Store
}
