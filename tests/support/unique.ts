/** The one generator of names no other test uses: accounts, product names, tags, store markers. */

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'
/** Letters of the counter; 26^4 names a run before the counter part wraps (the random part stays). */
const COUNTER_LETTERS = 4
const RANDOM_LETTERS = 8

let made = 0

/**
 * `prefix` and then twelve lower-case letters: a counter, unique within the run, and random letters,
 * so that runs and processes sharing one server do not meet either. Letters only, so that it is safe
 * in usernames, emails, product names, tags and search terms, and upper-casing it really changes it.
 */
export function unique(prefix = ''): string {
  let n = made++
  let counter = ''
  for (let i = 0; i < COUNTER_LETTERS; i++) {
    counter = LETTERS[n % LETTERS.length] + counter
    n = Math.floor(n / LETTERS.length)
  }
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(RANDOM_LETTERS)),
    (byte) => LETTERS[byte % LETTERS.length],
  ).join('')
  return `${prefix}${counter}${random}`
}
