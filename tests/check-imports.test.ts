/** The import-direction check of `bun run check` (docs/architecture.md, "Which part may import which"). */
import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { checkImports, specifiersOf } from '../scripts/check-imports'

let root: string | undefined

/** A throw-away `src/` with `files` (path → content). */
function tree(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'mercado-imports-'))
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  return root
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true })
  root = undefined
})

describe('check-imports', () => {
  test('the real tree follows the table', () => {
    expect(checkImports(join(import.meta.dir, '..', 'src'))).toEqual([])
  })

  test('a store file that imports http/ fails the check', () => {
    const src = tree({
      'http/log.ts': 'export const log = 1\n',
      'store/mongo/index.ts': "import { log } from '../../http/log'\n",
    })
    expect(checkImports(src)).toEqual([
      { file: 'store/mongo/index.ts', imports: '../../http/log', rule: 'store may not import http' },
    ])
  })

  test("a feature that imports another feature's service fails; the auth plugin is allowed", () => {
    const src = tree({
      'auth/plugin.ts': 'export const auth = 1\n',
      'users/service.ts': 'export class UserService {}\n',
      'products/service.ts':
        "import type { UserService } from '../users/service'\nimport { auth } from '../auth/plugin'\n",
    })
    expect(checkImports(src)).toEqual([
      { file: 'products/service.ts', imports: '../users/service', rule: 'feature may not import feature' },
    ])
  })

  test('core imports nothing of ours, and only store/ imports a database driver', () => {
    const src = tree({
      'config.ts': 'export const c = 1\n',
      'core/log.ts': "import { c } from '../config'\nimport { MongoClient } from 'mongodb'\n",
    })
    expect(checkImports(src).map((v) => v.imports)).toEqual(['../config', 'mongodb'])
  })

  test('a folder the table does not know is reported', () => {
    const src = tree({ 'misc/thing.ts': 'export const x = 1\n' })
    expect(checkImports(src)).toEqual([
      { file: 'misc/thing.ts', imports: '', rule: 'this place is not in the table of docs/architecture.md' },
    ])
  })

  test('type-only, re-exported and dynamic imports all count', () => {
    const source = [
      "import type { A } from './a'",
      "import {\n  B,\n  C,\n} from './b'",
      "export { D } from './d'",
      "const e = await import('./e')",
    ].join('\n')
    expect(specifiersOf(source)).toEqual(['./a', './b', './d', './e'])
  })
})
