/**
 * `bun bench/raw.ts`: the floor of `bun run bench`, a raw `Bun.serve` answering `/health` with the
 * same small JSON as Mercado's (every other path 404). Its rate is 1.00 in the table.
 */
const body = JSON.stringify({ status: 'ok' })

Bun.serve({
  port: Number(process.env.PORT),
  hostname: '127.0.0.1',
  fetch(request) {
    if (new URL(request.url).pathname === '/health') {
      return new Response(body, { headers: { 'content-type': 'application/json' } })
    }
    return new Response('not found', { status: 404 })
  },
})
