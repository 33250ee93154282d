-- A person's involvement in a case can close before the case does. SQLite dialect; keep in step
-- with ../postgres/0008_involvement.sql.
ALTER TABLE case_members ADD COLUMN closed_at INTEGER;
ALTER TABLE case_members ADD COLUMN exit_reason TEXT;
