import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { resolvePublicFile, staticFiles } from '../src/http/static'
import { expectProblem } from './support/assertions'
import { useFixture } from './support/fixture'

const ctx = useFixture('sqlite')
let temp: string

beforeAll(() => {
  // A folder with a secret next to the public one, and a symlink from inside to outside.
  temp = mkdtempSync(join(tmpdir(), 'mercado-static-'))
  mkdirSync(join(temp, 'public', 'css'), { recursive: true })
  writeFileSync(join(temp, 'secret.txt'), 'top secret')
  writeFileSync(join(temp, 'public', '.env'), 'JWT_SECRET=hidden')
  writeFileSync(join(temp, 'public', 'css', 'site.css'), 'body { margin: 0 }')
  writeFileSync(join(temp, 'public', 'app.js'), 'console.log(1)')
  writeFileSync(join(temp, 'public', 'data.json'), '{}')
  writeFileSync(join(temp, 'public', 'notes.txt'), 'hello')
  writeFileSync(join(temp, 'public', 'logo.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47]))
  writeFileSync(join(temp, 'public', 'file with space.txt'), 'spaced')
  symlinkSync(join(temp, 'secret.txt'), join(temp, 'public', 'link.txt'))
})
afterAll(() => rmSync(temp, { recursive: true, force: true }))

describe('GET /static/*', () => {
  test('serves public/index.html as HTML', async () => {
    const reply = await ctx.client.get('/static/index.html')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toStartWith('text/html')
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff')
    expect(reply.body).toContain('<title>Mercado</title>')
  })

  test('serves the favicon as SVG', async () => {
    const reply = await ctx.client.get('/static/favicon.svg')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toStartWith('image/svg+xml')
  })

  test('answers a missing file with a 404 problem', async () => {
    const reply = await ctx.client.get('/static/nope.txt')
    expectProblem(reply, 404)
    expect(reply.body).toMatchObject({ title: 'Not Found', instance: '/static/nope.txt' })
  })

  test('answers the folder itself with 404', async () => {
    for (const path of ['/static/', '/static/css']) {
      const reply = await ctx.client.get(path)
      expect(reply.status, path).toBe(404)
    }
  })

  test('gives each file the content type of its extension', async () => {
    const files = new Elysia().use(staticFiles({ dir: join(temp, 'public') }))
    const types: Record<string, string> = {
      'css/site.css': 'text/css',
      'app.js': 'text/javascript',
      'data.json': 'application/json',
      'notes.txt': 'text/plain',
      'logo.png': 'image/png',
      'file%20with%20space.txt': 'text/plain',
    }
    for (const [path, type] of Object.entries(types)) {
      const response = await files.handle(new Request(`http://localhost/static/${path}`))
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toStartWith(type)
    }
  })

  const escapes = [
    '/static/..%2fpackage.json',
    '/static/%2e%2e/package.json',
    '/static/%2e%2e%2fpackage.json',
    '/static/%2E%2E%2Fpackage.json',
    '/static/.%2e/package.json',
    '/static/..%5cpackage.json',
    '/static/%5c..%5cpackage.json',
    '/static/%2fetc%2fpasswd',
    '/static//etc/passwd',
    '/static/%2F%2Fetc%2Fpasswd',
    '/static/C:%5cWindows%5cwin.ini',
    '/static/index.html%00.txt',
    '/static/%252e%252e/package.json',
    '/static/%',
  ]
  for (const path of escapes) {
    test(`refuses ${path} with 404`, async () => {
      const reply = await ctx.client.get(path)
      expect(reply.status).toBe(404)
      expect(JSON.stringify(reply.body)).not.toContain('"dependencies"')
      expect(JSON.stringify(reply.body)).not.toContain('root:')
    })
  }

  test('refuses a raw ../ request line that no URL parser has normalised', async () => {
    const server = ctx.app.listen({ port: 0, hostname: '127.0.0.1' })
    try {
      const port = server.server?.port as number
      for (const target of [
        '/static/../package.json',
        '/static/%2e%2e/package.json',
        '/static/..\\package.json',
      ]) {
        const raw = await new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
          })
          let data = ''
          socket.on('data', (chunk) => {
            data += chunk.toString()
          })
          socket.on('end', () => resolve(data))
          socket.on('error', reject)
        })
        expect(raw, target).toStartWith('HTTP/1.1 404')
        expect(raw, target).not.toContain('"dependencies"')
      }
    } finally {
      await server.stop(true)
    }
  })
})

describe('resolvePublicFile', () => {
  test('finds files, also in sub-folders and with encoded names', async () => {
    const root = join(temp, 'public')
    expect(await resolvePublicFile(root, 'css/site.css')).toBe(join(root, 'css', 'site.css'))
    expect(await resolvePublicFile(root, 'file%20with%20space.txt')).toBe(join(root, 'file with space.txt'))
  })

  test('refuses dotfiles, symlinks out of the folder, folders and every spelling of ..', async () => {
    const root = join(temp, 'public')
    for (const raw of [
      '.env',
      '%2eenv',
      'link.txt',
      'css',
      '',
      '../secret.txt',
      '%2e%2e/secret.txt',
      '..%2fsecret.txt',
      '..%5csecret.txt',
      `${temp}/secret.txt`,
      encodeURIComponent(join(temp, 'secret.txt')),
    ]) {
      expect(await resolvePublicFile(root, raw), raw).toBeNull()
    }
  })
})
