-- Programmes: the service's catalogue, enrolments on it, their history, the sessions of 1:1
-- work, Idva offers to the partners of people on Engage, and what those partners' Idvas are
-- to be told. SQLite dialect; keep in step with ../postgres/0017_programmes.sql.
--
-- Nothing here is overwritten: a catalogue, a change of an enrolment and an offer are each a
-- new row, and an enrolment or a session carries a version that rises with each change, so
-- two people changing one at once cannot overwrite each other.

-- Each catalogue file a service has loaded, whole. Enrolments name the programme version they
-- were made on; a later file never rewrites it.
CREATE TABLE programme_catalogues (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    definition TEXT NOT NULL,
    loaded_at INTEGER NOT NULL,
    loaded_by TEXT REFERENCES users(id),
    UNIQUE (org_id, version)
);

-- One person's place on one programme, in one case. Enrolments made together under a
-- linked-support rule (APVA's young person and parent, Grow Together's parent and children)
-- share a link. The priority reason for the waiting list is sealed (sensitive).
CREATE TABLE enrolments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    programme_key TEXT NOT NULL,
    programme_version INTEGER NOT NULL,
    link_id TEXT,
    state TEXT NOT NULL,
    worker_id TEXT REFERENCES users(id),
    proposed_on TEXT NOT NULL,
    waiting_since TEXT,
    waiting_rank INTEGER,
    priority_reason BLOB,
    started_on TEXT,
    ended_on TEXT,
    exit_reason TEXT,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id)
);
CREATE INDEX enrolments_case ON enrolments(case_id, person_id);
CREATE INDEX enrolments_programme ON enrolments(org_id, programme_key, state);
CREATE INDEX enrolments_waiting ON enrolments(org_id, programme_key, waiting_rank)
    WHERE state = 'waiting';

-- Every change of an enrolment, appended: its whole history.
CREATE TABLE enrolment_changes (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    enrolment_id TEXT NOT NULL REFERENCES enrolments(id),
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    worker_id TEXT REFERENCES users(id),
    took_effect_on TEXT NOT NULL,
    exit_reason TEXT,
    changed_at INTEGER NOT NULL,
    changed_by TEXT NOT NULL REFERENCES users(id),
    UNIQUE (enrolment_id, version)
);

-- Sessions of 1:1 work. Where is sealed (location class, as an address is); so are the topics,
-- which say what the work with the person is about. The note is a timeline entry.
CREATE TABLE programme_sessions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    enrolment_id TEXT NOT NULL REFERENCES enrolments(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    planned_at INTEGER NOT NULL,
    place BLOB NOT NULL,
    worker_id TEXT NOT NULL REFERENCES users(id),
    attendance TEXT NOT NULL,
    duration_minutes INTEGER,
    topics BLOB,
    entry_id TEXT REFERENCES timeline_entries(id),
    recorded_at INTEGER,
    recorded_by TEXT REFERENCES users(id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    submission_key TEXT NOT NULL UNIQUE
);
CREATE INDEX programme_sessions_enrolment ON programme_sessions(enrolment_id, planned_at);
CREATE INDEX programme_sessions_case ON programme_sessions(case_id, planned_at);

-- Idva offers to a partner (a victim/survivor) of someone on Engage: what came of it, when,
-- and when her view on Engage was sought. Each record is a new row; the newest stands. The
-- Engage rule reads these; the pages show them only to those who may see her sensitive data
-- (the Engage worker learns only that an offer has been made).
CREATE TABLE idva_offers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    outcome TEXT NOT NULL,
    offered_on TEXT NOT NULL,
    view_sought_on TEXT,
    recorded_at INTEGER NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id)
);
CREATE INDEX idva_offers_person ON idva_offers(case_id, person_id, recorded_at);

-- What a partner's Idva is to tell her of the Engage work (a session attended or missed, a
-- drop-out, an end), until the Idva says it is done.
CREATE TABLE partner_news (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    case_id TEXT NOT NULL REFERENCES cases(id),
    enrolment_id TEXT NOT NULL REFERENCES enrolments(id),
    partner_id TEXT NOT NULL REFERENCES people(id),
    news TEXT NOT NULL,
    happened_on TEXT NOT NULL,
    told_at INTEGER,
    told_by TEXT REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX partner_news_case ON partner_news(case_id, partner_id) WHERE told_at IS NULL;
