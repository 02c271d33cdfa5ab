-- Findings of a review of the backfill and expand-contract procedures
-- (2026-11-26), each fixed and kept here.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
-- job and expansion ids in the output do not depend on the files before this one
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 1000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 100) IS NOT NULL AS expansion_ids_set;

-- A char(n) / bit(n) key: the key is cast to its own type with its length,
-- not to char(1) (which truncated it and the job never ended).
CREATE TABLE rv_char (k char(3) PRIMARY KEY, v int);
INSERT INTO rv_char SELECT lpad(i::text, 3, '0'), NULL FROM generate_series(1, 500) i;
CALL safemigrate.backfill('rv_char', 'v = 1', batch_size => 100, min_batch_size => 100, max_batch_size => 100);
SELECT count(v) AS done, count(*) AS total FROM rv_char;
CREATE TABLE rv_bit (k bit(4) PRIMARY KEY, v int);
INSERT INTO rv_bit SELECT i::bit(4), NULL FROM generate_series(0, 15) i;
CALL safemigrate.backfill('rv_bit', 'v = 1', batch_size => 5, min_batch_size => 5, max_batch_size => 5);
SELECT count(v) AS done, count(*) AS total FROM rv_bit;
SELECT table_name, status, rows_done, batches FROM safemigrate.backfill_progress
 WHERE table_name IN ('public.rv_char', 'public.rv_bit') ORDER BY job_id;

-- Key values kept as text are written and read in the default formats:
-- created under one DateStyle, resumed under another, every row is done.
CREATE TABLE rv_date (d date PRIMARY KEY, v int, shown text);
INSERT INTO rv_date SELECT date '2024-01-01' + i, NULL FROM generate_series(0, 335) i;
SET DateStyle = 'SQL, MDY';
SELECT safemigrate.backfill_create('rv_date', 'v = 1, shown = d::text', batch_size => 50, min_batch_size => 50,
                                   max_batch_size => 50) AS rv_date_job \gset
SELECT key_upper FROM safemigrate.backfill_jobs WHERE job_id = :rv_date_job;
SET DateStyle = 'SQL, DMY';
CALL safemigrate.backfill_resume(:rv_date_job);
SELECT count(v) AS done, count(*) AS total FROM rv_date;
-- the caller's set_clause still runs under the session's DateStyle
SELECT shown FROM rv_date WHERE d = date '2024-12-01';
RESET DateStyle;
CREATE TABLE rv_float (f float8 PRIMARY KEY, v int);
INSERT INTO rv_float SELECT i / 3.0, NULL FROM generate_series(1, 1000) i;
SET extra_float_digits = -10;
CALL safemigrate.backfill('rv_float', 'v = 1', batch_size => 99, min_batch_size => 99, max_batch_size => 99);
RESET extra_float_digits;
SELECT count(v) AS done, count(*) AS total FROM rv_float;

-- A job or an expansion runs only as its owner: its texts are the owner's
-- (who can change them), so a superuser must SET ROLE to run them.
CREATE ROLE regress_rv_alice;
GRANT CREATE ON SCHEMA public TO regress_rv_alice;  -- for the expansion's sync function
CREATE TABLE rv_owned (id int PRIMARY KEY, a int, v int);
INSERT INTO rv_owned SELECT g, g, NULL FROM generate_series(1, 100) g;
ALTER TABLE rv_owned OWNER TO regress_rv_alice;
SET ROLE regress_rv_alice;
SELECT safemigrate.backfill_create('rv_owned', 'v = a') AS rv_owned_job \gset
-- the owner rewrites the text in the row: it would run as whoever resumes
UPDATE safemigrate.backfill_jobs SET set_clause = 'v = a + 1' WHERE job_id = :rv_owned_job;
RESET ROLE;
CALL safemigrate.backfill_resume(:rv_owned_job);
SELECT count(v) AS done FROM rv_owned;
SET ROLE regress_rv_alice;
CALL safemigrate.backfill_resume(:rv_owned_job);
RESET ROLE;
SELECT count(*) FILTER (WHERE v = a + 1) AS done FROM rv_owned;
SET ROLE regress_rv_alice;
CALL safemigrate.expand_rename_column('rv_owned', 'a', 'a2', run_backfill => false);
RESET ROLE;
SELECT expansion_id AS rv_exp FROM safemigrate.expansions WHERE relid = 'rv_owned'::regclass \gset
CALL safemigrate.expand_abort(:rv_exp);
CALL safemigrate.contract(:rv_exp);
SET ROLE regress_rv_alice;
CALL safemigrate.expand_abort(:rv_exp);
RESET ROLE;
SELECT status FROM safemigrate.expansions WHERE expansion_id = :rv_exp;
-- No job for a role that cannot update the table.
CREATE ROLE regress_rv_bob;
SET ROLE regress_rv_bob;
SELECT safemigrate.backfill_create('rv_owned', 'v = a2');
RESET ROLE;
DROP ROLE regress_rv_bob;
-- NULL ids
CALL safemigrate.contract(NULL);
CALL safemigrate.expand_abort(NULL);

