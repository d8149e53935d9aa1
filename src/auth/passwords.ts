/**
 * Password hashing with Bun's built-in argon2id. Only the async forms are used: they run on a
 * worker thread, so hashing never blocks other requests.
 */

const OPTIONS = { algorithm: 'argon2id' } as const

export const hashPassword = (password: string) => Bun.password.hash(password, OPTIONS)

/** A hash of a random password, made once, for unknown users (see `verifyLogin`). */
let dummyHash: Promise<string> | undefined

/**
 * Verifies `password` against `hash`, or against a dummy hash when there is no user, so that an
 * unknown username costs the same time as a wrong password and does not reveal who exists.
 */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  if (hash === undefined) {
    dummyHash ??= hashPassword(crypto.randomUUID())
    await Bun.password.verify(password, await dummyHash)
    return false
  }
  return Bun.password.verify(password, hash)
}
