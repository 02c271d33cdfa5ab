/* pg_safemigrate--0.2.0--0.3.0.sql: upgrade to 0.3.0, the DDL audit and the backfill procedures */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_safemigrate UPDATE TO '0.3.0'" to load this file. \quit

-------------------------------------------------------------------------------
-- Audit of every DDL attempt (filled by the background worker)
-------------------------------------------------------------------------------

-- One row per DDL attempt of the whole cluster (every database), and one per
-- executed step of an automatic rewrite (attempt_id, step).  Written by the
-- background worker "pg_safemigrate audit writer" in the database named by
-- safemigrate.database; in other databases the table stays empty.
CREATE TABLE safemigrate.ddl_audit (
  id                bigint PRIMARY KEY,
  attempt_id        bigint,
  step              integer NOT NULL DEFAULT 0,
  started_at        timestamptz NOT NULL,
  finished_at       timestamptz NOT NULL,
  duration          interval NOT NULL,  -- finished_at - started_at
  lock_wait         interval NOT NULL,
  database_name     text,
  session_user_name text,
  current_user_name text,
  application_name  text,
  client_addr       text,
  backend_pid       integer,
  transaction_id    bigint,
  command_tag       text,
  objects           text,
  statement         text,
  category          text,
  rules             text[],
  action            text NOT NULL CHECK (action IN ('allowed', 'rewritten', 'warned', 'rejected', 'overridden', 'failed')),
  executed_sql      text,
  lock_modes        text,
  table_rewritten   boolean,
  estimated_rows    double precision,
  retries           integer NOT NULL DEFAULT 0,
  blockers          text,
  sqlstate          text,
  message           text,
  outcome           text NOT NULL CHECK (outcome IN ('committed', 'aborted', 'prepared')),
  migration_id      text
);
CREATE INDEX ddl_audit_started_at ON safemigrate.ddl_audit (started_at);
CREATE INDEX ddl_audit_attempt_id ON safemigrate.ddl_audit (attempt_id) WHERE attempt_id IS NOT NULL;
CREATE INDEX ddl_audit_migration_id ON safemigrate.ddl_audit (migration_id) WHERE migration_id IS NOT NULL;
COMMENT ON TABLE safemigrate.ddl_audit IS
  'pg_safemigrate: every DDL attempt of the cluster (and each step of a rewrite), with duration, action and outcome';
-- The rows are data, not part of the extension's definition: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('safemigrate.ddl_audit', '');

-- Readers of the audit.  Nobody but the owner writes to it (the worker runs as superuser).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'safemigrate_auditor') THEN
    CREATE ROLE safemigrate_auditor NOLOGIN;
  END IF;
END
$$;
COMMENT ON ROLE safemigrate_auditor IS 'pg_safemigrate: may read the DDL audit';
REVOKE ALL ON safemigrate.ddl_audit FROM PUBLIC;
GRANT SELECT ON safemigrate.ddl_audit TO safemigrate_auditor;

-- Recent DDL attempts, newest first.
CREATE VIEW safemigrate.recent_ddl AS
  SELECT id, started_at, round(extract(epoch FROM duration) * 1000, 3) AS duration_ms,
         round(extract(epoch FROM lock_wait) * 1000, 3) AS lock_wait_ms, database_name, session_user_name,
         application_name, command_tag, objects, action, outcome, rules, sqlstate, migration_id, statement
    FROM safemigrate.ddl_audit
   WHERE step = 0
   ORDER BY started_at DESC, id DESC;

-- The slowest DDL attempts.
CREATE VIEW safemigrate.slowest_ddl AS
  SELECT id, started_at, round(extract(epoch FROM duration) * 1000, 3) AS duration_ms,
         round(extract(epoch FROM lock_wait) * 1000, 3) AS lock_wait_ms, database_name, command_tag, objects,
         lock_modes, table_rewritten, estimated_rows, action, outcome, migration_id, statement
    FROM safemigrate.ddl_audit
   WHERE step = 0
   ORDER BY duration DESC, id;