-- A timeout outside a batch (here in the wait for autovacuum before the
-- first one) leaves the job running in the table; the progress view says it
-- is interrupted, and resume finishes it.
CREATE TABLE rv_pause (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);
INSERT INTO rv_pause SELECT g, NULL FROM generate_series(1, 1000) g;
UPDATE rv_pause SET v = 0 WHERE id <= 10;
UPDATE rv_pause SET v = NULL WHERE id <= 10;
SELECT pg_stat_force_next_flush();
SELECT n_dead_tup > 0 AS dead_tuples FROM pg_stat_user_tables WHERE relid = 'rv_pause'::regclass;
SET statement_timeout = '1s';
SET client_min_messages = warning;  -- the NOTICEs give the count of dead tuples
CALL safemigrate.backfill('rv_pause', 'v = id', max_dead_tuples => 0);
RESET client_min_messages;
RESET statement_timeout;
SELECT status, running, rows_done FROM safemigrate.backfill_progress WHERE table_name = 'public.rv_pause';
SELECT job_id AS rv_pause_job FROM safemigrate.backfill_jobs WHERE table_name = 'public.rv_pause' \gset
UPDATE safemigrate.backfill_jobs SET max_dead_tuples = NULL WHERE job_id = :rv_pause_job;
SET client_min_messages = warning;
CALL safemigrate.backfill_resume(:rv_pause_job);
RESET client_min_messages;
SELECT status, count(v) AS done FROM safemigrate.backfill_progress, rv_pause
 WHERE table_name = 'public.rv_pause' GROUP BY status;

-- An expansion under way is continued only with the arguments it was started with.
CREATE TABLE rv_ty (id int PRIMARY KEY, qty int);
INSERT INTO rv_ty SELECT g, g FROM generate_series(1, 100) g;
CALL safemigrate.expand_alter_column_type('rv_ty', 'qty', 'smallint', run_backfill => false);
CALL safemigrate.expand_alter_column_type('rv_ty', 'qty', 'bigint', using_expr => 'qty::bigint * 100');
CALL safemigrate.expand_alter_column_type('rv_ty', 'qty', 'int2', run_backfill => false);
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'rv_ty'::regclass AND attname = 'qty_new';
SELECT expansion_id AS rv_ty_exp FROM safemigrate.expansions WHERE relid = 'rv_ty'::regclass \gset
CALL safemigrate.expand_abort(:rv_ty_exp);

-- set_not_null() takes over only a CHECK (column IS NOT NULL) of its name;
-- a constraint that only has the name stays, and its CHECK gets another name.
CREATE TABLE rv_nn (a int, b int, CONSTRAINT rv_nn_a_not_null CHECK (b > 0));
INSERT INTO rv_nn VALUES (1, 1);
CALL safemigrate.set_not_null('rv_nn', 'a');
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'rv_nn'::regclass AND attname = 'a';
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'rv_nn'::regclass ORDER BY 1;
INSERT INTO rv_nn VALUES (2, -5);
-- long multibyte names: the CHECK's name is cut to 63 bytes between characters,
-- and a second run after a failed validation goes on with it
CREATE TABLE "表表表表表表表表表表表表表表表表表表表表" ("列列列列列列列列列列列列列列列列列列列列" int);
INSERT INTO "表表表表表表表表表表表表表表表表表表表表" VALUES (NULL);
CALL safemigrate.set_not_null('"表表表表表表表表表表表表表表表表表表表表"', '列列列列列列列列列列列列列列列列列列列列');
SELECT conname, octet_length(conname::text) AS bytes, convalidated FROM pg_constraint
 WHERE conrelid = '"表表表表表表表表表表表表表表表表表表表表"'::regclass;
UPDATE "表表表表表表表表表表表表表表表表表表表表" SET "列列列列列列列列列列列列列列列列列列列列" = 1;
CALL safemigrate.set_not_null('"表表表表表表表表表表表表表表表表表表表表"', '列列列列列列列列列列列列列列列列列列列列');
SELECT count(*) AS constraints_left FROM pg_constraint
 WHERE conrelid = '"表表表表表表表表表表表表表表表表表表表表"'::regclass;
SET safemigrate.mode = off;
DROP TABLE "表表表表表表表表表表表表表表表表表表表表";
RESET safemigrate.mode;
-- one left NOT VALID by an interrupted run is validated and dropped
CREATE TABLE rv_nn2 (a int, b int);
INSERT INTO rv_nn2 VALUES (1, 1);
ALTER TABLE rv_nn2 ADD CONSTRAINT rv_nn2_b_not_null CHECK (b IS NOT NULL) NOT VALID;
CALL safemigrate.set_not_null('rv_nn2', 'b');
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'rv_nn2'::regclass AND attname = 'b';
SELECT count(*) AS constraints_left FROM pg_constraint WHERE conrelid = 'rv_nn2'::regclass;

-- every candidate name taken (by other constraints): 42710, nothing changed
CREATE TABLE rv_nn3 (a int, b int);
DO $$
BEGIN
  FOR i IN 0..99 LOOP
    EXECUTE format('ALTER TABLE rv_nn3 ADD CONSTRAINT %I CHECK (a > -%s) NOT VALID',
                   'rv_nn3_b_not_null' || CASE WHEN i = 0 THEN '' ELSE i::text END, i);
  END LOOP;
END $$;
\set VERBOSITY default
CALL safemigrate.set_not_null('rv_nn3', 'b');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT attnotnull, (SELECT count(*) FROM pg_constraint WHERE conrelid = 'rv_nn3'::regclass) AS constraints
  FROM pg_attribute WHERE attrelid = 'rv_nn3'::regclass AND attname = 'b';

SET safemigrate.mode = off;
DROP TABLE rv_char, rv_bit, rv_date, rv_float, rv_owned, rv_nn, rv_nn2, rv_nn3, rv_pause, rv_ty;
RESET safemigrate.mode;
DELETE FROM safemigrate.backfill_jobs WHERE table_name LIKE 'public.rv\_%';
DELETE FROM safemigrate.expansions WHERE expansion_id IN (:rv_exp, :rv_ty_exp);
REVOKE CREATE ON SCHEMA public FROM regress_rv_alice;
DROP ROLE regress_rv_alice;
RESET safemigrate.small_table_rows;
