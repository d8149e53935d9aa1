/**
 * Operator commands, run beside the service on the same configuration (`bun src/cli.ts <command>`):
 *
 *   rotate-keys   make a new signing key now; running instances pick it up within their reload
 *                 interval, and it signs once `KEY_ACTIVATION_DELAY` has passed.
 */
import { ConfigError, loadConfig } from './config'
import { createLogger } from './core/log'
import { KeyCipher } from './keys/cipher'
import { KeyRing } from './keys/keyring'
import { openStore } from './store'

const USAGE = 'usage: bun src/cli.ts rotate-keys'

async function rotateKeys(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger(config.logLevel)
  const store = await openStore(config, logger)
  try {
    const keys = new KeyRing(store.signingKeys, new KeyCipher(config.keyEncryptionSecret), {
      activationDelay: config.keyActivationDelay,
      rotationInterval: config.keyRotationInterval,
      maxTokenTtl: config.accessTokenTtl,
      logger,
    })
    // Opens the keys held first, so that a wrong KEY_ENCRYPTION_SECRET adds no key.
    await keys.ready()
    const rotation = await keys.rotate()
    process.stdout.write(
      `${JSON.stringify({ kid: rotation.kid, alg: rotation.alg, activatesAt: rotation.activatesAt })}\n`,
    )
  } finally {
    await store.close()
  }
}

const command = process.argv[2]
try {
  if (command === 'rotate-keys') await rotateKeys()
  else {
    process.stderr.write(`${USAGE}\n`)
    process.exit(2)
  }
} catch (error) {
  const why = error instanceof ConfigError ? `invalid configuration: ${error.message}` : String(error)
  process.stderr.write(`mercado: ${why}\n`)
  process.exit(1)
}
