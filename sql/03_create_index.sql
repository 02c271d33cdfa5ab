-- Rule create-index-blocking: CREATE INDEX without CONCURRENTLY on a table
-- that holds data is rejected in enforce mode, with the safe statement.
-- The fixtures are small: test the rules, not the small-table exemption (08_policy).
SET safemigrate.small_table_rows = 0;
SET safemigrate.rewrite = off;  -- this file tests the rejection texts; 08_policy tests rewrites
CREATE SCHEMA safemigrate_test;
SET search_path = safemigrate_test, public;
CREATE TABLE patients (id bigint PRIMARY KEY, name text NOT NULL, born date);
INSERT INTO patients
SELECT g, 'patient ' || g, date '1950-01-01' + g % 20000 FROM generate_series(1, 5000) g;
ANALYZE patients;

-- The error names the rule, the lock, the table's size and the safe statement.
CREATE INDEX patients_name_idx ON patients (name);
-- Its SQLSTATE is SM001.
DO $$
BEGIN
  CREATE INDEX ON safemigrate_test.patients (born);
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'SQLSTATE %: %', SQLSTATE, SQLERRM;
END $$;
-- The statement from the hint runs.
CREATE INDEX CONCURRENTLY patients_name_idx ON patients (name);
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'patients'::regclass ORDER BY 1;

-- Name, columns, predicate, options, comments and quoting are kept as written.
/* ticket 42 */ create unique index if not exists "Patients Born"
  on patients using btree (id, born) include (name) with (fillfactor = 80)
  where born > '2000-01-01';

-- IF NOT EXISTS with an existing name is a no-op: allowed.
CREATE INDEX IF NOT EXISTS patients_name_idx ON patients (name);

-- Not blocking anyone: an empty table, a table created in this transaction,
-- a temporary table.
CREATE TABLE empty_t (a int);
CREATE INDEX empty_t_a ON empty_t (a);
BEGIN;
CREATE TABLE new_t (a int);
INSERT INTO new_t SELECT generate_series(1, 1000);
CREATE INDEX new_t_a ON new_t (a);
COMMIT;
CREATE TEMP TABLE tmp_t AS SELECT generate_series(1, 1000) AS a;
CREATE INDEX tmp_t_a ON tmp_t (a);

-- A table created in an earlier transaction is no longer exempt.
INSERT INTO empty_t VALUES (1);
CREATE INDEX empty_t_a2 ON empty_t (a);

-- Inside a transaction block, the hint adds that CONCURRENTLY must run on its own.
BEGIN;
CREATE INDEX patients_born_idx ON patients (born);
ROLLBACK;

-- A materialized view: the blocked write is REFRESH.
CREATE MATERIALIZED VIEW patients_mv AS SELECT id, born FROM patients;
CREATE INDEX patients_mv_born ON patients_mv (born);

-- A partitioned table: PostgreSQL 15 has no CONCURRENTLY there; the hint gives
-- the ON ONLY + per-partition recipe.
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO events SELECT g, date '2025-01-01' + g % 700 FROM generate_series(1, 2000) g;
ANALYZE events;
CREATE INDEX events_at ON events (at);

-- An unknown table is PostgreSQL's error, not ours.
CREATE INDEX ON no_such_table (a);

-- warn mode: the same text as a WARNING, then the statement runs.
SET safemigrate.mode = warn;
CREATE INDEX patients_born_idx ON patients (born);
-- off: no check at all.
SET safemigrate.mode = off;
CREATE INDEX patients_born_idx2 ON patients (born);
RESET safemigrate.mode;
SELECT count(*) AS born_indexes FROM pg_indexes
 WHERE schemaname = 'safemigrate_test' AND indexname LIKE 'patients_born_idx%';

-- Extension scripts pass through: safemigrate_testext's script builds an index
-- on patients without CONCURRENTLY.
CREATE EXTENSION safemigrate_testext;
SELECT indexname FROM pg_indexes WHERE indexname = 'safemigrate_testext_idx';
DROP EXTENSION safemigrate_testext;
DROP INDEX CONCURRENTLY safemigrate_testext_idx;
