/**
 * Smoke test of the compiled executable (`bun run build` → dist/mercado), as the container runs
 * it: from an empty folder without node_modules, NODE_ENV=production, against MongoDB (MONGODB_URI
 * or our FerretDB test server). Health, ready, a write, a read, the docs, and a clean SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { spawn } from 'bun'
import { mongoServer } from './mongo-server'

const binary = resolve(import.meta.dir, '..', 'dist', 'mercado')
if (!(await Bun.file(binary).exists())) {
  console.error(`smoke: ${binary} is missing; run \`bun run build\` first`)
  process.exit(1)
}

const mongo = await mongoServer()
const workdir = mkdtempSync(join(tmpdir(), 'mercado-smoke-'))
const port = 30_000 + Math.floor(Math.random() * 20_000)
const base = `http://127.0.0.1:${port}`
const server = spawn([binary], {
  cwd: workdir,
  env: {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    MONGODB_URI: mongo.uri,
    MONGODB_DB: `mercado_smoke_${Date.now().toString(36)}`,
    KEY_ENCRYPTION_SECRET: crypto.randomUUID() + crypto.randomUUID(),
    LOG_LEVEL: 'warn',
  },
  stdout: 'inherit',
  stderr: 'inherit',
})

let passed = 0
let failed = 0
async function check(name: string, run: () => Promise<void>) {
  try {
    await run()
    passed++
    console.log(`smoke: ok   ${name}`)
  } catch (error) {
    failed++
    console.log(`smoke: FAIL ${name}: ${(error as Error).message}`)
  }
}
function expectStatus(response: Response, status: number) {
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}`)
}

try {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const up = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (up) break
    await Bun.sleep(100)
  }
  await check('GET /health', async () => expectStatus(await fetch(`${base}/health`), 200))
  await check('GET /ready on MongoDB', async () => {
    const reply = await fetch(`${base}/ready`)
    expectStatus(reply, 200)
    const body = (await reply.json()) as { store: string }
    if (body.store !== 'mongodb') throw new Error(`store is ${body.store}`)
  })
  const account = {
    username: `smoke_${Date.now()}`,
    email: `smoke_${Date.now()}@example.com`,
    password: 'smoke-password',
  }
  let token = ''
  await check('POST /auth/register writes a user', async () => {
    expectStatus(
      await fetch(`${base}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(account),
      }),
      201,
    )
  })
  await check('POST /auth/login reads it back', async () => {
    const reply = await fetch(`${base}/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        username: account.username,
        password: account.password,
      }),
    })
    expectStatus(reply, 200)
    token = ((await reply.json()) as { access_token: string }).access_token
  })
  await check('POST then GET /products', async () => {
    const created = await fetch(`${base}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'Smoke detector', price: 19.99, tags: ['Safety'] }),
    })
    expectStatus(created, 201)
    const read = await fetch(`${base}${created.headers.get('location')}`)
    expectStatus(read, 200)
    const product = (await read.json()) as { name: string; tags: string[] }
    if (product.name !== 'Smoke detector' || product.tags[0] !== 'safety')
      throw new Error(JSON.stringify(product))
  })
  await check('GET /swagger and /swagger/json', async () => {
    expectStatus(await fetch(`${base}/swagger`), 200)
    const doc = await fetch(`${base}/swagger/json`)
    expectStatus(doc, 200)
    if (!((await doc.json()) as { paths?: Record<string, unknown> }).paths?.['/products'])
      throw new Error('the document lacks /products')
  })
  // The docs' files are embedded in the executable (`with { type: 'file' }`): none may be missing.
  await check("the docs' assets and the OAuth2 redirect page, from the executable", async () => {
    const page = await fetch(`${base}/swagger/oauth2-redirect.html`)
    expectStatus(page, 200)
    const script = /<script src="([^"]+)"/.exec(await page.text())?.[1]
    if (!script?.startsWith('/swagger/assets/')) throw new Error(`the redirect page loads ${script}`)
    const swagger = await (await fetch(`${base}/swagger`)).text()
    const assets = [...swagger.matchAll(/(?:src|href)="(\/swagger\/assets\/[^"]+)"/g)].map((m) => m[1])
    if (assets.length !== 2) throw new Error(`/swagger names ${assets.length} assets`)
    for (const url of [script, ...assets]) {
      const reply = await fetch(`${base}${url}`)
      expectStatus(reply, 200)
      if ((await reply.arrayBuffer()).byteLength < 1_000) throw new Error(`${url} is nearly empty`)
    }
  })
  await check('SIGTERM exits 0', async () => {
    server.kill('SIGTERM')
    const code = await server.exited
    if (code !== 0) throw new Error(`exit code ${code}`)
  })
} finally {
  server.kill('SIGKILL')
  mongo.stop()
  rmSync(workdir, { recursive: true, force: true })
}
console.log(`smoke: ${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
