-- The per-case "next due": the earliest date anything on a case's due list falls due, whoever
-- looks. SQLite dialect; keep in step with ../postgres/0018_next_due.sql.
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
ALTER TABLE cases ADD COLUMN due_version INTEGER NOT NULL DEFAULT 0;
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
    overdue_after INTEGER,
    recorded_from INTEGER,
    always_listed INTEGER NOT NULL,
    other_agency INTEGER NOT NULL
);
CREATE INDEX case_due_items_case ON case_due_items(case_id);

-- What each table's rows are about: the case, or every case of the person.
CREATE TRIGGER case_members_next_due_insert AFTER INSERT ON case_members BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER case_members_next_due_update AFTER UPDATE ON case_members BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER referrals_next_due_insert AFTER INSERT ON referrals BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER referrals_next_due_update AFTER UPDATE ON referrals BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER timeline_entries_next_due_insert AFTER INSERT ON timeline_entries BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER timeline_entries_next_due_update AFTER UPDATE ON timeline_entries BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER risk_assessments_next_due_insert AFTER INSERT ON risk_assessments BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
END;
CREATE TRIGGER risk_assessments_next_due_update AFTER UPDATE ON risk_assessments BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
END;
CREATE TRIGGER incidents_next_due_insert AFTER INSERT ON incidents BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
END;
CREATE TRIGGER incidents_next_due_update AFTER UPDATE ON incidents BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
END;
CREATE TRIGGER safety_plans_next_due_insert AFTER INSERT ON safety_plans BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
END;
CREATE TRIGGER safety_plans_next_due_update AFTER UPDATE ON safety_plans BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
END;
CREATE TRIGGER marac_referrals_next_due_insert AFTER INSERT ON marac_referrals BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
END;
CREATE TRIGGER marac_referrals_next_due_update AFTER UPDATE ON marac_referrals BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM case_members WHERE person_id = NEW.person_id UNION SELECT NEW.case_id);
END;
CREATE TRIGGER marac_actions_next_due_insert AFTER INSERT ON marac_actions BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT m.case_id FROM case_members m JOIN marac_referrals r ON r.person_id = m.person_id WHERE r.id = NEW.referral_id UNION SELECT case_id FROM marac_referrals WHERE id = NEW.referral_id);
END;
CREATE TRIGGER marac_actions_next_due_update AFTER UPDATE ON marac_actions BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT m.case_id FROM case_members m JOIN marac_referrals r ON r.person_id = m.person_id WHERE r.id = NEW.referral_id UNION SELECT case_id FROM marac_referrals WHERE id = NEW.referral_id);
END;
CREATE TRIGGER marac_action_changes_next_due_insert AFTER INSERT ON marac_action_changes BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT m.case_id FROM case_members m JOIN marac_referrals r ON r.person_id = m.person_id JOIN marac_actions a ON a.referral_id = r.id WHERE a.id = NEW.action_id);
END;
CREATE TRIGGER enrolments_next_due_insert AFTER INSERT ON enrolments BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER enrolments_next_due_update AFTER UPDATE ON enrolments BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER enrolment_changes_next_due_insert AFTER INSERT ON enrolment_changes BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT case_id FROM enrolments WHERE id = NEW.enrolment_id);
END;
CREATE TRIGGER programme_sessions_next_due_insert AFTER INSERT ON programme_sessions BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER programme_sessions_next_due_update AFTER UPDATE ON programme_sessions BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER partner_news_next_due_insert AFTER INSERT ON partner_news BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
CREATE TRIGGER partner_news_next_due_update AFTER UPDATE ON partner_news BEGIN
    UPDATE cases SET next_due_on = NULL, due_version = due_version + 1 WHERE id IN (SELECT NEW.case_id);
END;
