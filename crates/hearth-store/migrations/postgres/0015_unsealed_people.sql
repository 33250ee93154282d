-- People not yet sealed. PostgreSQL dialect; keep in step with ../sqlite/0015_unsealed_people.sql.
--
-- Every start looks for people written before names were sealed (0012). This partial index
-- holds only those, so once they are sealed the look is instant instead of a scan of everyone.
CREATE INDEX people_unsealed ON people(org_id) WHERE identity IS NULL;
