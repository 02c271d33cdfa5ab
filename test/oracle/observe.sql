-- test/oracle/observe.sql: run every corpus statement and record what PostgreSQL really did.
--
-- Needs setup.sql and corpus.sql loaded, and must run BEFORE "CREATE EXTENSION pg_safemigrate" in
-- this database (or with safemigrate.mode = off), since it executes the statements for real.
--
-- For each oracle.corpus row, oracle.observe(id), in its own top-level transaction:
--   1. outside the subtransaction: notes the relation locks this backend already holds (baseline);
--   2. inside a PL/pgSQL BEGIN ... EXCEPTION block (a subtransaction):
--        - snapshots pg_class.relfilenode and the per-transaction seq-scan counter
--          (pg_stat_get_xact_numscans) of every table, partitioned table, matview, view, foreign
--          table and index of schema "oracle" (harness tables excluded),
--        - applies the row's settings with set_config(..., is_local => true),
--        - EXECUTEs the statement,
--        - reads pg_locks for pg_backend_pid() (locktype 'relation', granted, this database) minus the
--          baseline, takes the strongest mode per relation, and compares relfilenodes and counters,
--        - keeps the result in a PL/pgSQL variable and RAISEs SQLSTATE OR001, which rolls back the
--          statement, its locks and everything else it did;
--   3. after the handler: inserts the observation into oracle.observed / observed_index /
--      observed_status (so it survives the rollback).
--
-- oracle.observed         one row per (statement, relation) for tables, partitioned tables, matviews,
--                         views and foreign tables it locked, rewrote, scanned, created or dropped;
--                         one row with relation NULL when it touched none of them
--     lock_mode           strongest granted lock mode the statement left on the relation (NULL: none)
--     all_modes           every mode it holds there, weakest first
--     rewritten           relfilenode changed (rewrite, TRUNCATE, SET TABLESPACE copy, REFRESH, ...)
--     seq_scans           sequential scans of the relation started by the statement
--     created / dropped   the relation did not exist before / does not exist after
-- oracle.observed_index   the same for indexes; rebuilt = new storage (REINDEX, rewrite, or a new index
--                         that did not take over the storage of an index the statement dropped)
-- oracle.observed_status  ok, or the SQLSTATE and message of a statement that failed (a bug in the
--                         corpus or the fixtures: every corpus statement must succeed)
--
-- Locks a statement takes and releases before it ends (e.g. a relation opened and closed with its
-- lock released) are not visible at the end and not recorded: the oracle is "locks held until
-- commit", which is what blocks other sessions for the rest of a migration transaction.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET TimeZone = 'America/New_York';     -- not UTC: timestamp <-> timestamptz must rewrite by default

CREATE OR REPLACE FUNCTION oracle.lock_rank(mode text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT array_position(ARRAY['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock',
	                            'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'], mode)
$$;

CREATE OR REPLACE FUNCTION oracle.lock_name(rank int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT (ARRAY['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock',
	              'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'])[rank]
$$;

-- tables of the harness itself: never observed
CREATE OR REPLACE FUNCTION oracle.harness_tables() RETURNS name[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['corpus', 'observed', 'observed_index', 'observed_status', 'documented',
	             'corpus_pkey', 'corpus_tag_key', 'observed_status_pkey', 'documented_pkey']::name[]
$$;

DROP TABLE IF EXISTS oracle.observed, oracle.observed_index, oracle.observed_status;
CREATE TABLE oracle.observed (
	id         int NOT NULL REFERENCES oracle.corpus (id),
	relation   text,
	relkind    text,
	lock_mode  text,
	all_modes  text,
	rewritten  bool,
	seq_scans  int,
	created    bool,
	dropped    bool,
	UNIQUE (id, relation)
);
CREATE TABLE oracle.observed_index (
	id          int NOT NULL REFERENCES oracle.corpus (id),
	index_name  text NOT NULL,
	relkind     text,           -- i index, I partitioned index (no storage)
	table_name  text,
	lock_mode   text,
	all_modes   text,
	rebuilt     bool,
	created     bool,
	dropped     bool            -- an index re-created under the same name (ALTER COLUMN TYPE) gives two rows
);
CREATE TABLE oracle.observed_status (
	id        int PRIMARY KEY REFERENCES oracle.corpus (id),
	ok        bool NOT NULL,
	sqlstate  text,
	message   text
);

-- relations of schema oracle (and the relations in p_oids, e.g. moved to another schema), as jsonb
CREATE OR REPLACE FUNCTION oracle.relation_snapshot(p_oids oid[] DEFAULT '{}') RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
		'oid', c.oid,
		'name', format('%I.%I', n.nspname, c.relname),
		'relkind', c.relkind,
		'filenode', c.relfilenode,
		'scans', pg_stat_get_xact_numscans(c.oid),
		'tbl', (SELECT format('%I.%I', tn.nspname, t.relname)
		          FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
		         WHERE i.indexrelid = c.oid))), '[]')
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE (n.nspname = 'oracle' AND c.relkind IN ('r', 'p', 'm', 'v', 'f', 'i', 'I')
	       AND c.relname <> ALL (oracle.harness_tables()))
	   OR c.oid = ANY (p_oids)
$$;

CREATE OR REPLACE FUNCTION oracle.observe(p_id int) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
	r        oracle.corpus;
	v_base   text[];
	v_before jsonb;
	v_after  jsonb;
	v_obs    jsonb := '[]';
	v_ok     bool := true;
	v_state  text;
	v_msg    text;
	k        text;
	v        text;
