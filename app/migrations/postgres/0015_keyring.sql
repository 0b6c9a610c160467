-- Keys the database keeps for the server, each sealed with the server key
-- (purpose "keyring", bound to its row): row 1 is the MAC key of recovery
-- codes and client secrets. Kept here, and not derived from the server
-- key, so that the server key can be replaced (`keys reseal` seals this
-- row again) without invalidating what was MACed under the old one. The
-- first start fills it with the key it was derived from until now.
CREATE TABLE keyring (
    id     BIGINT PRIMARY KEY,
    sealed BYTEA   NOT NULL
);
