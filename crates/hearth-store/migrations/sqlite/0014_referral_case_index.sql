-- Referrals by case. SQLite dialect; keep in step with ../postgres/0014_referral_case_index.sql.
--
-- Where a case stands (first contact since the latest accepted referral) asks for a case's
-- accepted referrals on every caseload and case page. Without this index SQLite built a
-- throwaway one on each query; with 3,765 referrals that made an Idva's home page take 114 ms.
CREATE INDEX referrals_case ON referrals(case_id, status, received_at);
