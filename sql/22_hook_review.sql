-- Findings of the review of the hook's coverage (2026-11-26, afternoon), each
-- fixed and kept here.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse

-- An inheritance parent without rows of its own is judged with its children:
-- ALTER TABLE and TRUNCATE recurse to them (it counted as empty).
CREATE TABLE hr_lp (id int, v int);
CREATE TABLE hr_lc1 () INHERITS (hr_lp);
INSERT INTO hr_lc1 SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE hr_lp;
ANALYZE hr_lc1;
ALTER TABLE hr_lp ALTER COLUMN v TYPE bigint;
ALTER TABLE hr_lp ADD COLUMN r float8 DEFAULT random();
TRUNCATE hr_lp;
SELECT count(*) AS child_rows FROM hr_lc1;
-- ... also when the parent is created in the transaction, the child old
BEGIN;
CREATE TABLE hr_p (v int);
ALTER TABLE hr_lc1 NO INHERIT hr_lp;
ALTER TABLE hr_lc1 INHERIT hr_p;
ALTER TABLE hr_p ALTER COLUMN v TYPE bigint;
ROLLBACK;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'hr_lc1'::regclass AND attname = 'v';

-- A split statement runs its steps in PostgreSQL's order; a CHECK on a
-- column the statement adds is not split (the column would be committed
-- before a validation that may fail); with a drop (PostgreSQL's first pass)
-- before steps that may fail, it is not split at all.
CREATE TABLE hr_t (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO hr_t SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE hr_t;
ALTER TABLE hr_t ADD COLUMN a int, ADD CONSTRAINT hr_b_pos CHECK (b > 0), ADD COLUMN b int DEFAULT 1;
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'hr_t'::regclass AND contype = 'c';
SELECT attname FROM pg_attribute WHERE attrelid = 'hr_t'::regclass AND attnum > 0 ORDER BY attnum;
ALTER TABLE hr_t ADD PRIMARY KEY (id, v), DROP CONSTRAINT hr_t_pkey;
SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'hr_t'::regclass AND contype = 'p';


-- Statements that drop or rename tables without naming them so are judged
-- as what they do: DROP SCHEMA ... CASCADE, DROP OWNED BY, ALTER INDEX on a
-- table; DROP MATERIALIZED VIEW is named as such.
CREATE SCHEMA hr_s;
CREATE TABLE hr_s.big (id int);
INSERT INTO hr_s.big SELECT generate_series(1, 100);
DROP SCHEMA hr_s CASCADE;
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA hr_s;
CREATE ROLE regress_hr_owner;
CREATE TABLE hr_owned (a int);
ALTER TABLE hr_owned OWNER TO regress_hr_owner;
DROP OWNED BY regress_hr_owner;
CREATE TABLE hr_tix (a int);
ALTER INDEX hr_tix RENAME TO hr_tix2;
CREATE INDEX hr_tix_a ON hr_tix (a);
ALTER INDEX hr_tix_a RENAME TO hr_tix_a2;
CREATE MATERIALIZED VIEW hr_mv AS SELECT 1 AS one;
DROP MATERIALIZED VIEW hr_mv;
-- declared, they run
/* safemigrate: expand-contract */ DROP SCHEMA hr_s CASCADE;
/* safemigrate: expand-contract */ DROP OWNED BY regress_hr_owner;
SELECT to_regclass('hr_s.big') IS NULL AND to_regclass('public.hr_owned') IS NULL AS both_dropped;
DROP ROLE regress_hr_owner;


-- Default constraint names as PostgreSQL makes them: every column of a
-- foreign key, a CHECK's column only when it uses exactly one, and two
-- unnamed CHECKs of one statement get two names.
CREATE TABLE hr_p2 (a int, b int, PRIMARY KEY (a, b));
INSERT INTO hr_p2 SELECT g, g FROM generate_series(1, 2000) g;
CREATE TABLE hr_c (id int PRIMARY KEY, v int, u int);
INSERT INTO hr_c SELECT g, g, g FROM generate_series(1, 2000) g;
ANALYZE hr_p2, hr_c;
ALTER TABLE hr_c ADD FOREIGN KEY (v, u) REFERENCES hr_p2 (a, b);
ALTER TABLE hr_c ADD CHECK (v >= id);
ALTER TABLE hr_c ADD CHECK (v > 0), ADD CHECK (v < 1000000);
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'hr_c'::regclass AND contype IN ('c', 'f') ORDER BY 1;


-- A column or type that does not exist is PostgreSQL's own error (42703,
-- 42704), not a rule's; IF EXISTS on a missing column is a no-op; a column
-- the statement adds itself may be named by its other subcommands.
\set VERBOSITY default
ALTER TABLE hr_t DROP COLUMN nosuch;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE hr_t ALTER COLUMN nosuch TYPE bigint;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE hr_t ALTER COLUMN v TYPE nosuchtype;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
ALTER TABLE hr_t DROP COLUMN IF EXISTS nosuch;
ALTER TABLE hr_t ADD COLUMN y int, ALTER COLUMN y SET DEFAULT 0;
SELECT stmt_no, verdict, reason FROM safemigrate.check(
  'ALTER TABLE hr_t DROP COLUMN nosuch; ALTER TABLE hr_t ALTER COLUMN v TYPE nosuchtype;');


-- ALL IN TABLESPACE to the same tablespace moves nothing; pg_global is PostgreSQL's error.
ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE pg_default;
ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE pg_global;
\echo :LAST_ERROR_SQLSTATE


-- Second review of the above.
CREATE TABLE hr_r (id int PRIMARY KEY, a int NOT NULL, d int NOT NULL);
INSERT INTO hr_r SELECT g, g, g % 50 + 1 FROM generate_series(1, 2000) g;
ANALYZE hr_r;
-- a DROP CONSTRAINT runs first in PostgreSQL: split, a failing build would leave the table without its key
ALTER TABLE hr_r ADD PRIMARY KEY (d), DROP CONSTRAINT hr_r_pkey;
SELECT conname FROM pg_constraint WHERE conrelid = 'hr_r'::regclass AND contype = 'p';
-- CHECK and FOREIGN KEY run after the index passes: a foreign key to a unique key of the same statement
ALTER TABLE hr_r ADD CONSTRAINT hr_r_ua UNIQUE (a), ADD CONSTRAINT hr_r_fk FOREIGN KEY (d) REFERENCES hr_r (a);
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'hr_r'::regclass AND conname IN ('hr_r_ua', 'hr_r_fk') ORDER BY 1;
-- a subcommand PostgreSQL refuses leaves the whole statement to it: nothing is committed
ALTER TABLE hr_r ADD CONSTRAINT hr_k2 CHECK (a > 0), ALTER COLUMN nope SET DEFAULT 1;
ALTER TABLE hr_r ADD COLUMN c int, ADD CONSTRAINT hr_k3 CHECK (nope > 0);
ALTER TABLE hr_r ADD COLUMN c int, ADD UNIQUE (nope);
ALTER TABLE hr_r ADD COLUMN c int, ADD FOREIGN KEY (nope) REFERENCES hr_r (a);
SELECT count(*) AS added FROM pg_attribute WHERE attrelid = 'hr_r'::regclass AND attname = 'c' AND NOT attisdropped;
SELECT count(*) AS added FROM pg_constraint WHERE conrelid = 'hr_r'::regclass AND conname IN ('hr_k2', 'hr_k3');
-- a column the statement adds does not exist yet for the subcommands PostgreSQL runs before ADD COLUMN
ALTER TABLE hr_r ADD COLUMN n1 int, DROP COLUMN IF EXISTS n1;
SELECT count(*) AS n1 FROM pg_attribute WHERE attrelid = 'hr_r'::regclass AND attname = 'n1' AND NOT attisdropped;
-- two unnamed UNIQUE on the same columns get two names; a whole-row CHECK names no column
ALTER TABLE hr_r ADD COLUMN e int, ADD UNIQUE (e), ADD UNIQUE (e);
SELECT conname FROM pg_constraint WHERE conrelid = 'hr_r'::regclass AND conname LIKE 'hr_r_e_key%' ORDER BY 1;
SELECT safe_sql FROM safemigrate.check('ALTER TABLE hr_r ADD CHECK (hr_r IS NOT NULL)') WHERE rule IS NOT NULL;
-- a parent never analyzed with a tiny analyzed child is not small
CREATE TABLE hr_np2 (id int, v int) WITH (autovacuum_enabled = off);
INSERT INTO hr_np2 SELECT g, g FROM generate_series(1, 20000) g;
CREATE TABLE hr_nc2 () INHERITS (hr_np2);
INSERT INTO hr_nc2 VALUES (1, 1);
ANALYZE hr_nc2;
SET safemigrate.small_table_rows = 10000;
BEGIN;
ALTER TABLE hr_np2 ALTER COLUMN v TYPE bigint;
ROLLBACK;
SET safemigrate.small_table_rows = 0;
-- statements that do not recurse to inheritance children judge the parent alone
CREATE TABLE hr_p3 (id int, v int);
CREATE TABLE hr_c3 () INHERITS (hr_p3);
INSERT INTO hr_c3 SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE hr_p3;
ANALYZE hr_c3;
TRUNCATE ONLY hr_p3;
BEGIN;
CREATE INDEX hr_p3_v ON hr_p3 (v);
ALTER TABLE hr_p3 ADD CONSTRAINT hr_p3_ck CHECK (v > 0) NO INHERIT;
ROLLBACK;
TRUNCATE hr_p3;
-- DROP SCHEMA ... CASCADE of a schema holding a partition of a parent elsewhere
CREATE TABLE hr_pp (a int) PARTITION BY RANGE (a);
CREATE SCHEMA hr_e;
CREATE TABLE hr_e.pp1 PARTITION OF hr_pp FOR VALUES FROM (0) TO (1000000);
INSERT INTO hr_pp SELECT generate_series(1, 100);
DROP SCHEMA hr_e CASCADE;
SELECT count(*) FROM hr_pp;
/* safemigrate: expand-contract */ DROP SCHEMA hr_e CASCADE;
-- ALTER INDEX on a sequence renames a sequence
CREATE SEQUENCE hr_seq;
ALTER INDEX hr_seq RENAME TO hr_seq2;


-- A declared expand-contract DROP COLUMN is a drop too: not split from a
-- step that may fail (the column would be gone, the CHECK not added).
CREATE TABLE hr_dc (id int PRIMARY KEY, a int, b int);
INSERT INTO hr_dc SELECT g, g, g FROM generate_series(1, 2000) g;
ANALYZE hr_dc;
/* safemigrate: expand-contract */ ALTER TABLE hr_dc ADD CONSTRAINT hr_dc_ck CHECK (b > 0), DROP COLUMN a;
SELECT attname FROM pg_attribute WHERE attrelid = 'hr_dc'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;


-- ADD ... NOT VALID and VALIDATE in one statement scan under the statement's
-- AccessExclusiveLock: VALIDATE runs as a step of its own.
CREATE TABLE hr_v (id int PRIMARY KEY, a int);
INSERT INTO hr_v SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE hr_v;
ALTER TABLE hr_v ADD CONSTRAINT hr_v_ck CHECK (a > 0) NOT VALID, VALIDATE CONSTRAINT hr_v_ck;
SELECT convalidated FROM pg_constraint WHERE conname = 'hr_v_ck';
-- an override comment and a declaration anywhere in the statement hold for its steps
/* safemigrate:allow add-exclusion-blocking */ ALTER TABLE hr_v ALTER COLUMN a SET NOT NULL, ADD CONSTRAINT hr_v_ex EXCLUDE USING btree (id WITH =);
SELECT count(*) AS excl FROM pg_constraint WHERE conname = 'hr_v_ex';
ALTER TABLE hr_v ADD COLUMN d int;
ALTER TABLE hr_v /* safemigrate: expand-contract */ DROP COLUMN d, ADD CONSTRAINT hr_v_a_key UNIQUE (a);
SELECT count(*) AS d FROM pg_attribute WHERE attrelid = 'hr_v'::regclass AND attname = 'd' AND NOT attisdropped;


-- Tables, views and columns dropped by CASCADE through a type, a domain or a
-- function are judged by drop-table, drop-view and drop-column as the drop
-- runs (object_access_hook); declared, or created in the transaction, they go.
CREATE TYPE hr_ct AS (a int, b text);
CREATE TABLE hr_typed OF hr_ct;
INSERT INTO hr_typed VALUES (1, 'x');
DROP TYPE hr_ct CASCADE;
\echo :LAST_ERROR_SQLSTATE
CREATE DOMAIN hr_dom AS int;
CREATE TABLE hr_d (id int, x hr_dom);
INSERT INTO hr_d VALUES (1, 1);
DROP DOMAIN hr_dom CASCADE;
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION hr_dbl(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2';
CREATE TABLE hr_g (a int, b int GENERATED ALWAYS AS (hr_dbl(a)) STORED);
INSERT INTO hr_g (a) VALUES (1);
DROP FUNCTION hr_dbl(int) CASCADE;
CREATE TABLE hr_base (id int);
CREATE VIEW hr_bv AS SELECT * FROM hr_base;
BEGIN;
CREATE FUNCTION hr_f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE VIEW hr_fv AS SELECT hr_f() AS one;
DROP FUNCTION hr_f() CASCADE;
COMMIT;
SET safemigrate.mode = warn;
DROP DOMAIN hr_dom CASCADE;
RESET safemigrate.mode;
SELECT count(*) AS left FROM pg_attribute WHERE attrelid = 'hr_d'::regclass AND attname = 'x' AND NOT attisdropped;
/* safemigrate: expand-contract */ DROP TYPE hr_ct CASCADE;
/* safemigrate: expand-contract */ DROP FUNCTION hr_dbl(int) CASCADE;
SELECT to_regclass('hr_typed') IS NULL AS typed_gone,
       (SELECT count(*) FROM pg_attribute WHERE attrelid = 'hr_g'::regclass AND attname = 'b' AND NOT attisdropped) AS b;

-- ... what the statement names itself was judged before it ran, and is not
-- judged again; ALTER TABLE ... DROP COLUMN ... CASCADE takes views with it.
CREATE MATERIALIZED VIEW hr_mv2 AS SELECT 1 AS x;
BEGIN;
SET LOCAL safemigrate.allow = 'drop-table';
DROP MATERIALIZED VIEW hr_mv2 CASCADE;
ROLLBACK;
CREATE TABLE hr_t1 (id int, m int);
CREATE VIEW hr_v1 AS SELECT id FROM hr_t1;
BEGIN;
SET LOCAL safemigrate.allow = 'drop-column';
ALTER TABLE hr_t1 DROP COLUMN id CASCADE;
ROLLBACK;

SET safemigrate.mode = off;
DROP TABLE hr_lp, hr_lc1, hr_t, hr_tix, hr_c, hr_p2, hr_r, hr_np2, hr_nc2, hr_p3, hr_c3, hr_pp, hr_dc, hr_v, hr_d, hr_g, hr_base, hr_t1 CASCADE;
DROP MATERIALIZED VIEW hr_mv2;
DROP SEQUENCE hr_seq2;
DROP MATERIALIZED VIEW hr_mv;
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
