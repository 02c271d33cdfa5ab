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
    OUT events_logged_only bigint, OUT events_failed bigint, OUT writer_pid integer,
    OUT writer_waiting boolean)
  RETURNS record
  LANGUAGE C VOLATILE STRICT
  AS 'MODULE_PATHNAME', 'safemigrate_audit_queue';
COMMENT ON FUNCTION safemigrate.audit_queue() IS
  'State of the audit queue: events queued and written since startup, events that found the queue full (server log only), whether the writer cannot write now';

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

-- The role running the statement, as a regrole (its oid): jobs and expansions record their owner by oid, as the
-- catalogs do, so that ALTER ROLE ... RENAME keeps them the role's and a new role given an old name gets
-- nothing.  quote_ident: regrole's input folds an unquoted name to lower case ("Alice" is not alice).
CREATE FUNCTION safemigrate._current_role()
RETURNS regrole
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$ SELECT pg_catalog.to_regrole(pg_catalog.quote_ident(current_user)) $fn$;
COMMENT ON FUNCTION safemigrate._current_role() IS 'Internal: the current role, whose jobs and expansions are its own';

-- One row per backfill: what it does, how far it got, and how it is throttled.
-- The procedure updates its row in the same transaction as each batch, so the
-- key reached is exactly what is committed: a backfill killed at any point
-- resumes after the last committed batch.
CREATE TABLE safemigrate.backfill_jobs (
  job_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner            regrole NOT NULL DEFAULT safemigrate._current_role(),  -- an oid: follows ALTER ROLE RENAME
  relid            regclass NOT NULL,       -- regclass: pg_dump writes the name, a restore finds the new table
  table_name       text NOT NULL,
  set_clause       text NOT NULL,
  where_clause     text,
  key_columns      text[],                 -- quoted primary key columns; NULL: batches of heap pages (TID ranges)
  key_types        text[],
  key_collations   text[],                 -- the key columns' collations ('' for none): a change stops the job
  key_upper        text[],                 -- the last key when the job was created (pages: the block count); NULL: empty table
  key_reached      text[],                 -- the last key done (pages: the first block not done); NULL: none yet
  relfile          text,                   -- pages: the table's file the block numbers refer to (system id:database:relfilenode)
  sweep            int NOT NULL DEFAULT 0, -- pages with a where_clause: 0 the first pass, n the n-th pass again
  sweep_rows       bigint NOT NULL DEFAULT 0, -- rows the current pass again updated
  rows_estimated   bigint,                 -- pg_class.reltuples when the job was created
  rows_done        bigint NOT NULL DEFAULT 0,
  batches          bigint NOT NULL DEFAULT 0,
  batch_size       int NOT NULL,           -- current batch size (rows)
  target_batch_ms  int NOT NULL,
  min_batch_size   int NOT NULL,
  max_batch_size   int NOT NULL,
  pause_ms         int NOT NULL,
  max_replica_lag  bigint,                 -- bytes of replay lag; NULL: not checked
  max_dead_tuples  bigint,                 -- pg_stat_user_tables.n_dead_tup; NULL: not checked
  lock_timeout_ms  int NOT NULL,
  max_retries      int NOT NULL,
  status           text NOT NULL DEFAULT 'created'
                   CHECK (status IN ('created', 'running', 'paused', 'failed', 'cancelled', 'done')),
  request          text CHECK (request IN ('pause', 'cancel')),
  throttled        text,                   -- why the job is waiting right now, or NULL
  throttle_waits   bigint NOT NULL DEFAULT 0,
  throttle_ms      double precision NOT NULL DEFAULT 0,
  retries          bigint NOT NULL DEFAULT 0,
  longest_batch_ms double precision NOT NULL DEFAULT 0,
  elapsed_ms       double precision NOT NULL DEFAULT 0,  -- time spent running (batches, pauses, waits)
  last_error       text,
  pid              int,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at       timestamptz,
  last_progress    timestamptz,
  finished_at      timestamptz
);
COMMENT ON TABLE safemigrate.backfill_jobs IS
  'pg_safemigrate: one row per backfill (safemigrate.backfill), with the key reached and its progress';

CREATE FUNCTION safemigrate.backfill_create("table" regclass, set_clause text, where_clause text DEFAULT NULL,
  batch_size int DEFAULT 5000, target_batch_ms int DEFAULT 200, min_batch_size int DEFAULT 100,
  max_batch_size int DEFAULT 5000, pause_ms int DEFAULT 0, max_replica_lag bigint DEFAULT 16777216,
  max_dead_tuples bigint DEFAULT NULL, lock_timeout_ms int DEFAULT 200, max_retries int DEFAULT 20)
RETURNS bigint
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'safemigrate_backfill_create';
COMMENT ON FUNCTION safemigrate.backfill_create(regclass, text, text, int, int, int, int, int, bigint, bigint, int, int) IS
  'Creates a backfill job without running it (the key range is fixed now); run it with CALL safemigrate.backfill_resume(job_id)';

-- Not SECURITY DEFINER and without SET clauses: either would make CALL atomic,
-- and the procedure commits after every batch.
CREATE PROCEDURE safemigrate.backfill("table" regclass, set_clause text, where_clause text DEFAULT NULL,
  batch_size int DEFAULT 5000, target_batch_ms int DEFAULT 200, min_batch_size int DEFAULT 100,
  max_batch_size int DEFAULT 5000, pause_ms int DEFAULT 0, max_replica_lag bigint DEFAULT 16777216,
  max_dead_tuples bigint DEFAULT NULL, lock_timeout_ms int DEFAULT 200, max_retries int DEFAULT 20)
LANGUAGE C
AS 'MODULE_PATHNAME', 'safemigrate_backfill';
COMMENT ON PROCEDURE safemigrate.backfill(regclass, text, text, int, int, int, int, int, bigint, bigint, int, int) IS
  'UPDATE table SET set_clause WHERE where_clause in batches on the primary key (or heap pages), committing after each';

CREATE PROCEDURE safemigrate.backfill_resume(job_id bigint)
LANGUAGE C
AS 'MODULE_PATHNAME', 'safemigrate_backfill_resume';
COMMENT ON PROCEDURE safemigrate.backfill_resume(bigint) IS
  'Runs a created, paused, failed or interrupted backfill job from the last committed batch';

-- A running job holds a session-level advisory lock (classid 1397571142 = "SMBF", objid = job id, objsubid 3:
-- taken from C, since pg_advisory_lock() takes objsubid 1 or 2, which any role could hold to fake a running job).
CREATE FUNCTION safemigrate._backfill_running(job_id bigint)
RETURNS boolean
LANGUAGE sql STABLE STRICT
AS $fn$
  SELECT EXISTS (SELECT FROM pg_catalog.pg_locks l
                  WHERE l.locktype = 'advisory' AND l.classid = 1397571142::oid
                    AND l.objid = $1::oid AND l.objsubid = 3 AND l.granted
                    AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                                       WHERE d.datname = pg_catalog.current_database()))
$fn$;
COMMENT ON FUNCTION safemigrate._backfill_running(bigint) IS 'Internal: true while a session runs the backfill job';

CREATE FUNCTION safemigrate._backfill_request(job_id bigint, request text)
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT
AS $fn$
DECLARE
  j safemigrate.backfill_jobs;
BEGIN
  SELECT * INTO j FROM safemigrate.backfill_jobs b WHERE b.job_id = _backfill_request.job_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'backfill job % does not exist', job_id
      USING ERRCODE = 'undefined_object', HINT = 'The jobs are listed in safemigrate.backfill_progress.';
  END IF;
  IF j.status IN ('done', 'cancelled') THEN
    RAISE EXCEPTION 'backfill job % is already %', job_id, j.status USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF _backfill_request.request = 'pause' AND j.status = 'paused' THEN
    RETURN 'paused';
  END IF;
  IF safemigrate._backfill_running(job_id) THEN
    UPDATE safemigrate.backfill_jobs b SET request = _backfill_request.request
     WHERE b.job_id = _backfill_request.job_id;
    RETURN _backfill_request.request || ' requested: the job stops after its current batch';
  END IF;
  UPDATE safemigrate.backfill_jobs b
     SET status = CASE _backfill_request.request WHEN 'pause' THEN 'paused' ELSE 'cancelled' END, request = NULL,
         pid = NULL, throttled = NULL,
         finished_at = CASE _backfill_request.request WHEN 'cancel' THEN clock_timestamp() END
   WHERE b.job_id = _backfill_request.job_id;
  RETURN CASE _backfill_request.request WHEN 'pause' THEN 'paused' ELSE 'cancelled' END;
END
$fn$;
COMMENT ON FUNCTION safemigrate._backfill_request(bigint, text) IS 'Internal helper of backfill_pause/backfill_cancel';

CREATE FUNCTION safemigrate.backfill_pause(job_id bigint)
RETURNS text LANGUAGE plpgsql VOLATILE
AS $fn$
BEGIN
  IF job_id IS NULL THEN
    RAISE EXCEPTION 'job_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  RETURN safemigrate._backfill_request(job_id, 'pause');
END
$fn$;
COMMENT ON FUNCTION safemigrate.backfill_pause(bigint) IS
  'Stops a backfill after its current batch (from any session); CALL safemigrate.backfill_resume(job_id) goes on';

CREATE FUNCTION safemigrate.backfill_cancel(job_id bigint)
RETURNS text LANGUAGE plpgsql VOLATILE
AS $fn$
BEGIN
  IF job_id IS NULL THEN
    RAISE EXCEPTION 'job_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  RETURN safemigrate._backfill_request(job_id, 'cancel');
END
$fn$;
COMMENT ON FUNCTION safemigrate.backfill_cancel(bigint) IS
  'Stops a backfill for good after its current batch (from any session); the rows already done stay done';

-- security_barrier: the owner filter below runs before any condition of the caller's (a cheap function of
-- another role would otherwise see every job's texts and keys).
CREATE VIEW safemigrate.backfill_progress WITH (security_barrier) AS
  SELECT j.job_id,
         -- the table's name now, schema-qualified as recorded (it may have been renamed since), the recorded one
         -- once it is gone
         coalesce((SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
                     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.oid = j.relid::oid), j.table_name) AS table_name,
         j.set_clause, j.where_clause,
         CASE WHEN j.key_columns IS NULL THEN 'heap pages' ELSE 'primary key' END AS batching,
         -- 'running' in the table but no session runs it: killed, cancelled or timed out between batches
         CASE WHEN j.status = 'running' AND NOT safemigrate._backfill_running(j.job_id) THEN 'interrupted'
              ELSE j.status END AS status,
         safemigrate._backfill_running(j.job_id) AS running, j.request, j.throttled,
         j.rows_done, j.rows_estimated, j.batches, j.batch_size,
         -- A job's row is its owner's to change: what the view computes from it never fails (block numbers that
         -- are not numbers give NULL, arithmetic is numeric) and the ETA is at most 100 years, so that no
         -- owner's row breaks the view for the others (superusers see every row).
         CASE WHEN j.status = 'done' THEN 100.0
              WHEN j.key_columns IS NULL AND j.key_upper IS NOT NULL AND j.key_reached IS NOT NULL
                THEN CASE WHEN j.key_upper[1] ~ '^[0-9]{1,18}$' AND j.key_reached[1] ~ '^[0-9]{1,18}$'
                            THEN round(100.0 * least(j.key_reached[1]::numeric / greatest(j.key_upper[1]::numeric, 1), 1), 1)
                     END
              WHEN j.rows_estimated > 0 THEN round(100.0 * least(j.rows_done::numeric / j.rows_estimated, 0.999), 1)
         END AS percent,
         round(j.rows_done::numeric / nullif(j.elapsed_ms::numeric, 0) * 1000, 1) AS rows_per_second,
         CASE WHEN j.status = 'done' THEN interval '0'
              WHEN j.rows_done > 0 AND j.elapsed_ms > 0 AND j.key_columns IS NULL AND j.key_reached IS NOT NULL
                THEN CASE WHEN j.key_upper[1] ~ '^[0-9]{1,18}$' AND j.key_reached[1] ~ '^[0-9]{1,18}$'
                            THEN make_interval(secs => least(greatest(j.elapsed_ms::numeric / 1000
                                   * (j.key_upper[1]::numeric - j.key_reached[1]::numeric)
                                   / greatest(j.key_reached[1]::numeric, 1), 0), 3155760000)::float8)
                     END
              WHEN j.rows_done > 0 AND j.elapsed_ms > 0 AND j.rows_estimated IS NOT NULL
                THEN make_interval(secs => least(greatest((j.rows_estimated::numeric - j.rows_done)
                                                          * j.elapsed_ms::numeric / 1000 / j.rows_done, 0),
                                                 3155760000)::float8)
         END AS eta,
         round(j.longest_batch_ms::numeric, 1) AS longest_batch_ms, j.retries, j.throttle_waits,
         round(j.throttle_ms::numeric) AS throttle_ms, j.key_reached, j.key_upper, j.last_error, j.pid,
         j.created_at, j.started_at, j.last_progress, j.finished_at
    FROM safemigrate.backfill_jobs j
   -- The view runs as its owner, whom row-level security does not restrict: filter here.
   WHERE j.owner = safemigrate._current_role()
      OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user);
COMMENT ON VIEW safemigrate.backfill_progress IS
  'Every backfill job with its progress, rate (rows/s while running) and estimated time to completion';

