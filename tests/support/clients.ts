/** Client metadata for the `/clients` suites. */
import { unique } from './unique'

/** Metadata every test starts from: a confidential web app with the code flow; `fields` on top. */
export const webApp = (fields: Record<string, unknown> = {}) => ({
  client_name: unique('App '),
  redirect_uris: ['https://app.example.com/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'openid profile products:read',
  ...fields,
})
