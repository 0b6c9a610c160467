-- Two-step sign-in with an authenticator app (TOTP, RFC 6238).
-- Secrets are sealed with AES-256-GCM (nonce || ciphertext), the user's id
-- as associated data: a copy of the database alone reveals none.
ALTER TABLE users ADD COLUMN mfa_secret BLOB;
ALTER TABLE users ADD COLUMN mfa_enabled_at BIGINT;
-- The last accepted 30-second step: a code at or below it is a replay.
ALTER TABLE users ADD COLUMN mfa_last_step BIGINT;
-- Consecutive wrong codes across all sessions; reset only by a right code.
ALTER TABLE users ADD COLUMN code_failures BIGINT NOT NULL DEFAULT 0;

-- A setup that is started but not yet confirmed by a code. MFA stays as it
-- was until then; rows expire after ten minutes.
CREATE TABLE mfa_enrollments (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BLOB   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- "このデバイスを30日間記録する": only the SHA-256 of the cookie token.
CREATE TABLE remembered_devices (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT   NOT NULL UNIQUE,
    label        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX remembered_devices_user_id ON remembered_devices (user_id);
