-- Findings of the fifth review of the backfill (session 12), each fixed and
-- kept here.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 11000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 1100) IS NOT NULL AS expansion_ids_set;

-- A table without a primary key goes by heap pages: a batch holds about
-- max_batch_size rows (a page's worth more at most) whatever reltuples says.
-- The rows per page are measured by every batch; the first batch goes by the
-- density of the last ANALYZE (reltuples / relpages), or, never analyzed,
-- covers batch_size / MaxHeapTuplesPerPage pages.  Before, a table analyzed
-- when it had 100 rows and loaded since was done in one batch.
CREATE TABLE rv5_big (id int, v int) WITH (autovacuum_enabled = off);
INSERT INTO rv5_big SELECT g, 0 FROM generate_series(1, 100) g;
ANALYZE rv5_big;
INSERT INTO rv5_big SELECT g, 0 FROM generate_series(101, 150000) g;
CREATE TABLE rv5_batch_log (n serial, rows bigint);
CREATE FUNCTION rv5_log_batch() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO rv5_batch_log (rows) SELECT count(*) FROM n; RETURN NULL; END $$;
CREATE TRIGGER rv5_log_batch AFTER UPDATE ON rv5_big REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION rv5_log_batch();
CALL safemigrate.backfill('rv5_big', 'v = 1', 'v = 0', batch_size => 1000, min_batch_size => 1000,
                          max_batch_size => 1000);
-- the first batch by the ANALYZE's density (100 rows on 1 page: 10 pages of 226 rows), then by the measured one
SELECT (SELECT rows FROM rv5_batch_log ORDER BY n LIMIT 1) AS first_batch,
       (SELECT max(rows) FROM rv5_batch_log WHERE n > (SELECT min(n) FROM rv5_batch_log)) AS largest_later_batch,
       sum(rows) AS rows_updated FROM rv5_batch_log;
SELECT count(*) FILTER (WHERE v = 1) AS done, count(*) FILTER (WHERE v <> 1) AS not_done FROM rv5_big;
-- Never analyzed (reltuples -1): the first batch is small too.
CREATE TABLE rv5_big2 (id int, v int) WITH (autovacuum_enabled = off);
INSERT INTO rv5_big2 SELECT g, 0 FROM generate_series(1, 100000) g;
DELETE FROM rv5_batch_log;
CREATE TRIGGER rv5_log_batch AFTER UPDATE ON rv5_big2 REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION rv5_log_batch();
CALL safemigrate.backfill('rv5_big2', 'v = 1', batch_size => 1000, min_batch_size => 1000, max_batch_size => 1000);
SELECT (SELECT rows FROM rv5_batch_log ORDER BY n LIMIT 1) AS first_batch, max(rows) AS largest_batch,
       sum(rows) AS rows_updated FROM rv5_batch_log;
-- pause_ms: each slice of the pause is its own transaction, so the job holds
-- no snapshot (xmin) through the pause and VACUUM is not held back.  Each
-- batch's transaction starts just before it (now() is the transaction's
-- start), not at the end of the batch before, pause_ms earlier.
CREATE TABLE rv5_pause (id int PRIMARY KEY, v int);
INSERT INTO rv5_pause SELECT g, 0 FROM generate_series(1, 300) g;
CREATE TABLE rv5_xact_age (n serial, age interval);
CREATE FUNCTION rv5_log_age() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO rv5_xact_age (age) VALUES (clock_timestamp() - now()); RETURN NULL; END $$;
CREATE TRIGGER rv5_log_age AFTER UPDATE ON rv5_pause FOR EACH STATEMENT EXECUTE FUNCTION rv5_log_age();
CALL safemigrate.backfill('rv5_pause', 'v = 1', batch_size => 100, min_batch_size => 100, max_batch_size => 100,
                          pause_ms => 1500);
SELECT count(*) AS batches, count(*) FILTER (WHERE age < interval '500 ms') AS in_fresh_transactions
  FROM rv5_xact_age;

