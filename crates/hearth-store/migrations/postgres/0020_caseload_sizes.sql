-- Caseload sizes and overdue work by worker from indexes. PostgreSQL dialect; keep in step with
-- ../sqlite/0020_caseload_sizes.sql.
--
-- A manager's home page counts the open cases of every member of staff it shows (the service
-- manager's, some 200 people at 6,000 cases a service). Each count read every allocation the
-- person ever held from the table, and each allocated case's row for its status: about 20 ms
-- of the page on a service of 6,000 cases. With the worker's open allocations and each case's
-- status both in an index, the same count reads no table row: about 6 ms.
--
-- The same page counts overdue work by the workers allocated to each overdue case. With the
-- case's open allocations and their worker in an index too, that join reads no allocation row.
-- And the kept due items are found by their organisation: PostgreSQL, unable to estimate how
-- many items the day's conditions keep, read every service's items and looked each one's case
-- up (about 80 ms of the page at five services of 6,000 cases; it grows with the services).
--
-- Each new index on allocations begins with the column the old one held alone, so it serves
-- everything the old one did (a worker's caseload, a case's allocations), and the old one goes.
CREATE INDEX allocations_worker_open ON allocations(worker_id, ended_at, case_id);
DROP INDEX allocations_worker;
CREATE INDEX allocations_case_open ON allocations(case_id, ended_at, worker_id);
DROP INDEX allocations_case;
CREATE INDEX cases_status ON cases(id, status);
CREATE INDEX case_due_items_org ON case_due_items(org_id);