-- Expand-contract: one row per expansion (rename a column, change a column's type).
CREATE TABLE safemigrate.expansions (
  expansion_id   int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner          regrole NOT NULL DEFAULT safemigrate._current_role(),
  relid          regclass NOT NULL,         -- regclass: pg_dump writes the name, a restore finds the new table
  table_name     text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('rename column', 'alter column type')),
  old_column     name NOT NULL,
  new_column     name NOT NULL,
  new_type       text,
  assign_type    text,                  -- alter column type: the new type's base type without a type modifier,
                                        -- schema-qualified ("pg_catalog"."varchar"): the conversions cast to it,
                                        -- then assign to the column, whose length check then errors like
                                        -- ALTER TYPE does (a cast to varchar(5) would cut the value silently)
  using_expr     text,
  reverse_expr   text,                  -- alter column type: the old column from the new one (two-way sync)
  settings       text[],                -- TimeZone, DateStyle, IntervalStyle, search_path of the expand call: the
                                        -- conversions (timestamp to timestamptz, text to date, a type or function
                                        -- found on the path) run under them in every session (NULL for a rename,
                                        -- which converts nothing)
  sync_function  text NOT NULL,         -- qualified, quoted
  sync_trigger   name NOT NULL,
  job_id         bigint,
  status         text NOT NULL DEFAULT 'expanding'
                 CHECK (status IN ('expanding', 'backfilling', 'expanded', 'contracted', 'aborted')),
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE safemigrate.expansions IS
  'pg_safemigrate: one row per expand-contract change (expand_rename_column, expand_alter_column_type)';

-- The sync function's check that the new column has no default but the NULL one the expansion gave it
-- (a domain's own default would otherwise apply): in an insert, a value in the new column is taken as the
-- application's write, and a default there would overwrite what the old application wrote.
CREATE FUNCTION safemigrate._expansion_default_guard(e safemigrate.expansions)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
  SELECT pg_catalog.format($body$      IF EXISTS (SELECT FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a
                          ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                  WHERE d.adrelid = TG_RELID AND a.attname = %1$L
                    AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) !~ '^NULL::') THEN
        RAISE EXCEPTION 'column "%%" of %% has a default that expansion %2$s did not give it', %1$L, TG_TABLE_NAME
          USING ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL = 'Inserts that do not name the column would take the default instead of the old column''s value.',
                HINT = 'Drop the default (ALTER TABLE ... ALTER COLUMN ... DROP DEFAULT): contract() gives the column its default.';
      END IF;$body$, e.new_column, e.expansion_id)
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_default_guard(safemigrate.expansions) IS 'Internal helper of the expand procedures';

-- The second trigger of a rename or a two-way type change, on the same function: BEFORE UPDATE OF the new
-- column, named to fire just before the sync trigger (after the table's own triggers).  NULL for a one-way
-- type change (the new column only follows the old one).
CREATE FUNCTION safemigrate._expansion_write_trigger(e safemigrate.expansions)
RETURNS name
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
  SELECT CASE WHEN e.kind = 'rename column' OR e.reverse_expr IS NOT NULL
              THEN pg_catalog.concat('~safemigrate_new_', e.expansion_id)::name END
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_write_trigger(safemigrate.expansions) IS 'Internal helper of the expand procedures';

-- The expansion's guard: a statement trigger AFTER UPDATE OF both columns, disabled (it never fires), whose
-- only work is the dependency PostgreSQL records on the two columns: a DROP COLUMN of either while the
-- expansion is open (the sync trigger writes both) is refused by PostgreSQL itself (2BP01), from any client.
CREATE FUNCTION safemigrate._expansion_guard_trigger(e safemigrate.expansions)
RETURNS name
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
  SELECT pg_catalog.concat('~safemigrate_guard_', e.expansion_id)::name
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_guard_trigger(safemigrate.expansions) IS 'Internal helper of the expand procedures';

-- Drops the expansion's triggers (sync, the second one, the guard), for contract() and expand_abort().
CREATE FUNCTION safemigrate._drop_expansion_triggers(e safemigrate.expansions)
RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
  t name;
BEGIN
  EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', e.sync_trigger, e.relid::regclass);
  FOR t IN SELECT g.tgname FROM pg_catalog.pg_trigger g
            WHERE g.tgrelid = e.relid::oid
              AND g.tgname IN (safemigrate._expansion_write_trigger(e), safemigrate._expansion_guard_trigger(e))
            ORDER BY g.tgname LOOP
    EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', t, e.relid::regclass);
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION safemigrate._drop_expansion_triggers(safemigrate.expansions) IS 'Internal helper of the expand procedures';

CREATE FUNCTION safemigrate._expansion_guard()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
  RETURN NULL;  -- a statement trigger's result is ignored; enabled by hand (ENABLE TRIGGER USER) it does nothing
END
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_guard() IS
  'The function of an expansion''s disabled guard trigger (it keeps the expansion''s columns from being dropped)';

-- The sync trigger's function: generated per expansion, so that it names the
-- columns directly (no dynamic SQL per row).
CREATE FUNCTION safemigrate._expansion_sync_body(e safemigrate.expansions)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
  -- A column named like a PL/pgSQL variable (found, new, tg_op, converted) means the column.
  -- Values are compared by their binary image (*=): every type has it, even one without = (json,
  -- point), and a write of a value = calls equal but that differs (case-insensitive text, numeric
  -- scale, citext) is a write, not to be undone.
  SELECT E'#variable_conflict use_column\n' || CASE
    WHEN e.kind = 'rename column' THEN pg_catalog.format($body$
BEGIN
  -- pg_safemigrate expansion %3$s: keeps %1$I and %2$I equal, whichever the application writes
  IF TG_NAME = %5$L THEN
    -- (fires first) an UPDATE that names %2$I: the application wrote it, NULL too on a row the
    -- backfill has not reached yet (where the value alone does not tell), and the same value it had
    -- too; it wins over a write of %1$I in the same UPDATE, as in an INSERT
    NEW.%1$I := NEW.%2$I;
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    -- The new column has no default (the expansion added it with DEFAULT NULL): a value in it was
    -- written by the application, and wins over the old column's default.  One given to it since
    -- would fill it in every insert of the old application: refused.
    IF NEW.%2$I IS NULL THEN
      NEW.%2$I := NEW.%1$I;
    ELSE
%4$s
      NEW.%1$I := NEW.%2$I;
    END IF;
  ELSIF ROW(NEW.%2$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(OLD.%2$I)::pg_catalog.record THEN
    NEW.%2$I := NEW.%1$I;
  ELSE
    -- %2$I written (and %1$I unchanged, or written too: the new column wins, as in an INSERT)
    NEW.%1$I := NEW.%2$I;
  END IF;
  RETURN NEW;
END
$body$, e.old_column, e.new_column, e.expansion_id, safemigrate._expansion_default_guard(e),
      pg_catalog.concat('~safemigrate_new_', e.expansion_id))
    WHEN e.reverse_expr IS NULL THEN pg_catalog.format($body$
BEGIN
  -- pg_safemigrate expansion %5$s: %2$I follows %1$I converted with USING %4$s
  -- (an UPDATE that leaves %1$I as it was converts nothing: the backfill and contract's check see to
  -- those rows, and a value that does not convert fails only the writes of %1$I)
  IF TG_OP = 'INSERT' OR NOT (ROW(NEW.%1$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(OLD.%1$I)::pg_catalog.record) THEN
    NEW.%2$I := (SELECT (%4$s)::%3$s FROM (SELECT NEW.*) AS r);
  END IF;
  RETURN NEW;
END
$body$, e.old_column, e.new_column, coalesce(e.assign_type, e.new_type), e.using_expr, e.expansion_id)
    ELSE pg_catalog.format($body$
DECLARE
  converted %3$s;
BEGIN
  -- converted only for a write of either column (an UPDATE of other columns converts nothing)
  IF TG_NAME = %8$L OR TG_OP = 'INSERT'
     OR NOT (ROW(NEW.%1$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(OLD.%1$I)::pg_catalog.record)
     OR NOT (ROW(NEW.%2$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(OLD.%2$I)::pg_catalog.record) THEN
    converted := (SELECT (%4$s)::%9$s FROM (SELECT NEW.*) AS r);
  END IF;
  -- pg_safemigrate expansion %5$s: %2$I follows %1$I converted with USING %4$s, and %1$I follows
  -- %2$I with %6$s when the application writes %2$I only.  A value of %2$I that is already the
  -- conversion of %1$I (the backfill's, or one the application wrote to both) leaves %1$I alone,
  -- so that a lossy conversion never changes the old column.
  IF TG_NAME = %8$L THEN
    -- (fires first) an UPDATE that names %2$I: the application wrote it, NULL too on a row the
    -- backfill has not reached yet (where the value alone does not tell), and the same value it had
    -- too; unless it is the conversion of %1$I, it wins over a write of %1$I in the same UPDATE
    IF NOT (ROW(NEW.%2$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(converted)::pg_catalog.record) THEN
      NEW.%1$I := (SELECT (%6$s) FROM (SELECT NEW.*) AS r);
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.%2$I IS NULL THEN
      NEW.%2$I := converted;
    ELSIF NOT (ROW(NEW.%2$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(converted)::pg_catalog.record) THEN
%7$s
      NEW.%1$I := (SELECT (%6$s) FROM (SELECT NEW.*) AS r);
    END IF;
  ELSIF ROW(NEW.%2$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(OLD.%2$I)::pg_catalog.record THEN
    -- only a write of %1$I changes %2$I: an update of other columns keeps the value the new
    -- application wrote (the reverse conversion may have lost part of it in %1$I)
    IF NOT (ROW(NEW.%1$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(OLD.%1$I)::pg_catalog.record) THEN
      NEW.%2$I := converted;
    END IF;
  ELSIF NOT (ROW(NEW.%2$I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(converted)::pg_catalog.record) THEN
    -- %2$I written (and %1$I unchanged, or written too: the new column wins, as in an INSERT)
    NEW.%1$I := (SELECT (%6$s) FROM (SELECT NEW.*) AS r);
  END IF;
  RETURN NEW;
END
$body$, e.old_column, e.new_column, e.new_type, e.using_expr, e.expansion_id, e.reverse_expr,
      safemigrate._expansion_default_guard(e), pg_catalog.concat('~safemigrate_new_', e.expansion_id),
      coalesce(e.assign_type, e.new_type))
  END
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_sync_body(safemigrate.expansions) IS 'Internal helper of the expand procedures';

-- Shared second half of both expand procedures: DDL (each step committed,
-- each skipped when already done), the backfill job, and the backfill itself.
-- The expand-contract procedures commit between their steps: inside BEGIN ... COMMIT they refuse at
-- once with SQLSTATE 25001 (instead of PostgreSQL's generic 2D000 at their first COMMIT).
CREATE FUNCTION safemigrate._require_own_transactions(procedure text)
RETURNS void
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'safemigrate_require_own_transactions';
COMMENT ON FUNCTION safemigrate._require_own_transactions(text) IS 'Internal helper of the expand procedures';

-- An expansion's texts (sync function, USING expression, type) run with the privileges of whoever runs its
-- steps, and its owner can change them (the row is theirs): only the owner runs them, so that a superuser
-- finishing someone's expansion cannot be made to run their SQL.
CREATE FUNCTION safemigrate._require_owner(owner regrole, what text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $fn$
BEGIN
  IF owner IS DISTINCT FROM safemigrate._current_role() THEN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid = owner::oid) THEN
      -- (regrole's output of a dropped role is its oid: say it in words)
      RAISE EXCEPTION '% belongs to a role that was dropped', what
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = 'Its steps run with the privileges of the role that runs them; only its owner may run them.',
              HINT = 'A superuser who checked its statements can give it to a role: '
                     'UPDATE safemigrate.expansions SET owner = ''role'' WHERE expansion_id = ...;';
    END IF;
    -- regrole's output is the name, quoted when it must be
    RAISE EXCEPTION '% belongs to role %', what, owner
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Its steps run with the privileges of the role that runs them; only its owner may run them.',
            HINT = pg_catalog.format('Run it as that role: SET ROLE %s;', owner);
  END IF;
END
$fn$;
COMMENT ON FUNCTION safemigrate._require_owner(regrole, text) IS 'Internal helper of the expand procedures';

-- The lock of a table's expansions, until the end of the transaction: an advisory lock tag that SQL's
-- pg_advisory_lock() cannot take (objsubid 4), so that no other role can hold it and block the expand procedures,
-- contract() and expand_abort() of the table; waited for at most safemigrate.lock_timeout (or the session's
-- lock_timeout when lower), then 55P03.  Only the table's owner takes it.
CREATE FUNCTION safemigrate._expansion_xact_lock(relid oid)
RETURNS void
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'safemigrate_expansion_xact_lock';
COMMENT ON FUNCTION safemigrate._expansion_xact_lock(oid) IS 'Internal helper of the expand procedures';

-- The expansion's row, locked, and still open: each transaction of an expand run and of contract() takes it
-- (expand_abort() too), so that none of them goes on with a step another one has undone.  First the lock
-- of the table's expansions that _expansion_for() takes: one waiting for it is served first (expand_abort()
-- waiting for an expand's step runs before the expand's next step).
CREATE FUNCTION safemigrate._expansion_locked(id int)
RETURNS safemigrate.expansions
LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
  e safemigrate.expansions;
BEGIN
  PERFORM safemigrate._expansion_xact_lock(x.relid::oid)
     FROM safemigrate.expansions x WHERE x.expansion_id = id;
  SELECT * INTO e FROM safemigrate.expansions x WHERE x.expansion_id = id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'expansion % does not exist', id USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM safemigrate._require_owner(e.owner, pg_catalog.format('expansion %s', id));
  IF e.status IN ('contracted', 'aborted') THEN
    RAISE EXCEPTION 'expansion % is already %', id, e.status USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN e;
END
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_locked(int) IS 'Internal helper of the expand procedures';

-- new_type without a trailing COLLATE clause ('varchar(20) COLLATE "C"' -> 'varchar(20)'): the type alone.
CREATE FUNCTION safemigrate._type_part(new_type text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
  SELECT pg_catalog.regexp_replace(new_type,
           '\s+collate\s+("([^"]|"")+"|[^\s."]+)(\s*\.\s*("([^"]|"")+"|[^\s."]+))?\s*$', '', 'i')
$fn$;
COMMENT ON FUNCTION safemigrate._type_part(text) IS 'Internal helper of the expand procedures';

-- Sets (for the session or the transaction) the TimeZone, DateStyle and IntervalStyle an expansion recorded.
CREATE FUNCTION safemigrate._expansion_settings(settings text[], is_local boolean)
RETURNS void
LANGUAGE sql VOLATILE
AS $fn$
  SELECT pg_catalog.set_config('TimeZone', settings[1], is_local),
         pg_catalog.set_config('DateStyle', settings[2], is_local),
         pg_catalog.set_config('IntervalStyle', settings[3], is_local),
         -- the search_path of the expand call: the new type and the USING expression mean what they meant there
         CASE WHEN settings[4] IS NOT NULL THEN pg_catalog.set_config('search_path', settings[4], is_local) END
   WHERE settings IS NOT NULL;
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_settings(text[], boolean) IS 'Internal helper of the expand procedures';

-- The condition (over the table's row) that the row's new column holds what the expansion makes of its old
-- one, values compared by their binary image like the sync trigger does: the new column is the old one
-- (rename), its conversion with USING, or (two-way) the old column is the reverse conversion of the new one.
CREATE FUNCTION safemigrate._expansion_in_sync(e safemigrate.expansions)
RETURNS text
LANGUAGE sql STABLE STRICT
-- (format_type() names a type outside pg_catalog with its schema: the condition is run in other sessions)
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH t AS (
    -- the new column's type as it is (its modifier too), the recorded text before the column exists
    SELECT coalesce((SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = e.relid::oid AND a.attname = e.new_column AND NOT a.attisdropped),
                    e.new_type) AS new_type,
           (SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = e.relid::oid AND a.attname = e.old_column AND NOT a.attisdropped) AS old_type,
           -- a type whose explicit cast cuts a value to its length where the column's assignment refuses it
           pg_catalog.to_regtype(e.assign_type) IN ('pg_catalog.varchar'::pg_catalog.regtype,
                                                    'pg_catalog.bpchar'::pg_catalog.regtype,
                                                    'pg_catalog.bit'::pg_catalog.regtype,
                                                    'pg_catalog.varbit'::pg_catalog.regtype,
                                                    'pg_catalog._varchar'::pg_catalog.regtype,
                                                    'pg_catalog._bpchar'::pg_catalog.regtype,
                                                    'pg_catalog._bit'::pg_catalog.regtype,
                                                    'pg_catalog._varbit'::pg_catalog.regtype) AS cut)
  SELECT CASE
    WHEN e.kind = 'rename column' THEN
      pg_catalog.format('(ROW(%I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(%I)::pg_catalog.record)',
                        e.new_column, e.old_column)
    ELSE
      pg_catalog.format('((ROW(%I)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW((%s)::%s)::pg_catalog.record%s)%s)',
                        e.new_column, e.using_expr, t.new_type,
                        -- the converted value fits without being cut (else it is not what the column holds)
                        CASE WHEN t.cut
                             THEN pg_catalog.format(' AND (((%s)::%s)::%s)::%s IS NOT DISTINCT FROM (%s)::%s',
                                                    e.using_expr, e.assign_type, t.new_type, e.assign_type,
                                                    e.using_expr, e.assign_type) ELSE '' END,
                        CASE WHEN e.reverse_expr IS NOT NULL
                             THEN pg_catalog.format(' OR ROW(%I)::pg_catalog.record OPERATOR(pg_catalog.*=) '
                                                    'ROW((%s)::%s)::pg_catalog.record',
                                                    e.old_column, e.reverse_expr, t.old_type) ELSE '' END)
  END
  FROM t
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_in_sync(safemigrate.expansions) IS 'Internal helper of the expand procedures';

-- The new column has no default but the NULL one the expansion gave it (see _expansion_default_guard()).
CREATE FUNCTION safemigrate._require_no_new_default(e safemigrate.expansions)
RETURNS void
LANGUAGE plpgsql STABLE
AS $fn$
DECLARE
  def text;
BEGIN
  -- (a one-way type change converts every inserted row from the old column: a default set on the new one
  -- does no harm, and contract() keeps it)
  IF e.kind = 'alter column type' AND e.reverse_expr IS NULL THEN
    RETURN;
  END IF;
  SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) INTO def
    FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
   WHERE d.adrelid = e.relid::oid AND a.attname = e.new_column AND NOT a.attisdropped;
  IF def !~ '^NULL::' THEN
    RAISE EXCEPTION 'expansion %: column "%" of % has a default (%) that the expansion did not give it',
      e.expansion_id, e.new_column, e.table_name, def
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The sync trigger takes a value in the new column of an inserted row as the application''s '
                     'write: the default would overwrite what the old application inserts.',
            HINT = pg_catalog.format('Drop it (ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT): contract() gives the '
                                     'column the old column''s default, or the one you pass as its new_default.',
                                     e.relid::regclass, e.new_column);
  END IF;
END
$fn$;
COMMENT ON FUNCTION safemigrate._require_no_new_default(safemigrate.expansions) IS 'Internal helper of the expand procedures';

-- The expansion's table as it is named now (renamed since the expand call, or in a schema not on the
-- search_path: schema-qualified), the recorded name once it is gone.
CREATE FUNCTION safemigrate._table_now(e safemigrate.expansions)
RETURNS text
LANGUAGE sql STABLE
AS $fn$
  SELECT coalesce((SELECT c.oid::regclass::text FROM pg_catalog.pg_class c WHERE c.oid = e.relid::oid), e.table_name)
$fn$;
COMMENT ON FUNCTION safemigrate._table_now(safemigrate.expansions) IS 'Internal helper of the expand procedures';

-- The call of the expand procedure that goes on with expansion e (its arguments): it resumes the backfill
-- (whose batches run under the settings the expansion recorded, in any session) and then marks the expansion
-- expanded, which a bare CALL safemigrate.backfill_resume() of its job does not.
CREATE FUNCTION safemigrate._expand_call(e safemigrate.expansions)
RETURNS text
LANGUAGE sql STABLE
AS $fn$
  -- (no search_path of its own: the table is named as the caller's search_path finds it)
  SELECT CASE WHEN e.kind OPERATOR(pg_catalog.=) 'rename column'
              THEN pg_catalog.format('CALL safemigrate.expand_rename_column(%L, %L, %L)', safemigrate._table_now(e),
                                     e.old_column, e.new_column)
              ELSE pg_catalog.format('CALL safemigrate.expand_alter_column_type(%L, %L, %L%s%s)', safemigrate._table_now(e),
                                     e.old_column, e.new_type,
                                     CASE WHEN e.using_expr OPERATOR(pg_catalog.<>) pg_catalog.quote_ident(e.old_column)
                                          THEN pg_catalog.format(', using_expr => %L', e.using_expr) ELSE '' END,
                                     CASE WHEN e.reverse_expr IS NOT NULL
                                          THEN pg_catalog.format(', reverse_using => %L', e.reverse_expr) ELSE '' END)
         END
$fn$;
COMMENT ON FUNCTION safemigrate._expand_call(safemigrate.expansions) IS 'Internal helper of the expand procedures';

CREATE PROCEDURE safemigrate._expand_run(id int, batch_size int, max_replica_lag bigint, lock_timeout_ms int,
                                          run_backfill boolean)
LANGUAGE plpgsql
AS $fn$
DECLARE
  e safemigrate.expansions;
  old_type text;
  set_clause text;
  where_clause text;
  jstatus text;
  trig name;
  member regclass;
  later text;
BEGIN
  -- Every transaction of the run locks the expansion's row and checks it is still open: an expand_abort()
  -- in between (it locks the row too) stops the run instead of being undone by its next step.
  e := safemigrate._expansion_locked(id);
  -- 1. the new column (catalog-only: DEFAULT NULL, stored for a domain, so that a domain's default does not
  -- fill it in the old application's inserts)
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute
                  WHERE attrelid = e.relid::oid AND attname = e.new_column AND NOT attisdropped) THEN
    IF e.kind = 'rename column' THEN
      SELECT pg_catalog.format_type(a.atttypid, a.atttypmod)
             || CASE WHEN a.attcollation <> t.typcollation
                     THEN ' COLLATE ' || (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.collname)
                                            FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
                                           WHERE c.oid = a.attcollation)
                     ELSE '' END
        INTO old_type
        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
       WHERE a.attrelid = e.relid::oid AND a.attname = e.old_column;
    ELSE
      -- the old column's collation, unless new_type names one (or the new type is not collatable)
      SELECT e.new_type
             || CASE WHEN safemigrate._type_part(e.new_type) = e.new_type AND a.attcollation <> 0
                          AND t.typcollation <> 0 AND a.attcollation <> t.typcollation
                     THEN ' COLLATE ' || (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.collname)
                                            FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
                                           WHERE c.oid = a.attcollation)
                     ELSE '' END
        INTO old_type
        FROM pg_catalog.pg_attribute a, pg_catalog.pg_type t
       WHERE a.attrelid = e.relid::oid AND a.attname = e.old_column
         AND t.oid = safemigrate._type_part(e.new_type)::regtype::oid;
    END IF;
    -- the old column's storage and compression, where the new type takes them (a varlena type): the rows the
    -- backfill writes are stored as the old column's were
    -- (storage set by hand: other than the old column's type's own; never PLAIN for a type that is not)
    SELECT CASE WHEN a.attstorage <> ot.typstorage AND NOT (a.attstorage = 'p' AND t.typstorage <> 'p')
                THEN pg_catalog.format(', ALTER COLUMN %I SET STORAGE %s', e.new_column,
                                       CASE a.attstorage WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN'
                                                         WHEN 'x' THEN 'EXTENDED' ELSE 'PLAIN' END) ELSE '' END
           || CASE WHEN a.attcompression <> ''
                   THEN pg_catalog.format(', ALTER COLUMN %I SET COMPRESSION %s', e.new_column,
                                          CASE a.attcompression WHEN 'l' THEN 'lz4' ELSE 'pglz' END) ELSE '' END
      INTO set_clause
      FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ot ON ot.oid = a.atttypid, pg_catalog.pg_type t
     WHERE a.attrelid = e.relid::oid AND a.attname = e.old_column AND t.typstorage <> 'p'
       AND t.oid = CASE WHEN e.kind = 'rename column' THEN a.atttypid
                        ELSE safemigrate._type_part(e.new_type)::regtype::oid END;
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD COLUMN %I %s DEFAULT NULL%s', e.relid::regclass, e.new_column,
                              old_type, coalesce(set_clause, ''));
    set_clause := NULL;
  END IF;
  PERFORM safemigrate._require_no_new_default(e);
  -- 2. the sync trigger.  Its function is created here, never replaced: one of that name that this run did
  -- not create (another role could have put it in the table's schema first, and keep changing it) is refused.
  -- It runs with the search_path of the expand call (the type and USING expression mean what they meant
  -- here), and fires for every write, also in sessions with session_replication_role = replica.
  IF pg_catalog.to_regprocedure(e.sync_function || '()') IS NULL THEN
    -- A type change's conversions may depend on TimeZone, DateStyle and IntervalStyle: pinned to the expand
    -- call's.  A rename copies the value as it is (and each SET clause costs every write).  Its search_path
    -- (FROM CURRENT) is the first expand call's, also when a later call creates it.
    PERFORM safemigrate._expansion_settings(e.settings, true);
    EXECUTE pg_catalog.format('CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT '
                              '%s AS %L', e.sync_function,
                              CASE WHEN e.kind = 'alter column type'
                                   THEN pg_catalog.format('SET TimeZone = %L SET DateStyle = %L SET IntervalStyle = %L',
                                                          coalesce(e.settings[1], pg_catalog.current_setting('TimeZone')),
                                                          coalesce(e.settings[2], pg_catalog.current_setting('DateStyle')),
                                                          coalesce(e.settings[3], pg_catalog.current_setting('IntervalStyle')))
                                   ELSE '' END,
                              safemigrate._expansion_sync_body(e));
  ELSIF NOT EXISTS (SELECT FROM pg_catalog.pg_proc p
                     WHERE p.oid = pg_catalog.to_regprocedure(e.sync_function || '()')::oid AND p.proowner = safemigrate._current_role()::oid
                       AND p.prosrc = safemigrate._expansion_sync_body(e)) THEN
    RAISE EXCEPTION 'function %() exists and is not the one expansion % created', e.sync_function, id
      USING ERRCODE = 'duplicate_function',
            DETAIL = 'The expansion would make it the trigger of the table; another role may own or change it.',
            HINT = pg_catalog.format('Drop or rename that function, or undo the expansion with CALL safemigrate.expand_abort(%s).', id);
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid = e.relid::oid AND tgname = e.sync_trigger) THEN
    EXECUTE pg_catalog.format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s()',
                              e.sync_trigger, e.relid::regclass, e.sync_function);
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', e.relid::regclass, e.sync_trigger);
  END IF;
  IF safemigrate._expansion_write_trigger(e) IS NOT NULL
     AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger
                      WHERE tgrelid = e.relid::oid AND tgname = safemigrate._expansion_write_trigger(e)) THEN
    EXECUTE pg_catalog.format('CREATE TRIGGER %I BEFORE UPDATE OF %I ON %s FOR EACH ROW EXECUTE FUNCTION %s()',
                              safemigrate._expansion_write_trigger(e), e.new_column, e.relid::regclass,
                              e.sync_function);
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', e.relid::regclass,
                              safemigrate._expansion_write_trigger(e));
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger
                  WHERE tgrelid = e.relid::oid AND tgname = safemigrate._expansion_guard_trigger(e)) THEN
    EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER UPDATE OF %I, %I ON %s FOR EACH STATEMENT '
                              'EXECUTE FUNCTION safemigrate._expansion_guard()',
                              safemigrate._expansion_guard_trigger(e), e.old_column, e.new_column, e.relid::regclass);
  END IF;
  -- disabled when created, and again when enabled by hand (ENABLE TRIGGER USER: a call per UPDATE statement)
  IF EXISTS (SELECT FROM pg_catalog.pg_trigger
              WHERE tgrelid = e.relid::oid AND tgname = safemigrate._expansion_guard_trigger(e) AND tgenabled <> 'D') THEN
    EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', e.relid::regclass,
                              safemigrate._expansion_guard_trigger(e));
  END IF;
  -- A trigger of the expansion that was disabled or set back to ORIGIN (ALTER TABLE ... ENABLE TRIGGER USER)
  -- is enabled ALWAYS again; contract() checks every row, so writes made meanwhile are found there.
  -- (on each partition too: a partition's clone can be disabled on its own)
  FOR trig, member IN SELECT g.tgname, g.tgrelid::regclass FROM pg_catalog.pg_trigger g
                       WHERE g.tgrelid IN (SELECT e.relid::oid UNION SELECT t.relid FROM pg_catalog.pg_partition_tree(e.relid) t)
                         AND g.tgenabled <> 'A'
                         AND g.tgname IN (e.sync_trigger, safemigrate._expansion_write_trigger(e))
                       ORDER BY g.tgrelid::regclass::text, g.tgname LOOP
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', member, trig);
    RAISE NOTICE 'expansion %: trigger "%" of % enabled ALWAYS again', id, trig, member;
  END LOOP;
  -- BEFORE row triggers fire in name order (bytes): one named after the sync trigger changes the row after the copy
  SELECT pg_catalog.string_agg(pg_catalog.quote_ident(t.tgname), ', ' ORDER BY t.tgname::text COLLATE "C") INTO later
    FROM pg_catalog.pg_trigger t
   WHERE t.tgrelid = e.relid::oid AND NOT t.tgisinternal AND t.tgname <> e.sync_trigger
     -- (another expansion's triggers: the two read none of each other's columns)
     AND t.tgname::text NOT LIKE '~safemigrate\_%'
     AND (t.tgtype::int & 3) = 3 AND t.tgname::text COLLATE "C" > e.sync_trigger::text COLLATE "C";
  IF later IS NOT NULL THEN
    RAISE WARNING 'expansion %: BEFORE row trigger(s) % of % fire after the sync trigger %', id, later, e.table_name,
      e.sync_trigger
      USING DETAIL = 'What they change in the row is not copied to the other column.',
            HINT = 'Rename them so that they sort before the sync trigger (byte order, the C collation).';
  END IF;
  -- A trigger UPDATE OF the old column fires when an UPDATE names that column; the new application names the
  -- new one, and the copy into the old column (in the sync trigger) does not make it fire.
  IF e.kind = 'rename column' OR e.reverse_expr IS NOT NULL THEN
    SELECT pg_catalog.string_agg(pg_catalog.quote_ident(t.tgname), ', ' ORDER BY t.tgname::text COLLATE "C") INTO later
      FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attname = e.old_column
     WHERE t.tgrelid = e.relid::oid AND NOT t.tgisinternal AND t.tgname::text NOT LIKE '~safemigrate\_%'
       AND a.attnum = ANY (t.tgattr::int2[])
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute n
                        WHERE n.attrelid = t.tgrelid AND n.attname = e.new_column AND n.attnum = ANY (t.tgattr::int2[]));
    IF later IS NOT NULL THEN
      RAISE WARNING 'expansion %: trigger(s) % of % fire on UPDATE OF %, not on an UPDATE that sets only %', id, later,
        e.table_name, pg_catalog.quote_ident(e.old_column), pg_catalog.quote_ident(e.new_column)
        USING DETAIL = 'The sync trigger copies the new application''s write into the old column, which does not make '
                       'a column-specific trigger fire.',
              HINT = pg_catalog.format('Give them both columns (CREATE OR REPLACE TRIGGER ... UPDATE OF %I, %I ...).',
                                       e.old_column, e.new_column);
    END IF;
  END IF;
  UPDATE safemigrate.expansions x SET status = 'backfilling', updated_at = clock_timestamp()
   WHERE x.expansion_id = id AND x.status = 'expanding';
  -- Every write from now on fires the trigger: the backfill's key range, fixed after this commit, covers the rest.
  COMMIT;
  -- 3. the backfill job
  e := safemigrate._expansion_locked(id);
  IF e.job_id IS NULL THEN
    PERFORM safemigrate._expansion_settings(e.settings, true);   -- the job's statements prepared as they will run
    set_clause := CASE WHEN e.kind = 'rename column' THEN pg_catalog.format('%I = %I', e.new_column, e.old_column)
                       ELSE pg_catalog.format('%I = (%s)::%s', e.new_column, e.using_expr,
                                              coalesce(e.assign_type, e.new_type)) END;
    where_clause := 'NOT ' || safemigrate._expansion_in_sync(e);
    UPDATE safemigrate.expansions x
       SET job_id = safemigrate.backfill_create(e.relid::regclass, set_clause, where_clause,
                                                batch_size => _expand_run.batch_size,
                                                -- the bounds the adaptive size moves in take any batch_size given
                                                min_batch_size => LEAST(100, _expand_run.batch_size),
                                                max_batch_size => GREATEST(5000, _expand_run.batch_size),
                                                max_replica_lag => _expand_run.max_replica_lag,
                                                lock_timeout_ms => _expand_run.lock_timeout_ms),
           updated_at = clock_timestamp()
     WHERE x.expansion_id = id
    RETURNING * INTO e;
    COMMIT;
  END IF;
  -- 4. the backfill (its batches run under the settings the expansion recorded, whichever session runs them)
  SELECT status INTO jstatus FROM safemigrate.backfill_jobs j WHERE j.job_id = e.job_id;
  IF run_backfill AND jstatus IS DISTINCT FROM 'done' THEN
    IF jstatus = 'cancelled' THEN
      RAISE EXCEPTION 'expansion %: its backfill job % was cancelled', id, e.job_id
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = pg_catalog.format('Abort it with CALL safemigrate.expand_abort(%s) and start again.', id);
    END IF;
    COMMIT;
    CALL safemigrate.backfill_resume(e.job_id);
    SELECT status INTO jstatus FROM safemigrate.backfill_jobs j WHERE j.job_id = e.job_id;
  END IF;
  e := safemigrate._expansion_locked(id);
  IF jstatus = 'done' THEN
    UPDATE safemigrate.expansions x SET status = 'expanded', updated_at = clock_timestamp()
     WHERE x.expansion_id = id AND x.status = 'backfilling';
    RAISE NOTICE 'expansion %: % is expanded; once the application uses the new shape, CALL safemigrate.contract(%)',
      id, e.table_name, id;
  ELSE
    RAISE NOTICE 'expansion %: the backfill (job %) is %; run % again (it goes on with the backfill under the '
                 'settings of the expand call), then CALL safemigrate.contract(%)',
      id, e.job_id, coalesce(jstatus, 'missing'), safemigrate._expand_call(e), id;
  END IF;
  COMMIT;
END
$fn$;
COMMENT ON PROCEDURE safemigrate._expand_run(int, int, bigint, int, boolean) IS 'Internal helper of the expand procedures';

-- Finds the open expansion of the same change, or records a new one.
CREATE FUNCTION safemigrate._expansion_for(rel regclass, kind text, old_column name, new_column name,
                                           new_type text, using_expr text, reverse_expr text DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
  id int;
  nsp text;
  prior safemigrate.expansions;
BEGIN
  IF rel IS NULL OR old_column IS NULL OR new_column IS NULL OR (kind = 'alter column type' AND new_type IS NULL) THEN
    RAISE EXCEPTION '%',
      CASE WHEN kind = 'alter column type' THEN 'the table, the column name and the new type must not be NULL'
           ELSE 'the table and the column names must not be NULL' END
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- One at a time per table: two calls at once would record two expansions of the same column.
  PERFORM safemigrate._expansion_xact_lock(rel::oid);
  SELECT * INTO prior FROM safemigrate.expansions e
   WHERE e.relid::oid = rel::oid AND e.kind = _expansion_for.kind AND e.old_column = _expansion_for.old_column
     AND e.new_column = _expansion_for.new_column AND e.status NOT IN ('contracted', 'aborted');
  IF FOUND THEN
    -- restarted: go on where it stopped, with the arguments it was started with
    IF (prior.new_type IS DISTINCT FROM _expansion_for.new_type
        AND (safemigrate._type_part(prior.new_type)::regtype::oid IS DISTINCT FROM safemigrate._type_part(_expansion_for.new_type)::regtype::oid
             OR pg_catalog.lower(pg_catalog.regexp_replace(prior.new_type, '\s', '', 'g'))
                <> pg_catalog.lower(pg_catalog.regexp_replace(_expansion_for.new_type, '\s', '', 'g'))
                AND (pg_catalog.strpos(prior.new_type, '(') > 0 OR pg_catalog.strpos(_expansion_for.new_type, '(') > 0)))
       OR prior.using_expr IS DISTINCT FROM _expansion_for.using_expr
       OR prior.reverse_expr IS DISTINCT FROM _expansion_for.reverse_expr THEN
      RAISE EXCEPTION 'expansion % of % is under way with other arguments', prior.expansion_id, rel
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = pg_catalog.format('It was started with new type %s, USING %s, reverse USING %s.',
                                         coalesce(prior.new_type, '-'), coalesce(prior.using_expr, '-'),
                                         coalesce(prior.reverse_expr, '-')),
              HINT = pg_catalog.format('Call it again with the same arguments to go on, or undo it with '
                                       'CALL safemigrate.expand_abort(%s) and start again.', prior.expansion_id);
    END IF;
    RETURN prior.expansion_id;
  END IF;
  IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = rel::oid) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '"%" is not a table', rel USING ERRCODE = 'wrong_object_type';
  END IF;
  -- Another open expansion of either column: its trigger would name a column this one drops.
  SELECT * INTO prior FROM safemigrate.expansions e
   WHERE e.relid::oid = rel::oid AND e.status NOT IN ('contracted', 'aborted')
     AND (e.old_column IN (_expansion_for.old_column, _expansion_for.new_column)
          OR e.new_column IN (_expansion_for.old_column, _expansion_for.new_column))
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'column "%" of % is part of expansion %, which is under way', prior.old_column, rel, prior.expansion_id
      USING ERRCODE = 'object_in_use',
            HINT = pg_catalog.format('Contract or abort expansion %s first.', prior.expansion_id);
  END IF;
  -- A partition or a typed table cannot get a column of its own (PostgreSQL refuses the ADD COLUMN): refused
  -- here, before anything is recorded.
  IF (SELECT c.relispartition FROM pg_catalog.pg_class c WHERE c.oid = rel::oid) THEN
    RAISE EXCEPTION '% is a partition of %', rel,
      (SELECT i.inhparent::regclass FROM pg_catalog.pg_inherits i WHERE i.inhrelid = rel::oid)
      USING ERRCODE = 'wrong_object_type',
            DETAIL = 'A partition cannot have a column of its own.',
            HINT = 'Expand the partitioned table: its partitions get the column and the trigger.';
  END IF;
  IF (SELECT c.reloftype <> 0 FROM pg_catalog.pg_class c WHERE c.oid = rel::oid) THEN
    RAISE EXCEPTION '% is a typed table (OF %)', rel,
      (SELECT c.reloftype::regtype FROM pg_catalog.pg_class c WHERE c.oid = rel::oid)
      USING ERRCODE = 'wrong_object_type',
            DETAIL = 'A typed table cannot have a column of its own.',
            HINT = 'Detach it from its type first (ALTER TABLE ... NOT OF).';
  END IF;
  -- Triggers are not inherited: writes to an inheritance child would not be synced (partitions are fine).
  IF EXISTS (SELECT FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = rel::oid AND NOT c.relispartition) THEN
    RAISE EXCEPTION '% has inheritance children', rel
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'The sync trigger would not fire for rows written to a child table.';
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.pg_attribute
              WHERE attrelid = rel::oid AND attname = old_column AND (attgenerated <> '' OR attidentity <> '')) THEN
    RAISE EXCEPTION 'column "%" of % is a generated or identity column', old_column, rel
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'A BEFORE trigger does not see generated values, and the new column would not be an identity.';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute
                  WHERE attrelid = rel::oid AND attname = old_column AND attnum > 0 AND NOT attisdropped) THEN
    RAISE EXCEPTION 'column "%" of relation "%" does not exist', old_column, rel USING ERRCODE = 'undefined_column';
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.pg_attribute
              WHERE attrelid = rel::oid AND attname = new_column AND NOT attisdropped) THEN
    RAISE EXCEPTION 'column "%" of relation "%" already exists', new_column, rel USING ERRCODE = 'duplicate_column';
  END IF;
  IF new_column = '' THEN
    RAISE EXCEPTION 'the new column name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF new_type IS NOT NULL THEN
    PERFORM safemigrate._type_part(new_type)::regtype;   -- an unknown type is an error now, not after the first steps
  END IF;
  -- contract() could never drop a column of the partition key
  IF EXISTS (SELECT FROM pg_catalog.pg_partitioned_table p JOIN pg_catalog.pg_attribute a
                     ON a.attrelid = p.partrelid AND a.attname = old_column
              WHERE p.partrelid = rel::oid AND a.attnum = ANY (p.partattrs::int2[])) THEN
    RAISE EXCEPTION 'column "%" of % is part of its partition key', old_column, rel
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'contract() could not drop it.';
  END IF;
  -- A domain with constraints: adding a column of it checks every row under an AccessExclusiveLock.
  IF EXISTS (WITH RECURSIVE dom(oid) AS (   -- the type, and the domains it is a domain over
                SELECT CASE WHEN new_type IS NOT NULL THEN safemigrate._type_part(new_type)::regtype::oid
                            ELSE (SELECT atttypid FROM pg_catalog.pg_attribute
                                   WHERE attrelid = rel::oid AND attname = old_column) END
                UNION ALL
                SELECT t.typbasetype FROM pg_catalog.pg_type t JOIN dom ON t.oid = dom.oid WHERE t.typtype = 'd')
              SELECT FROM dom JOIN pg_catalog.pg_constraint c ON c.contypid = dom.oid) THEN
    RAISE EXCEPTION 'the new column''s type is a domain with constraints'
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'Adding a column of such a domain checks every row under an AccessExclusiveLock.',
            HINT = 'Use the domain''s base type for the new column and a CHECK constraint added NOT VALID, then VALIDATE.';
  END IF;
  -- The conversions parse, with the table's columns, before anything is recorded.
  -- (in a WHERE clause over the table's row, as the sync trigger and the backfill's UPDATE run them: an
  -- aggregate, a window or set-returning function, or a column qualified with a table name, "r." too, fails
  -- here, before anything is recorded)
  IF using_expr IS NOT NULL THEN
    EXECUTE pg_catalog.format('SELECT FROM (SELECT t.* FROM %s AS t) AS "~safemigrate" WHERE (%s)::%s IS NULL LIMIT 0',
                              rel, using_expr, new_type);
  END IF;
  -- one expression each (no second statement after a semicolon)
  PERFORM safemigrate._expression_columns(using_expr), safemigrate._expression_columns(reverse_expr);
  IF reverse_expr IS NOT NULL THEN
    EXECUTE pg_catalog.format('SELECT FROM (SELECT t.*, NULL::%s AS %I FROM %s AS t) AS "~safemigrate" '
                              'WHERE (%s) IS NULL LIMIT 0', new_type, new_column, rel, reverse_expr);
  END IF;
  -- The expressions read no column that another open expansion of the table renames or converts (nor does
  -- another one's read this one's): the sync triggers fire one after the other, and one would read the
  -- other's column before it is synced.
  FOR prior IN SELECT * FROM safemigrate.expansions e
                WHERE e.relid::oid = rel::oid AND e.status NOT IN ('contracted', 'aborted') LOOP
    -- (the other's expressions may be another role's: read as text, never run)
    IF EXISTS (SELECT FROM pg_catalog.unnest(safemigrate._expression_columns(coalesce(using_expr, 'NULL'))
                                             OPERATOR(pg_catalog.||)
                                             safemigrate._expression_columns(coalesce(reverse_expr, 'NULL'))) c
                WHERE c IN (prior.old_column::text, prior.new_column::text))
       OR EXISTS (SELECT FROM pg_catalog.unnest(safemigrate._expression_columns(coalesce(prior.using_expr, 'NULL'))
                                                OPERATOR(pg_catalog.||)
                                                safemigrate._expression_columns(coalesce(prior.reverse_expr, 'NULL'))) c
                   WHERE c IN (old_column::text, new_column::text)) THEN
      RAISE EXCEPTION 'expansion % of % and this one would read each other''s columns', prior.expansion_id, rel
        USING ERRCODE = 'object_in_use',
              DETAIL = pg_catalog.format('A USING expression reads a column that the other expansion renames or '
                                         'converts (%s, %s): their sync triggers would read it before it is synced.',
                                         prior.old_column, prior.new_column),
              HINT = pg_catalog.format('Contract or abort expansion %s first.', prior.expansion_id);
    END IF;
  END LOOP;
  -- What the backfill would refuse, refused now (not after the column and the trigger are there).
  IF pg_catalog.row_security_active(rel) THEN
    RAISE EXCEPTION 'row-level security of %.% applies to role "%"',
      (SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel::oid),
      (SELECT pg_catalog.quote_ident(relname) FROM pg_catalog.pg_class WHERE oid = rel::oid), current_user
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Its policies would hide rows from the backfill, which would leave them out.',
            HINT = 'Run it as the table''s owner (without FORCE ROW LEVEL SECURITY) or as a role with BYPASSRLS.';
  END IF;
  IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = rel::oid) = 'p'
     AND NOT EXISTS (SELECT FROM pg_catalog.pg_index WHERE indrelid = rel::oid AND indisprimary) THEN
    RAISE EXCEPTION 'partitioned table % has no primary key', rel
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'The backfill of a partitioned table goes by its primary key.';
  END IF;
  SELECT n.nspname INTO nsp FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = rel::oid;
  INSERT INTO safemigrate.expansions AS x (relid, table_name, kind, old_column, new_column, new_type, assign_type,
                                           using_expr, reverse_expr, settings, sync_function, sync_trigger)
  VALUES (rel, rel::text, kind, old_column, new_column, new_type,
          CASE WHEN new_type IS NOT NULL THEN
            (WITH RECURSIVE dom(oid, depth) AS (   -- through domains to the base type
               SELECT safemigrate._type_part(new_type)::regtype::oid, 0
               UNION ALL
               SELECT t.typbasetype, dom.depth + 1 FROM pg_catalog.pg_type t JOIN dom ON t.oid = dom.oid
                WHERE t.typtype = 'd')
             SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname)
               FROM dom JOIN pg_catalog.pg_type t ON t.oid = dom.oid
               JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
              ORDER BY dom.depth DESC LIMIT 1) END,
          using_expr, reverse_expr,
          CASE WHEN kind = 'alter column type'   -- a rename converts nothing
               THEN ARRAY[pg_catalog.current_setting('TimeZone'), pg_catalog.current_setting('DateStyle'),
                          pg_catalog.current_setting('IntervalStyle'), pg_catalog.current_setting('search_path')] END,
          '', '')
  RETURNING x.expansion_id INTO id;
  UPDATE safemigrate.expansions x
     SET sync_function = pg_catalog.quote_ident(nsp) || '.' || pg_catalog.quote_ident('safemigrate_sync_' || id::text),
         -- "~" sorts after letters, digits and "_": BEFORE row triggers fire in name order, and the copy must
         -- come after the table's own triggers (set_updated_at, trg_...) changed the row
         sync_trigger = '~safemigrate_sync_' || id::text
   WHERE x.expansion_id = id;
  RETURN id;
