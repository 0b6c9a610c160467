-- Guessing that runs out, sign-ins bound to a browser, and audit details.

-- Consecutive failures (passwords and codes) since the last complete
-- sign-in or right code; locks do not clear it. At 100 the account is
-- disabled until the helpdesk unlocks it.
ALTER TABLE users ADD COLUMN failure_run BIGINT NOT NULL DEFAULT 0;
-- Locks since the last success: each lasts twice as long as the one before.
ALTER TABLE users ADD COLUMN lock_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- What the settings page lists of each signed-in browser. Sessions from
-- before this migration carry no handle; they end here (sign in again).
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN handle TEXT NOT NULL DEFAULT '';  -- random, safe to show
ALTER TABLE sessions ADD COLUMN browser TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN address TEXT;
CREATE UNIQUE INDEX sessions_handle ON sessions (handle);

-- A pending setup belongs to the session that started it.
DELETE FROM mfa_enrollments;
ALTER TABLE mfa_enrollments ADD COLUMN session_hash TEXT NOT NULL DEFAULT '';

-- What an event concerns beyond its name (a lock's end); never a secret.
ALTER TABLE audit_events ADD COLUMN detail TEXT;
-- The retention sweep deletes by age.
CREATE INDEX audit_events_at ON audit_events (at);
