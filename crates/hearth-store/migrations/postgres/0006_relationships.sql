-- Relationships between people in a case. PostgreSQL dialect; keep in step with
-- ../sqlite/0006_relationships.sql.
CREATE TABLE relationships (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    from_person TEXT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    to_person TEXT NOT NULL REFERENCES people(id),
    added_at BIGINT NOT NULL,
    added_by TEXT NOT NULL REFERENCES users(id),
    UNIQUE (case_id, from_person, kind, to_person)
);
CREATE INDEX relationships_case ON relationships(case_id);