END
$fn$;
COMMENT ON FUNCTION safemigrate._expansion_for(regclass, text, name, name, text, text, text) IS
  'Internal helper of the expand procedures';

-- <column>_new, the column shortened by whole characters so that it fits in 63 bytes (as makeObjectName()).
CREATE FUNCTION safemigrate._new_column_name(col name)
RETURNS name
LANGUAGE plpgsql IMMUTABLE STRICT
AS $fn$
DECLARE
  c text := col;
BEGIN
  WHILE pg_catalog.octet_length(c) + 4 > 63 LOOP
    c := pg_catalog.left(c, -1);
  END LOOP;
  RETURN (c || '_new')::name;
END
$fn$;
COMMENT ON FUNCTION safemigrate._new_column_name(name) IS 'Internal helper of the expand procedures';

-- The options of the expand procedures, checked before anything is recorded or changed.
CREATE FUNCTION safemigrate._check_expand_options(batch_size int, max_replica_lag bigint, lock_timeout_ms int)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $fn$
BEGIN
  IF batch_size IS NULL OR batch_size < 1 OR batch_size > 10000000 THEN
    RAISE EXCEPTION 'batch_size must be between 1 and 10000000, not %', coalesce(batch_size::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF max_replica_lag < 0 THEN
    RAISE EXCEPTION 'max_replica_lag must not be negative' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF lock_timeout_ms IS NULL OR lock_timeout_ms < 0 OR lock_timeout_ms > 3600000 THEN
    RAISE EXCEPTION 'lock_timeout_ms must be between 0 and 3600000, not %', coalesce(lock_timeout_ms::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$fn$;
COMMENT ON FUNCTION safemigrate._check_expand_options(int, bigint, int) IS 'Internal helper of the expand procedures';

CREATE PROCEDURE safemigrate.expand_rename_column("table" regclass, old_column name, new_column name,
  batch_size int DEFAULT 5000, max_replica_lag bigint DEFAULT 16777216, lock_timeout_ms int DEFAULT 200,
  run_backfill boolean DEFAULT true, INOUT expansion_id int DEFAULT NULL)
LANGUAGE plpgsql
AS $fn$
BEGIN
  PERFORM safemigrate._require_own_transactions('safemigrate.expand_rename_column');
  PERFORM safemigrate._check_expand_options(batch_size, max_replica_lag, lock_timeout_ms);
  expansion_id := safemigrate._expansion_for("table", 'rename column', old_column, new_column, NULL, NULL);
  COMMIT;
  CALL safemigrate._expand_run(expansion_id, batch_size, max_replica_lag, lock_timeout_ms, run_backfill);
END
$fn$;
COMMENT ON PROCEDURE safemigrate.expand_rename_column(regclass, name, name, int, bigint, int, boolean, int) IS
  'Expand step of a column rename: adds the new column, a trigger keeping both in sync, and backfills it';

CREATE PROCEDURE safemigrate.expand_alter_column_type("table" regclass, "column" name, new_type text,
  using_expr text DEFAULT NULL, batch_size int DEFAULT 5000, max_replica_lag bigint DEFAULT 16777216,
  lock_timeout_ms int DEFAULT 200, run_backfill boolean DEFAULT true, INOUT expansion_id int DEFAULT NULL,
  reverse_using text DEFAULT NULL)
LANGUAGE plpgsql
AS $fn$
BEGIN
  PERFORM safemigrate._require_own_transactions('safemigrate.expand_alter_column_type');
  PERFORM safemigrate._check_expand_options(batch_size, max_replica_lag, lock_timeout_ms);
  IF "column" IS NULL THEN
    RAISE EXCEPTION 'the column name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  expansion_id := safemigrate._expansion_for("table", 'alter column type', "column",
                                             safemigrate._new_column_name("column"), new_type,
                                             coalesce(using_expr, pg_catalog.quote_ident("column")), reverse_using);
  COMMIT;
  CALL safemigrate._expand_run(expansion_id, batch_size, max_replica_lag, lock_timeout_ms, run_backfill);
END
$fn$;
COMMENT ON PROCEDURE safemigrate.expand_alter_column_type(regclass, name, text, text, int, bigint, int, boolean, int, text) IS
  'Expand step of a column type change: adds column_new of the new type, a trigger converting with USING (and back with reverse_using, when given), and backfills it';

-- Another open expansion of the table whose USING or reverse expression reads a column this step removes
-- (contract(): the old column; expand_abort(): the new one): its trigger would fail on every write once the
-- column is gone (or, in a session that has its plan, read NULL).  Each expression is parsed against the
-- columns the table will have.
-- The columns a single expression reads, from its text alone (nothing is run or looked up): what another
-- role's expression reads is found without running it.  42601 when the text is not one expression.
CREATE FUNCTION safemigrate._expression_columns(expr text)
RETURNS text[]
LANGUAGE C IMMUTABLE STRICT
AS 'MODULE_PATHNAME', 'safemigrate_expression_columns';
COMMENT ON FUNCTION safemigrate._expression_columns(text) IS 'Internal helper of the expand procedures';

CREATE FUNCTION safemigrate._require_unread(e safemigrate.expansions, removed name, what text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
  other safemigrate.expansions;
  gone text;
BEGIN
  -- the name that goes: a type change's contract renames the new column to the old name, which stays
  gone := CASE WHEN removed = e.old_column AND e.kind <> 'rename column' THEN e.new_column ELSE removed END;
  -- (the other expressions may be another role's: read as text, never run)
  FOR other IN SELECT * FROM safemigrate.expansions x
                WHERE x.relid::oid = e.relid::oid AND x.expansion_id <> e.expansion_id
                  AND x.status NOT IN ('contracted', 'aborted') AND x.using_expr IS NOT NULL LOOP
    IF gone = ANY (safemigrate._expression_columns(other.using_expr))
       OR gone = ANY (safemigrate._expression_columns(coalesce(other.reverse_expr, 'NULL'))) THEN
      RAISE EXCEPTION 'expansion %: expansion % of % still reads column "%"', e.expansion_id, other.expansion_id,
        e.table_name, gone
        USING ERRCODE = 'dependent_objects_still_exist',
              DETAIL = pg_catalog.format('Its USING expression: %s%s', other.using_expr,
                                         CASE WHEN other.reverse_expr IS NULL THEN ''
                                              ELSE ', reverse: ' || other.reverse_expr END),
              HINT = pg_catalog.format('Contract or abort expansion %s first, then %s.', other.expansion_id, what);
    END IF;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION safemigrate._require_unread(safemigrate.expansions, name, text) IS 'Internal helper of the expand procedures';

-- The sync trigger is there and fires for every write (enabled ALWAYS): the rows contract() found in sync
-- stay so until it drops the trigger.
CREATE FUNCTION safemigrate._require_sync_trigger(e safemigrate.expansions)
RETURNS void
LANGUAGE plpgsql STABLE
AS $fn$
DECLARE
  t name;
  member regclass;
BEGIN
  FOREACH t IN ARRAY pg_catalog.array_remove(ARRAY[e.sync_trigger, safemigrate._expansion_write_trigger(e)], NULL) LOOP
    -- the table's, and for a partitioned table each partition's clone (it can be disabled on its own)
    SELECT r.relid::regclass INTO member
      FROM (SELECT e.relid::oid AS relid UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(e.relid) p) r
     WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_trigger g
                        WHERE g.tgrelid = r.relid AND g.tgname = t AND g.tgenabled = 'A'
                          AND g.tgfoid = pg_catalog.to_regprocedure(e.sync_function || '()')::oid)
     ORDER BY r.relid::regclass::text LIMIT 1;
    IF member IS NOT NULL THEN
      RAISE EXCEPTION 'expansion %: the sync trigger "%" of % is missing or not enabled ALWAYS', e.expansion_id,
        t, member
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Writes made without it leave the two columns apart.',
              HINT = pg_catalog.format('Run the expand procedure again (%s): it creates the expansion''s '
                                       'triggers or enables them ALWAYS again; then contract, which checks every row.',
                                       safemigrate._expand_call(e));
    END IF;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION safemigrate._require_sync_trigger(safemigrate.expansions) IS 'Internal helper of the expand procedures';

CREATE PROCEDURE safemigrate.contract(expansion_id int, new_default text DEFAULT NULL)
LANGUAGE plpgsql
AS $fn$
DECLARE
  e safemigrate.expansions;
  j safemigrate.backfill_jobs;
  def text;
  oldatt pg_catalog.pg_attribute;
  newatt pg_catalog.pg_attribute;
  carried text[];
  seq regclass;
  apart bigint;
  newdef boolean;
BEGIN
  PERFORM safemigrate._require_own_transactions('safemigrate.contract');
  IF expansion_id IS NULL THEN
    RAISE EXCEPTION 'expansion_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- one expression (no second statement after a semicolon)
  PERFORM safemigrate._expression_columns(new_default);
  SELECT * INTO e FROM safemigrate.expansions x WHERE x.expansion_id = contract.expansion_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'expansion % does not exist', expansion_id USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM safemigrate._require_owner(e.owner, pg_catalog.format('expansion %s', expansion_id));
  IF e.status = 'contracted' THEN
    RAISE NOTICE 'expansion % is already contracted', expansion_id;
    RETURN;
  ELSIF e.status = 'aborted' THEN
    RAISE EXCEPTION 'expansion % was aborted', expansion_id USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_class WHERE oid = e.relid::oid) THEN
    RAISE EXCEPTION 'the table of expansion % (%) no longer exists', expansion_id, e.table_name
      USING ERRCODE = 'undefined_table',
            HINT = pg_catalog.format('Mark it aborted with CALL safemigrate.expand_abort(%s).', expansion_id);
  END IF;
  SELECT * INTO j FROM safemigrate.backfill_jobs b WHERE b.job_id = e.job_id;
  IF j.status IS DISTINCT FROM 'done' THEN
    RAISE EXCEPTION 'expansion %: the backfill of % is not complete', expansion_id, e.table_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = CASE WHEN j.job_id IS NULL THEN 'No backfill job was created yet.'
                          ELSE pg_catalog.format('Backfill job %s is %s after %s rows.', j.job_id, j.status, j.rows_done) END,
            HINT = pg_catalog.format('Finish it with %s (the expand procedure again), then contract.',
                                     safemigrate._expand_call(e));
  END IF;
  PERFORM safemigrate._require_no_new_default(e);
  -- Every row in sync, checked before the old column goes (its own transaction, without the table's lock):
  -- a row the backfill skipped (a trigger of the table that returned NULL) or a write made while the sync
  -- trigger was off holds its only copy in the old column.  Writes after the check fire the sync trigger,
  -- checked enabled here and again where it is dropped.
  PERFORM safemigrate._require_sync_trigger(e);
  IF pg_catalog.row_security_active(e.relid) THEN
    RAISE EXCEPTION 'row-level security of % applies to role "%"', e.table_name, current_user
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Its policies would hide rows from the check that every row is in sync.',
            HINT = 'Run it as the table''s owner (without FORCE ROW LEVEL SECURITY) or as a role with BYPASSRLS.';
  END IF;
  PERFORM safemigrate._expansion_settings(e.settings, true);
  EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s WHERE NOT %s', e.relid::regclass, safemigrate._expansion_in_sync(e))
     INTO apart;
  IF apart > 0 THEN
    RAISE EXCEPTION 'expansion %: % rows of % have column "%" out of sync with column "%"', expansion_id, apart,
      e.table_name, e.new_column, e.old_column
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The backfill did not update them (a trigger of the table skipped them), or they were written '
                     'while the sync trigger was off; dropping the old column would lose their value.',
            HINT = pg_catalog.format('Update them with %sCALL safemigrate.backfill(%L, %L, %L) (a trigger that '
                                     'skips rows must let it through), then contract.',
                                     -- the conversion runs under the expand call's settings, as contract checks it
                                     CASE WHEN e.settings IS NOT NULL
                                          THEN pg_catalog.format('SET TimeZone = %L; SET DateStyle = %L; '
                                                                 'SET IntervalStyle = %L; %s', e.settings[1],
                                                                 e.settings[2], e.settings[3],
                                                                 CASE WHEN e.settings[4] IS NOT NULL
                                                                      THEN pg_catalog.format('SET search_path = %s; ',
                                                                                             e.settings[4]) END)
                                          ELSE '' END,
                                     e.relid::regclass::text,
                                     CASE WHEN e.kind = 'rename column' THEN pg_catalog.format('%I = %I', e.new_column, e.old_column)
                                          ELSE pg_catalog.format('%I = (%s)::%s', e.new_column, e.using_expr,
                                                                 coalesce(e.assign_type, e.new_type)) END,
                                     'NOT ' || safemigrate._expansion_in_sync(e));
  END IF;
  COMMIT;
  -- One short transaction: the trigger goes, then the old shape.
  e := safemigrate._expansion_locked(expansion_id);
  PERFORM safemigrate._require_sync_trigger(e);
  PERFORM safemigrate._require_no_new_default(e);
  PERFORM safemigrate._expansion_settings(e.settings, true);
  -- What the old column carries that dropping it would lose, and the new column does not have: refused,
  -- listed, on the table and (by column name) on each of its partitions.  Its default and the sequence it
  -- owns (serial) move to the new column below (a default set on the partitioned table reaches the partitions).
  SELECT * INTO oldatt FROM pg_catalog.pg_attribute WHERE attrelid = e.relid::oid AND attname = e.old_column;
  SELECT * INTO newatt FROM pg_catalog.pg_attribute WHERE attrelid = e.relid::oid AND attname = e.new_column;
  SELECT coalesce(pg_catalog.array_agg(DISTINCT x), '{}') INTO carried FROM (
    SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS x
      FROM (SELECT e.relid::oid AS relid UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(e.relid) p) r
      JOIN pg_catalog.pg_attribute oa ON oa.attrelid = r.relid AND oa.attname = e.old_column AND NOT oa.attisdropped
      JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_class'::regclass::oid AND d.refobjid = r.relid
                                 AND d.refobjsubid = oa.attnum
     WHERE d.deptype IN ('a', 'n')
       -- the expansion's own guard trigger goes with it
       AND NOT (d.classid = 'pg_catalog.pg_trigger'::regclass::oid
                AND (SELECT g.tgname FROM pg_catalog.pg_trigger g WHERE g.oid = d.objid)
                    = safemigrate._expansion_guard_trigger(e))
       -- its own default moves below; a generated column's expression that uses it does not
       AND NOT (d.classid = 'pg_catalog.pg_attrdef'::regclass::oid
                AND (SELECT ad.adnum FROM pg_catalog.pg_attrdef ad WHERE ad.oid = d.objid) = oa.attnum)
       AND NOT (d.classid = 'pg_catalog.pg_class'::regclass::oid
                AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = d.objid) = 'S')
       -- a partition's index or constraint that the partitioned table's own stands for is listed as that one
       AND NOT (r.relid <> e.relid::oid AND d.classid = 'pg_catalog.pg_class'::regclass::oid
                AND (SELECT relispartition FROM pg_catalog.pg_class WHERE oid = d.objid))
       AND NOT (r.relid <> e.relid::oid AND d.classid = 'pg_catalog.pg_constraint'::regclass::oid
                AND (SELECT NOT conislocal FROM pg_catalog.pg_constraint WHERE oid = d.objid))
    UNION ALL
    SELECT 'NOT NULL' || CASE WHEN r.relid = e.relid::oid THEN '' ELSE ' on ' || r.relid::regclass::text END
      FROM (SELECT e.relid::oid AS relid UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(e.relid) p) r
      JOIN pg_catalog.pg_attribute oa ON oa.attrelid = r.relid AND oa.attname = e.old_column AND NOT oa.attisdropped
      LEFT JOIN pg_catalog.pg_attribute na ON na.attrelid = r.relid AND na.attname = e.new_column AND NOT na.attisdropped
     WHERE oa.attnotnull AND NOT coalesce(na.attnotnull, false) AND (r.relid = e.relid::oid OR NOT oldatt.attnotnull)
    UNION ALL
    SELECT 'column privileges (GRANT ... (' || pg_catalog.quote_ident(e.old_column) || '))'
           || CASE WHEN r.relid = e.relid::oid THEN '' ELSE ' on ' || r.relid::regclass::text END
      FROM (SELECT e.relid::oid AS relid UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(e.relid) p) r
      JOIN pg_catalog.pg_attribute oa ON oa.attrelid = r.relid AND oa.attname = e.old_column AND NOT oa.attisdropped
     WHERE oa.attacl IS NOT NULL) c;
  IF pg_catalog.cardinality(carried) > 0 THEN
    RAISE EXCEPTION 'expansion %: column "%" of % carries what dropping it would lose', expansion_id, e.old_column,
      e.table_name
      USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = 'It has: ' || pg_catalog.array_to_string(carried, '; ') || '.',
            HINT = pg_catalog.format('Give column %I the same first (CREATE [UNIQUE] INDEX CONCURRENTLY, '
                                     'safemigrate.set_not_null, ADD CONSTRAINT ... NOT VALID then VALIDATE, GRANT; '
                                     'a primary key: a unique index on %I, then ALTER TABLE ... DROP CONSTRAINT and '
                                     'ADD CONSTRAINT ... PRIMARY KEY USING INDEX in one transaction), '
                                     'drop them from %I, then contract.', e.new_column, e.new_column, e.old_column);
  END IF;
  PERFORM safemigrate._require_unread(e, e.old_column, 'contract');
  PERFORM safemigrate._drop_expansion_triggers(e);
  EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS %s()', e.sync_function);
  SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) INTO def
    FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = e.relid::oid AND d.adnum = oldatt.attnum;
  -- a default of the new column other than the expansion's DEFAULT NULL (one-way type changes only)
  newdef := coalesce((SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) !~ '^NULL::' FROM pg_catalog.pg_attrdef d
                       WHERE d.adrelid = e.relid::oid AND d.adnum = newatt.attnum), false);
  IF new_default IS NOT NULL THEN
    -- the default the caller gives (it is set in this transaction: no insert between sees the column without one)
    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT (%s)', e.relid::regclass, e.new_column,
                              new_default);
  ELSIF def IS NOT NULL AND NOT newdef AND e.kind = 'rename column' THEN
    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', e.relid::regclass, e.new_column, def);
  ELSIF def IS NULL AND newatt.atthasdef AND NOT newdef THEN
    -- the expansion's DEFAULT NULL goes: a domain's own default applies again, as it did to the old column
    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', e.relid::regclass, e.new_column);
  ELSIF def IS NOT NULL AND NOT newdef THEN
    -- A type change: the old default converted to the new type as the rows are.  Without a USING expression
    -- (the column itself) by a cast, whatever the default (nextval() of a serial too); with one, a default
    -- that calls only immutable functions (a constant) gets its value converted through it, another one
    -- (now(), nextval()) is refused.
    BEGIN
      IF e.using_expr IS NULL OR e.using_expr = pg_catalog.quote_ident(e.old_column) THEN
        EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT (%s)::%s', e.relid::regclass,
                                  e.new_column, def, e.new_type);
      -- (a constant: only constants, immutable functions and operators, and binary casts in its tree; not
      -- CURRENT_TIMESTAMP, current_user, a cast through text input such as 'today'::date, nextval())
      ELSIF (SELECT pg_catalog.bool_and(n.k[1] IN ('CONST', 'FUNCEXPR', 'OPEXPR', 'RELABELTYPE'))
               FROM pg_catalog.pg_attrdef d, pg_catalog.regexp_matches(d.adbin::text, '\{([A-Z_]+)', 'g') AS n(k)
              WHERE d.adrelid = e.relid::oid AND d.adnum = oldatt.attnum)
            AND (SELECT pg_catalog.bool_and(p.provolatile = 'i') IS NOT FALSE
               FROM pg_catalog.pg_attrdef d
               LEFT JOIN LATERAL pg_catalog.regexp_matches(d.adbin::text, ':(?:op)?funcid ([0-9]+)', 'g') AS m(f) ON true
               LEFT JOIN pg_catalog.pg_proc p ON p.oid = m.f[1]::oid
              WHERE d.adrelid = e.relid::oid AND d.adnum = oldatt.attnum) THEN
        EXECUTE pg_catalog.format('SELECT pg_catalog.quote_literal(((%s)::%s)::text) FROM (SELECT %s AS %I) AS r',
                                  e.using_expr, e.new_type, def, e.old_column) INTO def;
        EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s::%s', e.relid::regclass,
                                  e.new_column, coalesce(def, 'NULL'), e.new_type);
      ELSE
        RAISE EXCEPTION 'the default is not a constant, and a USING expression converts the column'
          USING ERRCODE = 'feature_not_supported';
      END IF;
    EXCEPTION WHEN OTHERS THEN
      -- (two-way: a default of the new column would overwrite what the old application inserts; one-way:
      -- the trigger converts every insert, and a default set on the new column stays)
      RAISE EXCEPTION 'expansion %: the default of column "%" (%) does not convert to %', expansion_id,
        e.old_column, def, e.new_type
        USING ERRCODE = 'datatype_mismatch', DETAIL = SQLERRM,
              HINT = CASE WHEN e.reverse_expr IS NULL
                          THEN pg_catalog.format('Give column %I a default of type %s first (ALTER TABLE %s ALTER COLUMN %I '
                                                 'SET DEFAULT ...), then contract.', e.new_column, e.new_type,
                                                 e.relid::regclass, e.new_column)
                          ELSE pg_catalog.format('Give contract the default of the new column: '
                                                 'CALL safemigrate.contract(%s, new_default => ''...'').', expansion_id) END;
    END;
  END IF;
  FOR seq IN SELECT d.objid::regclass FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid = d.objid
              WHERE d.classid = 'pg_catalog.pg_class'::regclass::oid AND c.relkind = 'S' AND d.deptype = 'a'
                AND d.refclassid = 'pg_catalog.pg_class'::regclass::oid AND d.refobjid = e.relid::oid
                AND d.refobjsubid = oldatt.attnum LOOP
    EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.%I', seq, e.relid::regclass, e.new_column);
  END LOOP;
  -- What else the column has: its comment, statistics target and options (n_distinct)
  IF pg_catalog.col_description(e.relid::oid, oldatt.attnum) IS NOT NULL
     AND pg_catalog.col_description(e.relid::oid, newatt.attnum) IS NULL THEN
    EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', e.relid::regclass, e.new_column,
                              pg_catalog.col_description(e.relid::oid, oldatt.attnum));
  END IF;
  IF oldatt.attstattarget >= 0 AND newatt.attstattarget < 0 THEN
    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS %s', e.relid::regclass, e.new_column,
                              oldatt.attstattarget);
  END IF;
  -- (the options the new column does not set itself; not PostgreSQL's own pg_attver)
  SELECT pg_catalog.string_agg(o, ', ') INTO def
    FROM pg_catalog.unnest(oldatt.attoptions) o
   WHERE pg_catalog.split_part(o, '=', 1) <> 'pg_attver'
     AND pg_catalog.split_part(o, '=', 1) NOT IN (SELECT pg_catalog.split_part(n, '=', 1)
                                                    FROM pg_catalog.unnest(newatt.attoptions) n);
  IF def IS NOT NULL THEN
    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET (%s)', e.relid::regclass, e.new_column, def);
  END IF;
  EXECUTE pg_catalog.format('/* safemigrate: expand-contract */ ALTER TABLE %s DROP COLUMN %I',
                            e.relid::regclass, e.old_column);
  IF e.kind <> 'rename column' THEN
    EXECUTE pg_catalog.format('/* safemigrate: expand-contract */ ALTER TABLE %s RENAME COLUMN %I TO %I',
                              e.relid::regclass, e.new_column, e.old_column);
  END IF;
  UPDATE safemigrate.expansions x SET status = 'contracted', updated_at = clock_timestamp()
   WHERE x.expansion_id = contract.expansion_id;
  IF EXISTS (SELECT FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = e.relid::oid AND a.attnum > oldatt.attnum AND a.attnum < newatt.attnum
                AND NOT a.attisdropped) THEN
    RAISE NOTICE 'expansion %: column "%" is now the last column of %: INSERT and COPY without a column list '
                 'take the values in the new order', expansion_id,
      CASE WHEN e.kind = 'rename column' THEN e.new_column ELSE e.old_column END, e.table_name;
  END IF;
  COMMIT;
END
$fn$;
COMMENT ON PROCEDURE safemigrate.contract(int, text) IS
  'Contract step of an expansion: drops the sync trigger and the old column (after a complete backfill, every row in sync)';

-- Drops the expansion's sync function: only the one it created (not one of the same name it refused).
CREATE FUNCTION safemigrate._drop_sync_function(e safemigrate.expansions)
RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.oid = pg_catalog.to_regprocedure(e.sync_function || '()')::oid
                AND p.proowner = safemigrate._current_role()::oid AND p.prosrc = safemigrate._expansion_sync_body(e)) THEN
    EXECUTE pg_catalog.format('DROP FUNCTION %s()', e.sync_function);
  END IF;