-- max_dead_tuples on a partitioned table counts the partitions' dead tuples
-- (the parent has none of its own): before, it never waited.
SELECT NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'dblink') AS drop_dblink \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT format('host=%s port=%s dbname=%s user=%s',
              coalesce(nullif(current_setting('unix_socket_directories'), ''), 'localhost'),
              current_setting('port'), current_database(), current_user) AS connstr \gset
CREATE TABLE rv5_m (id int PRIMARY KEY, v int) PARTITION BY RANGE (id);
CREATE TABLE rv5_m1 PARTITION OF rv5_m FOR VALUES FROM (0) TO (501) WITH (autovacuum_enabled = off);
CREATE TABLE rv5_m2 PARTITION OF rv5_m FOR VALUES FROM (501) TO (1001) WITH (autovacuum_enabled = off);
INSERT INTO rv5_m SELECT g, 0 FROM generate_series(1, 1000) g;
UPDATE rv5_m SET v = 0;
SELECT pg_stat_force_next_flush();
SELECT sum(n_dead_tup) > 100 AS dead_tuples_counted FROM pg_stat_user_tables WHERE relname IN ('rv5_m1', 'rv5_m2');
SELECT dblink_connect('runner', :'connstr');
SELECT dblink_send_query('runner', $$CALL safemigrate.backfill('rv5_m', 'v = 1', max_dead_tuples => 100)$$);
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '60 s';
BEGIN
  WHILE NOT EXISTS (SELECT FROM safemigrate.backfill_jobs WHERE table_name = 'public.rv5_m'
                     AND throttled LIKE '% dead tuples, more than max_dead_tuples 100: waiting for autovacuum') LOOP
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'the backfill never waited for autovacuum';
    END IF;
    PERFORM pg_sleep(0.01);
  END LOOP;
END $$;
SELECT job_id AS dead_job FROM safemigrate.backfill_jobs WHERE table_name = 'public.rv5_m' \gset
SELECT status, running, rows_done, throttled FROM safemigrate.backfill_progress WHERE job_id = :dead_job;
SELECT safemigrate.backfill_pause(:dead_job);
SELECT * FROM dblink_get_result('runner') AS r(status text);
SELECT dblink_disconnect('runner');
-- After a VACUUM of the partitions it runs through.
VACUUM rv5_m;
CALL safemigrate.backfill_resume(:dead_job);
SELECT status, rows_done, throttle_waits FROM safemigrate.backfill_progress WHERE job_id = :dead_job;
\if :drop_dblink
DROP EXTENSION dblink;
\endif

-- A domain-typed key: the key values travel as the domain's base type.
-- (a) A domain with a collation and the column's own COLLATE: the key
-- parameters cast to the domain brought the domain's collation (42P22).
CREATE DOMAIN rv5_name AS text COLLATE "C";
CREATE TABLE rv5_people (name rv5_name COLLATE "POSIX" PRIMARY KEY, v int);
INSERT INTO rv5_people SELECT 'n' || g, 0 FROM generate_series(1, 1000) g;
CALL safemigrate.backfill('rv5_people', 'v = 1', batch_size => 300, min_batch_size => 300, max_batch_size => 300);
SELECT count(*) FILTER (WHERE v = 1) AS done FROM rv5_people;
-- (b) A domain CHECK added NOT VALID that an old key violates: the key
-- values are not checked again (23514 at every run before).
CREATE DOMAIN rv5_code AS text;
CREATE TABLE rv5_items (code rv5_code PRIMARY KEY, v int);
INSERT INTO rv5_items SELECT 'c' || g, 0 FROM generate_series(1, 1000) g;
INSERT INTO rv5_items VALUES ('legacy-0001', 0);
ALTER DOMAIN rv5_code ADD CONSTRAINT rv5_code_len CHECK (length(VALUE) <= 5) NOT VALID;
CALL safemigrate.backfill('rv5_items', 'v = 1', batch_size => 300, min_batch_size => 300, max_batch_size => 300);
SELECT count(*) FILTER (WHERE v = 1) AS done, count(*) AS total FROM rv5_items;
-- A domain over varchar(n) with a composite key: the base type with its modifier.
CREATE DOMAIN rv5_short AS varchar(8) CHECK (VALUE <> '');
CREATE TABLE rv5_comp (a rv5_short, b int, v int, PRIMARY KEY (a, b));
INSERT INTO rv5_comp SELECT 'k' || (g % 7), g, 0 FROM generate_series(1, 500) g;
CALL safemigrate.backfill('rv5_comp', 'v = 1', batch_size => 100, min_batch_size => 100, max_batch_size => 100);
SELECT count(*) FILTER (WHERE v = 1) AS done, count(*) AS total FROM rv5_comp;

