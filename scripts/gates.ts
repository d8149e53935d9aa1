/**
 * `bun run gates [name ...]`: the reliability gates, heavier than `bun run test` because each one
 * runs real servers under faults or load (docs/architecture.md, Tests). Every file in
 * `scripts/gates/` is one gate, run as its own process, one after another, with a time limit; a
 * gate passes by exiting 0. Names narrow the run to those gates.
 */
import { readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { spawn } from 'bun'

/** No gate may take longer: `.ci/run` has to stay well under half an hour. */
const GATE_TIMEOUT_MS = 8 * 60_000

const dir = join(import.meta.dir, 'gates')
const wanted = process.argv.slice(2)
const gates = readdirSync(dir)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => basename(file, '.ts'))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort()
const unknown = wanted.filter((name) => !gates.includes(name))
if (unknown.length > 0 || gates.length === 0) {
  console.error(`gates: no such gate: ${unknown.join(', ') || '(none found)'}`)
  process.exit(1)
}

const results: Array<{ name: string; ok: boolean; seconds: number }> = []
for (const name of gates) {
  console.log(`\n== gate ${name}`)
  const start = performance.now()
  const gate = spawn(['bun', join(dir, `${name}.ts`)], { stdio: ['ignore', 'inherit', 'inherit'] })
  const timer = setTimeout(() => {
    console.error(`gate ${name}: over ${GATE_TIMEOUT_MS / 1000} s; stopped`)
    gate.kill('SIGKILL')
  }, GATE_TIMEOUT_MS)
  const code = await gate.exited
  clearTimeout(timer)
  results.push({ name, ok: code === 0, seconds: Math.round((performance.now() - start) / 1000) })
}

console.log('\n== gates')
for (const r of results) console.log(`${r.ok ? 'pass' : 'FAIL'}  ${r.name} (${r.seconds} s)`)
const failed = results.filter((r) => !r.ok).length
console.log(`gates: ${results.length - failed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
