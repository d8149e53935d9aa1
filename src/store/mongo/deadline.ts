/**
 * Every call into the MongoDB engine has a deadline (`MONGODB_TIMEOUT`): past it the call fails
 * with `StoreUnavailableError`, which the service answers with 503 and Retry-After.
 *
 * The driver's own timeouts bound one step each (server selection, connection checkout, one socket
 * read), but not their sum over a retry and the several commands one call may send, and its
 * client-wide `timeoutMS` is a no-op in this driver version. Nor do they end a write that never
 * settles on Bun (see compat/ferretdb-monitor.ts). So the whole call is raced against a timer here.
 * The driver's work goes on in the background until its own timeouts end it; a write that lands
 * after the 503 is the ambiguity every timeout has.
 */
import { StoreUnavailableError } from '../errors.ts'

/** The cause of a `StoreUnavailableError` for a call that ran out of time. */
export class DeadlineExceededError extends Error {
  constructor(readonly ms: number) {
    super(`no answer from MongoDB within ${ms} ms`)
    this.name = 'DeadlineExceededError'
  }
}

/** Runs `call`, failing with `StoreUnavailableError` if it has not settled within `ms`. */
export async function within<T>(ms: number, call: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(new DeadlineExceededError(ms))), ms)
  })
  try {
    return await Promise.race([call(), expired])
  } finally {
    clearTimeout(timer)
  }
}

/** `repository` with every method call run `within` `ms`; other properties are left as they are. */
export function bounded<T extends object>(repository: T, ms: number): T {
  return new Proxy(repository, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => within(ms, () => value.apply(target, args))
    },
  })
}