-- 'now', 'today', 'tomorrow', 'yesterday' in the set_clause are read when a
-- batch is planned: a value per batch, like now(), and the same NOTICE.
CREATE TABLE rv5_ev (id int PRIMARY KEY, stamped_at timestamptz, d date, note text);
INSERT INTO rv5_ev SELECT g FROM generate_series(1, 10) g;
CALL safemigrate.backfill('rv5_ev', $$stamped_at = 'now'$$);
CALL safemigrate.backfill('rv5_ev', $$d = 'Today'::date$$);
CALL safemigrate.backfill('rv5_ev', $$d = date 'tomorrow'$$);
CALL safemigrate.backfill('rv5_ev', $$stamped_at = E'yesterday'$$);
-- other strings say nothing
CALL safemigrate.backfill('rv5_ev', $$note = 'nowhere', d = '2026-01-01'$$);

-- Column privileges: a role that may update some columns only gets 42501
-- when it creates the job, and no job is left behind (before: a job that
-- failed at its first batch).
CREATE ROLE regress_rv5_app;
CREATE TABLE rv5_cp (id int PRIMARY KEY, a int, b int);
INSERT INTO rv5_cp SELECT g, 0, 0 FROM generate_series(1, 100) g;
GRANT SELECT, UPDATE (a) ON rv5_cp TO regress_rv5_app;
SET ROLE regress_rv5_app;
CALL safemigrate.backfill('rv5_cp', 'b = 1');
SELECT safemigrate.backfill_create('rv5_cp', 'a = b');
SELECT count(*) AS jobs FROM safemigrate.backfill_jobs WHERE table_name = 'public.rv5_cp';
-- a column it may update, and read: fine
CALL safemigrate.backfill('rv5_cp', 'a = 1');
RESET ROLE;
-- a column it may update but not read, in the set_clause: refused too
REVOKE SELECT ON rv5_cp FROM regress_rv5_app;
GRANT SELECT (id, a) ON rv5_cp TO regress_rv5_app;
SET ROLE regress_rv5_app;
CALL safemigrate.backfill('rv5_cp', 'a = b');
RESET ROLE;
SELECT owner, status, rows_done FROM safemigrate.backfill_jobs WHERE table_name = 'public.rv5_cp' ORDER BY job_id;
-- no statement trigger fires for the check
CREATE TABLE rv5_trig_log (n int);
CREATE FUNCTION rv5_trig() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO rv5_trig_log VALUES (1); RETURN NULL; END $$;
CREATE TRIGGER rv5_trig BEFORE UPDATE ON rv5_cp FOR EACH STATEMENT EXECUTE FUNCTION rv5_trig();
SELECT safemigrate.backfill_create('rv5_cp', 'b = 2') > 0 AS created;
SELECT count(*) AS statement_triggers_fired FROM rv5_trig_log;

-- backfill_pause(NULL) and backfill_cancel(NULL) are refused like backfill_resume(NULL).
SELECT safemigrate.backfill_pause(NULL);
SELECT safemigrate.backfill_cancel(NULL);
CALL safemigrate.backfill_resume(NULL);

/* safemigrate: expand-contract */ DROP TABLE rv5_big, rv5_big2, rv5_batch_log, rv5_pause, rv5_xact_age,
  rv5_m, rv5_people, rv5_items, rv5_comp, rv5_ev, rv5_cp, rv5_trig_log;
DROP FUNCTION rv5_log_batch(), rv5_log_age(), rv5_trig();
DROP DOMAIN rv5_name, rv5_code, rv5_short;
DELETE FROM safemigrate.backfill_jobs WHERE owner = 'regress_rv5_app'::regrole;
DROP ROLE regress_rv5_app;
RESET safemigrate.small_table_rows;
