import { realpath, stat } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Elysia } from 'elysia'
import { notFound } from '../core/errors'
import { pathOf } from './path'

export const STATIC_PREFIX = '/static'

/**
 * The `public/` folder: next to `src/` when running from source, whatever the working directory;
 * for the compiled executable, `public/` in its working directory (the Docker image copies it to
 * `/app/public` and runs in `/app`).
 */
export function defaultPublicDir(): string {
  const compiled = import.meta.dir.startsWith('/$bunfs') || import.meta.dir.includes('~BUN')
  return compiled ? resolve('public') : fileURLToPath(new URL('../../public', import.meta.url))
}

const realRoots = new Map<string, Promise<string>>()
/** The folder's real path, resolved once per folder rather than once per request. */
const realRootOf = (root: string) => {
  let real = realRoots.get(root)
  if (!real) {
    real = realpath(root)
    realRoots.set(root, real)
    real.catch(() => realRoots.delete(root))
  }
  return real
}

/**
 * The file under `root` that a raw (still percent-encoded) URL path names, or `null`. Each segment
 * is decoded on its own, and one that decodes to a separator, `.`, `..`, a dotfile or a NUL is
 * refused, so no spelling of `..` (`%2e%2e`, `%2F`, `%5C`) and no absolute path leads out of `root`.
 */
export async function resolvePublicFile(root: string, rawPath: string): Promise<string | null> {
  const segments: string[] = []
  for (const raw of rawPath.split('/')) {
    let segment: string
    try {
      segment = decodeURIComponent(raw)
    } catch {
      return null
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0:]/.test(segment)) return null
    segments.push(segment)
  }
  if (segments.length === 0) return null
  const path = join(root, ...segments)
  try {
    // A symlink inside the folder must not lead out of it either.
    const [real, realRoot] = await Promise.all([realpath(path), realRootOf(root)])
    if (!real.startsWith(realRoot + sep)) return null
    return (await stat(real)).isFile() ? real : null
  } catch {
    return null
  }
}

/** `GET /static/*`: the files of `public/` with their content type; 404 problem for anything else. */
export function staticFiles({ dir = defaultPublicDir() }: { dir?: string } = {}) {
  const root = resolve(dir)
  return new Elysia({ name: 'static', seed: root, tags: ['service'] }).get(
    `${STATIC_PREFIX}/*`,
    async ({ request }) => {
      const path = await resolvePublicFile(root, pathOf(request).slice(STATIC_PREFIX.length + 1))
      if (!path) throw notFound('file')
      const file = Bun.file(path)
      return new Response(file, {
        headers: {
          'content-type': file.type || 'application/octet-stream',
          'cache-control': 'public, max-age=300',
          'x-content-type-options': 'nosniff',
        },
      })
    },
    {
      detail: {
        summary: 'A file from the public folder',
        operationId: 'getStaticFile',
        description: 'Files of `public/`, with the content type of their extension. Anything else is 404.',
        responses: {
          200: { description: 'The file', content: { '*/*': {} } },
          404: {
            description: 'No such file',
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        },
      },
    },
  )
}
