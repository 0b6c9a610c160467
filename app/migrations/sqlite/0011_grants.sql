-- How each session's sign-in was proved, for the `amr` and `acr` of the
-- tokens it gives applications (docs/OIDC.md).
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password'
    CHECK (method IN ('password', 'remembered_device', 'code', 'recovery_code'));

-- Authorization requests waiting for their browser to sign in. The key is
-- the SHA-256 of a cookie's token, so only the browser that made the
-- request continues it; the request itself (already checked) is JSON.
CREATE TABLE oidc_pending (
    id_hash    TEXT   PRIMARY KEY,
    client_id  TEXT   NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    request    TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- What one sign-in granted one application: first a code (only its hash is
-- kept), then the tokens made from it. Every token names its grant, so
-- revoking the grant (a code used twice, the session's end) voids them.
CREATE TABLE oidc_grants (
    id             INTEGER PRIMARY KEY,
    handle         TEXT   NOT NULL UNIQUE,
    code_hash      TEXT   NOT NULL UNIQUE,
    client_id      TEXT   NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_hash   TEXT   NOT NULL,
    redirect_uri   TEXT   NOT NULL,
    code_challenge TEXT   NOT NULL,
    nonce          TEXT,
    scopes         TEXT   NOT NULL,
    auth_time      BIGINT NOT NULL,
    method         TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    code_used_at   BIGINT,
    revoked_at     BIGINT
);
CREATE INDEX oidc_grants_session ON oidc_grants (session_hash);
CREATE INDEX oidc_grants_user ON oidc_grants (user_id);
