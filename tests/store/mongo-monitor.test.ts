import { describe, expect, test } from 'bun:test'
import { EventEmitter } from 'node:events'
import type { MongoClient } from 'mongodb'
import { MonitorWatchdog } from '../../src/store/mongo/compat/ferretdb-monitor'

/**
 * The FerretDB compat's monitor watchdog, on a stand-in client: what it watches are the driver's
 * heartbeat events, and what it does is close and connect the client. The hang itself (a check
 * that never ends after the server dies) is reproduced against a real server by the outage gate,
 * `bun scripts/gates/outage.ts`.
 */
class FakeClient extends EventEmitter {
  readonly options = { connectTimeoutMS: 20, heartbeatFrequencyMS: 10_000 }
  readonly calls: string[] = []
  /** How many `connect` calls fail before one succeeds. */
  failingConnects = 0

  async close(): Promise<void> {
    this.calls.push('close')
  }

  async connect(): Promise<this> {
    this.calls.push('connect')
    if (this.failingConnects-- > 0) throw new Error('server selection timed out')
    return this
  }
}

/** 2 × connectTimeoutMS and the watchdog's one second of slack, and a little more. */
const PAST_THE_BOUND_MS = 2 * 20 + 1000 + 200

function watch(client: FakeClient) {
  const lines: string[] = []
  const log = (level: string) => (msg: string) => lines.push(`${level} ${msg}`)
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
  const watchdog = new MonitorWatchdog(client as unknown as MongoClient, {
    ...logger,
    line: () => {},
    flush: () => {},
  })
  return { watchdog, lines }
}

const started = (address = '127.0.0.1:27017') => ({ connectionId: address, awaited: false })

describe('FerretDB monitor watchdog', () => {
  test('a check that ends in time, failed or not, leaves the client alone', async () => {
    const client = new FakeClient()
    const { watchdog } = watch(client)
    client.emit('serverHeartbeatStarted', started())
    client.emit('serverHeartbeatFailed', started())
    client.emit('serverHeartbeatStarted', started())
    client.emit('serverHeartbeatSucceeded', started())
    await Bun.sleep(PAST_THE_BOUND_MS)
    expect(client.calls).toEqual([])
    await watchdog.stop()
  })

  test('a check that never ends restarts the client, which connects again once the server answers', async () => {
    const client = new FakeClient()
    client.failingConnects = 2
    const { watchdog, lines } = watch(client)
    client.emit('serverHeartbeatStarted', started())
    await Bun.sleep(PAST_THE_BOUND_MS + 2 * 250)
    expect(client.calls).toEqual(['close', 'connect', 'connect', 'connect'])
    expect(lines).toEqual([
      'warn mongodb: a server check has not ended; restarting the client',
      'info mongodb: client reconnected',
    ])
    await watchdog.stop()
  })

  test('once stopped, it neither restarts nor keeps reconnecting', async () => {
    const client = new FakeClient()
    client.failingConnects = Number.POSITIVE_INFINITY
    const { watchdog } = watch(client)
    client.emit('serverHeartbeatStarted', started())
    await Bun.sleep(PAST_THE_BOUND_MS)
    await watchdog.stop()
    const calls = client.calls.length
    client.emit('serverHeartbeatStarted', started())
    await Bun.sleep(PAST_THE_BOUND_MS)
    expect(client.calls.length).toBe(calls)
    expect(client.listenerCount('serverHeartbeatStarted')).toBe(0)
  })
})
