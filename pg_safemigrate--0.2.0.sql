/* pg_safemigrate--0.2.0.sql: install script of pg_safemigrate 0.2.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_safemigrate" to load this file. \quit

-- The extension owns its schema: no IF NOT EXISTS, and no "schema" key in the
-- control file, so that the schema is certainly ours.
CREATE SCHEMA safemigrate;
COMMENT ON SCHEMA safemigrate IS 'pg_safemigrate: lock-safe schema migration policy';

CREATE FUNCTION safemigrate.assert_preloaded()
RETURNS void
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'safemigrate_assert_preloaded';
COMMENT ON FUNCTION safemigrate.assert_preloaded() IS
  'Raises an error unless pg_safemigrate was loaded through shared_preload_libraries';

-- The policy must be active in every session: refuse to install otherwise.
SELECT safemigrate.assert_preloaded();

CREATE FUNCTION safemigrate.check(migration text)
RETURNS TABLE (stmt_no int, statement text, command text, relation text, lock_mode text,
               rewrites bool, scans bool, breaks_clients bool, category text, rule text,
               verdict text, reason text, safe_sql text)
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'safemigrate_check';
COMMENT ON FUNCTION safemigrate.check(text) IS
  'Classifies a migration script without executing it: one row per statement and relation it locks';

CREATE FUNCTION safemigrate.check_header(migration text)
RETURNS text
LANGUAGE sql STRICT VOLATILE
AS $$
  SELECT '-- safemigrate: ' ||
         CASE max(CASE category WHEN 'expand-contract' THEN 2 WHEN 'concurrent' THEN 1 ELSE 0 END)
              WHEN 2 THEN 'expand-contract' WHEN 1 THEN 'concurrent' ELSE 'instant-safe' END
    FROM safemigrate.check($1)
$$;
COMMENT ON FUNCTION safemigrate.check_header(text) IS
  'The migration''s overall category (the strongest of its statements) as a header comment';

CREATE FUNCTION safemigrate.rule_catalogue()
RETURNS TABLE (rule text, sqlstate text, category text, default_action text, description text)
LANGUAGE C STRICT IMMUTABLE
AS 'MODULE_PATHNAME', 'safemigrate_rule_catalogue';
COMMENT ON FUNCTION safemigrate.rule_catalogue() IS 'Every rule of pg_safemigrate';

CREATE VIEW safemigrate.rules AS SELECT * FROM safemigrate.rule_catalogue();
COMMENT ON VIEW safemigrate.rules IS
  'Every rule id with its SQLSTATE, category, default action (in enforce mode) and description';

CREATE FUNCTION safemigrate.rehearse(migration text, lock_wait interval DEFAULT '1s')
RETURNS TABLE (stmt_no int, statement text, duration_ms numeric, relation text, lock_mode text,
               rewritten boolean, error text)
LANGUAGE plpgsql VOLATILE
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
BEGIN
  SELECT count(*) INTO others FROM pg_stat_activity
   WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database();
  IF others > 0 THEN
    RAISE NOTICE 'rehearsing with % other session(s) connected: every lock wait gives up after %',
      others, lock_wait
      USING HINT = 'Rehearse on a promoted replica or a staging clone for durations that match production.';
  END IF;

  BEGIN
    PERFORM set_config('lock_timeout', (extract(epoch FROM lock_wait) * 1000)::bigint::text, true);
    /* A superuser rehearses what the statements do, not what the policy says of them. */
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
      PERFORM set_config('safemigrate.mode', 'off', true);
    END IF;

    FOR s IN SELECT c.stmt_no, min(c.statement) AS statement, min(c.command) AS command,
                    array_remove(array_agg(c.relation), NULL) AS relations
               FROM safemigrate.check(migration) c GROUP BY c.stmt_no ORDER BY 1 LOOP
      IF s.command IN ('BEGIN', 'START TRANSACTION', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE') THEN
        results := results || jsonb_build_object('stmt_no', s.stmt_no, 'statement', s.statement,
                     'error', 'transaction control is skipped: the rehearsal is one transaction');
        CONTINUE;
      END IF;
      SELECT coalesce(jsonb_object_agg(t.oid::text, t.v), '{}') INTO before FROM safemigrate._rehearse_state(modes) t;
      SELECT array_agg(pg_catalog.to_regclass(x)::oid) INTO named FROM unnest(s.relations) x;
      err := NULL;
      t0 := clock_timestamp();
      BEGIN
        EXECUTE s.statement;
      EXCEPTION WHEN OTHERS THEN
        err := SQLERRM || ' (SQLSTATE ' || SQLSTATE || ')';
      END;
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
COMMENT ON FUNCTION safemigrate.rehearse(text, interval) IS
  'Runs a migration in a transaction that is always rolled back; reports durations, locks taken and real rewrites';

CREATE FUNCTION safemigrate._rehearse_state(modes text[], OUT oid oid, OUT v jsonb)
RETURNS SETOF record
LANGUAGE sql STABLE
AS $fn$
  /* Every user table and materialized view: name, relfilenode, strongest lock this backend holds. */
  SELECT c.oid,
         jsonb_build_object('name', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
                            'file', c.relfilenode,
                            'lock', coalesce(max(array_position(modes, l.mode::text)), 0))
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_catalog.pg_locks l
      ON l.relation = c.oid AND l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation'
     AND l.granted AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                                      WHERE d.datname = pg_catalog.current_database())
   WHERE c.relkind IN ('r', 'm', 'p')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   GROUP BY c.oid, n.nspname
