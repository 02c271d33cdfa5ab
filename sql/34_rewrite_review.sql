-- Findings of the fourth review of the ALTER TABLE rewrites (session 11),
-- each fixed and kept here: what a split must not commit alone, the names of
-- unnamed constraints, what PostgreSQL rejects before it builds anything, and
-- the re-run of an interrupted SET NOT NULL.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 6000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 600) IS NOT NULL AS expansion_ids_set;
CREATE TABLE f1 (id int, total int);
INSERT INTO f1 SELECT g, g FROM generate_series(1, 30) g;
CREATE TABLE f1p (id int PRIMARY KEY);
INSERT INTO f1p SELECT g FROM generate_series(1, 30) g;
ANALYZE f1, f1p;

-- 1. A constraint or SET NOT NULL on a column the same statement adds is not
-- split (the column would be committed, and a NOT VALID constraint its
-- default breaks would refuse every insert): rejected, with the steps to run
-- as statements of their own.
\set VERBOSITY default
ALTER TABLE f1 ADD COLUMN status text DEFAULT 'new', ADD CONSTRAINT f1_status_chk CHECK (status IN ('open', 'closed'));
\set VERBOSITY terse
ALTER TABLE f1 ADD COLUMN cust int DEFAULT 0, ADD FOREIGN KEY (cust) REFERENCES f1p (id);
ALTER TABLE f1 ADD COLUMN k4 int, ALTER k4 SET NOT NULL;
-- nothing changed, and inserts work
SELECT attname FROM pg_attribute WHERE attrelid = 'f1'::regclass AND attnum > 0 ORDER BY attnum;
SELECT conname FROM pg_constraint WHERE conrelid = 'f1'::regclass;
INSERT INTO f1 (id, total) VALUES (5000, 1);
-- a constraint on a column the table has is still split
ALTER TABLE f1 ADD COLUMN note text DEFAULT 'x', ADD CONSTRAINT f1_total_pos CHECK (total > 0);
-- and so is a one-column FOREIGN KEY (or a UNIQUE) of a new column without a default: all NULL, it cannot fail
ALTER TABLE f1 ADD COLUMN ref int, ADD FOREIGN KEY (ref) REFERENCES f1p (id);
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'f1'::regclass ORDER BY conname;

-- Every first-pass drop (not only DROP CONSTRAINT) keeps the statement whole:
-- DROP NOT NULL is not committed before a validation that fails.
CREATE TABLE f2 (id int, qty int NOT NULL);
INSERT INTO f2 SELECT g, g % 10 FROM generate_series(1, 30) g;
ANALYZE f2;
ALTER TABLE f2 ALTER COLUMN qty DROP NOT NULL, ADD CONSTRAINT f2_qty_pos CHECK (qty > 0);
ALTER TABLE f2 ALTER COLUMN qty DROP DEFAULT, ADD CONSTRAINT f2_qty_pos CHECK (qty > 0);
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'f2'::regclass AND attname = 'qty';
SELECT count(*) AS constraints FROM pg_constraint WHERE conrelid = 'f2'::regclass;

-- 2. Unnamed constraints get PostgreSQL's names, chosen in its pass order:
-- the one that runs unchanged and the rewritten one do not collide.
CREATE TABLE f3 (id int, v int);
INSERT INTO f3 SELECT g, g FROM generate_series(1, 30) g;
ANALYZE f3;
ALTER TABLE f3 ADD CHECK (v > 0) NOT VALID, ADD CHECK (v < 1000000);
SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'f3'::regclass ORDER BY conname;
-- PostgreSQL alone names them the same way
SET safemigrate.mode = off;
CREATE TABLE f3b (id int, v int);
INSERT INTO f3b SELECT g, g FROM generate_series(1, 30) g;
ALTER TABLE f3b ADD CHECK (v > 0) NOT VALID, ADD CHECK (v < 1000000);
SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'f3b'::regclass ORDER BY conname;
RESET safemigrate.mode;

