-- Contact details (location class) and the case timeline. SQLite dialect; keep in step with
-- ../postgres/0002_contact_and_timeline.sql.

-- Every version of a person's contact details, address and safe contact arrangements, sealed
-- with the organisation's key. The newest version is the current one; none is ever overwritten.
CREATE TABLE contact_versions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    version INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    recorded_at INTEGER NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    UNIQUE (person_id, version)
);

-- Notes, contacts and key events on a case. The text of every entry is sealed; `sensitivity`
-- decides who may read it. Corrections add versions; withdrawal is recorded, never a delete.
CREATE TABLE timeline_entries (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT REFERENCES people(id),
    kind TEXT NOT NULL,
    sensitivity TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    withdrawn_at INTEGER,
    withdrawn_by TEXT REFERENCES users(id),
    withdrawn_reason BLOB,
    -- A token from the form, so a double-submitted form makes one entry, not two.
    submission_key TEXT NOT NULL UNIQUE
);
CREATE INDEX timeline_entries_case ON timeline_entries(case_id, created_at);

CREATE TABLE timeline_versions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    entry_id TEXT NOT NULL REFERENCES timeline_entries(id),
    version INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    contact_method TEXT,
    contact_outcome TEXT,
    body BLOB NOT NULL,
    recorded_at INTEGER NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    UNIQUE (entry_id, version)
);
