import { Elysia } from 'elysia'
import { HttpError } from '../core/errors'
import { pathOf } from './path'

/** The method and path pattern of every route, as Elysia lists them in `app.routes`. */
export type RouteTable = ReadonlyArray<{ method: string; path: string }>

const isStatic = (path: string) => !path.includes(':') && !path.includes('*')
const trimSlash = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path)

/** What methods the routes take where: for 405 and its `Allow` header. */
export class RouteIndex {
  private readonly byPath = new Map<string, Set<string>>()
  /** The sorted methods of each fixed path, made once: `ownMethods` runs on every request. */
  private readonly fixed = new Map<string, string[]>()
  private readonly patterns: Array<{ pattern: RegExp; methods: Set<string> }>

  constructor(routes: RouteTable) {
    for (const { method, path } of routes) {
      if (method === 'ALL' || method === 'OPTIONS') continue
      const methods = this.byPath.get(path) ?? new Set<string>()
      methods.add(method)
      if (method === 'GET') methods.add('HEAD')
      this.byPath.set(path, methods)
    }
    for (const [path, methods] of this.byPath) if (isStatic(path)) this.fixed.set(path, [...methods].sort())
    this.patterns = [...this.byPath].map(([path, methods]) => ({
      pattern: new RegExp(
        `^${path
          .split('/')
          .map((part) =>
            part === '*'
              ? '.*'
              : part.startsWith(':')
                ? '[^/]+'
                : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('/')}/?$`,
      ),
      methods,
    }))
  }

  /** Methods that some route takes at `path`; empty when no route matches it at all. */
  allowed(path: string): string[] {
    const allow = new Set<string>()
    for (const { pattern, methods } of this.patterns) {
      if (pattern.test(path)) for (const m of methods) allow.add(m)
    }
    return [...allow].sort()
  }

  /**
   * The methods of the route written exactly as `path` (like `/users/me`), or undefined. Such a
   * path is a resource of its own: another method there must not fall through to a pattern that
   * also matches it (`/users/:id`).
   */
  ownMethods(path: string): readonly string[] | undefined {
    return this.fixed.get(trimSlash(path))
  }
}

/** The index of the finished app's routes, built on first use (routes are fixed by then). */
export function lazyRouteIndex(routes: () => RouteTable): () => RouteIndex {
  let index: RouteIndex | undefined
  return () => {
    index ??= new RouteIndex(routes())
    return index
  }
}

/** 405 with the `Allow` header. */
export function methodNotAllowed(method: string, allow: readonly string[]): HttpError {
  return new HttpError(405, `${method} is not allowed here; use ${allow.join(', ')}`, {
    allow: allow.join(', '),
  })
}

/**
 * Refuses, before routing, a method that a fixed path such as `/users/me` does not take, so that
 * it does not fall through to a pattern that also matches it (`/users/:id`). Other misses are
 * told apart (404 or 405) by the error mapping.
 */
export function fixedPathMethods(index: () => RouteIndex) {
  return new Elysia({ name: 'fixed-path-methods' }).onRequest(({ request }) => {
    // OPTIONS is left to CORS, which answers preflights after this hook.
    if (request.method === 'OPTIONS') return
    const own = index().ownMethods(pathOf(request))
    // Thrown, not returned: an answer returned from onRequest would skip the access log.
    if (own && !own.includes(request.method)) throw methodNotAllowed(request.method, own)
  })
}
