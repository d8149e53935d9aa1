/**
 * Restarts the driver's server monitoring when one of its checks never ends, so that the store
 * recovers once FerretDB is back (docs/api.md, Operation: database outages).
 *
 * Why it is needed: on Bun, `write()` on a socket whose peer has just closed it (FIN seen, `close`
 * not emitted yet) returns false, and then the socket emits neither `drain` nor `error`. The driver
 * (`Connection.writeCommand`) waits for `drain` and so never settles. When the database dies, the
 * first failed operation marks the server unknown and wakes the monitor, which sends its `hello`
 * on its old connection, inside that window. The check then hangs for good, the monitor never
 * checks again (it waits for the running check before scheduling the next), the connection pool
 * stays paused, and every operation fails server selection with the stale error until restart.
 *
 * On MongoDB 4.4 and later the driver gets out of this by itself: a network error restarts the
 * monitor (`Monitor.reset`), but only for a server that reports a `topologyVersion`, which
 * FerretDB v1 never does. So this watchdog runs on FerretDB only.
 *
 * A check is bounded by the driver: a connect and a `hello`, each within `connectTimeoutMS`. A
 * check still running well past that is stuck; the watchdog then closes the client and connects it
 * again, which starts a new monitor. `Db` and `Collection` objects read the client's current
 * topology on each operation, so the repositories keep working across the restart.
 */
import type { MongoClient, ServerHeartbeatStartedEvent } from 'mongodb'
import type { Logger } from '../../../core/log.ts'

/** Slack on top of the driver's own bound before a check counts as stuck. */
const STALL_MARGIN_MS = 1000
/** Pause between two reconnection attempts while the server is still away. */
const RECONNECT_PAUSE_MS = 250

export class MonitorWatchdog {
  /** The running check of each server, by address: when it counts as stuck. */
  private readonly checks = new Map<string, ReturnType<typeof setTimeout>>()
  private restarting: Promise<void> | undefined
  private stopped = false

  constructor(
    private readonly client: MongoClient,
    private readonly logger?: Logger,
  ) {
    client.on('serverHeartbeatStarted', this.onStarted)
    client.on('serverHeartbeatSucceeded', this.onEnded)
    client.on('serverHeartbeatFailed', this.onEnded)
  }

  /** Stops watching, and waits for a restart under way so that the client can be closed after it. */
  async stop(): Promise<void> {
    this.stopped = true
    this.client.off('serverHeartbeatStarted', this.onStarted)
    this.client.off('serverHeartbeatSucceeded', this.onEnded)
    this.client.off('serverHeartbeatFailed', this.onEnded)
    for (const timer of this.checks.values()) clearTimeout(timer)
    this.checks.clear()
    await this.restarting
  }

  private readonly onStarted = (event: ServerHeartbeatStartedEvent) => {
    const { connectTimeoutMS, heartbeatFrequencyMS } = this.client.options
    // An awaited (streaming) check may legitimately wait a whole heartbeat for its answer.
    const bound = 2 * connectTimeoutMS + (event.awaited ? heartbeatFrequencyMS : 0) + STALL_MARGIN_MS
    clearTimeout(this.checks.get(event.connectionId))
    const timer = setTimeout(() => this.onStalled(event.connectionId, bound), bound)
    timer.unref()
    this.checks.set(event.connectionId, timer)
  }

  private readonly onEnded = (event: { connectionId: string }) => {
    clearTimeout(this.checks.get(event.connectionId))
    this.checks.delete(event.connectionId)
  }

  private onStalled(address: string, bound: number): void {
    this.checks.delete(address)
    if (this.stopped || this.restarting) return
    this.logger?.warn('mongodb: a server check has not ended; restarting the client', {
      server: address,
      afterMs: bound,
    })
    this.restarting = this.restart().finally(() => {
      this.restarting = undefined
    })
  }

  /** Closes the client and connects it again, retrying until the server answers or `stop`. */
  private async restart(): Promise<void> {
    await this.client.close().catch(() => {})
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        // Waits for the server up to serverSelectionTimeoutMS, then gives up (and closes) on its own.
        await this.client.connect()
        this.logger?.info('mongodb: client reconnected', { attempt })
        return
      } catch {
        await Bun.sleep(RECONNECT_PAUSE_MS)
      }
    }
  }
}
