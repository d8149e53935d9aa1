/**
 * A real Prometheus for the observability gate: Debian's `prometheus` package (installed here with
 * apt-get when it is not on the PATH), started on a free loopback port with a temporary config
 * that scrapes one target every second, its data in a temporary folder removed by `stop()`.
 * Anything that keeps it from starting throws: the gate fails, it never skips.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn, spawnSync } from 'bun'
import { freePort } from './support/processes'

const START_TIMEOUT_MS = 60_000

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`: the HTTP API (`/api/v1/query`...). */
  url: string
  stop(): void
}

/** The `prometheus` binary, installed with apt-get on first use. */
export function prometheusBinary(): string {
  const found = spawnSync(['sh', '-c', 'command -v prometheus']).stdout.toString().trim()
  if (found) return found
  console.log('prometheus: not on the PATH; apt-get install -y prometheus')
  const sudo = process.getuid?.() === 0 ? [] : ['sudo']
  for (const args of [
    ['apt-get', 'update', '-q'],
    ['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'prometheus'],
  ]) {
    const run = spawnSync([...sudo, ...args], { stdout: 'inherit', stderr: 'inherit' })
    if (run.exitCode !== 0)
      throw new Error(`prometheus: ${args.join(' ')} failed (${run.exitCode}); install it`)
  }
  const installed = spawnSync(['sh', '-c', 'command -v prometheus']).stdout.toString().trim()
  if (!installed) throw new Error('prometheus: still not on the PATH after apt-get install')
  return installed
}

/** Prometheus scraping `target` (`host:port`) at `/metrics` every second, with `token` as bearer. */
export async function startPrometheus(target: string, token: string): Promise<PrometheusServer> {
  const bin = prometheusBinary()
  const dir = mkdtempSync(join(tmpdir(), 'mercado-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: mercado',
      '    metrics_path: /metrics',
      `    authorization: { type: Bearer, credentials: ${JSON.stringify(token)} }`,
      `    static_configs: [{ targets: [${JSON.stringify(target)}] }]`,
      '',
    ].join('\n'),
  )
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const server = spawn(
    [
      bin,
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' },
  )
  const stop = () => {
    server.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', stop)
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      const stderr = await new Response(server.stderr).text()
      stop()
      throw new Error(`prometheus exited with ${server.exitCode} before it was ready:\n${stderr.trim()}`)
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return { url, stop }
    await Bun.sleep(200)
  }
  stop()
  throw new Error(`prometheus was not ready within ${START_TIMEOUT_MS / 1000} s`)
}