END
$fn$;
COMMENT ON FUNCTION safemigrate._drop_sync_function(safemigrate.expansions) IS 'Internal helper of the expand procedures';

CREATE PROCEDURE safemigrate.expand_abort(expansion_id int)
LANGUAGE plpgsql
AS $fn$
DECLARE
  e safemigrate.expansions;
BEGIN
  PERFORM safemigrate._require_own_transactions('safemigrate.expand_abort');
  IF expansion_id IS NULL THEN
    RAISE EXCEPTION 'expansion_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- The lock of the table's expansions (as the expand procedures' steps take it), then the row.
  PERFORM safemigrate._expansion_xact_lock(x.relid::oid)
     FROM safemigrate.expansions x WHERE x.expansion_id = expand_abort.expansion_id;
  SELECT * INTO e FROM safemigrate.expansions x WHERE x.expansion_id = expand_abort.expansion_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'expansion % does not exist', expansion_id USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM safemigrate._require_owner(e.owner, pg_catalog.format('expansion %s', expansion_id));
  IF e.status = 'aborted' THEN
    RAISE NOTICE 'expansion % is already aborted', expansion_id;
    RETURN;
  ELSIF e.status = 'contracted' THEN
    RAISE EXCEPTION 'expansion % is contracted: the old shape is gone', expansion_id
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_class WHERE oid = e.relid::oid) THEN
    RAISE NOTICE 'expansion %: its table (%) no longer exists; marked aborted', expansion_id, e.table_name;
    PERFORM safemigrate._drop_sync_function(e);
    UPDATE safemigrate.backfill_jobs b SET status = 'cancelled', request = NULL, finished_at = clock_timestamp()
     WHERE b.job_id = e.job_id AND b.status NOT IN ('done', 'cancelled');
    UPDATE safemigrate.expansions x SET status = 'aborted', updated_at = clock_timestamp()
     WHERE x.expansion_id = expand_abort.expansion_id;
    COMMIT;
    RETURN;
  END IF;
  IF e.job_id IS NOT NULL AND safemigrate._backfill_running(e.job_id) THEN
    RAISE EXCEPTION 'expansion %: its backfill job % is running', expansion_id, e.job_id
      USING ERRCODE = 'object_in_use',
            HINT = pg_catalog.format('Stop it with SELECT safemigrate.backfill_cancel(%s), then abort again.', e.job_id);
  END IF;
  -- The new column may hold the only copy of what the new application wrote: not without the old column.
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute
                  WHERE attrelid = e.relid::oid AND attname = e.old_column AND attnum > 0 AND NOT attisdropped) THEN
    RAISE EXCEPTION 'expansion %: column "%" of % no longer exists', expansion_id, e.old_column, e.table_name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = pg_catalog.format('Aborting would drop column %I, which now holds the only copy of the data.',
                                       e.new_column),
            HINT = 'Rename or recreate the old column first, or drop the sync trigger and function yourself.';
  END IF;
  PERFORM safemigrate._require_unread(e, e.new_column, 'abort');
  PERFORM safemigrate._drop_expansion_triggers(e);
  PERFORM safemigrate._drop_sync_function(e);
  IF EXISTS (SELECT FROM pg_catalog.pg_attribute
              WHERE attrelid = e.relid::oid AND attname = e.new_column AND NOT attisdropped) THEN
    EXECUTE pg_catalog.format('/* safemigrate: expand-contract */ ALTER TABLE %s DROP COLUMN %I',
                              e.relid::regclass, e.new_column);
  END IF;
  UPDATE safemigrate.backfill_jobs b SET status = 'cancelled', request = NULL, finished_at = clock_timestamp()
   WHERE b.job_id = e.job_id AND b.status NOT IN ('done', 'cancelled');
  UPDATE safemigrate.expansions x SET status = 'aborted', updated_at = clock_timestamp()
   WHERE x.expansion_id = expand_abort.expansion_id;
  COMMIT;
