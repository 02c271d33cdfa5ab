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
