import { type Subprocess, spawn } from 'bun'

export interface RunningServer {
  url: string
  process: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Every JSON line the server logged so far. */
  logs: Array<Record<string, unknown>>
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>
}

/**
 * Starts the real server (`command`, default `bun src/index.ts`) on a free port with `env` on top
 * of a minimal environment, and resolves once it logs that it listens.
 */
export async function startServer(
  env: Record<string, string>,
  command = ['bun', 'src/index.ts'],
  cwd?: string,
): Promise<RunningServer> {
  const child = spawn(command, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const logs: Array<Record<string, unknown>> = []
  let url: string | undefined
  let announce: (() => void) | undefined
  const listening = new Promise<void>((resolve) => {
    announce = resolve
  })
  ;(async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of child.stdout) {
      buffer += decoder.decode(chunk)
      let newline = buffer.indexOf('\n')
      while (newline >= 0) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
        try {
          const entry = JSON.parse(line)
          logs.push(entry)
          if (entry.msg === 'listening') {
            url = String(entry.url)
            announce?.()
          }
        } catch {
          // not a log line
        }
      }
    }
  })()
  const exited = child.exited.then(async (code) => {
    throw new Error(`server exited with ${code} before listening: ${await new Response(child.stderr).text()}`)
  })
  await Promise.race([
    listening,
    exited,
    Bun.sleep(30_000).then(() => Promise.reject(new Error('server start timed out'))),
  ])
  exited.catch(() => {})
  return {
    url: url as string,
    process: child,
    logs,
    async stop(signal = 'SIGTERM') {
      child.kill(signal)
      return child.exited
    },
  }
}
