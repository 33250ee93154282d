-- Agencies and professionals involved with a family. SQLite dialect; keep in step with
-- ../postgres/0007_agencies.sql. Sealed: a child's school or a victim's GP tells where they are.
CREATE TABLE case_agencies (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT REFERENCES people(id),
    details BLOB NOT NULL,
    added_at INTEGER NOT NULL,
    added_by TEXT NOT NULL REFERENCES users(id)
);
CREATE INDEX case_agencies_case ON case_agencies(case_id);
