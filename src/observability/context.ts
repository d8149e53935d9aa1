import { AsyncLocalStorage } from 'node:async_hooks'
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api'

/**
 * OpenTelemetry's active context on AsyncLocalStorage, like @opentelemetry/context-async-hooks,
 * plus `enter`: Elysia's hooks do not wrap the handler in a callback, so the server span is made
 * the active context with `enterWith` in `onRequest`, for the rest of that request's async chain
 * (each request is its own chain: `Bun.serve` calls the app once per request).
 */
export class RequestContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>()

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(context, () => fn.apply(thisArg, args))
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target
    const run = (...args: unknown[]) => this.with(context, () => target(...args))
    return run as T
  }

  /** Makes `context` active from here on in the current async chain (one request's). */
  enter(context: Context): void {
    this.storage.enterWith(context)
  }

  enable(): this {
    return this
  }

  disable(): this {
    this.storage.disable()
    return this
  }
}
