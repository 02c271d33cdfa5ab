-- Rewrites and verdicts the fourth review wave found wrong, each beside what
-- PostgreSQL does (safemigrate.mode = off, rolled back, where it matters).
SET safemigrate.small_table_rows = 0;
SET safemigrate.mode = off;
CREATE TABLE rr (id int, v int);
INSERT INTO rr SELECT g, g % 10 FROM generate_series(1, 2000) g;
CREATE TABLE rx (room int, during int4range, EXCLUDE USING gist (during WITH &&));
INSERT INTO rx SELECT g, int4range(g * 10, g * 10 + 5) FROM generate_series(1, 2000) g;
CREATE TABLE rp (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE rp1 PARTITION OF rp FOR VALUES FROM (0) TO (1000);
CREATE TABLE rp2 PARTITION OF rp FOR VALUES FROM (1000) TO (2000);
INSERT INTO rp SELECT g FROM generate_series(1, 1999) g;
CREATE TABLE rf (id int REFERENCES rp);
INSERT INTO rf SELECT g FROM generate_series(1, 500) g;
CREATE DOMAIN rd4 AS int;
CREATE DOMAIN rd5 AS rd4;
CREATE TABLE rt5 (id int, v rd5);
INSERT INTO rt5 SELECT g, g FROM generate_series(1, 2000) g;
CREATE DOMAIN rdv AS float8 DEFAULT random();
CREATE TYPE rpair AS (x int, y int);
CREATE TABLE rct (id int, v rpair);
INSERT INTO rct SELECT g, ROW(g, CASE WHEN g % 10 = 0 THEN NULL ELSE g END)::rpair FROM generate_series(1, 2000) g;
CREATE TABLE ripar (id int, a int);
CREATE TABLE richild () INHERITS (ripar);
INSERT INTO ripar SELECT g, g FROM generate_series(1, 2000) g;
INSERT INTO richild VALUES (1, NULL);
ANALYZE rr, rx, rp1, rp2, rf, rt5, rct, ripar, richild;
-- an index left INVALID by a failed build
CREATE UNIQUE INDEX CONCURRENTLY rr_v ON rr (v);
UPDATE rr SET v = id;
RESET safemigrate.mode;

-- REINDEX is not made CONCURRENTLY where that would skip (or fail on) what
-- REINDEX rebuilds: an invalid index, an exclusion constraint's, a catalog,
-- a whole schema.
SELECT stmt_no, verdict, rule, left(safe_sql, 40) AS safe_sql FROM safemigrate.check($$
REINDEX TABLE rr;
REINDEX TABLE rx;
REINDEX INDEX rx_during_excl;
REINDEX SCHEMA public;
REINDEX INDEX rr_v;
$$) ORDER BY stmt_no;
\set VERBOSITY default
REINDEX TABLE rr;
\set VERBOSITY terse
SELECT indisvalid FROM pg_index WHERE indexrelid = 'rr_v'::regclass;

-- DETACH of a partition of a referenced table reads the referencing table
-- under a ShareLock to check its rows (also CONCURRENTLY): listed.
SELECT relation, lock_mode, verdict FROM safemigrate.check('ALTER TABLE rp DETACH PARTITION rp2') ORDER BY relation;

-- ALTER DOMAIN reaches the tables of a domain over the domain.
SELECT relation, lock_mode, scans, verdict FROM safemigrate.check('ALTER DOMAIN rd4 ADD CONSTRAINT rd4_pos CHECK (VALUE > 0)');

-- ADD COLUMN of a domain whose default is volatile rewrites the table; the
-- first safe step keeps the domain's default out.
SELECT verdict, rule, safe_sql FROM safemigrate.check('ALTER TABLE rr ADD COLUMN c rdv');
-- REINDEX of a partitioned table: its partitions' indexes count.
SET safemigrate.mode = off;
CREATE TABLE rpp (id int, r int4range) PARTITION BY RANGE (id);
CREATE TABLE rpp1 PARTITION OF rpp FOR VALUES FROM (0) TO (1000);
ALTER TABLE rpp1 ADD CONSTRAINT rpp1_ex EXCLUDE USING gist (r WITH &&);
INSERT INTO rpp SELECT g, int4range(g * 10, g * 10 + 5) FROM generate_series(1, 999) g;
CREATE TABLE rpq (id int) PARTITION BY RANGE (id);
CREATE TABLE rpq1 PARTITION OF rpq FOR VALUES FROM (0) TO (1000);
CREATE INDEX rpq_id ON ONLY rpq (id);     -- INVALID, but without storage: nothing to skip
INSERT INTO rpq SELECT g FROM generate_series(1, 999) g;
ANALYZE rpp1, rpq1;
RESET safemigrate.mode;
SELECT stmt_no, verdict, left(safe_sql, 40) AS safe_sql FROM safemigrate.check($$
REINDEX TABLE rpp;
REINDEX TABLE rpq;
$$) WHERE relation IN ('public.rpp', 'public.rpq') ORDER BY stmt_no;
-- REINDEX SCHEMA of a user schema is made CONCURRENTLY unless a table of it has a gap.
SET safemigrate.mode = off;
CREATE SCHEMA rs;
CREATE TABLE rs.z (v int);
INSERT INTO rs.z SELECT g FROM generate_series(1, 2000) g;
CREATE INDEX z_v ON rs.z (v);
ANALYZE rs.z;
RESET safemigrate.mode;
SELECT verdict, safe_sql FROM safemigrate.check('REINDEX SCHEMA rs');
SELECT verdict, safe_sql FROM safemigrate.check('REINDEX SCHEMA public');

-- SET NOT NULL of a composite column: no CHECK proves it (IS NOT NULL tests
-- every field), so no steps; ONLY on an inheritance parent: a NO INHERIT helper.
\set VERBOSITY default
ALTER TABLE rct ALTER COLUMN v SET NOT NULL;
\set VERBOSITY terse
SELECT count(*) AS helper_checks FROM pg_constraint WHERE conrelid = 'rct'::regclass;
ALTER TABLE ONLY ripar ALTER COLUMN a SET NOT NULL;
SELECT attrelid::regclass, attnotnull FROM pg_attribute WHERE attname = 'a' AND attrelid IN ('ripar'::regclass, 'richild'::regclass)
 ORDER BY attrelid::regclass::text;

-- A constraint named with U&"..." keeps its name through the steps.
ALTER TABLE rr ADD CONSTRAINT U&"d\0061t" CHECK (id > 0);
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'rr'::regclass AND contype = 'c';

-- An unnamed CHECK takes the name PostgreSQL would: free in the whole schema.
SET safemigrate.mode = off;
CREATE TABLE rr_other (id int CONSTRAINT rr_id_check CHECK (id > -1));
RESET safemigrate.mode;
ALTER TABLE rr ADD CHECK (id > -5);
SELECT conname FROM pg_constraint WHERE conrelid = 'rr'::regclass AND contype = 'c' ORDER BY 1;

-- A trailing comment does not swallow the ; of a safe statement.
SELECT safe_sql FROM safemigrate.check($$CREATE INDEX rr_id_idx ON rr (id) -- for lookups
;$$);

SET safemigrate.mode = off;
DROP TABLE rr, rx, rf, rp, rt5, rct, ripar, richild, rr_other, rpp, rpq;
DROP DOMAIN rd5;
DROP DOMAIN rd4;
DROP DOMAIN rdv;
DROP TYPE rpair;
DROP SCHEMA rs CASCADE;
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
