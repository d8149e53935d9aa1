/**
 * The import-direction check of `bun run check`: every import between `src/` folders must follow
 * the table of docs/architecture.md, so that dependencies run one way (core at the bottom, the
 * app at the top). Exits 1 and lists each offending import otherwise.
 *
 * Hand-written rather than taken from dependency-cruiser or eslint-plugin-boundaries: both bring
 * a second linter and its configuration language for one table of ten rows, and Biome's
 * `noRestrictedImports` matches import strings, not the files they resolve to, so it cannot tell
 * `../http` seen from `store/` from the same string seen from `store/mongo/`.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/** What a file of each area may import, besides its own area. */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  config: ['core'],
  store: ['core', 'config'],
  http: ['core', 'store/contract'],
  keys: ['core', 'store/contract'],
  mail: ['core', 'store/contract'],
  feature: ['core', 'http', 'store/contract', 'keys', 'mail', 'auth/plugin'],
  observability: ['core', 'config', 'store/contract'],
  app: ['core', 'config', 'http', 'store/contract', 'keys', 'mail', 'feature', 'observability'],
  boot: ['*'],
}

/** The feature folders: each one owns its routes, service and model (docs/architecture.md). */
export const FEATURES = ['auth', 'users', 'products', 'clients', 'health'] as const

/** Packages only some areas may import: database drivers stay in `store/`, SMTP in `mail/`, Elysia out of the bottom. */
const PACKAGE_RULES: Array<{ pattern: RegExp; only: readonly string[] }> = [
  { pattern: /^(mongodb|bson|bun:sqlite)$/, only: ['store'] },
  { pattern: /^nodemailer$/, only: ['mail'] },
  { pattern: /^elysia$|^@elysiajs\//, only: ['http', 'feature', 'observability', 'app', 'boot'] },
]

export interface Violation {
  file: string
  imports: string
  rule: string
}

interface Place {
  /** The rule set that applies: one of the keys of ALLOWED. */
  area: string
  /** What the place is, as ALLOWED names it: `store/contract`, `auth/plugin`, a feature's name... */
  names: string[]
}

/** Where a file under `src/` sits; undefined for a place the table does not know. */
function placeOf(path: string): Place | undefined {
  const parts = path.split('/')
  const top = parts[0] ?? ''
  if (parts.length === 1) {
    if (top === 'config.ts') return { area: 'config', names: ['config'] }
    if (top === 'app.ts') return { area: 'app', names: ['app'] }
    if (top === 'index.ts' || top === 'cli.ts') return { area: 'boot', names: ['boot'] }
    return undefined
  }
  if (top === 'core' || top === 'http' || top === 'keys' || top === 'mail' || top === 'observability')
    return { area: top, names: [top] }
  if (top === 'store') {
    const contract = path === 'store/types.ts' || path === 'store/errors.ts'
    return { area: 'store', names: contract ? ['store', 'store/contract'] : ['store'] }
  }
  if ((FEATURES as readonly string[]).includes(top)) {
    const names = ['feature', top]
    if (path === 'auth/plugin.ts') names.push('auth/plugin')
    return { area: 'feature', names }
  }
  return undefined
}

/** Whether `from` may import `to`. Features may use their own folder, not each other's. */
function allowed(from: Place, fromPath: string, to: Place, toPath: string): boolean {
  const own = fromPath.split('/')[0] === toPath.split('/')[0]
  if (own) return true
  const rules = ALLOWED[from.area] ?? []
  if (rules.includes('*')) return true
  return (
    to.names.some((name) => name !== 'feature' && rules.includes(name)) ||
    (rules.includes('feature') && to.area === 'feature')
  )
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** Every module specifier that `source` imports or re-exports, static or dynamic. */
export function specifiersOf(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string)
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sourceFiles(path)
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path
  }
}

/** The imports under `srcDir` that break the table; empty when the tree follows it. */
export function checkImports(srcDir: string): Violation[] {
  const root = resolve(srcDir)
  const violations: Violation[] = []
  for (const file of sourceFiles(root)) {
    const path = relative(root, file)
    const from = placeOf(path)
    if (!from) {
      violations.push({
        file: path,
        imports: '',
        rule: 'this place is not in the table of docs/architecture.md',
      })
      continue
    }
    for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) {
        const rule = PACKAGE_RULES.find((r) => r.pattern.test(specifier))
        if (rule && !rule.only.includes(from.area)) {
          violations.push({
            file: path,
            imports: specifier,
            rule: `only ${rule.only.join(', ')} may import it`,
          })
        }
        continue
      }
      const target = relative(root, resolve(dirname(file), specifier))
      // Outside src (package.json for the version) is data, not a layer.
      if (target.startsWith('..')) continue
      const withFile = /\.tsx?$/.test(target)
        ? target
        : placeOf(`${target}.ts`)
          ? `${target}.ts`
          : `${target}/index.ts`
      const to = placeOf(withFile)
      if (!to || !allowed(from, path, to, withFile)) {
        violations.push({
          file: path,
          imports: specifier,
          rule: `${from.area} may not import ${to?.area ?? target}`,
        })
      }
    }
  }
  return violations
}

if (import.meta.main) {
  const src = process.argv[2] ?? join(import.meta.dir, '..', 'src')
  const violations = checkImports(src)
  for (const v of violations)
    console.error(`${v.file}: imports ${v.imports || '(the file itself)'}: ${v.rule}`)
  if (violations.length > 0) {
    console.error(`check-imports: ${violations.length} import(s) break docs/architecture.md`)
    process.exit(1)
  }
  console.log('check-imports: every import follows docs/architecture.md')
}
