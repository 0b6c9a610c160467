-- The business applications that sign in through the portal (OpenID
-- Connect clients), registered by an operator or an admin. A client's
-- secret is kept only as an HMAC under the server key (shown once when
-- made); a public client has none. A tile of the menu is bound to at most
-- one client.
CREATE TABLE oidc_clients (
    id                     INTEGER PRIMARY KEY,
    client_id              TEXT   NOT NULL UNIQUE,
    name                   TEXT   NOT NULL,
    kind                   TEXT   NOT NULL CHECK (kind IN ('confidential', 'public')),
    secret_hash            TEXT,
    mfa_required           BIGINT NOT NULL DEFAULT 0 CHECK (mfa_required IN (0, 1)),
    tile                   TEXT   UNIQUE,
    start_url              TEXT,
    backchannel_logout_uri TEXT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);

-- Redirect and post-logout URIs, each matched exactly as written here.
CREATE TABLE oidc_client_uris (
    client_id BIGINT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    kind      TEXT   NOT NULL CHECK (kind IN ('redirect', 'post_logout')),
    uri       TEXT   NOT NULL,
    PRIMARY KEY (client_id, kind, uri)
);
