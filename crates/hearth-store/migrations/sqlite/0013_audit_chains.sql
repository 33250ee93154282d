-- One audit chain per organisation. SQLite dialect; keep in step with ../postgres/0013_audit_chains.sql.
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
