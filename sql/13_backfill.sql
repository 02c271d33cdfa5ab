-- safemigrate.backfill(): batched UPDATE committing after every batch, with a
-- job row that makes it resumable.  Batch sizes are fixed (min = max) here so
-- that batch counts do not depend on timing.
SET safemigrate.small_table_rows = 0;
CREATE TABLE bf (id int PRIMARY KEY, a int NOT NULL, b int);
INSERT INTO bf SELECT g, g, NULL FROM generate_series(1, 2000) g;
ANALYZE bf;

-- Keyset batches on the primary key; the job's key range is the last key when it starts.
CALL safemigrate.backfill('bf', 'b = a * 2', 'b IS NULL',
                          batch_size => 500, min_batch_size => 500, max_batch_size => 500);
SELECT count(*) FILTER (WHERE b = a * 2) AS correct, count(*) AS total FROM bf;
SELECT job_id, table_name, batching, status, running, rows_done, rows_estimated, batches, percent,
       key_upper, key_reached, eta, retries, last_error
  FROM safemigrate.backfill_progress;
-- A done job is not run again.
CALL safemigrate.backfill_resume(1);

-- A composite key: row comparisons on (x, y), ordered as the key, not as text.
CREATE TABLE bf_comp (x int, y text, v int NOT NULL, w int, PRIMARY KEY (x, y));
INSERT INTO bf_comp SELECT g % 7, 'k' || g, g, NULL FROM generate_series(1, 1000) g;
-- Not idempotent on purpose: a row updated twice would show w = 2 * v.
CALL safemigrate.backfill('bf_comp', 'w = coalesce(w, 0) + v',
                          batch_size => 64, min_batch_size => 64, max_batch_size => 64);
SELECT count(*) FILTER (WHERE w = v) AS once, count(*) AS total FROM bf_comp;
SELECT batching, rows_done, batches, key_upper FROM safemigrate.backfill_progress WHERE job_id = 2;

-- No primary key: batches of heap pages (TID ranges), bounded by the block count at the start.
CREATE TABLE bf_heap (a int NOT NULL, b int);
INSERT INTO bf_heap SELECT g, NULL FROM generate_series(1, 3000) g;
ANALYZE bf_heap;
CALL safemigrate.backfill('bf_heap', 'b = a', 'b IS DISTINCT FROM a',
                          batch_size => 1000, min_batch_size => 1000, max_batch_size => 1000);
SELECT count(*) FILTER (WHERE b = a) AS correct, count(*) AS total FROM bf_heap;
SELECT batching, status, rows_done, key_upper = key_reached AS all_pages FROM safemigrate.backfill_progress WHERE job_id = 3;
-- Without a where_clause a moved row could be visited again: the procedure says so.
CALL safemigrate.backfill('bf_heap', 'b = a');

-- An empty table: nothing to do.
CREATE TABLE bf_empty (id int PRIMARY KEY, b int);
CALL safemigrate.backfill('bf_empty', 'b = 1');
SELECT status, rows_done, key_upper FROM safemigrate.backfill_progress WHERE table_name = 'public.bf_empty';

-- STABLE and VOLATILE functions are evaluated per batch, not once.
ALTER TABLE bf ADD COLUMN at timestamptz;
CALL safemigrate.backfill('bf', 'at = now()', batch_size => 1000, min_batch_size => 1000, max_batch_size => 1000);
SELECT count(DISTINCT at) AS distinct_now_values FROM bf;

-- Bad input: clear errors, and no job is created.
SELECT count(*) AS jobs_before FROM safemigrate.backfill_jobs \gset
CALL safemigrate.backfill('no_such_table', 'b = 1');
CALL safemigrate.backfill(NULL, 'b = 1');
CALL safemigrate.backfill('bf', NULL);
CALL safemigrate.backfill('bf', 'nope = 1');
CALL safemigrate.backfill('bf', 'b = nope');
CALL safemigrate.backfill('bf', 'b = 1', 'nope > 0');
CALL safemigrate.backfill('bf', 'b = 1 WHERE id < 10');
CALL safemigrate.backfill('bf', 'b = 1; DROP TABLE bf');
CALL safemigrate.backfill('bf', 'b = $1');
CALL safemigrate.backfill('bf', 'b = 1', 'true) OR (true');
CALL safemigrate.backfill('bf', 'b = 1', batch_size => 0);
CALL safemigrate.backfill('bf', 'b = 1', batch_size => NULL);
CALL safemigrate.backfill('bf', 'b = 1', min_batch_size => 600, max_batch_size => 500);
CALL safemigrate.backfill('bf', 'b = 1', batch_size => 10, min_batch_size => 100);
CALL safemigrate.backfill('bf_view', 'b = 1');
CREATE VIEW bf_view AS SELECT * FROM bf;
CALL safemigrate.backfill('bf_view', 'b = 1');
CALL safemigrate.backfill_resume(NULL);
CALL safemigrate.backfill_resume(999);
SELECT count(*) = :jobs_before AS no_job_created FROM safemigrate.backfill_jobs;

