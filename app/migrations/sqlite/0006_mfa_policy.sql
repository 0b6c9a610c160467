-- "MFA required for <role> from date D", set by admins. Accounts of the
-- role without MFA must set it up at sign-in from D (Japan time); before
-- it, they see a notice of the date. Staff need MFA whatever this says.
CREATE TABLE mfa_policies (
    role          TEXT PRIMARY KEY CHECK (role IN ('dealer', 'helpdesk', 'admin')),
    required_from TEXT NOT NULL  -- YYYY-MM-DD
);
