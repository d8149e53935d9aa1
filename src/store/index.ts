import { join } from 'node:path'
import type { Config } from '../config'
import type { Logger } from '../core/log'
import { StoreUnavailableError } from './errors'
import type { Store } from './types'

/** How long start-up waits for MongoDB (a container may start before its database). */
const CONNECT_ATTEMPTS = 15
const CONNECT_RETRY_MS = 2_000

/** Opens the store the configuration names: MongoDB when `MONGODB_URI` is set, else SQLite. */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.mongodbUri) {
    const { createMongoStore } = await import('./mongo')
    for (let attempt = 1; ; attempt++) {
      try {
        const store = await createMongoStore({
          uri: config.mongodbUri,
          dbName: config.mongodbDb,
          timeoutMS: config.mongodbTimeoutMs,
          logger,
        })
        logger.info('store: mongodb', { db: config.mongodbDb })
        return store
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || attempt >= CONNECT_ATTEMPTS) throw error
        logger.warn('mongodb is not reachable yet; retrying', { attempt, err: error })
        await Bun.sleep(CONNECT_RETRY_MS)
      }
    }
  }
  const { createSqliteStore } = await import('./sqlite')
  const path = join(config.dataDir, 'mercado.sqlite')
  const store = createSqliteStore({ path, logger })
  logger.info('store: embedded sqlite', { path })
  return store
}
