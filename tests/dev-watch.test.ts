import { afterAll, expect, test } from 'bun:test'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { spawn } from 'bun'

const root = resolve(import.meta.dir, '..')
const copy = mkdtempSync(join(tmpdir(), 'mercado-watch-'))
afterAll(() => rmSync(copy, { recursive: true, force: true }))

/** `bun dev` is `bun --watch`: a saved source file is served without a manual restart (docs/api.md: Running it). */
test('bun dev serves a saved change without a restart', async () => {
  // A copy of the project, so that editing a file cannot disturb other tests.
  for (const entry of ['src', 'package.json', 'tsconfig.json'])
    cpSync(join(root, entry), join(copy, entry), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'))
  const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.dev
  expect(script).toBe('bun --watch src/index.ts')

  const port = 40_000 + Math.floor(Math.random() * 20_000)
  const dev = spawn(['bun', 'run', 'dev'], {
    cwd: copy,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(copy, 'data'),
      LOG_LEVEL: 'warn',
    },
    stdout: 'ignore',
    stderr: 'ignore',
  })
  const name = async () =>
    fetch(`http://127.0.0.1:${port}/`).then(
      async (r) => ((await r.json()) as { name: string }).name,
      () => undefined,
    )
  try {
    const started = Date.now()
    while ((await name()) !== 'mercado' && Date.now() - started < 20_000) await Bun.sleep(50)
    expect(await name()).toBe('mercado')

    const file = join(copy, 'src', 'health', 'index.ts')
    writeFileSync(file, readFileSync(file, 'utf8').replace("name: 'mercado'", "name: 'mercado-edited'"))
    const saved = Date.now()
    while ((await name()) !== 'mercado-edited' && Date.now() - saved < 10_000) await Bun.sleep(25)
    const elapsed = Date.now() - saved
    expect(await name()).toBe('mercado-edited')
    // A saved file should be served within about a second; the margin absorbs a loaded CI machine.
    expect(elapsed).toBeLessThan(2_000)
  } finally {
    dev.kill('SIGTERM')
    await dev.exited
  }
})