$fn$;
COMMENT ON FUNCTION safemigrate._rehearse_state(text[]) IS 'Internal helper of safemigrate.rehearse()';

CREATE FUNCTION safemigrate.blockers(relation regclass, mode text DEFAULT 'AccessExclusiveLock')
RETURNS TABLE (pid int, usename name, application_name text, state text, xact_age interval,
               query_start timestamptz, query text, held_mode text)
LANGUAGE plpgsql STABLE STRICT
AS $fn$
/*
 * The sessions that would block a lock of this mode on the relation right
 * now: they hold a conflicting lock (lock.c LockConflicts[]).  A migration
 * runner can wait until this is empty.
 */
DECLARE
  modes constant text[] := ARRAY['AccessShareLock', 'RowShareLock', 'RowExclusiveLock',
    'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock',
    'AccessExclusiveLock'];
  conflicts constant int[] := ARRAY[  -- bit i-1 set: conflicts with modes[i]
    128, 192, 240, 248, 236, 252, 254, 255];
  m int := array_position(modes, mode);
BEGIN
  IF m IS NULL THEN
    RAISE EXCEPTION 'unknown lock mode "%"', mode
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use a name as in pg_locks.mode, e.g. AccessExclusiveLock or ShareLock.';
  END IF;
  RETURN QUERY
    SELECT a.pid, a.usename, a.application_name, a.state, clock_timestamp() - a.xact_start, a.query_start,
           a.query, l.mode
      FROM pg_catalog.pg_locks l
      JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'relation' AND l.relation = blockers.relation AND l.granted
       AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
       AND l.pid <> pg_catalog.pg_backend_pid()
       AND (conflicts[m] >> (array_position(modes, l.mode::text) - 1)) & 1 = 1
     ORDER BY a.xact_start NULLS LAST, a.pid;
END
$fn$;
COMMENT ON FUNCTION safemigrate.blockers(regclass, text) IS
  'Sessions holding a lock that conflicts with the given mode on the relation, right now';

-- Members of this role may override a rule for one statement with
-- /* safemigrate:allow rule-id */.  Roles are cluster-wide: create it once.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'safemigrate_override') THEN
    CREATE ROLE safemigrate_override NOLOGIN;
  END IF;
END
$$;
COMMENT ON ROLE safemigrate_override IS
  'pg_safemigrate: members may override a rule for one statement with /* safemigrate:allow rule-id */';

GRANT USAGE ON SCHEMA safemigrate TO PUBLIC;
GRANT SELECT ON safemigrate.rules TO PUBLIC;
