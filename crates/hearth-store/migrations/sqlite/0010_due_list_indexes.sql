-- Indexes for the due and overdue list, which reads MARAC actions and safety plan reviews case by
-- case. Without them each lookup scanned every referral and plan in the service (the store
-- benchmark showed 6 ms a case on PostgreSQL). SQLite dialect; keep in step with
-- ../postgres/0010_due_list_indexes.sql.

CREATE INDEX marac_referrals_case ON marac_referrals(case_id);
CREATE INDEX safety_plans_case ON safety_plans(case_id);
