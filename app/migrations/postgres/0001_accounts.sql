-- Accounts, server-side sessions, portal notices and the audit trail.
-- All times are Unix seconds, UTC. MFA columns arrive in 0002.
CREATE TABLE users (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login_id            TEXT    NOT NULL UNIQUE,  -- stored lower-cased
    display_name        TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('dealer', 'helpdesk', 'admin')),
    password_hash       TEXT    NOT NULL,         -- argon2id, PHC string
    password_changed_at BIGINT  NOT NULL,
    failed_attempts     BIGINT  NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE sessions (
    id_hash       TEXT   PRIMARY KEY,             -- SHA-256 of the cookie token
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage         TEXT   NOT NULL CHECK (stage IN ('code', 'full')),
    code_failures BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE notices (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    published_on TEXT   NOT NULL,                 -- YYYY-MM-DD
    title        TEXT   NOT NULL,
    body         TEXT   NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
CREATE INDEX notices_published_on ON notices (published_on);

CREATE TABLE audit_events (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       BIGINT NOT NULL,
    user_id  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    login_id TEXT,                                -- as typed or as stored; never a secret
    actor    TEXT   NOT NULL,                     -- 'user', 'cli:<os user>'
    event    TEXT   NOT NULL,
    address  TEXT
);
CREATE INDEX audit_events_user_at ON audit_events (user_id, at);
