-- Back-Channel Logout's outbox: one row for each application a portal
-- session signed into, once that session has ended (for any reason: the
-- row is written by whichever instance first sees the session gone, from
-- the grants that say which applications it signed into). Any instance
-- claims a due row by moving `next_at` past a lease, sends the logout
-- token, and settles the row: sent, or tried again later with a bounded
-- backoff, or given up (and audited). A crash between claim and settle
-- loses nothing: the lease runs out and another try is made.
CREATE TABLE oidc_logouts (
    session_hash TEXT   NOT NULL,
    client_id    TEXT   NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    next_at      BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    sent_at      BIGINT,
    failed_at    BIGINT,
    PRIMARY KEY (session_hash, client_id)
);
CREATE INDEX oidc_logouts_due ON oidc_logouts (next_at) WHERE sent_at IS NULL AND failed_at IS NULL;
