import { join } from 'node:path'
import type { Config } from '../config'
import type { Logger } from '../http/log'
import type { Store } from './types'

/** Opens the store the configuration names: MongoDB when `MONGODB_URI` is set, else SQLite. */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.mongodbUri) {
    const { createMongoStore } = await import('./mongo')
    const store = await createMongoStore({ uri: config.mongodbUri, dbName: config.mongodbDb })
    logger.info('store: mongodb', { db: config.mongodbDb })
    return store
  }
  const { createSqliteStore } = await import('./sqlite')
  const path = join(config.dataDir, 'mercado.sqlite')
  const store = createSqliteStore({ path })
  logger.info('store: embedded sqlite', { path })
  return store
}
