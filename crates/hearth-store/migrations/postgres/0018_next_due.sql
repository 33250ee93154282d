-- The per-case "next due": the earliest date anything on a case's due list falls due, whoever
-- looks. PostgreSQL dialect; keep in step with ../sqlite/0018_next_due.sql.
--
-- A team's or the service's due list shows what is overdue or due in the next fortnight. Worked
-- out for every open case on every view, it cost a service manager's home page about a second
-- at 6,000 cases. With each case's next due kept, the list works out only the cases whose next
-- due falls inside the fortnight (or is not known), and skips the rest: nothing on their list
-- could show. The dates a due list holds are fixed by the records, not by the day (a session
-- planned for a date stays due on that date once it passes), so the earliest of them stays a
-- true bound until a record changes.
--
-- So it is kept on write, by the database: a trigger on every table the due list is worked out
-- from marks the case's next due unknown (NULL), in the same transaction as the change, and
-- raises its version. No write path can forget to. Unknown cases are worked out in full on
-- every view until the server works them out again (hearth-app's next_due), and that writes its
-- result only if the version is still the one it read, so a change made meanwhile is never
-- overwritten with a date from before it. '9999-12-31' means nothing is due at all.
ALTER TABLE cases ADD COLUMN next_due_on TEXT;
ALTER TABLE cases ADD COLUMN due_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_next_due ON cases(org_id, status, next_due_on);
CREATE INDEX cases_next_due_unknown ON cases(org_id) WHERE next_due_on IS NULL AND status = 'open';

-- The items themselves, as worked out with the date, so that a manager's page counts a
-- service's overdue work and finds one page of it without working out every case: what kind
-- of item, when it falls due, and when it changes by itself (a first contact goes overdue at
-- its deadline; a planned session is to be recorded from its time). No names and no text: the
-- page works out the items it shows through the guard, as before. Read only while the case's
-- next due is known; replaced whenever it is kept again.
CREATE TABLE case_due_items (
    case_id TEXT NOT NULL REFERENCES cases(id),
    org_id TEXT NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL,
    due_on TEXT NOT NULL,
    overdue_after BIGINT,
    recorded_from BIGINT,
    always_listed BIGINT NOT NULL,
    other_agency BIGINT NOT NULL
);
CREATE INDEX case_due_items_case ON case_due_items(case_id);

-- What each table's rows are about: the case, or every case of the person.
CREATE FUNCTION next_due_unknown_by_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
    RETURN NULL;
END
$$;
CREATE FUNCTION next_due_unknown_by_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
    RETURN NULL;
END
$$;
CREATE FUNCTION next_due_unknown_by_marac_referral() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT m.case_id FROM case_members m JOIN marac_referrals r ON r.person_id = m.person_id WHERE r.id = NEW.referral_id UNION SELECT case_id FROM marac_referrals WHERE id = NEW.referral_id);
    RETURN NULL;
END
$$;
CREATE FUNCTION next_due_unknown_by_marac_action() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT m.case_id FROM case_members m JOIN marac_referrals r ON r.person_id = m.person_id JOIN marac_actions a ON a.referral_id = r.id WHERE a.id = NEW.action_id);
    RETURN NULL;
END
$$;
CREATE FUNCTION next_due_unknown_by_enrolment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM enrolments WHERE id = NEW.enrolment_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER case_members_next_due AFTER INSERT OR UPDATE ON case_members FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_case();
CREATE TRIGGER referrals_next_due AFTER INSERT OR UPDATE ON referrals FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_case();
CREATE TRIGGER timeline_entries_next_due AFTER INSERT OR UPDATE ON timeline_entries FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_case();
CREATE TRIGGER risk_assessments_next_due AFTER INSERT OR UPDATE ON risk_assessments FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_person();
CREATE TRIGGER incidents_next_due AFTER INSERT OR UPDATE ON incidents FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_person();
CREATE TRIGGER safety_plans_next_due AFTER INSERT OR UPDATE ON safety_plans FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_person();
CREATE TRIGGER marac_referrals_next_due AFTER INSERT OR UPDATE ON marac_referrals FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_person();
CREATE TRIGGER marac_actions_next_due AFTER INSERT OR UPDATE ON marac_actions FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_marac_referral();
CREATE TRIGGER marac_action_changes_next_due AFTER INSERT ON marac_action_changes FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_marac_action();
CREATE TRIGGER enrolments_next_due AFTER INSERT OR UPDATE ON enrolments FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_case();
CREATE TRIGGER enrolment_changes_next_due AFTER INSERT ON enrolment_changes FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_enrolment();
CREATE TRIGGER programme_sessions_next_due AFTER INSERT OR UPDATE ON programme_sessions FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_case();
CREATE TRIGGER partner_news_next_due AFTER INSERT OR UPDATE ON partner_news FOR EACH ROW EXECUTE FUNCTION next_due_unknown_by_case();
