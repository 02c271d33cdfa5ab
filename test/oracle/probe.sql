-- test/oracle/probe.sql: empirical check of documented.sql (optional; needs contrib's dblink).
--
-- The statements of documented.sql cannot run in a transaction block, so observe.sql cannot watch
-- them. This script runs each of them for real, several times per (statement, relation) row, each
-- time in a fresh scratch database copied from the template database oracle_probe_tpl (setup.sql
-- loaded, nothing else):
--
--   connection "pa" (dblink): BEGIN; takes a lock of mode H on <relation>;
--   connection "pb" (dblink): sends the statement (top level, autocommit, as a client would);
--   this session polls pg_locks until pb waits for a lock on <relation>, or waits for something
--   else (then the run is inconclusive), or finishes; then pa commits, pb completes, and the
--   relfilenodes before/after are compared.
--
-- "Ladder": H goes AccessShare, RowShare, RowExclusive, ShareUpdateExclusive, Exclusive,
-- AccessExclusive. A hold of AccessShare only conflicts with AccessExclusive, so pb waits iff the
-- statement asks for AccessExclusive on <relation> at some point; RowShare adds Exclusive, and so
-- on: the first rung at which pb waits gives the STRONGEST mode the statement requests on the
-- relation (the mode it waits for). No wait on any rung: it takes no lock there. A run in which pb
-- waits for something else (e.g. a virtualxid in WaitForLockers, which waits out pa itself) says
-- nothing about that rung. Materialized views cannot be LOCKed: AccessShare is held by an open cursor,
-- ShareUpdateExclusive by ALTER MATERIALIZED VIEW ... SET (fillfactor = 100), AccessExclusive by a
-- no-op OWNER TO CURRENT_USER; the other rungs are skipped.
--
-- Results go to oracle.probed. Polling pg_locks is bounded by a 20 s timeout per run; this is a
-- measurement tool, not a test of timing. Run by run.sh in the main database after documented.sql:
--     createdb oracle_probe_tpl && psql -d oracle_probe_tpl -f setup.sql
--     psql -d <main> -f probe.sql

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS dblink SCHEMA oracle;

DROP TABLE IF EXISTS oracle.probed;
CREATE TABLE oracle.probed (
	id             int NOT NULL,
	relation       text NOT NULL,
	strongest      text,         -- strongest mode the statement requested on relation (ladder); NULL: none
	ladder         text,         -- hold mode -> outcome, per run
	rewritten      bool,         -- relfilenode of relation changed (committed), last run
	index_changes  text,         -- indexes of the schema whose relfilenode changed / created / dropped
	status         text,         -- command tag, or the error, last run
	PRIMARY KEY (id, relation)
);

-- one run: hold p_hold on p_rel in "pa", run the statement in "pb"
CREATE OR REPLACE FUNCTION oracle.probe_run(p_id int, p_rel text, p_hold text,
	OUT waited text, OUT other text, OUT rewritten bool, OUT index_changes text, OUT status text)
LANGUAGE plpgsql AS $fn$
DECLARE
	v_conn   text := format('host=%s port=%s user=%s',
	                        split_part(current_setting('unix_socket_directories'), ',', 1),
	                        current_setting('port'), current_user);
	v_snap   text := $q$SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relkind::text, c.relfilenode
	                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	                    WHERE n.nspname = 'oracle' AND c.relkind IN ('r', 'p', 'm', 'i', 'I')$q$;
	v_stmt   text;
	v_db     oid;
	v_oid    oid;
	v_kind   text;
	v_pid    int;
	v_hold   text;
	v_busy   int;
	v_t0     timestamptz;
BEGIN
	SELECT stmt INTO STRICT v_stmt FROM oracle.documented WHERE id = p_id AND relation = p_rel;

	PERFORM oracle.dblink_exec(v_conn || ' dbname=postgres', 'DROP DATABASE IF EXISTS oracle_probe');
	PERFORM oracle.dblink_exec(v_conn || ' dbname=postgres', 'CREATE DATABASE oracle_probe TEMPLATE oracle_probe_tpl');
	SELECT oid INTO v_db FROM pg_database WHERE datname = 'oracle_probe';
	PERFORM oracle.dblink_connect('pa', v_conn || ' dbname=oracle_probe');
	PERFORM oracle.dblink_connect('pb', v_conn || ' dbname=oracle_probe');

	CREATE TEMP TABLE probe_before AS
		SELECT * FROM oracle.dblink('pa', v_snap) AS t(oid oid, name text, relkind text, filenode oid);
	SELECT oid, relkind INTO v_oid, v_kind FROM probe_before WHERE name = p_rel;
	SELECT pid INTO v_pid FROM oracle.dblink('pb', 'SELECT pg_backend_pid()') AS t(pid int);

	IF v_kind = 'm' THEN
		v_hold := CASE p_hold
			WHEN 'AccessShareLock' THEN format('DECLARE probe_c CURSOR FOR SELECT FROM %s', p_rel)
			WHEN 'ShareUpdateExclusiveLock' THEN format('ALTER MATERIALIZED VIEW %s SET (fillfactor = 100)', p_rel)
			WHEN 'AccessExclusiveLock' THEN format('ALTER MATERIALIZED VIEW %s OWNER TO CURRENT_USER', p_rel)
		END;
	ELSE
		v_hold := format('LOCK TABLE ONLY %s IN %s MODE', p_rel,
		                 upper(regexp_replace(regexp_replace(p_hold, 'Lock$', ''), '([a-z])([A-Z])', '\1 \2', 'g')));
	END IF;

	IF v_hold IS NULL THEN
		other := 'skipped (cannot hold this mode on a materialized view)';
	ELSE
		PERFORM oracle.dblink_exec('pa', 'BEGIN');
		PERFORM oracle.dblink_exec('pa', v_hold);
		PERFORM oracle.dblink_send_query('pb', v_stmt);
		v_t0 := clock_timestamp();
		LOOP
			-- one pg_locks read per iteration: the wait we see is the wait that is there
			SELECT max(l.mode) FILTER (WHERE l.locktype = 'relation' AND l.database = v_db AND l.relation = v_oid),
			       string_agg(l.locktype || ' ' || l.mode, ', ')
			         FILTER (WHERE NOT (l.locktype = 'relation' AND l.database = v_db AND l.relation = v_oid))
			INTO waited, other
			FROM pg_locks l WHERE l.pid = v_pid AND NOT l.granted;
			EXIT WHEN waited IS NOT NULL OR other IS NOT NULL;
			v_busy := oracle.dblink_is_busy('pb');
			EXIT WHEN v_busy = 0;
			IF clock_timestamp() - v_t0 > interval '20 seconds' THEN
				other := 'timeout';
				EXIT;
			END IF;
			PERFORM pg_sleep(0.002);
		END LOOP;
		PERFORM oracle.dblink_exec('pa', 'COMMIT');

		SELECT res INTO status FROM oracle.dblink_get_result('pb', false) AS t(res text);
		IF oracle.dblink_error_message('pb') <> 'OK' THEN
			status := 'ERROR: ' || oracle.dblink_error_message('pb');
		END IF;
		PERFORM * FROM oracle.dblink_get_result('pb', false) AS t(res text);

		CREATE TEMP TABLE probe_after AS
			SELECT * FROM oracle.dblink('pa', v_snap) AS t(oid oid, name text, relkind text, filenode oid);
		SELECT a.filenode IS DISTINCT FROM b.filenode INTO rewritten
		FROM probe_before b JOIN probe_after a USING (oid) WHERE b.oid = v_oid;
		SELECT string_agg(coalesce(b.name, a.name) || CASE WHEN b.oid IS NULL THEN ' (new)'
		                                                   WHEN a.oid IS NULL THEN ' (dropped)'
		                                                   ELSE ' (rebuilt)' END, ', ' ORDER BY coalesce(b.name, a.name), b.oid IS NULL)
		INTO index_changes
		FROM probe_before b FULL JOIN probe_after a USING (oid)
		WHERE coalesce(b.relkind, a.relkind) IN ('i', 'I')
		  AND (b.oid IS NULL OR a.oid IS NULL OR a.filenode IS DISTINCT FROM b.filenode);
		DROP TABLE probe_after;
	END IF;

	PERFORM oracle.dblink_disconnect('pa');
	PERFORM oracle.dblink_disconnect('pb');
	DROP TABLE probe_before;
END
$fn$;

-- the ladder for one (statement, relation)
CREATE OR REPLACE FUNCTION oracle.probe_one(p_id int, p_rel text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
	v_hold   text;
	r        record;
	v_ladder text[] := '{}';
	v_found  text;
	v_last   record;
BEGIN
	FOREACH v_hold IN ARRAY ARRAY['AccessShareLock', 'RowShareLock', 'RowExclusiveLock',
	                               'ShareUpdateExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'] LOOP
		SELECT * INTO r FROM oracle.probe_run(p_id, p_rel, v_hold);
		IF r.status IS NOT NULL THEN
			v_last := r;
		END IF;
		v_ladder := v_ladder || (replace(v_hold, 'Lock', '') || ': ' ||
		            coalesce('waits for ' || r.waited, 'blocked on ' || r.other || ' (inconclusive)', 'no wait'));
		IF r.waited IS NOT NULL THEN
			v_found := r.waited;
			EXIT;
		END IF;
	END LOOP;
	INSERT INTO oracle.probed (id, relation, strongest, ladder, rewritten, index_changes, status)
	VALUES (p_id, p_rel, v_found, array_to_string(v_ladder, '; '), v_last.rewritten, v_last.index_changes, v_last.status);
END
$fn$;

DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT id, relation FROM oracle.documented ORDER BY id, relation LOOP
		PERFORM oracle.probe_one(r.id, r.relation);
	END LOOP;
	PERFORM oracle.dblink_exec(format('host=%s port=%s user=%s dbname=postgres',
	                                  split_part(current_setting('unix_socket_directories'), ',', 1),
	                                  current_setting('port'), current_user),
	                           'DROP DATABASE IF EXISTS oracle_probe');
END
$$;

-- documented vs probed (expected: every row agrees)
SELECT d.id, d.relation, d.lock_mode AS documented_lock, p.strongest AS probed_lock,
       d.rewrites AS documented_rewrites, p.rewritten AS probed_rewritten,
       CASE WHEN d.lock_mode IS NOT DISTINCT FROM p.strongest AND d.rewrites IS NOT DISTINCT FROM p.rewritten
            THEN 'agrees' ELSE 'DIFFERS' END AS result
FROM oracle.documented d LEFT JOIN oracle.probed p USING (id, relation)
ORDER BY d.id, d.relation;
