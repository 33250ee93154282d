-- Break-glass access. PostgreSQL dialect; keep in step with ../sqlite/0004_break_glass.sql.
CREATE TABLE break_glass (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    -- Sealed: a reason can name people.
    reason BYTEA NOT NULL,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX break_glass_user ON break_glass(user_id, expires_at);
CREATE INDEX break_glass_org ON break_glass(org_id, granted_at);
