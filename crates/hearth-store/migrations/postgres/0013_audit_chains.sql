-- One audit chain per organisation. PostgreSQL dialect; keep in step with ../sqlite/0013_audit_chains.sql.
--
-- Every entry used to follow the one before it in a single chain whose head (audit_head) every
-- organisation's writes updated, so appends from all organisations queued on one row. Each
-- organisation now has its own chain (and the service one for entries that belong to none),
-- with its head here: the entry's place in its chain (chain_seq) is what its hash covers, and
-- seq only orders the whole table. Entries written before this migration stay on the old
-- chain (chain NULL), checked against audit_head as before.
CREATE TABLE audit_chains (
    chain TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
ALTER TABLE audit_log ADD COLUMN chain TEXT;
ALTER TABLE audit_log ADD COLUMN chain_seq INTEGER;
CREATE UNIQUE INDEX audit_log_chain ON audit_log(chain, chain_seq);

-- Rows are numbered by the database as they are written, so that no write waits on a shared
-- counter (SQLite numbers an INTEGER PRIMARY KEY itself).
CREATE SEQUENCE audit_log_seq;
SELECT setval('audit_log_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log), false);
ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_log_seq');
