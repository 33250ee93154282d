-- Submission keys: "sent twice, saved once", for every kind of record. PostgreSQL dialect; keep in
-- step with ../sqlite/0011_submissions.sql.
--
-- A key is claimed for one actor, one kind of record and one target, with a fingerprint of
-- what was sent. A replay of the same request gets the first answer; the same key with a
-- different actor, kind, target or payload is refused, so a key can never hand back another
-- person's record or swallow a different request.
CREATE TABLE submissions (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    submission_key TEXT NOT NULL,
    -- NULL for the public referral form, which has no signed-in actor.
    actor_id TEXT,
    kind TEXT NOT NULL,
    target_id TEXT,
    fingerprint TEXT NOT NULL,
    result_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, submission_key)
);
