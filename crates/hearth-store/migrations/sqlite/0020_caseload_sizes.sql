-- Caseload sizes from indexes alone. SQLite dialect; keep in step with
-- ../postgres/0020_caseload_sizes.sql.
--
-- A manager's home page counts the open cases of every member of staff it shows (the service
-- manager's, some 200 people at 6,000 cases a service). Each count read every allocation the
-- person ever held from the table, and each allocated case's row for its status: about 20 ms
-- of the page on a service of 6,000 cases. With the worker's open allocations and each case's
-- status both in an index, the same count reads no table row: about 6 ms.
--
-- The new index on allocations begins with the worker, so it also serves everything the old
-- one on the worker alone did (a worker's caseload, the count of a worker's open cases), and
-- the old one goes.
CREATE INDEX allocations_worker_open ON allocations(worker_id, ended_at, case_id);
DROP INDEX allocations_worker;
CREATE INDEX cases_status ON cases(id, status);
