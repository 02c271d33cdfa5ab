-- The DDL audit: one row per DDL attempt of the cluster, with its action and
-- the outcome of its transaction, written by the background worker into
-- safemigrate.ddl_audit of the database safemigrate.database (postgres in
-- the test cluster, where scripts/test.sh created the extension).
SHOW safemigrate.database;
SHOW safemigrate.audit;
SET safemigrate.migration_id = 'regress-audit';
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
CREATE TABLE audit_t (id int PRIMARY KEY, v text);
INSERT INTO audit_t SELECT g, 'x' || g FROM generate_series(1, 20000) g;
ANALYZE audit_t;

-- 1. allowed, committed
ALTER TABLE audit_t ADD COLUMN w int;
-- 2. rejected: its transaction aborts
BEGIN;
CREATE INDEX audit_t_v ON audit_t (v);
ROLLBACK;
-- 3. allowed, then rolled back by the client
BEGIN;
ALTER TABLE audit_t ADD COLUMN x int;
ROLLBACK;
-- 4. rolled back to a savepoint, 5. kept: the transaction commits
BEGIN;
SAVEPOINT s;
ALTER TABLE audit_t ADD COLUMN y int;
ROLLBACK TO s;
ALTER TABLE audit_t ADD COLUMN z int;
COMMIT;
-- 6. rewritten as four steps, each audited as a step of the attempt
ALTER TABLE audit_t ALTER COLUMN v SET NOT NULL;
-- 7. rewritten as CREATE INDEX CONCURRENTLY
CREATE INDEX audit_t_v ON audit_t (v);
-- 8. failed when it ran
ALTER TABLE audit_t ADD COLUMN w int;
-- 9. warned
SET safemigrate.mode = warn;
ALTER TABLE audit_t RENAME COLUMN w TO w2;
RESET safemigrate.mode;
-- 10. overridden by a member of safemigrate_override (a superuser here)
/* safemigrate:allow rename-column */ ALTER TABLE audit_t RENAME COLUMN w2 TO w3;
-- 11. DDL from PL/pgSQL; 12. a failure caught by an exception block: its
-- subtransaction is rolled back although the transaction commits
DO $$ BEGIN EXECUTE 'CREATE TABLE audit_u (a int)'; END $$;
DO $$
BEGIN
  BEGIN
    EXECUTE 'ALTER TABLE audit_t ADD COLUMN z int';
  EXCEPTION WHEN duplicate_column THEN
    RAISE NOTICE 'caught: %', SQLERRM;
  END;
END
$$;
-- 13. a prepared transaction: the outcome is "prepared" (COMMIT PREPARED comes later)
BEGIN;
CREATE TABLE audit_p (a int);
PREPARE TRANSACTION 'audit_p';
COMMIT PREPARED 'audit_p';
-- 14. a password never reaches the audit
CREATE ROLE audit_pw LOGIN PASSWORD 'secret-do-not-log';
ALTER ROLE audit_pw PASSWORD 'another-secret';
DROP ROLE audit_pw;
-- ... nor does a subscription's connection string (it may hold a password)
CREATE SUBSCRIPTION audit_sub CONNECTION 'host=127.0.0.1 dbname=nowhere password=secret-sub-1'
  PUBLICATION nopub WITH (connect = false);
ALTER SUBSCRIPTION audit_sub CONNECTION 'host=127.0.0.1 dbname=nowhere password=secret-sub-2';
ALTER SUBSCRIPTION audit_sub SET (slot_name = NONE);
DROP SUBSCRIPTION audit_sub;
-- ... nor does a setting that may hold one (a connection string, a name or a
-- value that says so); other settings are recorded
ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 password=secret-conninfo';
ALTER SYSTEM RESET primary_conninfo;
ALTER ROLE CURRENT_USER SET app.api_secret = 'secret-setting';
ALTER ROLE CURRENT_USER RESET app.api_secret;
ALTER SYSTEM SET work_mem = '5MB';
ALTER SYSTEM RESET work_mem;
-- Not audited: statements that are not DDL.
BEGIN;
LOCK audit_t IN ACCESS SHARE MODE;
SELECT count(*) FROM audit_t;
COMMIT;
SET search_path = public;
RESET search_path;

-- 15. a lock the migration cannot get: the row has the wait, the retries and
-- the blocker (a second session through dblink holds the table)
SELECT dblink_connect('blocker', format('host=%s port=%s dbname=%s application_name=audit_blocker',
       current_setting('unix_socket_directories'), current_setting('port'), current_database()));
SELECT dblink_exec('blocker', 'BEGIN');
SELECT dblink_exec('blocker', 'LOCK audit_t IN ACCESS SHARE MODE');
-- its last query carries a secret: the audit shows the query without it
SELECT * FROM dblink('blocker', $q$SELECT 'hunter2-secret' /* key 42 */ AS password$q$) AS t(x text);
SET safemigrate.lock_timeout = '300ms';
\set VERBOSITY terse
ALTER TABLE audit_t ADD COLUMN q int;
-- The protocol backs off between its short waits (at least 50, 100, 200, 400
-- ms after the first four): within 1 s it can stand in the queue at most 5
-- times, where waits without pauses would be 10.
SET safemigrate.lock_timeout = '1s';
ALTER TABLE audit_t ADD COLUMN r int;
-- A statement timeout during the waits: the row still has the wait and the blocker.
SET safemigrate.lock_timeout = '5s';
SET statement_timeout = '600ms';
ALTER TABLE audit_t ADD COLUMN s int;
RESET statement_timeout;
\set VERBOSITY default
RESET safemigrate.lock_timeout;
SELECT dblink_exec('blocker', 'ROLLBACK');
SELECT dblink_disconnect('blocker');

