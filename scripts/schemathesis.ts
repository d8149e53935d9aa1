/**
 * Schemathesis for the fuzzing gate: installed once per pinned set into a virtualenv under
 * `~/.cache/mercado/venv-<hash>` (MERCADO_CACHE moves the root, as for the FerretDB binary), keyed
 * by scripts/gates/fuzz-requirements.txt and the Python version, so CI installs it on its first run
 * only; and run as a child process under a deadline. What goes wrong here is thrown with a reason:
 * a gate never skips.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'bun'

export const REQUIREMENTS = join(import.meta.dir, 'gates', 'fuzz-requirements.txt')

/** Schemathesis 4 needs Python 3.11 or newer. */
const PYTHONS = ['python3', 'python3.13', 'python3.12', 'python3.11']
const MIN_MINOR = 11

async function output(command: string[]): Promise<{ code: number; text: string }> {
  try {
    const child = spawn(command, { stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ])
    return { code, text: `${out}${err}` }
  } catch (error) {
    // Not on the PATH at all.
    return { code: 127, text: (error as Error).message }
  }
}

/** The first Python on the PATH that is new enough, with its full version. */
async function findPython(): Promise<{ python: string; version: string }> {
  for (const python of PYTHONS) {
    const { code, text } = await output([python, '-c', 'import sys; print(sys.version_info[1], sys.version)'])
    if (code !== 0) continue
    const [minor, ...version] = text.trim().split(' ')
    if (Number(minor) >= MIN_MINOR) return { python, version: version.join(' ') }
  }
  throw new Error(`no Python 3.${MIN_MINOR} or newer on the PATH (tried ${PYTHONS.join(', ')})`)
}

/**
 * The command that runs schemathesis (`python -m schemathesis.cli`, which survives the rename
 * below, where the venv's own scripts would keep the temporary path), installing it if needed.
 */
export async function schemathesisCommand(log: (line: string) => void): Promise<string[]> {
  const { python, version } = await findPython()
  const requirements = readFileSync(REQUIREMENTS, 'utf8')
  const hash = new Bun.CryptoHasher('sha256').update(`${requirements}\n${version}`).digest('hex').slice(0, 16)
  const cache = process.env.MERCADO_CACHE || join(homedir(), '.cache', 'mercado')
  const venv = join(cache, `venv-${hash}`)
  const command = [join(venv, 'bin', 'python'), '-m', 'schemathesis.cli']
  if (existsSync(join(venv, 'installed'))) return command

  log(`installing schemathesis into ${venv} (once per pinned set; Python ${version.split(' ')[0]})`)
  mkdirSync(cache, { recursive: true })
  // Built aside and renamed into place, so an interrupted install is never taken for a finished one.
  const building = `${venv}.tmp-${process.pid}`
  rmSync(building, { recursive: true, force: true })
  const steps = [
    [python, '-m', 'venv', building],
    [
      join(building, 'bin', 'python'),
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '-q',
      '-r',
      REQUIREMENTS,
    ],
  ]
  for (const step of steps) {
    const { code, text } = await output(step)
    if (code !== 0) {
      rmSync(building, { recursive: true, force: true })
      throw new Error(`${step.slice(0, 4).join(' ')} failed (exit ${code}):\n${text}`)
    }
  }
  await Bun.write(join(building, 'installed'), `${requirements}\n`)
  // A folder without the mark is no install of ours (its marker is written last): replace it.
  if (existsSync(venv) && !existsSync(join(venv, 'installed'))) rmSync(venv, { recursive: true, force: true })
  try {
    renameSync(building, venv)
  } catch (error) {
    // Another run finished the same install first; its copy is as good as ours.
    rmSync(building, { recursive: true, force: true })
    if (!existsSync(join(venv, 'installed'))) throw error
  }
  return command
}

export interface SchemathesisRun {
  /** Its stdout and stderr, in that order. */
  output: string
  code: number
  /** Killed at `deadline` (epoch milliseconds). */
  timedOut: boolean
}

/** Runs `command` with `args` in `cwd` until it ends or `deadline` passes. */
export async function runSchemathesis(
  command: string[],
  args: string[],
  options: { cwd: string; env: Record<string, string>; deadline: number },
): Promise<SchemathesisRun> {
  const child = spawn([...command, ...args], {
    cwd: options.cwd,
    // No __pycache__ beside the hooks file in the working copy.
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, options.deadline - Date.now())
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  clearTimeout(timer)
  return { output: `${out}${err}`, code, timedOut }
}
