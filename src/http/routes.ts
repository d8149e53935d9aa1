/** The method and path pattern of every route, as Elysia lists them in `app.routes`. */
export type RouteTable = ReadonlyArray<{ method: string; path: string }>

/** Turns a route table into a lookup: the methods some route takes at a path, empty if none. */
export function compileRouteTable(routes: RouteTable): (path: string) => string[] {
  const byPath = new Map<string, Set<string>>()
  for (const { method, path } of routes) {
    if (method === 'ALL' || method === 'OPTIONS') continue
    const methods = byPath.get(path) ?? new Set<string>()
    methods.add(method)
    if (method === 'GET') methods.add('HEAD')
    byPath.set(path, methods)
  }
  const compiled = [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(
      `^${path
        .split('/')
        .map((part) =>
          part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('/')}/?$`,
    ),
    methods,
  }))
  return (path) => {
    const allow = new Set<string>()
    for (const { pattern, methods } of compiled) {
      if (pattern.test(path)) for (const m of methods) allow.add(m)
    }
    return [...allow].sort()
  }
}
