import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import type { Config } from '../config'

/** Swagger UI at `/swagger`, the OpenAPI document at `/swagger/json`, ReDoc at `/redoc`. */
export const docs = (_config: Config) =>
  new Elysia({ name: 'docs' })
    .use(
      openapi({
        path: '/swagger',
        specPath: '/swagger/json',
        provider: 'swagger-ui',
        documentation: {
          info: { title: 'Mercado', version: '0.1.0', description: 'Accounts, login and a product catalog.' },
          components: {
            securitySchemes: {
              OAuth2Password: {
                type: 'oauth2',
                flows: { password: { tokenUrl: '/auth/login', scopes: {} } },
              },
              BearerJWT: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            },
          },
        },
      }),
    )
    .get('/docs', ({ redirect }) => redirect('/swagger', 301), { detail: { hide: true } })