-- It commits: it refuses to run inside a transaction block or from a function.
BEGIN;
CALL safemigrate.backfill('bf', 'b = 1');
ROLLBACK;
CREATE FUNCTION bf_in_function() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  CALL safemigrate.backfill('bf', 'b = 1');
END $$;
SELECT bf_in_function();
-- backfill_create() only creates the job: it may run anywhere.
BEGIN;
SELECT safemigrate.backfill_create('bf', 'b = 1') > 0 AS created;
ROLLBACK;

-- A set clause that fails on some row: the job is marked failed and stays
-- resumable; the batches before the failing one are committed.
UPDATE bf SET b = NULL;
CALL safemigrate.backfill('bf', 'b = 10000 / (a - 1234)', 'b IS NULL',
                          batch_size => 500, min_batch_size => 500, max_batch_size => 500);
SELECT job_id AS failed_job, status, rows_done, key_reached, last_error
  FROM safemigrate.backfill_progress WHERE status = 'failed' \gset
SELECT :failed_job AS job_id, :'status' AS status, :rows_done AS rows_done, :'key_reached' AS key_reached,
       :'last_error' AS last_error;
SELECT count(*) FILTER (WHERE b IS NOT NULL) AS done_rows FROM bf;
-- Fix the data, resume: it goes on after the last committed batch.
UPDATE bf SET a = 0 WHERE id = 1234;
CALL safemigrate.backfill_resume(:failed_job);
SELECT status, rows_done, last_error FROM safemigrate.backfill_progress WHERE job_id = :failed_job;
SELECT count(*) FILTER (WHERE b = 10000 / (a - 1234)) AS correct, count(*) AS total FROM bf;

-- Pause and cancel a job that is not running (a running one stops after its
-- current batch; see the isolation test backfill_pause).
SELECT safemigrate.backfill_create('bf', 'b = -a', batch_size => 700, min_batch_size => 700, max_batch_size => 700)
       AS job \gset
SELECT status FROM safemigrate.backfill_progress WHERE job_id = :job;
SELECT safemigrate.backfill_pause(:job);
SELECT safemigrate.backfill_pause(:job);
CALL safemigrate.backfill_resume(:job);
SELECT status, rows_done, batches FROM safemigrate.backfill_progress WHERE job_id = :job;
SELECT safemigrate.backfill_pause(:job);
SELECT safemigrate.backfill_create('bf', 'b = -a') AS job2 \gset
SELECT safemigrate.backfill_cancel(:job2);
CALL safemigrate.backfill_resume(:job2);
SELECT safemigrate.backfill_cancel(:job2);
SELECT safemigrate.backfill_pause(12345);

-- A backend terminated half-way: the job keeps the key of the last committed
-- batch and resumes there; no row is updated twice.
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE TABLE bf_kill (id int PRIMARY KEY, a int NOT NULL, b int);
INSERT INTO bf_kill SELECT g, g, NULL FROM generate_series(1, 2000) g;
SELECT format('host=%s port=%s dbname=%s user=%s', current_setting('unix_socket_directories'),
              current_setting('port'), current_database(), current_user) AS connstr \gset
SELECT dblink_connect('locker', :'connstr');
SELECT dblink_connect('runner', :'connstr');
-- Another session holds a row lock in the 11th batch (ids 1001-1100).
SELECT dblink_exec('locker', 'BEGIN');
SELECT dblink_exec('locker', 'UPDATE bf_kill SET a = a WHERE id = 1050');
-- Not idempotent on purpose: b = a only if every row was updated exactly once.
SELECT dblink_send_query('runner', $$CALL safemigrate.backfill('bf_kill', 'b = coalesce(b, 0) + a',
  batch_size => 100, min_batch_size => 100, max_batch_size => 100, lock_timeout_ms => 0)$$);
-- Wait until the backfill waits for that row lock.
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '60 s';
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN EXISTS (SELECT FROM pg_stat_activity a JOIN safemigrate.backfill_jobs j ON j.pid = a.pid
                       WHERE j.table_name = 'public.bf_kill' AND a.wait_event_type = 'Lock');
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'the backfill never waited for the row lock';
    END IF;
    PERFORM pg_sleep(0.01);
  END LOOP;
