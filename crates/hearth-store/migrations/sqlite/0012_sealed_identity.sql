-- Names, other names and dates of birth sealed, and found by a blind index. SQLite dialect;
-- keep in step with ../postgres/0012_sealed_identity.sql.
--
-- A stolen database file must name nobody. A person's identity (names, other names, date of
-- birth) is now one sealed value in people.identity, and search finds people by keyed hashes
-- of the terms of their names, date of birth, phone and postcode (see hearth-domain's
-- search_terms and hearth-store's identity module). The plain-text columns given_name,
-- family_name and date_of_birth, and the person_aliases table, are left empty: at start-up the
-- store seals any row written before this migration, then blanks it. A later migration drops
-- them once every database has started on this one.
ALTER TABLE people ADD COLUMN identity BLOB;

-- One row per term per person. The token is an HMAC of the term under the organisation's index
-- key, so the index says nothing without the key; the field says what the term was taken from,
-- which the firewall needs to decide whether a match may count.
CREATE TABLE person_index (
    token BLOB NOT NULL,
    person_id TEXT NOT NULL REFERENCES people(id),
    field TEXT NOT NULL,
    PRIMARY KEY (token, person_id, field)
) WITHOUT ROWID;
CREATE INDEX person_index_person ON person_index(person_id);