END
$fn$;
COMMENT ON PROCEDURE safemigrate.expand_abort(int) IS
  'Returns the table to its original shape: drops the sync trigger and the new column';

CREATE VIEW safemigrate.expansion_status WITH (security_barrier) AS
  SELECT x.expansion_id,
         safemigrate._table_now(x) AS table_name,
         x.kind, x.old_column, x.new_column, x.new_type, x.using_expr, x.status,
         x.job_id, p.status AS backfill_status, p.rows_done, p.percent, p.eta,
         CASE WHEN x.status = 'backfilling' AND x.job_id IS NULL THEN 'run the expand procedure again' ELSE
         CASE x.status
           WHEN 'expanding' THEN 'run the expand procedure again'
           WHEN 'backfilling' THEN
             CASE p.status
               WHEN 'done' THEN pg_catalog.format('switch the application, then CALL safemigrate.contract(%s)', x.expansion_id)
               WHEN 'cancelled' THEN pg_catalog.format('CALL safemigrate.expand_abort(%s)', x.expansion_id)
               ELSE safemigrate._expand_call(x)
             END
           WHEN 'expanded' THEN pg_catalog.format('switch the application, then CALL safemigrate.contract(%s)', x.expansion_id)
         END END AS next_step,
         x.created_at, x.updated_at
    FROM safemigrate.expansions x
    LEFT JOIN safemigrate.backfill_progress p ON p.job_id = x.job_id
   WHERE x.status NOT IN ('contracted', 'aborted')
     AND (x.owner = safemigrate._current_role()
          OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user));
