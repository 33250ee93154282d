-- Person details beyond names and dates of birth. SQLite dialect; keep in step with
-- ../postgres/0005_person_details.sql.
ALTER TABLE people ADD COLUMN gender TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN interpreter_needed INTEGER NOT NULL DEFAULT 0;
-- Equality monitoring is special-category data: sealed, and behind the firewall as sensitive.
ALTER TABLE people ADD COLUMN equality BLOB;
ALTER TABLE people ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- Other names a person is known by, used when searching and matching referrals.
CREATE TABLE person_aliases (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    name TEXT NOT NULL
);
CREATE INDEX person_aliases_person ON person_aliases(person_id);

-- Every earlier state of a person's details, sealed, so corrections keep history.
CREATE TABLE person_versions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    version INTEGER NOT NULL,
    snapshot BLOB NOT NULL,
    recorded_at INTEGER NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    UNIQUE (person_id, version)
);
