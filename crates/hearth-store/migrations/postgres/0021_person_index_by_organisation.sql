-- The blind index filed by organisation. PostgreSQL dialect; keep in step with
-- ../sqlite/0021_person_index_by_organisation.sql.
--
-- person_index was keyed by token first. Tokens are keyed hashes, so every new person's thirty
-- to eighty rows landed on random pages across every organisation's rows at once: at 300,000
-- cases, each commit of a bulk load dirtied about 16,000 pages of this index alone, and each was
-- written to the WAL and again at the checkpoint (ADR 0009). Filed under the organisation first,
-- an organisation's rows sit together: its writes touch only its own part of the index, which
-- stays in the writer's cache, and a search reads only its own organisation's pages. Lookups
-- name the organisation, so a row filed under another never answers them.
CREATE TABLE person_index_by_organisation (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    token BYTEA NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    field TEXT NOT NULL,
    PRIMARY KEY (org_id, token, person_id, field)
);
INSERT INTO person_index_by_organisation (org_id, token, person_id, field)
    SELECT p.org_id, i.token, i.person_id, i.field
    FROM person_index i JOIN people p ON p.id = i.person_id;
DROP TABLE person_index;
-- The primary key keeps the name it was made with, person_index_by_organisation_pkey: nothing
-- names it, and SQLite has no way to rename an index, so the two files stay the same text.
ALTER TABLE person_index_by_organisation RENAME TO person_index;
CREATE INDEX person_index_person ON person_index(person_id);