-- 3. What PostgreSQL would reject at once is not rewritten (no unique index is
-- built first): judged as usual, so refused on this big table.  A second primary key (42P16):
CREATE TABLE f4 (id int NOT NULL, k int NOT NULL);
INSERT INTO f4 SELECT g, g FROM generate_series(1, 30) g;
ANALYZE f4;
ALTER TABLE f4 ADD PRIMARY KEY (id);
ALTER TABLE f4 ADD PRIMARY KEY (k);
\echo :LAST_ERROR_SQLSTATE
SELECT indexrelid::regclass AS index FROM pg_index WHERE indrelid = 'f4'::regclass ORDER BY 1;
-- a statement that drops a constraint too is judged as usual (not split: the drop would commit alone)
ALTER TABLE f4 DROP CONSTRAINT f4_pkey, ADD PRIMARY KEY (k);
-- a UNIQUE named as a constraint of the table (42710):
CREATE TABLE f4b (id int NOT NULL, v int);
INSERT INTO f4b SELECT g, g FROM generate_series(1, 30) g;
ANALYZE f4b;
ALTER TABLE f4b ADD CONSTRAINT f4b_x CHECK (v > 0) NOT VALID;
ALTER TABLE f4b ADD CONSTRAINT f4b_x UNIQUE (id);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS indexes FROM pg_index WHERE indrelid = 'f4b'::regclass;

-- 4. An interrupted SET NOT NULL.  (a) Step 3 (SET NOT NULL) fails (an event
-- trigger stands in for a lock timeout): the error names the steps left.  Run
-- again, the statement needs no scan (the helper is validated) and runs as it
-- is; the validated CHECK is not taken over (it may be the user's own step of
-- the recipe, dropped by their next statement): the steps left drop it.
CREATE TABLE f7b (id int, v int);
INSERT INTO f7b SELECT g, g FROM generate_series(1, 30) g;
ANALYZE f7b;
CREATE SEQUENCE f7b_cnt;
CREATE FUNCTION f7b_fail() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF nextval('f7b_cnt') = 3 THEN
    RAISE EXCEPTION 'step 3 interrupted';
  END IF;
END $$;
CREATE EVENT TRIGGER f7b_fail ON ddl_command_start WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION f7b_fail();
ALTER TABLE f7b ALTER COLUMN v SET NOT NULL;
DROP EVENT TRIGGER f7b_fail;
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'f7b'::regclass;
ALTER TABLE f7b ALTER COLUMN v SET NOT NULL;
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'f7b'::regclass AND attname = 'v';
ALTER TABLE f7b DROP CONSTRAINT f7b_v_not_null;
SELECT count(*) AS constraints FROM pg_constraint WHERE conrelid = 'f7b'::regclass;
-- The recipe by hand, each statement on its own: each runs as written.
CREATE TABLE f7m (id int, v int);
INSERT INTO f7m SELECT g, g FROM generate_series(1, 30) g;
ALTER TABLE f7m ADD CONSTRAINT f7m_v_not_null CHECK (v IS NOT NULL) NOT VALID;
ALTER TABLE f7m VALIDATE CONSTRAINT f7m_v_not_null;
ALTER TABLE f7m ALTER COLUMN v SET NOT NULL;
ALTER TABLE f7m DROP CONSTRAINT f7m_v_not_null;
SELECT attnotnull, (SELECT count(*) FROM pg_constraint WHERE conrelid = 'f7m'::regclass) AS constraints
  FROM pg_attribute WHERE attrelid = 'f7m'::regclass AND attname = 'v';
-- (b) ONLY: the NO INHERIT helper left by a failed VALIDATE is the one continued.
CREATE TABLE f7p (id int, v int);
CREATE TABLE f7c () INHERITS (f7p);
INSERT INTO f7p SELECT g, NULLIF(g, 5) FROM generate_series(1, 30) g;
ANALYZE f7p;
ALTER TABLE ONLY f7p ALTER COLUMN v SET NOT NULL;
UPDATE ONLY f7p SET v = 0 WHERE v IS NULL;
ALTER TABLE ONLY f7p ALTER COLUMN v SET NOT NULL;
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'f7p'::regclass AND attname = 'v';
SELECT count(*) AS constraints FROM pg_constraint WHERE conrelid = 'f7p'::regclass;

SET safemigrate.mode = off;
DROP TABLE f1, f1p, f2, f3, f3b, f4, f4b, f7b, f7c, f7p, f7m;
DROP FUNCTION f7b_fail();
DROP SEQUENCE f7b_cnt;
RESET safemigrate.mode;
