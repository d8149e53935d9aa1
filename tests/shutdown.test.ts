import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from './support/server'

/** docs/api.md, Service: the process's liveness when it stops turning. */
describe('shutdown and liveness (process)', () => {
  const dirs: string[] = []
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mercado-shutdown-'))
    dirs.push(dir)
    return dir
  }
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  test('a process that stopped turning for longer than the stall limit fails /health; /ready does not', async () => {
    const server = await startServer({ DATA_DIR: dataDir() })
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(200)
      // Frozen as a blocked event loop would be: no timer, no request runs.
      server.process.kill('SIGSTOP')
      await Bun.sleep(6_000)
      server.process.kill('SIGCONT')
      const health = await fetch(`${server.url}/health`)
      expect(health.status).toBe(503)
      expect(((await health.json()) as { detail: string }).detail).toMatch(/event loop stalled/)
      expect((await fetch(`${server.url}/ready`)).status).toBe(200)
    } finally {
      expect(await server.stop()).toBe(0)
    }
  }, 20_000)
})
