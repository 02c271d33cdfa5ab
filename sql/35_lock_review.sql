-- Findings of the fourth review of the lock protocol, the rewrites and the
-- audit (session 11), each fixed and kept here.  A second session through
-- dblink holds the locks.
SET safemigrate.small_table_rows = 0;
SET safemigrate.migration_id = 'lk-review';
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 5000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 500) IS NOT NULL AS expansion_ids_set;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT dblink_connect('lk', format('host=%s port=%s dbname=%s application_name=lk_blocker',
       current_setting('unix_socket_directories'), current_setting('port'), current_database()));

-- 1. A DETACH PARTITION rewritten to CONCURRENTLY whose second transaction
-- times out (a transaction on the parent outlasts safemigrate.lock_timeout):
-- the partition is left detach-pending; the error says so and gives the
-- FINALIZE statement, and the audit row notes the committed part.
CREATE TABLE lk_f5 (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE lk_f5_1 PARTITION OF lk_f5 FOR VALUES FROM (0) TO (1000);
CREATE TABLE lk_f5_2 PARTITION OF lk_f5 FOR VALUES FROM (1000) TO (2000);
INSERT INTO lk_f5 SELECT g, g FROM generate_series(1, 1999) g;
ANALYZE lk_f5_1, lk_f5_2;
SELECT dblink_exec('lk', 'BEGIN');
SELECT dblink_exec('lk', 'LOCK ONLY lk_f5 IN ACCESS SHARE MODE');
SET safemigrate.lock_timeout = '300ms';
ALTER TABLE lk_f5 DETACH PARTITION lk_f5_2;
SELECT inhrelid::regclass, inhdetachpending FROM pg_inherits WHERE inhparent = 'lk_f5'::regclass ORDER BY 1;
-- the same for a statement timeout, and for DETACH ... CONCURRENTLY written so
SELECT dblink_exec('lk', 'ROLLBACK');
ALTER TABLE lk_f5 DETACH PARTITION lk_f5_2 FINALIZE;
ALTER TABLE lk_f5 ATTACH PARTITION lk_f5_2 FOR VALUES FROM (1000) TO (2000);
SELECT dblink_exec('lk', 'BEGIN');
SELECT dblink_exec('lk', 'LOCK ONLY lk_f5 IN ACCESS SHARE MODE');
SET safemigrate.lock_timeout = '10s';
SET safemigrate.statement_timeout = '300ms';
ALTER TABLE lk_f5 DETACH PARTITION lk_f5_2 CONCURRENTLY;
RESET safemigrate.statement_timeout;
RESET safemigrate.lock_timeout;
SELECT inhrelid::regclass, inhdetachpending FROM pg_inherits WHERE inhparent = 'lk_f5'::regclass ORDER BY 1;
SELECT dblink_exec('lk', 'ROLLBACK');
ALTER TABLE lk_f5 DETACH PARTITION lk_f5_2 FINALIZE;
SELECT count(*) AS partitions FROM pg_inherits WHERE inhparent = 'lk_f5'::regclass;
-- (a timeout in the first transaction commits nothing: no such detail)
SELECT dblink_exec('lk', 'BEGIN');
SELECT dblink_exec('lk', 'LOCK lk_f5_1 IN ACCESS SHARE MODE');
SET safemigrate.lock_timeout = '300ms';
\set VERBOSITY terse
ALTER TABLE lk_f5 DETACH PARTITION lk_f5_1;
\set VERBOSITY default
RESET safemigrate.lock_timeout;
SELECT dblink_exec('lk', 'ROLLBACK');

-- 2. A REINDEX TABLE rewritten to CONCURRENTLY rebuilds the TOAST table's
-- index too: when it fails, the INVALID _ccnew index of the TOAST table is
-- dropped with the table's own (the NOTICEs name TOAST indexes by their oid:
-- not shown).
CREATE FUNCTION lk_f6_fn(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF current_setting('lk.fail', true) = 'on' THEN
    RAISE EXCEPTION 'lk_f6_fn fails';
  END IF;
  RETURN $1;
END $$;
CREATE TABLE lk_f6 (id int, b text);
INSERT INTO lk_f6 SELECT g, repeat(md5(g::text), 200) FROM generate_series(1, 100) g;
ANALYZE lk_f6;
SET safemigrate.mode = off;
CREATE INDEX lk_f6_fn_idx ON lk_f6 (lk_f6_fn(id));
RESET safemigrate.mode;
CREATE VIEW lk_f6_indexes AS
  SELECT regexp_replace(i.indexrelid::regclass::text, 'pg_toast_[0-9]+', 'pg_toast_NNN') AS index, i.indisvalid
    FROM pg_index i
   WHERE i.indrelid IN ('lk_f6'::regclass, (SELECT reltoastrelid FROM pg_class WHERE oid = 'lk_f6'::regclass));
SET lk.fail = on;
SET client_min_messages = warning;
\set VERBOSITY terse
REINDEX TABLE lk_f6;
\set VERBOSITY default
RESET client_min_messages;
SELECT * FROM lk_f6_indexes ORDER BY 1;
RESET lk.fail;
REINDEX TABLE lk_f6;
SELECT * FROM lk_f6_indexes ORDER BY 1;
-- An INVALID index of the TOAST table (left by a failed REINDEX ... CONCURRENTLY
-- run with the policy off): the REINDEX is judged as for one of the table's own
-- (CONCURRENTLY would skip it, reporting success).
SET lk.fail = on;
SET safemigrate.mode = off;
\set VERBOSITY terse
REINDEX TABLE CONCURRENTLY lk_f6;
\set VERBOSITY default
RESET safemigrate.mode;
RESET lk.fail;
DROP INDEX lk_f6_fn_idx_ccnew;
SELECT * FROM lk_f6_indexes ORDER BY 1;
\set VERBOSITY terse
REINDEX TABLE lk_f6;
\set VERBOSITY default
SELECT * FROM lk_f6_indexes ORDER BY 1;
-- dropped (DROP INDEX CONCURRENTLY), the REINDEX runs again
SET client_min_messages = warning;
\set ECHO none
SELECT format('DROP INDEX CONCURRENTLY %s', indexrelid::regclass) FROM pg_index
 WHERE indrelid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'lk_f6'::regclass) AND NOT indisvalid \gexec