-- Rejected attempts per rule.
CREATE VIEW safemigrate.rejected_by_rule AS
  SELECT r.rule, count(*) AS rejected, min(a.started_at) AS first_seen, max(a.started_at) AS last_seen,
         count(DISTINCT a.session_user_name) AS users
    FROM safemigrate.ddl_audit a
    CROSS JOIN LATERAL unnest(coalesce(a.rules, ARRAY[NULL::text])) AS r(rule)
   WHERE a.action = 'rejected' AND a.step = 0
   GROUP BY r.rule
   ORDER BY rejected DESC, r.rule NULLS LAST;

-- One row per migration (safemigrate.migration_id).
CREATE VIEW safemigrate.migration_summary AS
  SELECT migration_id, count(*) AS statements, min(started_at) AS started_at, max(finished_at) AS finished_at,
         round(extract(epoch FROM sum(duration)) * 1000, 3) AS total_duration_ms,
         round(extract(epoch FROM max(duration)) * 1000, 3) AS max_duration_ms,
         round(extract(epoch FROM sum(lock_wait)) * 1000, 3) AS total_lock_wait_ms,
         count(*) FILTER (WHERE action = 'rejected') AS rejected,
         count(*) FILTER (WHERE action = 'failed') AS failed,
         count(*) FILTER (WHERE outcome = 'aborted') AS aborted
    FROM safemigrate.ddl_audit
   WHERE migration_id IS NOT NULL AND step = 0
   GROUP BY migration_id
   ORDER BY min(started_at);

GRANT SELECT ON safemigrate.recent_ddl, safemigrate.slowest_ddl, safemigrate.rejected_by_rule,
  safemigrate.migration_summary TO safemigrate_auditor;

-- The shared-memory queue between the sessions and the audit writer.
CREATE FUNCTION safemigrate.audit_queue(
    OUT queue_bytes bigint, OUT used_bytes bigint, OUT events_queued bigint, OUT events_written bigint,
    OUT events_logged_only bigint, OUT events_failed bigint, OUT writer_pid integer)
  RETURNS record
  LANGUAGE C VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'safemigrate_audit_queue';
COMMENT ON FUNCTION safemigrate.audit_queue() IS
  'State of the audit queue: events queued and written since startup, events that found the queue full (server log only)';

-- Wait until the events of transactions that ended before the call are in the table.
CREATE FUNCTION safemigrate.audit_wait(timeout_ms integer DEFAULT 10000)
  RETURNS boolean
  LANGUAGE C VOLATILE
  AS 'MODULE_PATHNAME', 'safemigrate_audit_wait';
COMMENT ON FUNCTION safemigrate.audit_wait(integer) IS
  'Wait until the audit writer has written every event queued before the call; false at the timeout';

-- Retention: delete audit rows of attempts that finished before now() - older_than.
CREATE FUNCTION safemigrate.purge_audit(older_than interval)
  RETURNS bigint
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  n bigint;
BEGIN
  IF older_than IS NULL THEN
    RAISE EXCEPTION 'older_than must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF older_than < interval '0' THEN
    RAISE EXCEPTION 'older_than must not be negative' USING ERRCODE = '22023';
  END IF;
  DELETE FROM safemigrate.ddl_audit WHERE finished_at < now() - older_than;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION safemigrate.purge_audit(interval) IS
  'Delete the audit rows of attempts that finished more than older_than ago; returns their number (owner only)';
REVOKE ALL ON FUNCTION safemigrate.purge_audit(interval) FROM PUBLIC;

-------------------------------------------------------------------------------
-- Backfill and expand-contract procedures
-------------------------------------------------------------------------------

-- (backfill objects go here)

-------------------------------------------------------------------------------
-- Fixes
-------------------------------------------------------------------------------

-- The rule catalogue is constant data: parallel safe, as an immutable function
-- should be (PostgreSQL's own opr_sanity test lists immutable functions that
-- are parallel unsafe, and found this one).
ALTER FUNCTION safemigrate.rule_catalogue() PARALLEL SAFE;
