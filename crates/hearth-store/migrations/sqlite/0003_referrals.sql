-- Referrals and triage. SQLite dialect; keep in step with ../postgres/0003_referrals.sql.

-- Numbered sequences per organisation (referral references), taken under a row lock.
CREATE TABLE counters (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (org_id, name)
);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    reference TEXT NOT NULL,
    source TEXT NOT NULL,
    referrer_agency TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    received_by TEXT REFERENCES users(id),
    -- Everything the referral says, sealed: names, contact details, risk, consent.
    details BLOB NOT NULL,
    status TEXT NOT NULL,
    decided_at INTEGER,
    decided_by TEXT REFERENCES users(id),
    decision_code TEXT,
    decision_note BLOB,
    case_id TEXT REFERENCES cases(id),
    submission_key TEXT NOT NULL UNIQUE,
    -- A keyed hash of the sender's network address, for the public form's rate limit.
    address_key TEXT,
    UNIQUE (org_id, reference)
);
CREATE INDEX referrals_queue ON referrals(org_id, status, received_at);
CREATE INDEX referrals_address ON referrals(address_key, received_at);
