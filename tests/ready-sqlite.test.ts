import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { spawnSync } from 'bun'
import { createSqliteStore } from '../src/store/sqlite'
import { newAccount } from './support/app'
import { type RunningServer, startServer } from './support/server'

/**
 * docs/api.md, Service and Operation: the embedded store is ready only when it can write. Real
 * files, a real process: a data file it may not write, a folder it may not write, a full disk.
 */
describe('readiness of the embedded store (process)', () => {
  const dirs: string[] = []
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mercado-ready-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  /**
   * Root writes any file whatever its mode: the service then runs as nobody, as in a container,
   * from a compiled binary in a folder nobody can read (the checkout may sit where nobody cannot).
   */
  let binary: string | undefined
  async function serve(env: Record<string, string>) {
    if (process.getuid?.() !== 0) return startServer(env)
    if (!binary) {
      const dir = dataDir()
      chmodSync(dir, 0o755)
      binary = join(dir, 'mercado')
      const build = spawnSync(['bun', 'build', '--compile', 'src/index.ts', '--outfile', binary])
      if (build.exitCode !== 0) throw new Error(`bun build failed: ${build.stderr.toString()}`)
    }
    const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
    return startServer(env, [...nobody, binary], dirname(binary))
  }

  /** A data folder holding a database with the current schema, as a previous run leaves it. */
  async function usedDataDir(): Promise<string> {
    const dir = dataDir()
    await createSqliteStore({ path: join(dir, 'mercado.sqlite') }).close()
    return dir
  }

  const status = async (server: RunningServer, path: string) => (await fetch(`${server.url}${path}`)).status
  const register = (server: RunningServer) =>
    fetch(`${server.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(newAccount()),
    })

  test('a data file it may not write: /ready and writes answer 503, /health 200', async () => {
    const dir = await usedDataDir()
    chmodSync(dir, 0o777)
    chmodSync(join(dir, 'mercado.sqlite'), 0o444)
    const server = await serve({ DATA_DIR: dir, KEY_ENCRYPTION_SECRET: 'x'.repeat(32) })
    try {
      expect(await status(server, '/ready')).toBe(503)
      expect((await register(server)).status).toBe(503)
      expect(await status(server, '/health')).toBe(200)
      expect(await status(server, '/products')).toBe(200)
    } finally {
      expect(await server.stop()).toBe(0)
    }
  })

  test('a data folder it may not write: the service does not start (exit 1)', async () => {
    const dir = await usedDataDir()
    chmodSync(join(dir, 'mercado.sqlite'), 0o666)
    chmodSync(dir, 0o555)
    await expect(serve({ DATA_DIR: dir, KEY_ENCRYPTION_SECRET: 'x'.repeat(32) })).rejects.toThrow(
      /exited with 1/,
    )
  })

  test('a full disk: /ready and writes answer 503 until space is freed, then 200 without a restart', async () => {
    const dir = dataDir()
    // A disk of our own to fill: a 4 MiB tmpfs. Mounting needs root (CAP_SYS_ADMIN).
    const mount = spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir])
    if (mount.exitCode !== 0) {
      throw new Error(
        `this test fills a 4 MiB tmpfs and needs root with CAP_SYS_ADMIN to mount one: ${mount.stderr.toString()}`,
      )
    }
    let server: RunningServer | undefined
    try {
      server = await startServer({ DATA_DIR: dir })
      expect(await status(server, '/ready')).toBe(200)
      fill(join(dir, 'filler'))
      expect(await status(server, '/ready')).toBe(503)
      expect((await register(server)).status).toBe(503)
      expect(await status(server, '/health')).toBe(200)
      await Bun.sleep(50)
      expect(server.logs.some((line) => JSON.stringify(line).includes('is full'))).toBe(true)

      rmSync(join(dir, 'filler'))
      expect(await status(server, '/ready')).toBe(200)
      expect((await register(server)).status).toBe(201)
    } finally {
      if (server) expect(await server.stop()).toBe(0)
      spawnSync(['umount', '-l', dir])
    }
  })
})

/** Writes zeros to `file` until the disk has no room left. */
function fill(file: string): void {
  const fd = openSync(file, 'w')
  const chunk = Buffer.alloc(64 * 1024)
  try {
    while (true) writeSync(fd, chunk)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  } finally {
    closeSync(fd)
  }
}
