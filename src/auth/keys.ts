import { Elysia, t } from 'elysia'
import { problems } from '../http/schemas'
import type { KeyRing } from '../keys/keyring'
import type { authPlugin } from './plugin'

/** One public key of the JWKS (RFC 7517): an RSA key's public half, nothing private. */
const PublicJwk = t.Object(
  {
    kty: t.Literal('RSA'),
    kid: t.String({ description: 'The key id tokens name in their header (its RFC 7638 thumbprint)' }),
    alg: t.Literal('RS256'),
    use: t.Literal('sig'),
    n: t.String({ description: 'Modulus, base64url' }),
    e: t.String({ description: 'Public exponent, base64url' }),
  },
  { additionalProperties: false },
)

const JwkSet = t.Object({ keys: t.Array(PublicJwk) }, { additionalProperties: false })

const KeyRotation = t.Object(
  {
    kid: t.String({ description: 'The new key' }),
    alg: t.String({ description: 'Its algorithm: RS256' }),
    activatesAt: t.String({
      format: 'date-time',
      description: 'When the new key starts to sign; until then it is only published in the JWKS',
    }),
  },
  { additionalProperties: false },
)

/** `GET /.well-known/jwks.json` (public) and `POST /admin/keys/rotate` (admins). */
export const keyRoutes = (keys: KeyRing, auth: ReturnType<typeof authPlugin>) =>
  new Elysia({ tags: ['keys'] })
    .use(auth)
    .get(
      '/.well-known/jwks.json',
      async ({ set }) => {
        // Cached no longer than a new key is published before it signs: every copy has the key
        // before a token signed with it can arrive.
        set.headers['cache-control'] = `public, max-age=${keys.jwksMaxAge}`
        return (await keys.jwks()) as typeof JwkSet.static
      },
      {
        response: { 200: JwkSet, ...problems(503) },
        detail: {
          summary: 'The public signing keys (JWKS)',
          operationId: 'getJwks',
          description:
            'RFC 7517 JWK Set of every key whose tokens may still be in use: the key that signs now, a key about to sign (published `KEY_ACTIVATION_DELAY` before it does), and retired keys until the tokens they signed have expired. Verify an access token with the key its `kid` names. No authentication.',
        },
      },
    )
    .post(
      '/admin/keys/rotate',
      async ({ set }) => {
        set.headers['cache-control'] = 'no-store'
        const rotation = await keys.rotate()
        return { ...rotation, activatesAt: rotation.activatesAt.toISOString() }
      },
      {
        auth: { scope: 'keys:write', role: 'admin' },
        response: { 200: KeyRotation, ...problems(401, 403, 503) },
        detail: {
          summary: 'Rotate the signing key now',
          operationId: 'rotateSigningKey',
          description:
            'Makes a new signing key. It is published in the JWKS at once and signs from `activatesAt` (after `KEY_ACTIVATION_DELAY`); the key it succeeds keeps verifying until the tokens it signed have expired. Every instance picks the new key up without a restart. Two rotations at the same moment make one key.',
        },
      },
    )