COMMENT ON VIEW safemigrate.expansion_status IS 'Expansions in progress, with their backfill and the next step';

-- check() as a migration tool that wraps the file in one transaction (or sends it as one query string)
-- runs it: every statement inside a transaction block, where no rewrite can run.
CREATE FUNCTION safemigrate.check(migration text, single_transaction boolean)
RETURNS TABLE (stmt_no int, statement text, command text, relation text, lock_mode text,
               rewrites bool, scans bool, breaks_clients bool, category text, rule text,
               verdict text, reason text, safe_sql text)
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'safemigrate_check';
COMMENT ON FUNCTION safemigrate.check(text, boolean) IS
  'check(), with single_transaction: every statement judged inside one transaction block, as a migration tool that wraps the file in a transaction runs it';

CREATE PROCEDURE safemigrate.set_not_null("table" regclass, "column" name)
LANGUAGE plpgsql
AS $fn$
/*
 * SET NOT NULL without a long lock, each step committed and skipped when
 * already done: CHECK (col IS NOT NULL) NOT VALID (instant), VALIDATE (scans
 * under a ShareUpdateExclusiveLock), SET NOT NULL (the valid CHECK proves it:
 * no scan), DROP the CHECK.
 */
DECLARE
  base text;
  b text;
  col text;
  suffix text;
  cands name[] := '{}';
  con name;
  valid boolean;
