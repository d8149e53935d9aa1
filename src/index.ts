import { createApp, createServices } from './app'
import { ConfigError, loadConfig } from './config'
import { createLogger } from './core/log'
import { Probes } from './health'
import { KeyDecryptionError } from './keys/cipher'
import { logTransportWarning } from './mail'
import { Observability } from './observability'
import { openStore } from './store'

/** How long in-flight requests may take to finish after SIGTERM or SIGINT (docs/api.md, Operation). */
const DRAIN_TIMEOUT_MS = 10_000

async function main() {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mercado: invalid configuration: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  const logger = createLogger(config.logLevel)
  const observability = new Observability(config)
  let store: Awaited<ReturnType<typeof openStore>>
  try {
    store = observability.store(await openStore(config, logger))
  } catch (error) {
    logger.error('cannot open the store', { err: error })
    logger.flush()
    process.exit(1)
  }
  const services = createServices(config, store, logger)
  try {
    // Loads the signing keys (making the first one on a new store): a wrong KEY_ENCRYPTION_SECRET
    // or an unreachable store stops the start here, not at the first login.
    await services.keys.start()
  } catch (error) {
    logger.error('cannot load the signing keys', { err: error })
    logger.flush()
    if (error instanceof KeyDecryptionError) process.stderr.write(`mercado: ${error.message}\n`)
    await store.close().catch(() => {})
    process.exit(1)
  }
  if (!config.smtpUrl) {
    const production = config.env === 'production'
    logger[production ? 'warn' : 'info'](logTransportWarning(production))
  }
  services.mail.start()
  const probes = new Probes()
  const app = createApp({ config, store, logger, services, probes, observability })
  if (config.admin) {
    const created = await services.users.ensureAdmin(config.admin)
    if (created) logger.info('created the first admin', { username: created.username })
    else if ((await store.users.countEnabledAdmins()) === 0) {
      logger.warn('ADMIN_USERNAME or ADMIN_EMAIL belongs to an existing account that is not an enabled admin')
    }
  }

  // The app refuses every oversize body with a 413 problem: by its Content-Length before reading,
  // or by counting the bytes of one sent without (http/body.ts). Bun's own limit would answer
  // first, with a bare 413 (no problem, no X-Request-Id, no log line), so it is out of the way.
  // idleTimeout: Bun closes a connection that sends no complete request head, or whose request
  // is not answered, within that many seconds (slowloris, idle keep-alives): docs/api.md, Operation.
  app.listen({
    port: config.port,
    hostname: config.host,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: config.idleTimeout,
  })
  logger.info('listening', {
    url: `http://${config.host}:${app.server?.port}`,
    docs: `http://localhost:${app.server?.port}/swagger`,
    env: config.env,
  })

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info('shutting down', { signal })
    const timer = setTimeout(() => {
      logger.warn('requests still running after the drain timeout; closing them')
      app.server?.stop(true)
    }, DRAIN_TIMEOUT_MS)
    // First, while still listening, every request is answered 503 + Connection: close, until a
    // quiet moment (at most 2 s): a keep-alive client is told to go, instead of having its idle
    // connection closed under a request it is sending. Then stop(false) refuses new connections,
    // closes the idle ones at once and resolves once the requests in flight are done.
    await probes.drain()
    await app.server?.stop(false)
    clearTimeout(timer)
    services.keys.stop()
    // Reset requests answered 202 finish their mail before the store closes.
    await services.recovery.settled()
    // The mail being sent is finished; the rest wait in the outbox for the next instance to start.
    await services.mail.stop()
    await store.close()
    await observability.shutdown().catch((err) => logger.warn('could not send the last spans', { err }))
    logger.info('stopped')
    logger.flush()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

await main()