END $$;
SELECT job_id AS kill_job FROM safemigrate.backfill_jobs WHERE table_name = 'public.bf_kill' \gset
SELECT pg_terminate_backend(pid, 60000) FROM safemigrate.backfill_jobs WHERE job_id = :kill_job;
SELECT dblink_exec('locker', 'ROLLBACK');
SELECT dblink_disconnect('locker');
SELECT dblink_disconnect('runner');
SELECT status, running, rows_done, batches, key_reached FROM safemigrate.backfill_progress WHERE job_id = :kill_job;
SELECT count(*) FILTER (WHERE b = a) AS done, count(*) FILTER (WHERE b IS NULL) AS not_yet,
       count(*) FILTER (WHERE b <> a) AS wrong FROM bf_kill;
CALL safemigrate.backfill_resume(:kill_job);
SELECT status, running, rows_done, batches FROM safemigrate.backfill_progress WHERE job_id = :kill_job;
SELECT count(*) FILTER (WHERE b = a) AS done, count(*) FILTER (WHERE b IS NULL) AS not_yet,
       count(*) FILTER (WHERE b <> a) AS wrong FROM bf_kill;

-- Another session cannot run a job that is running (its advisory lock says so): the job runs in
-- session "other", waiting for a row lock of session "locker".
SELECT safemigrate.backfill_create('bf_kill', 'b = a', batch_size => 100, min_batch_size => 100,
                                   max_batch_size => 100, lock_timeout_ms => 0) AS busy_job \gset
SELECT dblink_connect('locker', :'connstr');
SELECT dblink_connect('other', :'connstr');
SELECT dblink_exec('locker', 'BEGIN');
SELECT dblink_exec('locker', 'UPDATE bf_kill SET a = a WHERE id = 1050');
SELECT dblink_send_query('other', format('CALL safemigrate.backfill_resume(%s)', :busy_job));
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '60 s';
BEGIN
  LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN EXISTS (SELECT FROM pg_stat_activity a JOIN safemigrate.backfill_jobs j ON j.pid = a.pid
                       WHERE j.table_name = 'public.bf_kill' AND j.status = 'running'
                         AND a.wait_event_type = 'Lock');
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'the backfill never waited for the row lock';
    END IF;
    PERFORM pg_sleep(0.01);
  END LOOP;
END $$;
SELECT running FROM safemigrate.backfill_progress WHERE job_id = :busy_job;
CALL safemigrate.backfill_resume(:busy_job);
SELECT dblink_exec('locker', 'ROLLBACK');
SELECT * FROM dblink_get_result('other') AS r(x text);
SELECT dblink_disconnect('other');
SELECT dblink_disconnect('locker');
SELECT status, running, rows_done FROM safemigrate.backfill_progress WHERE job_id = :busy_job;

-- Autovacuum behind: with max_dead_tuples, the backfill waits while the table has more dead tuples
-- than that (as the statistics system counts them), and reports it; a pause request ends the wait.
CREATE TABLE bf_dead (id int PRIMARY KEY, a int NOT NULL, b int) WITH (autovacuum_enabled = false);
INSERT INTO bf_dead SELECT g, g, NULL FROM generate_series(1, 1000) g;
UPDATE bf_dead SET a = a;
SELECT pg_stat_force_next_flush();
SELECT n_dead_tup > 100 AS dead_tuples_counted FROM pg_stat_user_tables WHERE relid = 'bf_dead'::regclass;
SELECT dblink_connect('runner', :'connstr');
SELECT dblink_send_query('runner', $$CALL safemigrate.backfill('bf_dead', 'b = a', 'b IS NULL', max_dead_tuples => 100)$$);
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '60 s';
BEGIN
  WHILE NOT EXISTS (SELECT FROM safemigrate.backfill_jobs WHERE table_name = 'public.bf_dead'
                     AND throttled LIKE '% dead tuples, more than max_dead_tuples 100: waiting for autovacuum') LOOP
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'the backfill never waited for autovacuum';
    END IF;
    PERFORM pg_sleep(0.01);
  END LOOP;
END $$;
SELECT job_id AS dead_job FROM safemigrate.backfill_jobs WHERE table_name = 'public.bf_dead' \gset
SELECT status, running, rows_done, throttle_waits FROM safemigrate.backfill_progress WHERE job_id = :dead_job;
SELECT safemigrate.backfill_pause(:dead_job);
SELECT * FROM dblink_get_result('runner') AS r(status text);
SELECT dblink_disconnect('runner');
SELECT status, running, rows_done, throttled FROM safemigrate.backfill_progress WHERE job_id = :dead_job;
-- After a VACUUM the dead tuples are gone: resumed, it runs through.
VACUUM bf_dead;
CALL safemigrate.backfill_resume(:dead_job);
SELECT status, rows_done, throttle_waits FROM safemigrate.backfill_progress WHERE job_id = :dead_job;

DROP FUNCTION bf_in_function();
/* safemigrate: expand-contract */ DROP VIEW bf_view;
/* safemigrate: expand-contract */ DROP TABLE bf, bf_comp, bf_heap, bf_empty, bf_kill, bf_dead;
DROP EXTENSION dblink;
