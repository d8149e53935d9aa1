import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeepAliveConnection } from '../scripts/support/http1'
import { type RunningServer, startServer } from './support/server'

/** docs/api.md, Operation: the process at SIGTERM, and its liveness when it stops turning. */
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

  const portOf = (server: RunningServer) => Number(new URL(server.url).port)

  async function logged(server: RunningServer, msg: string): Promise<void> {
    const deadline = Date.now() + 5_000
    while (!server.logs.some((line) => line.msg === msg)) {
      if (Date.now() > deadline) throw new Error(`the server never logged "${msg}"`)
      await Bun.sleep(5)
    }
  }

  test('a request on an idle keep-alive connection after SIGTERM is answered 503 + Connection: close; then new connections are refused', async () => {
    const server = await startServer({ DATA_DIR: dataDir() })
    const connection = new KeepAliveConnection('127.0.0.1', portOf(server))
    expect(await connection.request({ method: 'GET', path: '/products' })).toMatchObject({ status: 200 })

    // The connection is idle and kept alive when the signal lands.
    server.process.kill('SIGTERM')
    await logged(server, 'shutting down')
    const late = await connection.request({ method: 'GET', path: '/products' })
    expect(late).toMatchObject({ kind: 'answered', status: 503 })
    if (late.kind !== 'answered') throw new Error('unreachable')
    expect(late.headers.connection).toBe('close')
    expect(late.headers['retry-after']).toBe('1')
    expect(connection.connections).toBe(1)

    expect(await server.process.exited).toBe(0)
    const after = await new KeepAliveConnection('127.0.0.1', portOf(server)).request({
      method: 'GET',
      path: '/',
    })
    expect(after.kind).toBe('refused')
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