-- 16. duration: an index build that sleeps 50 ms for each of 5 rows takes at
-- least 250 ms, and no longer than the client saw
CREATE FUNCTION audit_slow(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
  'BEGIN PERFORM pg_sleep(0.05); RETURN $1; END';
CREATE TABLE audit_s (a int);
INSERT INTO audit_s SELECT generate_series(1, 5);
SELECT clock_timestamp() AS t0 \gset
CREATE INDEX audit_s_slow ON audit_s (audit_slow(a));
SELECT clock_timestamp() AS t1 \gset

-- 17. EXPLAIN ANALYZE of CREATE TABLE AS creates a table: audited (log_statement = ddl logs it too)
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) CREATE TABLE audit_ea AS SELECT 1 AS a;
EXPLAIN (COSTS OFF) CREATE TABLE audit_eb AS SELECT 1 AS a;

-- Read the audit where it is written.
\c postgres
SELECT safemigrate.audit_wait(60000) AS written;
SELECT step, command_tag, action, outcome, category, rules, sqlstate, objects,
       executed_sql IS NOT NULL AS has_executed_sql, left(statement, 50) AS statement
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit' AND database_name = 'contrib_regression'
   AND command_tag <> 'CREATE FUNCTION'
 ORDER BY id;
-- Steps belong to their attempt, in order, and ran while it did.
SELECT a.action, s.step, s.started_at >= a.started_at AND s.finished_at <= a.finished_at AS within
  FROM safemigrate.ddl_audit a JOIN safemigrate.ddl_audit s ON s.attempt_id = a.id
 WHERE a.migration_id = 'regress-audit'
 ORDER BY s.step;
-- The lock wait: retries, the time waited (at least most of the 300 ms) and the blocker.
SELECT sqlstate, retries > 0 AS retried, lock_wait >= interval '200 ms' AS waited,
       blockers LIKE '%audit_blocker%' AS names_blocker, message LIKE 'could not lock table%' AS message,
       substring(blockers from 'query started [0-9:]+: (.*)$') AS blocker_query
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit' AND statement LIKE '%ADD COLUMN q%';
SELECT sqlstate, lock_wait >= interval '300 ms' AS waited, blockers LIKE '%audit_blocker%' AS names_blocker
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit' AND statement LIKE '%ADD COLUMN s int%';
SELECT retries BETWEEN 1 AND 5 AS backed_off_between_waits
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit' AND statement LIKE '%ADD COLUMN r int%';
-- The duration lies between the sleeps and the client's own measurement.
SELECT duration >= interval '250 ms' AS at_least_the_sleeps,
       duration <= :'t1'::timestamptz - :'t0'::timestamptz AS within_client_time
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit' AND command_tag = 'CREATE INDEX' AND objects = 'public.audit_s';
-- No password in the audit.
SELECT command_tag, statement FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit' AND command_tag IN ('CREATE ROLE', 'ALTER ROLE', 'DROP ROLE') ORDER BY id;
SELECT command_tag, statement FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit' AND command_tag = 'ALTER SYSTEM' ORDER BY id;
SELECT count(*) AS secrets FROM safemigrate.ddl_audit WHERE statement LIKE '%secret%';
-- Session facts.
SELECT DISTINCT database_name, session_user_name, current_user_name, application_name,
       backend_pid IS NOT NULL AS has_pid, client_addr IS NOT NULL AS has_client
  FROM safemigrate.ddl_audit WHERE migration_id = 'regress-audit';
-- Committed DDL has its transaction id; the rejected statement never got one.
SELECT action, outcome, transaction_id IS NOT NULL AS has_xid
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit' AND statement IN ('ALTER TABLE audit_t ADD COLUMN z int', 'CREATE INDEX audit_t_v ON audit_t (v)')
   AND step = 0
 ORDER BY id;

-- Views.
SELECT statements, rejected, failed, aborted, total_duration_ms > 0 AS timed
  FROM safemigrate.migration_summary WHERE migration_id = 'regress-audit';
SELECT rule, rejected >= 1 AS seen FROM safemigrate.rejected_by_rule WHERE rule = 'create-index-blocking';
SELECT count(*) > 0 AS has_rows FROM safemigrate.recent_ddl;
SELECT command_tag, objects FROM safemigrate.slowest_ddl
 WHERE migration_id = 'regress-audit' AND command_tag = 'CREATE INDEX' LIMIT 1;
-- The queue lost nothing.
SELECT events_logged_only, events_failed, writer_pid IS NOT NULL AS writer_running, used_bytes
  FROM safemigrate.audit_queue();

