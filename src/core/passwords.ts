/**
 * Password hashing with Bun's built-in argon2id. Only the async forms are used: they run on a
 * worker thread, so hashing never blocks other requests.
 */

const OPTIONS = { algorithm: 'argon2id' } as const

export const hashPassword = (password: string) => Bun.password.hash(password, OPTIONS)

/** A hash of a random password, made once, for unknown users (see `verifyPassword`). */
let dummyHash: Promise<string> | undefined

/** Makes the dummy hash now, at start, so that the first unknown user costs no more than the rest. */
export function prepareDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomUUID())
  return dummyHash
}

/**
 * Verifies `password` against `hash`, or against a dummy hash when there is no user, so that an
 * unknown username costs the same time as a wrong password and does not reveal who exists.
 */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  if (hash === undefined) {
    await Bun.password.verify(password, await prepareDummyHash())
    return false
  }
  return Bun.password.verify(password, hash)
}
