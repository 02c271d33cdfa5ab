-- Findings of the fifth review of the ALTER TABLE rewrites (session 11):
-- what PostgreSQL refuses when it names the statement's constraints is not
-- split (judged as usual: refused on these big tables), the names an ADD COLUMN's inline constraints take, and what a split
-- leaves committed when a later step fails.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 9000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 900) IS NOT NULL AS expansion_ids_set;
CREATE TABLE f1 (id int NOT NULL, a int NOT NULL);
INSERT INTO f1 SELECT g, g FROM generate_series(1, 30) g;
CREATE TABLE f1_other (y int);
CREATE INDEX f1_taken ON f1_other (y);
ANALYZE f1;

-- 1. Statements PostgreSQL refuses as a whole when it names their
-- constraints are not split: judged as usual (refused here), nothing built or
-- committed.
-- two primary keys
ALTER TABLE f1 ADD PRIMARY KEY (id), ADD PRIMARY KEY (a);
-- the same name twice
ALTER TABLE f1 ADD CONSTRAINT c1 CHECK (a > 0), ADD CONSTRAINT c1 CHECK (id > 0);
-- a name given that an unnamed constraint of the statement gets (its index comes first)
ALTER TABLE f1 ADD UNIQUE (a), ADD CONSTRAINT f1_a_key CHECK (a > 0);
ALTER TABLE f1 ADD CONSTRAINT f1_a_key CHECK (a > 0), ADD UNIQUE (a);
ALTER TABLE f1 ADD CHECK (id < 1000000), ADD CONSTRAINT f1_id_check FOREIGN KEY (id) REFERENCES f1_other (y);
ALTER TABLE f1 ADD UNIQUE (a), ADD CONSTRAINT f1_a_key UNIQUE (id);
-- an index name a relation of the schema has
ALTER TABLE f1 ADD CONSTRAINT ok1 UNIQUE (id), ADD CONSTRAINT f1_taken UNIQUE (a);
-- nothing was built or committed
SELECT conname FROM pg_constraint WHERE conrelid = 'f1'::regclass ORDER BY 1;
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'f1'::regclass ORDER BY 1;
-- a name given first is taken: the unnamed one of the same kind numbers on, as in PostgreSQL
ALTER TABLE f1 ADD CONSTRAINT f1_a_key UNIQUE (id), ADD UNIQUE (a);
ALTER TABLE f1 ADD CONSTRAINT f1_id_check CHECK (id > 0) NOT VALID, ADD CHECK (id < 1000000);
SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint WHERE conrelid = 'f1'::regclass ORDER BY 1;

-- 2. The inline constraints of an ADD COLUMN are named before the table
-- constraints: every name as PostgreSQL gives it (the same statement with
-- safemigrate.mode = off on an identical table of another schema).
CREATE SCHEMA alone;
CREATE TABLE f2_ref (x int PRIMARY KEY, y int, UNIQUE (x, y));
INSERT INTO f2_ref SELECT g, g FROM generate_series(0, 40) g;
CREATE TABLE f2 (id int, a int, b int);
INSERT INTO f2 SELECT g, g, g FROM generate_series(1, 30) g;
CREATE TABLE alone.f2 (LIKE f2);
INSERT INTO alone.f2 SELECT * FROM f2;
ANALYZE f2, f2_ref;
SET safemigrate.mode = off;
ALTER TABLE alone.f2 ADD COLUMN a_b int REFERENCES f2_ref, ADD FOREIGN KEY (a, b) REFERENCES f2_ref (x, y);
ALTER TABLE alone.f2 ADD COLUMN c int REFERENCES f2_ref, ADD FOREIGN KEY (c) REFERENCES f2_ref;
ALTER TABLE alone.f2 ADD COLUMN d int CHECK (a > 0), ADD CHECK (a > 0), ADD FOREIGN KEY (a) REFERENCES f2_ref;
RESET safemigrate.mode;
ALTER TABLE f2 ADD COLUMN a_b int REFERENCES f2_ref, ADD FOREIGN KEY (a, b) REFERENCES f2_ref (x, y);
ALTER TABLE f2 ADD COLUMN c int REFERENCES f2_ref, ADD FOREIGN KEY (c) REFERENCES f2_ref;
-- (the inline CHECK allowed: the ADD COLUMN runs as it is)
SET safemigrate.allow = 'add-check-validating';
ALTER TABLE f2 ADD COLUMN d int CHECK (a > 0), ADD CHECK (a > 0), ADD FOREIGN KEY (a) REFERENCES f2_ref;
RESET safemigrate.allow;
SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint WHERE conrelid = 'f2'::regclass ORDER BY 1;
-- the same as PostgreSQL's: no row
(SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'f2'::regclass
 EXCEPT SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'alone.f2'::regclass)
UNION ALL
(SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'alone.f2'::regclass
 EXCEPT SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'f2'::regclass);

-- 3. A split that fails at a validation leaves the steps before it committed:
-- the new column, the type change and the constraint NOT VALID (PostgreSQL
-- alone would have changed nothing).  The error names the committed steps and
-- those left to run.
CREATE TABLE f3 (id int, a int, s varchar(10));
INSERT INTO f3 SELECT g, g, 'x' FROM generate_series(1, 30) g;
UPDATE f3 SET a = -1 WHERE id = 5;
ANALYZE f3;
\set VERBOSITY default
-- (in a transaction block, not rewritten: the hint gives the plan and says so)
BEGIN;
ALTER TABLE f3 ADD COLUMN c text DEFAULT 'new', ALTER COLUMN s TYPE varchar(50), ADD CONSTRAINT a_pos CHECK (a > 0);
ROLLBACK;
ALTER TABLE f3 ADD COLUMN c text DEFAULT 'new', ALTER COLUMN s TYPE varchar(50), ADD CONSTRAINT a_pos CHECK (a > 0);
\set VERBOSITY terse
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'f3'::regclass AND attnum > 0 ORDER BY attnum;
SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint WHERE conrelid = 'f3'::regclass;
-- fixed rows, the step left to run finishes the statement
UPDATE f3 SET a = 5 WHERE id = 5;
ALTER TABLE f3 VALIDATE CONSTRAINT a_pos;
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'f3'::regclass;

-- 4. An inline UNIQUE is judged whatever comes after it (a REFERENCES after it
-- hid the index build), and a statement predicted to be refused by its names is
-- judged, not run as is: an ADD COLUMN IF NOT EXISTS of a column the table has
-- skips its inline PRIMARY KEY, so PostgreSQL would build the second key.
CREATE TABLE f4 (id int, a int);
INSERT INTO f4 SELECT g, g FROM generate_series(1, 30) g;
ANALYZE f4;
ALTER TABLE f4 ADD COLUMN b int UNIQUE REFERENCES f2_ref (x);
ALTER TABLE f4 ADD COLUMN IF NOT EXISTS id int PRIMARY KEY, ADD PRIMARY KEY (a);
-- an unnamed USING INDEX constraint takes the index's name: the CHECK of that
-- name is refused by PostgreSQL, so the statement is not split
SET safemigrate.mode = off;
CREATE UNIQUE INDEX f4_a_ui ON f4 (a);
RESET safemigrate.mode;
ALTER TABLE f4 ADD UNIQUE USING INDEX f4_a_ui, ADD CONSTRAINT f4_a_ui CHECK (a > 0);
SELECT count(*) AS constraints FROM pg_constraint WHERE conrelid = 'f4'::regclass;

SET safemigrate.mode = off;
DROP SCHEMA alone CASCADE;
DROP TABLE f1, f1_other, f2, f3, f4, f2_ref;
RESET safemigrate.mode;
