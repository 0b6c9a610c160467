-- Sealed values now carry their purpose (a subkey per purpose, derived
-- from the server key, and the purpose in the associated data). Secrets
-- waiting to be shown once live five minutes: those sealed the old way
-- are dropped rather than carried over. TOTP secrets are sealed again by
-- the server at start (services::keys), since that needs the key.
DELETE FROM reveals;
