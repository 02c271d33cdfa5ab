-- Findings of the fourth review of the backfill (session 11), each fixed and
-- kept here.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 7000) IS NOT NULL AS ids_set;

-- A primary key with INCLUDE columns: only its key columns are the job's key
-- (an INCLUDE column may be NULL, updated by the application, or of a type
-- without btree ordering).  It crashed the server (a NULL key text).
CREATE ROLE regress_rv4_temp LOGIN;
SET ROLE regress_rv4_temp;
-- (the NOTICEs name the temporary schema, whose number varies)
SET client_min_messages = warning;
CREATE TEMP TABLE inc1 (id int, x int, v int, PRIMARY KEY (id) INCLUDE (x));
INSERT INTO inc1 VALUES (1, NULL, NULL);
SELECT safemigrate.backfill_create('inc1', 'v = 1') AS job \gset
SELECT key_columns, key_types, key_upper FROM safemigrate.backfill_jobs WHERE job_id = :job;
CALL safemigrate.backfill_resume(:job);
SELECT id, x, v FROM inc1;
-- an INCLUDE column is not a key column: the set_clause may assign it
CREATE TEMP TABLE inc2 (id int, x int, v int, PRIMARY KEY (id) INCLUDE (x));
INSERT INTO inc2 SELECT g, g, 0 FROM generate_series(1, 30) g;
SELECT safemigrate.backfill_create('inc2', 'x = 1, v = v + 1', batch_size => 7, min_batch_size => 7,
                                   max_batch_size => 7) AS job \gset
-- ... and other sessions may change it while the job runs (here: between its creation and its run)
UPDATE inc2 SET x = NULL WHERE id % 3 = 0;
UPDATE inc2 SET x = -id WHERE id % 3 = 1;
CALL safemigrate.backfill_resume(:job);
SELECT count(*) FILTER (WHERE v = 1) AS once, count(*) FILTER (WHERE v <> 1) AS wrong,
       count(*) FILTER (WHERE x = 1) AS x_set FROM inc2;
-- an INCLUDE column of a type without btree ordering (point)
CREATE TEMP TABLE inc3 (id int, p point, v int, PRIMARY KEY (id) INCLUDE (p));
INSERT INTO inc3 SELECT g, point(g, g), 0 FROM generate_series(1, 20) g;
CALL safemigrate.backfill('inc3', 'v = v + 1', batch_size => 6, min_batch_size => 6, max_batch_size => 6);
SELECT count(*) FILTER (WHERE v = 1) AS once, count(*) FILTER (WHERE v <> 1) AS wrong FROM inc3;
SELECT batching, status, rows_done FROM safemigrate.backfill_progress WHERE table_name LIKE 'pg_temp%.inc3';
RESET client_min_messages;
DROP TABLE inc1, inc2, inc3;
RESET ROLE;

-- A running job's advisory lock is one SQL cannot take: pg_advisory_lock() of the same numbers, which any
-- role may call, made the job look running (its resume refused, its cancel only a request nobody read).
CREATE TABLE rv4_adv (id int PRIMARY KEY, v int);
INSERT INTO rv4_adv SELECT g, 0 FROM generate_series(1, 10) g;
SELECT safemigrate.backfill_create('rv4_adv', 'v = v + 1') AS job \gset
SELECT pg_advisory_lock(1397571142, :job) IS NOT NULL AS locked;
SELECT running, status FROM safemigrate.backfill_progress WHERE job_id = :job;
CALL safemigrate.backfill_resume(:job);
SELECT safemigrate.backfill_create('rv4_adv', 'v = v + 1') AS job \gset
SELECT pg_advisory_lock(1397571142, :job) IS NOT NULL AS locked;
SELECT safemigrate.backfill_cancel(:job);
SELECT status FROM safemigrate.backfill_progress WHERE job_id = :job;
SELECT pg_advisory_unlock_all();
SELECT count(*) FILTER (WHERE v = 1) AS once, count(*) FILTER (WHERE v <> 1) AS wrong FROM rv4_adv;