BEGIN
	SELECT * INTO STRICT r FROM oracle.corpus WHERE id = p_id;
	DELETE FROM oracle.observed WHERE id = p_id;
	DELETE FROM oracle.observed_index WHERE id = p_id;
	DELETE FROM oracle.observed_status WHERE id = p_id;

	SELECT coalesce(array_agg(l.relation::text || '/' || l.mode), '{}') INTO v_base
	FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted;

	BEGIN
		v_before := oracle.relation_snapshot();
		FOR k, v IN SELECT * FROM jsonb_each_text(coalesce(r.settings, '{}')) LOOP
			PERFORM set_config(k, v, true);
		END LOOP;

		EXECUTE r.stmt;

		v_after := oracle.relation_snapshot(ARRAY(SELECT (e ->> 'oid')::oid FROM jsonb_array_elements(v_before) e));
		WITH b AS (SELECT * FROM jsonb_to_recordset(v_before) AS x(oid oid, name text, relkind text, filenode oid, scans bigint, tbl text)),
		     a AS (SELECT * FROM jsonb_to_recordset(v_after)  AS x(oid oid, name text, relkind text, filenode oid, scans bigint, tbl text)),
		     rels AS (
			SELECT coalesce(b.oid, a.oid) AS oid,
			       coalesce(b.name, a.name) AS name,          -- the name before the statement
			       coalesce(b.relkind, a.relkind) AS relkind,
			       coalesce(b.tbl, a.tbl) AS tbl,
			       b.oid IS NULL AS created,
			       a.oid IS NULL AS dropped,
			       (b.oid IS NOT NULL AND a.oid IS NOT NULL AND a.filenode IS DISTINCT FROM b.filenode)
			       -- a new index is "rebuilt" unless it took over a dropped index's storage (ALTER COLUMN TYPE
			       -- re-creating an index it could keep: tablecmds.c TryReuseIndex)
			       OR (b.oid IS NULL AND a.relkind = 'i' AND NOT EXISTS (SELECT FROM b b2 WHERE b2.filenode = a.filenode))
			          AS rewritten,
			       CASE WHEN a.oid IS NULL THEN 0 ELSE (a.scans - coalesce(b.scans, 0))::int END AS seq_scans
			FROM b FULL JOIN a ON a.oid = b.oid),
		     lk AS (
			SELECT l.relation AS oid,
			       max(oracle.lock_rank(l.mode)) AS rank,
			       string_agg(l.mode, ',' ORDER BY oracle.lock_rank(l.mode)) AS modes
			FROM pg_locks l
			WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
			  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			  AND (l.relation::text || '/' || l.mode) <> ALL (v_base)
			GROUP BY l.relation)
		SELECT coalesce(jsonb_agg(jsonb_build_object(
			'name', rels.name, 'relkind', rels.relkind, 'tbl', rels.tbl,
			'lock_mode', oracle.lock_name(lk.rank), 'all_modes', lk.modes,
			'rewritten', rels.rewritten, 'seq_scans', rels.seq_scans,
			'created', rels.created, 'dropped', rels.dropped)), '[]')
		INTO v_obs
		FROM rels LEFT JOIN lk ON lk.oid = rels.oid
		WHERE lk.oid IS NOT NULL OR rels.rewritten OR rels.seq_scans > 0 OR rels.created OR rels.dropped;

		RAISE EXCEPTION USING ERRCODE = 'OR001', MESSAGE = 'oracle: roll back the observed statement';
	EXCEPTION
		WHEN SQLSTATE 'OR001' THEN
			NULL;
		WHEN OTHERS THEN
			v_ok := false;
			GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
	END;

	INSERT INTO oracle.observed_status VALUES (p_id, v_ok, v_state, v_msg);
	IF NOT v_ok THEN
		RETURN;
	END IF;

	INSERT INTO oracle.observed (id, relation, relkind, lock_mode, all_modes, rewritten, seq_scans, created, dropped)
	SELECT p_id, name, relkind, lock_mode, all_modes, rewritten, seq_scans, created, dropped
	FROM jsonb_to_recordset(v_obs) AS x(name text, relkind text, lock_mode text, all_modes text, rewritten bool,
	                                    seq_scans int, created bool, dropped bool)
	WHERE relkind IN ('r', 'p', 'm', 'v', 'f');
	IF NOT FOUND THEN
		INSERT INTO oracle.observed (id, relation, relkind, lock_mode, all_modes, rewritten, seq_scans, created, dropped)
		VALUES (p_id, NULL, NULL, NULL, NULL, false, 0, false, false);
	END IF;

	INSERT INTO oracle.observed_index (id, index_name, relkind, table_name, lock_mode, all_modes, rebuilt, created, dropped)
	SELECT p_id, name, relkind, tbl, lock_mode, all_modes, rewritten, created, dropped
	FROM jsonb_to_recordset(v_obs) AS x(name text, relkind text, tbl text, lock_mode text, all_modes text,
	                                    rewritten bool, created bool, dropped bool)
	WHERE relkind IN ('i', 'I');
END
$fn$;

-- all statements, each in its own transaction
CREATE OR REPLACE PROCEDURE oracle.observe_all()
LANGUAGE plpgsql AS $$
DECLARE
	v_id int;
BEGIN
	FOR v_id IN SELECT id FROM oracle.corpus ORDER BY id LOOP
		PERFORM oracle.observe(v_id);
		COMMIT;
	END LOOP;
END
$$;

CALL oracle.observe_all();

-- every corpus statement must have run: list the failures (expected: none)
SELECT s.id, c.tag, s.sqlstate, s.message
FROM oracle.observed_status s JOIN oracle.corpus c USING (id)
WHERE NOT s.ok
ORDER BY s.id;
