-- Recovery codes: ten single-use codes for when the phone is not at hand.
-- Only an HMAC of each is kept (keyed by the server's key and the user),
-- so a copy of the database alone cannot test guesses.
CREATE TABLE recovery_codes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT   NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX recovery_codes_user_id ON recovery_codes (user_id);
