-- Lock and time limits of DDL: statement_timeout really applied to blocking
-- DDL, not to online steps; safemigrate.blockers(); the session's settings
-- are restored.  (Lock waits with other sessions: test/isolation/specs/lock_protocol.spec.)
SET safemigrate.small_table_rows = 0;
CREATE SCHEMA locks_test;
SET search_path = locks_test, public;
CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric, memo text);
INSERT INTO ledger SELECT g, g, repeat('x', 200) FROM generate_series(1, 200000) g;
ANALYZE ledger;

-- Nobody blocks: an empty list.  A bad mode is an error.
SELECT count(*) AS blockers FROM safemigrate.blockers('ledger', 'AccessExclusiveLock');
SELECT * FROM safemigrate.blockers('ledger', 'TotalLock');
SELECT count(*) FROM safemigrate.blockers(NULL, 'ShareLock');

-- A blocking DDL statement that runs longer than safemigrate.statement_timeout is
-- cancelled, although the session has no statement_timeout (the timer is re-armed).
SET safemigrate.allow = 'add-column-volatile-default';
SET safemigrate.statement_timeout = '50ms';
ALTER TABLE ledger ADD COLUMN token float8 DEFAULT random();
SELECT count(*) AS token_column FROM pg_attribute WHERE attrelid = 'ledger'::regclass AND attname = 'token';
-- The session's own settings are untouched.
SHOW statement_timeout;
SHOW lock_timeout;
-- The session's statement_timeout wins when it ends earlier.
SET statement_timeout = '30ms';
SET safemigrate.statement_timeout = '1min';
ALTER TABLE ledger ADD COLUMN token float8 DEFAULT random();
RESET statement_timeout;
RESET safemigrate.allow;

-- Online steps (CONCURRENTLY) are not cut by safemigrate.statement_timeout.
SET safemigrate.statement_timeout = '1ms';
CREATE INDEX CONCURRENTLY ledger_amount_idx ON ledger (amount);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'ledger_amount_idx'::regclass;
-- ... unless safemigrate.online_statement_timeout says so.
SET safemigrate.online_statement_timeout = '1ms';
CREATE INDEX CONCURRENTLY ledger_memo_idx ON ledger (memo);
-- (cancelled before or after its catalog entry: no valid index either way)
SELECT count(*) FILTER (WHERE indisvalid) AS valid FROM pg_index WHERE indexrelid = to_regclass('ledger_memo_idx');
SET client_min_messages = warning;
/* safemigrate: concurrent */ DROP INDEX CONCURRENTLY IF EXISTS ledger_memo_idx;
RESET client_min_messages;
-- A rewritten REINDEX (made CONCURRENTLY) cut short: the INVALID index it
-- left (ledger_pkey_ccnew) is dropped again, every time.  (The NOTICEs depend
-- on how far the 1 ms let the build get.)
\set VERBOSITY terse
SET client_min_messages = warning;
REINDEX INDEX ledger_pkey;
REINDEX INDEX ledger_pkey;
RESET client_min_messages;
\set VERBOSITY default
SELECT count(*) AS invalid_indexes FROM pg_index WHERE indrelid = 'ledger'::regclass AND NOT indisvalid;
RESET safemigrate.statement_timeout;
RESET safemigrate.online_statement_timeout;

-- safemigrate.cancel_blockers_after: a session idle in transaction on the table for
-- longer than the bound is terminated between two short waits, and the migration
-- goes through.
CREATE EXTENSION dblink;
SELECT dblink_connect('blocker', format('dbname=%s host=%s port=%s application_name=regress_blocker',
                      current_database(), split_part(current_setting('unix_socket_directories'), ',', 1),
                      current_setting('port')));
SELECT dblink_exec('blocker', 'BEGIN');
SELECT * FROM dblink('blocker', 'SELECT count(*) FROM locks_test.ledger') AS t(n bigint);
SELECT pg_sleep(0.3);
SET safemigrate.cancel_blockers_after = '200ms';
SET safemigrate.lock_timeout = '10s';
\set VERBOSITY terse
ALTER TABLE ledger ADD COLUMN flag int;
\set VERBOSITY default
SELECT count(*) AS flag_column FROM pg_attribute WHERE attrelid = 'ledger'::regclass AND attname = 'flag';
DO $$
BEGIN
  FOR i IN 1..100 LOOP
    EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'regress_blocker');
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT count(*) AS blocker_sessions FROM pg_stat_activity WHERE application_name = 'regress_blocker';
SELECT dblink_disconnect('blocker') IS NOT NULL AS disconnected;
RESET safemigrate.cancel_blockers_after;
RESET safemigrate.lock_timeout;
DROP EXTENSION dblink;

-- A prepared transaction holds the table: named by its gid (its locks belong
-- to no session).  safemigrate.lock_retries is the most short waits: 2 here.
BEGIN;
SELECT count(*) FROM ledger;
PREPARE TRANSACTION 'regress_locks_px';
SET safemigrate.lock_timeout = '10s';
SET safemigrate.lock_wait = '20ms';
SET safemigrate.lock_retries = 2;
DO $$
DECLARE
  detail text;
BEGIN
  ALTER TABLE ledger ADD COLUMN px int;
EXCEPTION WHEN lock_not_available THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RAISE NOTICE '%', SQLERRM;
  RAISE NOTICE 'names the prepared transaction: %', detail LIKE 'Blocked by prepared transaction ''regress_locks_px'' (owner %';
END $$;
SELECT pid, application_name, state, held_mode FROM safemigrate.blockers('ledger', 'AccessExclusiveLock');
ROLLBACK PREPARED 'regress_locks_px';
RESET safemigrate.lock_timeout;
RESET safemigrate.lock_wait;
RESET safemigrate.lock_retries;

-- Ordinary roles cannot loosen the limits.
CREATE ROLE regress_sm_locks;
SET ROLE regress_sm_locks;
SET safemigrate.lock_timeout = '1h';
SET safemigrate.statement_timeout = 0;
SET safemigrate.cancel_blockers_after = '1s';
RESET ROLE;
DROP ROLE regress_sm_locks;

RESET search_path;
/* safemigrate: expand-contract */ DROP SCHEMA locks_test CASCADE;
