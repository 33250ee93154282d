-- The current version's time and outcome, kept on each timeline entry. PostgreSQL dialect; keep in
-- step with ../sqlite/0016_current_contact.sql.
--
-- "Last contact" and "first contact made" are asked of every case on a caseload and of every
-- case a team manager oversees. Answered from the versions, each asked for the newest version
-- of every entry of every case: at 3,000 cases a team page spent 230 ms there. With the
-- current values on the entry (written in the same transaction as each version), both are read
-- from one partial index of contact entries.
ALTER TABLE timeline_entries ADD COLUMN current_at BIGINT;
ALTER TABLE timeline_entries ADD COLUMN current_outcome TEXT;
UPDATE timeline_entries SET
    current_at = (SELECT v.occurred_at FROM timeline_versions v WHERE v.entry_id = timeline_entries.id
                  ORDER BY v.version DESC LIMIT 1),
    current_outcome = (SELECT v.contact_outcome FROM timeline_versions v WHERE v.entry_id = timeline_entries.id
                       ORDER BY v.version DESC LIMIT 1);
CREATE INDEX timeline_contacts ON timeline_entries(case_id, person_id, current_at, current_outcome)
    WHERE kind = 'contact' AND withdrawn_at IS NULL;