\set ECHO all
REINDEX TABLE lk_f6;
RESET client_min_messages;
SELECT * FROM lk_f6_indexes ORDER BY 1;

-- 3. safemigrate.cancel_blockers_after signals only the sessions the role may
-- signal, as pg_cancel_backend decides: membership in pg_signal_backend
-- through a NOINHERIT role gives no privilege of it, so nothing is cancelled
-- and the statement fails with the lock timeout (it failed with the
-- permission error of pg_cancel_backend, from the hook's query).
CREATE ROLE lk_app LOGIN;
CREATE ROLE lk_mig;
CREATE ROLE lk_grp NOINHERIT;
GRANT pg_signal_backend TO lk_grp;
GRANT lk_grp TO lk_mig;
GRANT pg_read_all_stats TO lk_mig;
CREATE TABLE lk_f8 (id int);
INSERT INTO lk_f8 SELECT generate_series(1, 3000);
ANALYZE lk_f8;
ALTER TABLE lk_f8 OWNER TO lk_mig;
GRANT SELECT ON lk_f8 TO lk_app;
SELECT dblink_connect('lk_app', format('host=%s port=%s dbname=%s user=lk_app application_name=lk_app',
       current_setting('unix_socket_directories'), current_setting('port'), current_database()));
SELECT dblink_exec('lk_app', 'BEGIN');
SELECT * FROM dblink('lk_app', 'SELECT count(*) FROM lk_f8') AS t(n bigint);
SET safemigrate.cancel_blockers_after = '1ms';
SET safemigrate.lock_timeout = '300ms';
SET ROLE lk_mig;
SELECT pg_has_role('pg_signal_backend', 'USAGE') AS has_privileges, pg_has_role('pg_signal_backend', 'MEMBER') AS is_member;
\set VERBOSITY terse
ALTER TABLE lk_f8 ADD COLUMN x int;
\set VERBOSITY default
RESET ROLE;
RESET safemigrate.lock_timeout;
RESET safemigrate.cancel_blockers_after;
SELECT dblink_exec('lk_app', 'ROLLBACK');
SELECT dblink_disconnect('lk_app');
-- (the privileges of the session's role are enough, as for pg_cancel_backend:
-- the idle transaction of lk_app is terminated, the statement goes through)
CREATE ROLE lk_mig2 IN ROLE lk_app;
GRANT pg_read_all_stats TO lk_mig2;
ALTER TABLE lk_f8 OWNER TO lk_mig2;
SELECT dblink_connect('lk_app', format('host=%s port=%s dbname=%s user=lk_app application_name=lk_app',
       current_setting('unix_socket_directories'), current_setting('port'), current_database()));
SELECT dblink_exec('lk_app', 'BEGIN');
SELECT * FROM dblink('lk_app', 'SELECT count(*) FROM lk_f8') AS t(n bigint);
SET safemigrate.cancel_blockers_after = '1ms';
SET safemigrate.lock_timeout = '5s';
SET ROLE lk_mig2;
\set VERBOSITY terse
ALTER TABLE lk_f8 ADD COLUMN x int;
\set VERBOSITY default
RESET ROLE;
RESET safemigrate.lock_timeout;
RESET safemigrate.cancel_blockers_after;
SELECT dblink_disconnect('lk_app');

-- 4. The attempt row of a rewrite run as steps has the lock waits, retries
-- and blockers of its steps, and when a step fails, its message says which
-- steps are committed (the audit rows are read below).  A reader of the
-- table (idle in its transaction) lets the index build through, then holds
-- up the ADD CONSTRAINT ... USING INDEX step.
CREATE TABLE lk_f4 (id int, v int);
INSERT INTO lk_f4 SELECT g, g FROM generate_series(1, 3000) g;
ANALYZE lk_f4;
SELECT dblink_exec('lk', 'BEGIN');
SELECT * FROM dblink('lk', 'SELECT count(*) FROM lk_f4') AS t(n bigint);
SET safemigrate.lock_timeout = '300ms';
\set VERBOSITY terse
ALTER TABLE lk_f4 ADD CONSTRAINT lk_f4_id_key UNIQUE (id);
\set VERBOSITY default
RESET safemigrate.lock_timeout;
SELECT dblink_exec('lk', 'ROLLBACK');

-- 5. While a step of a rewrite runs, current_query() is the step's text: a
-- DDL event trigger that logs (or replicates) current_query() sees each step
-- once, not the whole statement once per step.
CREATE TABLE lk_ddl_log (n serial, q text);
CREATE FUNCTION lk_log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lk_ddl_log (q) VALUES (current_query());
END $$;
CREATE EVENT TRIGGER lk_log_ddl ON ddl_command_end WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION lk_log_ddl();
ALTER TABLE lk_f4 ADD CONSTRAINT lk_f4_v_positive CHECK (v > 0);
DROP EVENT TRIGGER lk_log_ddl;
SELECT n, q FROM lk_ddl_log ORDER BY n;

SELECT dblink_disconnect('lk');
SET safemigrate.mode = off;
DROP TABLE lk_f5, lk_f5_2, lk_f6, lk_f8, lk_f4 CASCADE;
DROP TABLE lk_ddl_log;
DROP FUNCTION lk_f6_fn(int), lk_log_ddl();
RESET safemigrate.mode;
DROP ROLE lk_app, lk_mig, lk_mig2, lk_grp;

-- Read the audit where it is written.
\c postgres
SELECT safemigrate.audit_wait(60000) AS written;
-- 1. the DETACH attempts whose first transaction committed say so
SELECT step, action, outcome, sqlstate, message
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'lk-review' AND database_name = 'contrib_regression' AND command_tag = 'ALTER TABLE'
   AND statement LIKE '%DETACH PARTITION%' AND statement NOT LIKE '%FINALIZE%'
 ORDER BY id;
-- 4. the attempt row has its steps' lock wait, retries and blockers, and says step 1 committed
SELECT step, action, outcome, sqlstate, lock_wait >= interval '200 ms' AS waited, retries > 0 AS retried,
       blockers LIKE '%lk_blocker%' AS names_blocker, message
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'lk-review' AND database_name = 'contrib_regression' AND statement LIKE '%lk_f4_id_key%'
 ORDER BY id;
SELECT lock_wait_ms >= 200 AS recent_ddl_waited
  FROM safemigrate.recent_ddl
 WHERE migration_id = 'lk-review' AND statement LIKE '%lk_f4_id_key%';