BEGIN
  PERFORM safemigrate._require_own_transactions('safemigrate.set_not_null');
  IF "table" IS NULL OR "column" IS NULL THEN
    RAISE EXCEPTION 'the table and the column name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute
                  WHERE attrelid = "table"::oid AND attname = "column" AND attnum > 0 AND NOT attisdropped) THEN
    RAISE EXCEPTION 'column "%" of relation "%" does not exist', "column", "table" USING ERRCODE = 'undefined_column';
  END IF;
  -- Its CHECK is named table_column_not_null, or with 1, 2, ... when that name is taken; one left by an
  -- earlier run is recognised by its name and its definition (a constraint of the table that only has the
  -- name is not touched).
  -- The candidate names: table_column_not_null, then not_null1, not_null2, ...; past 63 bytes the longer of
  -- the table and column names is shortened, by whole characters (makeObjectName(), as the hook's steps do).
  base := (SELECT relname::text FROM pg_catalog.pg_class WHERE oid = "table"::oid) || '_' || "column"::text || '_not_null';
  FOR i IN 0..99 LOOP
    suffix := 'not_null' || CASE WHEN i = 0 THEN '' ELSE i::text END;
    b := (SELECT relname::text FROM pg_catalog.pg_class WHERE oid = "table"::oid);
    col := "column";
    WHILE pg_catalog.octet_length(b) + pg_catalog.octet_length(col) + pg_catalog.octet_length(suffix) + 2 > 63 LOOP
      IF pg_catalog.octet_length(b) > pg_catalog.octet_length(col) THEN
        b := pg_catalog.left(b, -1);
      ELSE
        col := pg_catalog.left(col, -1);
      END IF;
    END LOOP;
    cands := pg_catalog.array_append(cands, (b || '_' || col || '_' || suffix)::name);
  END LOOP;
  SELECT c.conname, c.convalidated INTO con, valid
    FROM pg_catalog.pg_constraint c
   WHERE c.conrelid = "table"::oid AND c.contype = 'c' AND c.conname = ANY (cands)
     AND pg_catalog.pg_get_expr(c.conbin, c.conrelid) = pg_catalog.format('(%I IS NOT NULL)', "column")
   ORDER BY pg_catalog.array_position(cands, c.conname) LIMIT 1;
  IF con IS NULL THEN
    SELECT x.n INTO con
      FROM pg_catalog.unnest(cands) WITH ORDINALITY AS x(n, i)
     WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conrelid = "table"::oid AND c.conname = x.n)
     ORDER BY x.i LIMIT 1;
    IF con IS NULL THEN
      RAISE EXCEPTION 'no free name for the CHECK constraint of %.%', "table", "column"
        USING ERRCODE = 'duplicate_object', HINT = pg_catalog.format('Drop the constraints named %s...', base);
    END IF;
  END IF;
  IF (SELECT attnotnull FROM pg_catalog.pg_attribute WHERE attrelid = "table"::oid AND attname = "column") THEN
    RAISE NOTICE 'column "%" of "%" is already NOT NULL', "column", "table";
  ELSE
    IF valid IS NULL THEN
      EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (%I IS NOT NULL) NOT VALID', "table", con, "column");
      COMMIT;
    END IF;
    IF valid IS NOT TRUE THEN
      EXECUTE pg_catalog.format('ALTER TABLE %s VALIDATE CONSTRAINT %I', "table", con);
      COMMIT;
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', "table", "column");
  END IF;
  -- con is the CHECK this procedure created or took over: the only one it drops
  IF EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conrelid = "table"::oid AND c.conname = con AND c.contype = 'c'
               AND pg_catalog.pg_get_expr(c.conbin, c.conrelid) = pg_catalog.format('(%I IS NOT NULL)', "column")) THEN
    EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', "table", con);
  END IF;
  COMMIT;
END
$fn$;
COMMENT ON PROCEDURE safemigrate.set_not_null(regclass, name) IS
  'SET NOT NULL without a long lock: CHECK NOT VALID, VALIDATE, SET NOT NULL, DROP the CHECK (each committed)';

-- pg_dump keeps the jobs and expansions (they describe the schema's state).
SELECT pg_catalog.pg_extension_config_dump('safemigrate.backfill_jobs', '');
SELECT pg_catalog.pg_extension_config_dump('safemigrate.expansions', '');
-- ... and where their ids are: restored jobs and expansions do not collide with new ones
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id')::regclass, '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('safemigrate.expansions', 'expansion_id')::regclass, '');

-- Anyone may backfill the tables they may update; each user sees and controls
-- only their own jobs and expansions (superusers all of them).
ALTER TABLE safemigrate.backfill_jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY backfill_jobs_owner ON safemigrate.backfill_jobs USING (owner = safemigrate._current_role());
ALTER TABLE safemigrate.expansions ENABLE ROW LEVEL SECURITY;
CREATE POLICY expansions_owner ON safemigrate.expansions USING (owner = safemigrate._current_role());
-- ... and whoever may alter the table (a member of its owner role) sees its expansions, to read only: contract()
-- must see another role's open expansion of the table whose trigger reads the column it drops.
CREATE POLICY expansions_table_owner ON safemigrate.expansions FOR SELECT
  USING (pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = relid::oid), 'USAGE'));
GRANT SELECT, INSERT, UPDATE ON safemigrate.backfill_jobs, safemigrate.expansions TO PUBLIC;
GRANT SELECT ON safemigrate.backfill_progress, safemigrate.expansion_status TO PUBLIC;