-- A job's row is its owner's to change, and backfill_progress lists every row for superusers: nothing in
-- a row breaks the view (block numbers that are not numbers, huge or odd numbers) or gives a garbage ETA.
CREATE ROLE regress_rv4_user;
CREATE TABLE rv4_view (a int, v int);
INSERT INTO rv4_view SELECT g, 0 FROM generate_series(1, 10) g;
ALTER TABLE rv4_view OWNER TO regress_rv4_user;
SET ROLE regress_rv4_user;
SELECT safemigrate.backfill_create('rv4_view', 'v = 1', 'v = 0') AS job1 \gset
SELECT safemigrate.backfill_create('rv4_view', 'v = 1', 'v = 0') AS job2 \gset
SELECT safemigrate.backfill_create('rv4_view', 'v = 1', 'v = 0') AS job3 \gset
SELECT safemigrate.backfill_create('rv4_view', 'v = 1', 'v = 0') AS job4 \gset
SELECT safemigrate.backfill_create('rv4_view', 'v = 1', 'v = 0') AS job5 \gset
UPDATE safemigrate.backfill_jobs SET key_upper = '{x}', key_reached = '{1}', rows_done = 5, elapsed_ms = 10
 WHERE job_id = :job1;
UPDATE safemigrate.backfill_jobs SET key_upper = '{99999999999999999999999}', key_reached = '{-1}', rows_done = 5,
       elapsed_ms = 10 WHERE job_id = :job2;
UPDATE safemigrate.backfill_jobs SET key_upper = NULL, key_reached = NULL, key_columns = '{a}', key_types = '{int}',
       rows_estimated = 9000000000000000000, rows_done = 1, elapsed_ms = 1000 WHERE job_id = :job3;
UPDATE safemigrate.backfill_jobs SET key_upper = '{100}', key_reached = '{1}', rows_done = 9000000000000000000,
       elapsed_ms = 1e-300 WHERE job_id = :job4;
UPDATE safemigrate.backfill_jobs SET key_columns = '{a}', key_types = '{int}', rows_estimated = -9000000000000000000,
       rows_done = 9000000000000000000, elapsed_ms = 'NaN' WHERE job_id = :job5;
RESET ROLE;
SELECT job_id - :job1 AS job, batching, percent,
       CASE WHEN rows_per_second <= 1e12 THEN rows_per_second::text ELSE 'huge or NaN' END AS rate, eta
  FROM safemigrate.backfill_progress WHERE table_name = 'public.rv4_view' ORDER BY job_id;
DELETE FROM safemigrate.backfill_jobs WHERE table_name = 'public.rv4_view';

-- A key moved by an AFTER UPDATE trigger's own UPDATE is not counted by the batch (it sees its own row
-- versions only): not refused, but a WARNING (once per run) says the table was updated in the batch beyond
-- the batch's rows.  Here row 4 moves to 31, in a later batch, and is updated again (README: a trigger that
-- changes key values must be disabled while the job runs).
CREATE TABLE rv4_aft (id int PRIMARY KEY, v int);
INSERT INTO rv4_aft SELECT 2 * g, 0 FROM generate_series(1, 20) g;
CREATE FUNCTION rv4_aft_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.id = 4 AND NEW.id = 4 THEN
    UPDATE rv4_aft SET id = 31 WHERE id = 4;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER rv4_aft_move AFTER UPDATE ON rv4_aft FOR EACH ROW EXECUTE FUNCTION rv4_aft_move();
CALL safemigrate.backfill('rv4_aft', 'v = v + 1', batch_size => 5, min_batch_size => 5, max_batch_size => 5);
SELECT id, v FROM rv4_aft WHERE v <> 1 ORDER BY id;
-- An AFTER trigger that writes elsewhere (an audit log) updates nothing of the table: no WARNING.
CREATE TABLE rv4_log (id int, at timestamptz DEFAULT now());
CREATE TABLE rv4_aud (id int PRIMARY KEY, v int);
INSERT INTO rv4_aud SELECT g, 0 FROM generate_series(1, 20) g;
CREATE FUNCTION rv4_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rv4_log (id) VALUES (NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER rv4_audit AFTER UPDATE ON rv4_aud FOR EACH ROW EXECUTE FUNCTION rv4_audit();
CALL safemigrate.backfill('rv4_aud', 'v = v + 1', batch_size => 5, min_batch_size => 5, max_batch_size => 5);
SELECT count(*) FILTER (WHERE v = 1) AS once, (SELECT count(*) FROM rv4_log) AS logged FROM rv4_aud;

SET safemigrate.mode = off;
DROP TABLE rv4_adv, rv4_view, rv4_aft, rv4_aud, rv4_log;
DROP FUNCTION rv4_aft_move(), rv4_audit();
RESET safemigrate.mode;
DELETE FROM safemigrate.backfill_jobs WHERE owner IN ('regress_rv4_temp', 'regress_rv4_user');
DROP ROLE regress_rv4_temp, regress_rv4_user;
RESET safemigrate.small_table_rows;