-- Security: ordinary roles cannot write or delete audit rows, auditors read.
-- (The policy is off here so that PostgreSQL's privilege checks answer, not
-- the rules about TRUNCATE and DELETE on big tables.)
CREATE ROLE audit_user LOGIN;
SET safemigrate.mode = off;
SET ROLE audit_user;
SELECT count(*) FROM safemigrate.ddl_audit;
INSERT INTO safemigrate.ddl_audit (id, started_at, finished_at, duration, lock_wait, action, outcome)
  VALUES (1, now(), now(), '0', '0', 'allowed', 'committed');
UPDATE safemigrate.ddl_audit SET action = 'allowed';
DELETE FROM safemigrate.ddl_audit;
TRUNCATE safemigrate.ddl_audit;
SELECT safemigrate.purge_audit('0');
RESET ROLE;
GRANT safemigrate_auditor TO audit_user;
SET ROLE audit_user;
SELECT count(*) > 0 AS auditor_reads FROM safemigrate.ddl_audit WHERE migration_id = 'regress-audit';
DELETE FROM safemigrate.ddl_audit;
RESET ROLE;
DROP ROLE audit_user;
-- Retention (owner only), with bad input.
SELECT safemigrate.purge_audit('100 years');
SELECT safemigrate.purge_audit(NULL);
SELECT safemigrate.purge_audit('-1 day');
SELECT safemigrate.audit_wait(NULL);
-- pg_dump keeps the rows.
SELECT extconfig::regclass[] FROM pg_extension WHERE extname = 'pg_safemigrate';
-- Ids start from the clock at server start: an id the table already holds for
-- another event (the clock was behind an earlier start; here rows written by
-- hand with the next ids) gets the event a new id above the table's, and
-- nothing is lost.
SET safemigrate.migration_id = 'regress-audit-ids';
CREATE TABLE audit_id_probe (a int);
SELECT safemigrate.audit_wait(60000) AS written;
SELECT max(id) AS last_id FROM safemigrate.ddl_audit \gset
INSERT INTO safemigrate.ddl_audit (id, started_at, finished_at, duration, lock_wait, action, outcome, statement)
  SELECT :last_id + g, now(), now(), '0', '0', 'allowed', 'committed', 'taken ' || g FROM generate_series(1, 20) g;
CREATE TABLE audit_id_probe2 (a int);
DROP TABLE audit_id_probe, audit_id_probe2;
SELECT safemigrate.audit_wait(60000) AS written;
SELECT command_tag, objects, id > :last_id + 20 AS above_the_table FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit-ids' ORDER BY id;
SELECT count(*) AS kept FROM safemigrate.ddl_audit WHERE statement LIKE 'taken %';
DELETE FROM safemigrate.ddl_audit WHERE statement LIKE 'taken %';
-- ... a rewritten statement's steps keep naming their attempt by its new id
SET safemigrate.mode = enforce;
SET safemigrate.small_table_rows = 0;
CREATE TABLE audit_id_probe3 (a int);
INSERT INTO audit_id_probe3 VALUES (1);
SELECT safemigrate.audit_wait(60000) AS written;
SELECT max(id) AS last_id FROM safemigrate.ddl_audit \gset
INSERT INTO safemigrate.ddl_audit (id, started_at, finished_at, duration, lock_wait, action, outcome, statement)
  SELECT :last_id + g, now(), now(), '0', '0', 'allowed', 'committed', 'taken ' || g FROM generate_series(1, 20) g;
ALTER TABLE audit_id_probe3 ADD CONSTRAINT audit_id_probe3_pos CHECK (a > 0);
SELECT safemigrate.audit_wait(60000) AS written;
SELECT a.action, s.step, a.id > :last_id + 20 AS above_the_table FROM safemigrate.ddl_audit a
  JOIN safemigrate.ddl_audit s ON s.attempt_id = a.id
 WHERE a.migration_id = 'regress-audit-ids' AND a.command_tag = 'ALTER TABLE' AND a.step = 0 ORDER BY s.step;
DELETE FROM safemigrate.ddl_audit WHERE statement LIKE 'taken %';
SET safemigrate.mode = off;
DROP TABLE audit_id_probe3;
RESET safemigrate.small_table_rows;
RESET safemigrate.migration_id;
-- A list of objects longer than the field is cut after a whole name.
SET safemigrate.migration_id = 'regress-audit-long';
DO $$ BEGIN
  FOR i IN 1..60 LOOP EXECUTE format('CREATE TABLE audit_long_name_table_number_%s (a int)', i); END LOOP;
  EXECUTE 'DROP TABLE ' || (SELECT string_agg(format('audit_long_name_table_number_%s', i), ', ')
                              FROM generate_series(1, 60) i);
END $$;
SELECT safemigrate.audit_wait(60000) AS written;
SELECT octet_length(objects) AS length, right(objects, 40) AS tail FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-audit-long' AND command_tag = 'DROP TABLE';
RESET safemigrate.migration_id;
\c contrib_regression
SET safemigrate.mode = off;
DROP TABLE audit_t, audit_u, audit_p, audit_s;
DROP FUNCTION audit_slow(int);
