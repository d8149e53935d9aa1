import type { Database } from 'bun:sqlite'

/**
 * Migrations in order; `PRAGMA user_version` records how many have run, so an existing data file is
 * brought up to date on open and a new one is built from scratch.
 *
 * Times are epoch milliseconds (INTEGER), booleans 0/1, tags and a client's lists JSON arrays. Emails are stored lower-case.
 * The `*_key` columns hold the JavaScript `toLowerCase()` of a field: uniqueness, case-insensitive search
 * and case-insensitive sort run on them, because SQLite's own `lower()` folds ASCII only.
 */
const migrations: readonly string[] = [
  `
  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    full_name_key TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    disabled      INTEGER NOT NULL,
    password_hash TEXT NOT NULL,
    version       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  );
  CREATE INDEX users_created_at ON users (created_at, id);
  CREATE INDEX users_role ON users (role, disabled);

  CREATE TABLE products (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,
    description     TEXT NOT NULL,
    description_key TEXT NOT NULL,
    price           REAL NOT NULL,
    stock           INTEGER NOT NULL,
    tags            TEXT NOT NULL,
    owner_id        TEXT NOT NULL,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  );
  CREATE INDEX products_created_at ON products (created_at, id);
  CREATE INDEX products_name ON products (name_key, id);
  CREATE INDEX products_price ON products (price, id);

  CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    chain_id   TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    rotated_at INTEGER,
    revoked_at INTEGER
  );
  CREATE INDEX refresh_tokens_chain ON refresh_tokens (chain_id);
  CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

  CREATE TABLE login_attempts (
    key        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX login_attempts_key_at ON login_attempts (key, at);
  CREATE INDEX login_attempts_expires_at ON login_attempts (expires_at);
  `,
  `
  ALTER TABLE login_attempts ADD COLUMN attempt_id TEXT;
  CREATE INDEX login_attempts_attempt ON login_attempts (attempt_id);
  `,
  // Sessions (issue #10): ended_sessions is a JSON object, session id to epoch ms.
  `
  ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE users ADD COLUMN ended_sessions TEXT NOT NULL DEFAULT '{}';
  `,
  // Registered OAuth clients (issue #11): the lists are JSON arrays.
  `
  CREATE TABLE clients (
    id                         TEXT PRIMARY KEY,
    secret_hash                TEXT,
    name                       TEXT NOT NULL,
    redirect_uris              TEXT NOT NULL,
    post_logout_redirect_uris  TEXT NOT NULL,
    grant_types                TEXT NOT NULL,
    response_types             TEXT NOT NULL,
    scopes                     TEXT NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL,
    first_party                INTEGER NOT NULL,
    version                    INTEGER NOT NULL,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
  );
  CREATE INDEX clients_created_at ON clients (created_at, id);
  `,
  // Signing keys (issue #11): the private JWK is encrypted above the store.
  `
  CREATE TABLE signing_keys (
    kid                   TEXT PRIMARY KEY,
    slot                  TEXT NOT NULL UNIQUE,
    alg                   TEXT NOT NULL,
    public_jwk            TEXT NOT NULL,
    encrypted_private_jwk TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    activates_at          INTEGER NOT NULL,
    retires_at            INTEGER,
    expires_at            INTEGER
  );
  `,
  // Refresh tokens name their client and scopes (issue #11); NULL on older rows: the docs client,
  // every API scope.
  `
  ALTER TABLE refresh_tokens ADD COLUMN client_id TEXT;
  ALTER TABLE refresh_tokens ADD COLUMN scope TEXT;
  CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  );
  `,
  // Sign-in (SSO) sessions of the sign-in page (issue #12).
  `
  CREATE TABLE signin_sessions (
    id                   TEXT PRIMARY KEY,
    token_hash           TEXT NOT NULL UNIQUE,
    user_id              TEXT NOT NULL,
    user_session_version INTEGER NOT NULL,
    auth_time            INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    ended_at             INTEGER
  );
  CREATE INDEX signin_sessions_user ON signin_sessions (user_id);
  CREATE INDEX signin_sessions_expires_at ON signin_sessions (expires_at);
  `,
  // Authorization codes: scopes a JSON array; a row is kept CODE_RETENTION_MS past its expiry, so
  // that a late second use is still told apart from an unknown code.
  `
  CREATE TABLE authorization_codes (
    code_hash            TEXT PRIMARY KEY,
    client_id            TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    redirect_uri         TEXT NOT NULL,
    code_challenge       TEXT NOT NULL,
    nonce                TEXT,
    scopes               TEXT NOT NULL,
    signin_session_id    TEXT NOT NULL,
    auth_time            INTEGER NOT NULL,
    user_session_version INTEGER NOT NULL,
    chain_id             TEXT NOT NULL,
    expires_at           INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    used_at              INTEGER
  );
  CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);
  `,
  // Consents: one row per user and client; scopes a JSON array.
  `
  CREATE TABLE consents (
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
  );
  `,
  // The mail outbox (issue #13): every mail waits here until an instance has sent it.
  `
  CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER,
    sent_at         INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
  );
  CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;
  `,
  // Email verification and password reset (issue #13): users prove their address; single-use
  // account tokens by hash, kept a day past expiry for the per-account throttle (countSince).
  `
  ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE account_tokens (
    token_hash           TEXT PRIMARY KEY,
    purpose              TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    email                TEXT NOT NULL,
    user_session_version INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    used_at              INTEGER
  );
  CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose, created_at);
  CREATE INDEX account_tokens_expires_at ON account_tokens (expires_at);
  `,
]

/**
 * Runs the migrations the file has not seen yet, all in one transaction. The version is read inside
 * the write lock, so two processes opening one new file do not both build the schema.
 */
export function migrate(db: Database): void {
  const schemaVersion = () =>
    db.query<{ user_version: number }, []>('PRAGMA user_version').get()?.user_version ?? 0
  if (schemaVersion() === migrations.length) return
  db.transaction(() => {
    const applied = schemaVersion()
    if (applied > migrations.length) {
      throw new Error(
        `the data file has schema version ${applied}, newer than this build (${migrations.length})`,
      )
    }
    for (const migration of migrations.slice(applied)) db.run(migration)
    // PRAGMA takes no bound parameters; the value is a count of our own constants, not input.
    db.run(`PRAGMA user_version = ${migrations.length}`)
  }).immediate()
}
