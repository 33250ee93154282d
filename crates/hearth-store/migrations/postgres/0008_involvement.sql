-- A person's involvement in a case can close before the case does. PostgreSQL dialect; keep in step
-- with ../sqlite/0008_involvement.sql.
ALTER TABLE case_members ADD COLUMN closed_at BIGINT;
ALTER TABLE case_members ADD COLUMN exit_reason TEXT;
