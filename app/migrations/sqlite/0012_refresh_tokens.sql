-- Refresh tokens, each used once: using one makes the next. All of a
-- grant's tokens are one family: a used one presented again revokes the
-- grant, and with it every token made from it. Only hashes are kept.
CREATE TABLE oidc_refresh_tokens (
    token_hash TEXT   PRIMARY KEY,
    grant_id   BIGINT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX oidc_refresh_tokens_grant ON oidc_refresh_tokens (grant_id);
