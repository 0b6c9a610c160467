-- Who disabled an account: 'failures' (a run of failed sign-ins) or
-- 'staff' (the helpdesk, an admin, the command line). A dealer stopped by
-- staff is told so, with the helpdesk's number, instead of being blamed
-- for failed sign-ins. Accounts disabled before this are taken as
-- disabled by failures, as they were told until now.
ALTER TABLE users ADD COLUMN disabled_by TEXT;
