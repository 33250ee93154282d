-- Instruments, risk assessments, incidents, safety plans and MARAC. PostgreSQL dialect; keep in step
-- with ../sqlite/0009_risk_and_marac.sql. Dates without a time are ISO text (YYYY-MM-DD),
-- which sorts in date order on both databases.

-- Each version of each instrument definition, as loaded. A version is never replaced: answers
-- point at the version they were given on.
CREATE TABLE instrument_versions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    instrument_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    definition TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    loaded_by TEXT REFERENCES users(id),
    UNIQUE (org_id, instrument_key, version)
);

-- Every risk assessment ever made, appended, never overwritten. The answers and any judgement
-- reason are sealed; the level, score and who set it are plain so lists can show them.
CREATE TABLE risk_assessments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    instrument_key TEXT NOT NULL,
    instrument_version BIGINT NOT NULL,
    score BIGINT NOT NULL,
    yes_count BIGINT NOT NULL,
    score_level TEXT NOT NULL,
    level TEXT NOT NULL,
    judgement BIGINT NOT NULL,
    police_callouts BIGINT,
    escalated BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    assessed_at BIGINT NOT NULL,
    assessed_by TEXT NOT NULL REFERENCES users(id),
    submission_key TEXT NOT NULL UNIQUE,
    FOREIGN KEY (org_id, instrument_key, instrument_version)
        REFERENCES instrument_versions(org_id, instrument_key, version)
);
CREATE INDEX risk_assessments_person ON risk_assessments(person_id, assessed_at);
CREATE INDEX risk_assessments_case ON risk_assessments(case_id, assessed_at);

-- Incidents reported after referral. A new incident makes a reassessment due; police call-outs
-- count towards escalation.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    occurred_on TEXT NOT NULL,
    police_called BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    submission_key TEXT NOT NULL UNIQUE
);
CREATE INDEX incidents_person ON incidents(person_id, occurred_on);

-- Versions of each person's safety plan (location class, sealed). The review date is plain so
-- the due list can find plans without opening them.
CREATE TABLE safety_plans (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    version BIGINT NOT NULL,
    template TEXT NOT NULL,
    review_on TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    UNIQUE (person_id, version)
);

CREATE TABLE marac_meetings (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    held_on TEXT NOT NULL,
    area TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id)
);
CREATE INDEX marac_meetings_org ON marac_meetings(org_id, held_on);

CREATE TABLE marac_attendance (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    meeting_id TEXT NOT NULL REFERENCES marac_meetings(id),
    agency TEXT NOT NULL,
    status TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    UNIQUE (meeting_id, agency)
);

-- A referral of one victim to MARAC. What is sent (safe contact, perpetrators, children, the
-- summary) is sealed; the criteria and repeat flag are plain for the dashboard.
CREATE TABLE marac_referrals (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    referred_on TEXT NOT NULL,
    criteria TEXT NOT NULL,
    source_agency TEXT NOT NULL,
    victim_knows BIGINT NOT NULL,
    victim_consented TEXT NOT NULL,
    is_repeat BIGINT NOT NULL,
    repeat_dates TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    meeting_id TEXT REFERENCES marac_meetings(id),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    submission_key TEXT NOT NULL UNIQUE
);
CREATE INDEX marac_referrals_person ON marac_referrals(person_id, referred_on);
CREATE INDEX marac_referrals_meeting ON marac_referrals(meeting_id);

CREATE TABLE marac_actions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    referral_id TEXT NOT NULL REFERENCES marac_referrals(id),
    meeting_id TEXT NOT NULL REFERENCES marac_meetings(id),
    agency TEXT NOT NULL,
    description BYTEA NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    submission_key TEXT NOT NULL UNIQUE
);
CREATE INDEX marac_actions_referral ON marac_actions(referral_id);
CREATE INDEX marac_actions_due ON marac_actions(org_id, status, due_on);

-- Each change of an action's status, so the record shows who closed it and when.
CREATE TABLE marac_action_changes (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    action_id TEXT NOT NULL REFERENCES marac_actions(id),
    status TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users(id)
);
