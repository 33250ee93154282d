-- Mark a case's next due unknown once per transaction, not once per row. PostgreSQL dialect;
-- ../sqlite/0019_next_due_once_per_transaction.sql says why SQLite's triggers stay as they are.
--
-- The triggers of 0018 update the case's row for every row written about it. PostgreSQL keeps a
-- new version of a row on every update, so loading a case with its forty-odd timeline entries,
-- assessments and MARAC history left about forty-five dead versions of its case row, and the
-- generator ran about five times slower than before 0018 (ADR 0009).
--
-- One mark per transaction is enough. The version exists so that the server never keeps a date
-- worked out from records read before a change. A transaction's changes become visible all at
-- once, when it commits, so no reader can see the first of them and not the last: one raise of
-- the version covers all of them. Skipping a case merely because it is already unknown would
-- not do: the server may have read it, unknown, before this transaction began, and would then
-- keep a date worked out without this transaction's changes.
--
-- So each case records which transaction last marked it (its id, `pg_current_xact_id()`, as a
-- number), and a trigger marks only cases that this transaction has not marked yet. A
-- rolled-back savepoint takes its mark with it. The column is for the triggers alone; no
-- statement the application runs reads it, so the two backends still share every statement.
-- SQLite has the column too, so that the schemas stay one, but never sets it.
--
-- And each case is now marked by its key, one at a time. Written as `id IN (SELECT ... UNION
-- ...)` (or `id = ANY (ARRAY(...))`), PostgreSQL could not tell how many cases the list held
-- and, planning while the table was small, joined it to the cases by a sequential scan, a plan
-- a session then keeps: every assessment, incident, plan or MARAC record written read every
-- case of every service. `id = $1` on the key is an index lookup at any size. SQLite looks
-- each one up by its key either way.
ALTER TABLE cases ADD COLUMN due_marked_by BIGINT;

CREATE OR REPLACE FUNCTION next_due_unknown_by_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1, due_marked_by = pg_current_xact_id()::text::bigint
    WHERE id = NEW.case_id AND due_marked_by IS DISTINCT FROM pg_current_xact_id()::text::bigint;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION next_due_unknown_by_person() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    marked TEXT;
BEGIN
    FOR marked IN SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id LOOP
        UPDATE cases SET next_due_on = NULL, due_version = due_version + 1, due_marked_by = pg_current_xact_id()::text::bigint
        WHERE id = marked AND due_marked_by IS DISTINCT FROM pg_current_xact_id()::text::bigint;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION next_due_unknown_by_marac_referral() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    marked TEXT;
BEGIN
    FOR marked IN SELECT m.case_id FROM case_members m JOIN marac_referrals r ON r.person_id = m.person_id WHERE r.id = NEW.referral_id UNION SELECT case_id FROM marac_referrals WHERE id = NEW.referral_id LOOP
        UPDATE cases SET next_due_on = NULL, due_version = due_version + 1, due_marked_by = pg_current_xact_id()::text::bigint
        WHERE id = marked AND due_marked_by IS DISTINCT FROM pg_current_xact_id()::text::bigint;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION next_due_unknown_by_marac_action() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    marked TEXT;
BEGIN
    FOR marked IN SELECT m.case_id FROM case_members m JOIN marac_referrals r ON r.person_id = m.person_id JOIN marac_actions a ON a.referral_id = r.id WHERE a.id = NEW.action_id LOOP
        UPDATE cases SET next_due_on = NULL, due_version = due_version + 1, due_marked_by = pg_current_xact_id()::text::bigint
        WHERE id = marked AND due_marked_by IS DISTINCT FROM pg_current_xact_id()::text::bigint;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE OR REPLACE FUNCTION next_due_unknown_by_enrolment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    marked TEXT;
BEGIN
    FOR marked IN SELECT case_id FROM enrolments WHERE id = NEW.enrolment_id LOOP
        UPDATE cases SET next_due_on = NULL, due_version = due_version + 1, due_marked_by = pg_current_xact_id()::text::bigint
        WHERE id = marked AND due_marked_by IS DISTINCT FROM pg_current_xact_id()::text::bigint;
    END LOOP;
    RETURN NULL;
END
$$;
