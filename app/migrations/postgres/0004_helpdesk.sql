-- The helpdesk's desk: temporary passwords, step-up for staff actions,
-- reasons in the audit trail, and secrets shown once.

-- Set while the password is a temporary one issued by staff: it signs in
-- only before this time, once (the sign-in sets it to that moment), and
-- the session it starts must choose a new password before anything else.
ALTER TABLE users ADD COLUMN password_expires_at BIGINT;

-- When a one-time code was last confirmed in this session (the code step,
-- a setup, or a step-up before a staff action); NULL if never.
ALTER TABLE sessions ADD COLUMN code_at BIGINT;

-- Why a member of staff acted (a ticket number), as they typed it.
ALTER TABLE audit_events ADD COLUMN reason TEXT;

-- A secret to be shown once to the session that made it (a temporary
-- password), sealed with the server's key; taken when shown, and gone
-- after five minutes in any case.
CREATE TABLE reveals (
    session_hash TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    subject_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sealed       BYTEA  NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (session_hash, kind)
);
