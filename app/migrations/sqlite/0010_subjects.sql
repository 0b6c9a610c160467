-- Each account's subject (`sub`) for the applications that sign in through
-- the portal: random, stable for the life of the account, never the login
-- ID. Accounts made before this migration get one here; new ones get one
-- when they are made.
ALTER TABLE users ADD COLUMN subject TEXT;
UPDATE users SET subject = lower(hex(randomblob(16))) WHERE subject IS NULL;
CREATE UNIQUE INDEX users_subject ON users (subject);
