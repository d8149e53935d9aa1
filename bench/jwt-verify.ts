/**
 * `bun bench/jwt-verify.ts`: how fast jose verifies an access-token-sized JWT with each asymmetric
 * algorithm we could sign with (RS256 2048-bit, ES256, EdDSA/Ed25519), keys imported once as a
 * server caches them, and HS256 (the retired shared secret) for reference. The figures chose the
 * access-token algorithm (src/keys/keyring.ts).
 */
import { generateKeyPair, generateSecret, jwtVerify, SignJWT } from 'jose'

const ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'HS256'] as const
const ROUNDS = Number(process.env.ROUNDS ?? 20_000)

async function measure(alg: (typeof ALGORITHMS)[number]) {
  const secret = alg === 'HS256' ? await generateSecret(alg) : undefined
  const { privateKey, publicKey } = secret
    ? { privateKey: secret, publicKey: secret }
    : await generateKeyPair(alg, { modulusLength: 2048 })
  const claims = { role: 'user', sid: crypto.randomUUID(), sv: 1 }
  const sign = () =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, typ: 'at+jwt', kid: 'bench' })
      .setSubject('0123456789abcdef01234567')
      .setIssuer('http://localhost:3000')
      .setAudience('mercado')
      .setIssuedAt()
      .setExpirationTime('15m')
      .setJti(crypto.randomUUID())
      .sign(privateKey)
  const token = await sign()
  const options = { algorithms: [alg], issuer: 'http://localhost:3000', audience: 'mercado' }
  for (let i = 0; i < 2_000; i++) await jwtVerify(token, publicKey, options)
  let start = performance.now()
  for (let i = 0; i < ROUNDS; i++) await jwtVerify(token, publicKey, options)
  const verifyUs = ((performance.now() - start) * 1000) / ROUNDS
  const signRounds = Math.min(ROUNDS, 2_000)
  start = performance.now()
  for (let i = 0; i < signRounds; i++) await sign()
  const signUs = ((performance.now() - start) * 1000) / signRounds
  return { alg, verifyUs, verifyPerSecond: Math.round(1e6 / verifyUs), signUs, tokenBytes: token.length }
}

const rows = []
for (const alg of ALGORITHMS) rows.push(await measure(alg))
console.log(`bun ${Bun.version}, ${ROUNDS} verifications each`)
for (const row of rows) {
  console.log(
    `${row.alg.padEnd(6)} verify ${row.verifyUs.toFixed(1).padStart(6)} µs (${row.verifyPerSecond}/s)  sign ${row.signUs.toFixed(1).padStart(7)} µs  token ${row.tokenBytes} bytes`,
  )
}
