/**
 * A worker that times `GET /health` one request after another, on its own event loop, so that the
 * load a gate generates on its main thread does not count as the service's latency. Post it
 * `{ url, pauseMs }` to start and `'stop'` to get back the latencies in ms.
 */
declare const self: Worker

let running = false
const latencies: number[] = []

self.onmessage = async (event: MessageEvent<{ url: string; pauseMs: number } | 'stop'>) => {
  if (event.data === 'stop') {
    running = false
    return
  }
  const { url, pauseMs } = event.data
  running = true
  while (running) {
    const start = performance.now()
    try {
      const reply = await fetch(url)
      await reply.arrayBuffer()
      latencies.push(reply.status === 200 ? performance.now() - start : Number.POSITIVE_INFINITY)
    } catch {
      latencies.push(Number.POSITIVE_INFINITY)
    }
    await Bun.sleep(pauseMs)
  }
  self.postMessage(latencies)
}