-- Row-level security does not bind a role with BYPASSRLS: a job's or an expansion's row is written only by
-- its owner (or a superuser), whose texts its steps run with the owner's privileges.
-- The id the table's identity sequence last gave this session (NULL: none yet).  SECURITY DEFINER: the
-- roles that create jobs have no privilege on the sequence (the column's default uses it for them); currval
-- is the session's own value whoever asks.
CREATE FUNCTION safemigrate._id_given(tab text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF tab NOT IN ('backfill_jobs', 'expansions') THEN
    RETURN NULL;
  END IF;
  RETURN pg_catalog.currval(pg_catalog.pg_get_serial_sequence('safemigrate.' || tab,
                                                              CASE tab WHEN 'backfill_jobs' THEN 'job_id'
                                                                       ELSE 'expansion_id' END));
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RETURN NULL;   -- currval: the sequence gave this session nothing yet
END
$fn$;
COMMENT ON FUNCTION safemigrate._id_given(text) IS 'Internal: the id a new job or expansion row must have';

CREATE FUNCTION safemigrate._owner_rows_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  idcol text := CASE TG_TABLE_NAME WHEN 'backfill_jobs' THEN 'job_id' ELSE 'expansion_id' END;
  given bigint;
BEGIN
  IF coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user), false) THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF (TG_OP <> 'INSERT' AND OLD.owner IS DISTINCT FROM safemigrate._current_role())
     OR (TG_OP <> 'DELETE' AND NEW.owner IS DISTINCT FROM safemigrate._current_role()) THEN
    RAISE EXCEPTION 'a row of %.% belongs to role %', TG_TABLE_SCHEMA, TG_TABLE_NAME,
      CASE WHEN TG_OP = 'INSERT' THEN NEW.owner ELSE OLD.owner END
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Only its owner (or a superuser) may write it: its statements run with the owner''s privileges.';
  END IF;
  -- A new row's id is the one its sequence just gave this session (no OVERRIDING SYSTEM VALUE, no id changed
  -- later): ids taken ahead by another role would make every later job or expansion fail on the key.
  IF TG_OP = 'INSERT' THEN
    given := safemigrate._id_given(TG_TABLE_NAME);
  END IF;
  IF (TG_OP = 'INSERT' AND given IS DISTINCT FROM (pg_catalog.to_jsonb(NEW) ->> idcol)::bigint)
     OR (TG_OP = 'UPDATE' AND (pg_catalog.to_jsonb(NEW) ->> idcol) IS DISTINCT FROM (pg_catalog.to_jsonb(OLD) ->> idcol)) THEN
    RAISE EXCEPTION 'the % of a row of %.% is taken from its sequence', idcol, TG_TABLE_SCHEMA, TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Ids chosen by hand could be ones the sequence gives other roles later.';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
COMMENT ON FUNCTION safemigrate._owner_rows_only() IS 'Internal: jobs and expansions are written by their owners only';
CREATE TRIGGER owner_rows_only BEFORE INSERT OR UPDATE OR DELETE ON safemigrate.backfill_jobs
  FOR EACH ROW EXECUTE FUNCTION safemigrate._owner_rows_only();
CREATE TRIGGER owner_rows_only BEFORE INSERT OR UPDATE OR DELETE ON safemigrate.expansions
  FOR EACH ROW EXECUTE FUNCTION safemigrate._owner_rows_only();

-------------------------------------------------------------------------------
-- Fixes
-------------------------------------------------------------------------------

-- The rule catalogue is constant data: parallel safe, as an immutable function
-- should be (PostgreSQL's own opr_sanity test lists immutable functions that
-- are parallel unsafe, and found this one).
ALTER FUNCTION safemigrate.rule_catalogue() PARALLEL SAFE;

-- rehearse(): lock_wait of less than 1 ms is 1 ms (0 would mean no limit), NULL is an error, a SET
-- lock_timeout in the script does not lift it; a table the statement drops is listed with its lock.
-- rehearse() runs the script under the caller's search_path, its own code under pg_catalog, pg_temp: an
-- operator or function a user put in a schema of the caller's path (public) cannot stand in for a built-in
-- one in it and run with the caller's rights.
CREATE FUNCTION safemigrate._rehearse(migration text, lock_wait interval, caller_path text)
RETURNS TABLE (stmt_no int, statement text, duration_ms numeric, relation text, lock_mode text,
               rewritten boolean, error text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
/*
 * Runs the migration for real inside a transaction that is always rolled
 * back, and reports per statement its duration and, for every table it
 * touched, the strongest lock this backend holds on it afterwards (pg_locks)
 * and whether it was really rewritten (pg_class.relfilenode changed).  A
 * table is listed when the statement newly locked it or strengthened its
 * lock, rewrote it, or check() names it.  Locks taken by earlier statements
 * of the same rehearsal are still held, as they would be in one migration
 * transaction.  Meant for a promoted replica or a staging clone.
 */
DECLARE
  modes constant text[] := ARRAY['AccessShareLock', 'RowShareLock', 'RowExclusiveLock',
    'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock',
    'AccessExclusiveLock'];
  s record;
  r record;
  results jsonb := '[]';
  before jsonb;
  after jsonb;
  named oid[];
  t0 timestamptz;
  ms numeric;
  err text;
  emitted boolean;
  others int;
  lt text;
BEGIN
  IF lock_wait IS NULL THEN
    RAISE EXCEPTION 'lock_wait must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- lock_timeout in whole milliseconds: at least 1 (0 would mean no limit), at most its maximum
  lt := greatest(1, least(ceil(extract(epoch FROM lock_wait) * 1000), 2147483647))::bigint::text;
  SELECT count(*) INTO others FROM pg_stat_activity
   WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database();
  IF others > 0 THEN
    RAISE NOTICE 'rehearsing with % other session(s) connected: every lock wait gives up after %',
      others, lock_wait
      USING HINT = 'Rehearse on a promoted replica or a staging clone for durations that match production.';
  END IF;

  BEGIN
    PERFORM set_config('lock_timeout', lt, true);
    /* A superuser rehearses what the statements do, not what the policy says of them. */
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
      PERFORM set_config('safemigrate.mode', 'off', true);
    END IF;

    -- check() reads the script under the caller's path (all of it at the loop's first fetch, for the sort)
    PERFORM pg_catalog.set_config('search_path', caller_path, true);
    FOR s IN SELECT c.stmt_no, pg_catalog.min(c.statement) AS statement, pg_catalog.min(c.command) AS command,
                    pg_catalog.array_remove(pg_catalog.array_agg(c.relation), NULL::text) AS relations
               FROM safemigrate.check(migration) c GROUP BY c.stmt_no ORDER BY 1 LOOP
      PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
      IF s.command IN ('BEGIN', 'START TRANSACTION', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE') THEN
        results := results || jsonb_build_object('stmt_no', s.stmt_no, 'statement', s.statement,
                     'error', 'transaction control is skipped: the rehearsal is one transaction');
        CONTINUE;
      END IF;
      SELECT coalesce(jsonb_object_agg(t.oid::text, t.v), '{}') INTO before FROM safemigrate._rehearse_state(modes) t;
      PERFORM pg_catalog.set_config('search_path', caller_path, true);
      SELECT pg_catalog.array_agg(pg_catalog.to_regclass(x)::oid) INTO named FROM pg_catalog.unnest(s.relations) x;
      PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
      err := NULL;
      -- a SET lock_timeout earlier in the script does not lift the rehearsal's limit
      PERFORM set_config('lock_timeout', lt, true);
      t0 := clock_timestamp();
      PERFORM pg_catalog.set_config('search_path', caller_path, true);
      BEGIN
        EXECUTE s.statement;
        -- (a SET search_path of the script holds for the statements after it)
        caller_path := pg_catalog.current_setting('search_path');
      EXCEPTION WHEN OTHERS THEN
        err := SQLERRM || ' (SQLSTATE ' || SQLSTATE || ')';
      END;
      PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
      ms := round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 3);
      SELECT coalesce(jsonb_object_agg(t.oid::text, t.v), '{}') INTO after FROM safemigrate._rehearse_state(modes) t;

      emitted := false;
      FOR r IN
        SELECT a.value ->> 'name' AS name, (a.value ->> 'lock')::int AS lock,
               (before ? a.key AND before -> a.key -> 'file' <> a.value -> 'file') AS rewritten
          FROM jsonb_each(after) a
         WHERE (a.value ->> 'lock')::int > coalesce((before -> a.key ->> 'lock')::int, 0)
            OR (before ? a.key AND before -> a.key -> 'file' <> a.value -> 'file')
            OR a.key::oid = ANY (named)
        UNION ALL
        -- dropped by the statement: gone from pg_class, its lock still in pg_locks
        SELECT b.value ->> 'name',
               (SELECT coalesce(max(array_position(modes, l.mode::text)), 0) FROM pg_catalog.pg_locks l
                 WHERE l.relation = b.key::oid AND l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation'
                   AND l.granted),
               NULL
          FROM jsonb_each(before) b
         WHERE NOT after ? b.key
         ORDER BY 1
      LOOP
        results := results || jsonb_build_object('stmt_no', s.stmt_no, 'statement', s.statement,
                     'duration_ms', ms, 'relation', r.name, 'lock_mode', modes[r.lock],
                     'rewritten', r.rewritten, 'error', err);
        emitted := true;
      END LOOP;
      IF NOT emitted THEN
        results := results || jsonb_build_object('stmt_no', s.stmt_no, 'statement', s.statement,
                     'duration_ms', ms, 'error', err);
      END IF;
    END LOOP;
    RAISE EXCEPTION USING ERRCODE = 'SMRHS', MESSAGE = 'rehearsal rolled back';
  EXCEPTION WHEN SQLSTATE 'SMRHS' THEN
    NULL;  /* everything the migration did is gone */
  END;

  RETURN QUERY
    SELECT x.stmt_no, x.statement, x.duration_ms, x.relation, x.lock_mode, x.rewritten, x.error
      FROM jsonb_to_recordset(results) AS x(stmt_no int, statement text, duration_ms numeric,
                                             relation text, lock_mode text, rewritten boolean,
                                             error text);
END
$fn$;
COMMENT ON FUNCTION safemigrate._rehearse(text, interval, text) IS 'Internal helper of safemigrate.rehearse()';

CREATE OR REPLACE FUNCTION safemigrate.rehearse(migration text, lock_wait interval DEFAULT '1s')
RETURNS TABLE (stmt_no int, statement text, duration_ms numeric, relation text, lock_mode text,
               rewritten boolean, error text)
LANGUAGE sql VOLATILE
AS $fn$
  SELECT * FROM safemigrate._rehearse(migration, lock_wait, pg_catalog.current_setting('search_path'))
$fn$;

-- blockers() names prepared transactions too (their locks belong to no session).
CREATE OR REPLACE FUNCTION safemigrate.blockers(relation regclass, mode text DEFAULT 'AccessExclusiveLock')
RETURNS TABLE (pid int, usename name, application_name text, state text, xact_age interval,
               query_start timestamptz, query text, held_mode text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
/*
 * The sessions that would block a lock of this mode on the relation right
 * now: they hold a conflicting lock (lock.c LockConflicts[]) on it or on one
 * of its partitions or inheritance children (DDL on a table locks them too).
 * A migration runner can wait until this is empty.  Read afresh at each
 * call, also within one transaction.
 */
DECLARE
  modes constant text[] := ARRAY['AccessShareLock', 'RowShareLock', 'RowExclusiveLock',
    'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock',
    'AccessExclusiveLock'];
  conflicts constant int[] := ARRAY[  -- bit i-1 set: conflicts with modes[i]
    128, 192, 240, 248, 236, 252, 254, 255];
  m int := array_position(modes, mode);
  rels oid[];
BEGIN
  IF relation IS NULL OR mode IS NULL THEN
    RAISE EXCEPTION 'relation and mode must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF m IS NULL THEN
    RAISE EXCEPTION 'unknown lock mode "%"', mode
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use a name as in pg_locks.mode, e.g. AccessExclusiveLock or ShareLock.';
  END IF;
  PERFORM pg_stat_clear_snapshot();
  WITH RECURSIVE tree(oid) AS (
    SELECT relation::oid
    UNION
    SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.oid)
  SELECT array_agg(tree.oid) INTO rels FROM tree;
  RETURN QUERY
    SELECT b.pid, b.usename, b.application_name, b.state, b.xact_age, b.query_start, b.query, b.held_mode
      FROM (
        SELECT l.pid, a.usename, a.application_name, a.state, clock_timestamp() - a.xact_start AS xact_age,
               a.query_start, a.query, l.mode AS held_mode
          FROM pg_locks l
          LEFT JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'relation' AND l.relation = ANY (rels) AND l.granted AND l.pid IS NOT NULL
           AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
           AND l.pid <> pg_backend_pid()
           AND (conflicts[m] >> (array_position(modes, l.mode::text) - 1)) & 1 = 1
        UNION ALL
        -- prepared transactions: their locks belong to no session (pid NULL); named by their gid
        SELECT NULL::int, p.owner, 'prepared transaction ' || quote_literal(p.gid), 'prepared',
               clock_timestamp() - p.prepared, p.prepared, NULL::text, l.mode
          FROM pg_locks l
          JOIN pg_locks x ON x.virtualtransaction = l.virtualtransaction
                         AND x.locktype = 'transactionid' AND x.pid IS NULL
          JOIN pg_prepared_xacts p ON p.transaction = x.transactionid
         WHERE l.pid IS NULL AND l.locktype = 'relation' AND l.relation = ANY (rels) AND l.granted
           AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
           AND (conflicts[m] >> (array_position(modes, l.mode::text) - 1)) & 1 = 1
      ) b
     ORDER BY b.xact_age DESC NULLS LAST, b.pid;
END
$fn$;

-- The helpers' own queries under pg_catalog, pg_temp (blockers() and _rehearse() have it in their definition).
ALTER FUNCTION safemigrate._rehearse_state(text[]) SET search_path = pg_catalog, pg_temp;
