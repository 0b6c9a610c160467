-- A new signing key is published before it signs: relying parties cache
-- the JWKS and refuse, for a while, a token whose key they have not seen
-- (openid-client reads the JWKS again for an unknown kid only once its
-- copy is a minute old). The key that signs at a time is the newest whose
-- `signs_from` has come and that is not retired; keys made before this
-- migration signed from their start.
ALTER TABLE signing_keys ADD COLUMN signs_from BIGINT NOT NULL DEFAULT 0;
-- A key withdrawn (replaced with `keys rotate --now`, suspected leaked)
-- leaves the JWKS at once, instead of staying published for its tokens.
ALTER TABLE signing_keys ADD COLUMN withdrawn_at BIGINT;
