-- test/oracle/compare.sql: safemigrate.check() against what PostgreSQL 15 really does.
--
-- Needs, in this database: setup.sql, corpus.sql, observe.sql (run: oracle.observed filled),
-- documented.sql, and then CREATE EXTENSION pg_safemigrate (which provides
--   safemigrate.check(migration text) RETURNS TABLE (stmt_no int, statement text, command text,
--       relation text, lock_mode text, rewrites bool, scans bool, breaks_clients bool, category text,
--       rule text, verdict text, reason text, safe_sql text)).
--
-- Expected rows ("truth"), per (statement id, relation):
--   oracle.observed    relation IS NOT NULL and not created by the statement itself
--   oracle.documented  statements that cannot run in a transaction block
-- Predicted rows: safemigrate.check(stmt) for every statement, with the corpus row's settings applied
-- (SET LOCAL) and TimeZone = 'America/New_York' otherwise, as in observe.sql. Per (id, relation) the
-- predicted lock is the strongest lock_mode over check()'s rows (one per statement / subcommand) and
-- rewrites is their OR. Ignored on the predicted side: rows with relation NULL, relations that exist
-- and are not tables / partitioned tables / matviews / views / foreign tables (indexes, sequences,
-- types), and relations the statement itself creates.
--
-- A row is a MISMATCH when the strongest lock or the rewrite flag differ, when a relation is
-- observed but not predicted or predicted but not observed, or when check() fails on the statement.
-- A statement with no relation on either side is one "ok" row with relation "-".
--
-- psql variables:
--   -v min_lock=RowShareLock   ignore rows (both sides) whose lock is weaker than this; default:
--                              AccessShareLock, i.e. compare everything
--   -v show_scans=1            also list (informational, not counted) where check()'s "scans"
--                              differs from "the statement started a sequential scan of the
--                              relation and did not rewrite it" (observed_seq_scans > 0)
--
-- Output: the per-statement table, the mismatches again, and a last line "N mismatches".

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET TimeZone = 'America/New_York';
\if :{?min_lock}
\else
\set min_lock AccessShareLock
\endif
\if :{?show_scans}
\else
\set show_scans 0
\endif
SELECT set_config('oracle.min_lock', :'min_lock', false) IS NOT NULL AS min_lock_set \gset

DROP TABLE IF EXISTS pg_temp.oracle_predicted, pg_temp.oracle_check_error, pg_temp.oracle_result;
CREATE TEMP TABLE oracle_predicted (
	id         int,
	stmt_no    int,
	relation   text,
	lock_mode  text,
	rewrites   bool,
	scans      bool
);
CREATE TEMP TABLE oracle_check_error (id int PRIMARY KEY, sqlstate text, message text);

DO $$
DECLARE
	r        record;
	k        text;
	v        text;
	v_old    jsonb;
	v_state  text;
	v_msg    text;
BEGIN
	FOR r IN SELECT id, stmt, settings FROM oracle.corpus
	         UNION ALL
	         SELECT DISTINCT id, stmt, NULL::jsonb FROM oracle.documented
	         ORDER BY 1
	LOOP
		v_old := '{}';
		FOR k, v IN SELECT * FROM jsonb_each_text(coalesce(r.settings, '{}')) LOOP
			v_old := v_old || jsonb_build_object(k, current_setting(k));
			PERFORM set_config(k, v, true);
		END LOOP;
		BEGIN
			INSERT INTO oracle_predicted (id, stmt_no, relation, lock_mode, rewrites, scans)
			SELECT r.id, c.stmt_no, c.relation, c.lock_mode, c.rewrites, c.scans
			FROM safemigrate.check(r.stmt) AS c;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT;
			INSERT INTO oracle_check_error VALUES (r.id, v_state, v_msg);
		END;
		FOR k, v IN SELECT * FROM jsonb_each_text(v_old) LOOP
			PERFORM set_config(k, v, true);
		END LOOP;
	END LOOP;
END
$$;

CREATE TEMP TABLE oracle_result AS
WITH stmts AS (
	SELECT id, tag FROM oracle.corpus
	UNION
	SELECT DISTINCT id, 'documented: ' || left(stmt, 40) FROM oracle.documented
),
expected AS (
	SELECT id, relation, lock_mode, rewritten AS rewrites
	FROM oracle.observed
	WHERE relation IS NOT NULL AND NOT created
	  AND oracle.lock_rank(lock_mode) >= oracle.lock_rank(current_setting('oracle.min_lock'))
	UNION ALL
	SELECT id, relation, lock_mode, rewrites
	FROM oracle.documented
	WHERE oracle.lock_rank(lock_mode) >= oracle.lock_rank(current_setting('oracle.min_lock'))
),
predicted AS (
	SELECT p.id, p.relation,
	       oracle.lock_name(max(oracle.lock_rank(p.lock_mode))) AS lock_mode,
	       bool_or(p.rewrites) AS rewrites,
	       bool_and(p.lock_mode IS NULL OR oracle.lock_rank(p.lock_mode) IS NOT NULL) AS modes_known
	FROM oracle_predicted p
	LEFT JOIN pg_class c ON c.oid = to_regclass(p.relation)
	WHERE p.relation IS NOT NULL
	  AND (c.oid IS NULL OR c.relkind IN ('r', 'p', 'm', 'v', 'f'))
	  AND NOT EXISTS (SELECT FROM oracle.observed o WHERE o.id = p.id AND o.relation = p.relation AND o.created)
	  AND p.id NOT IN (SELECT id FROM oracle_check_error)
	GROUP BY p.id, p.relation
	HAVING coalesce(max(oracle.lock_rank(p.lock_mode)), 0) >= oracle.lock_rank(current_setting('oracle.min_lock'))
	    OR NOT bool_and(p.lock_mode IS NULL OR oracle.lock_rank(p.lock_mode) IS NOT NULL)
),
pairs AS (
	SELECT coalesce(e.id, p.id) AS id, coalesce(e.relation, p.relation) AS relation,
	       e.lock_mode AS expected_lock, e.rewrites AS expected_rewrites,
	       p.lock_mode AS predicted_lock, p.rewrites AS predicted_rewrites,
	       CASE
	           WHEN p.id IS NULL THEN 'MISMATCH: not predicted'
	           WHEN e.id IS NULL THEN 'MISMATCH: predicted, not locked'
	           WHEN NOT p.modes_known THEN 'MISMATCH: unknown lock_mode name'
	           WHEN e.lock_mode IS DISTINCT FROM p.lock_mode AND e.rewrites IS DISTINCT FROM p.rewrites THEN 'MISMATCH: lock, rewrites'
	           WHEN e.lock_mode IS DISTINCT FROM p.lock_mode THEN 'MISMATCH: lock'
	           WHEN e.rewrites IS DISTINCT FROM p.rewrites THEN 'MISMATCH: rewrites'
	           ELSE 'ok'
	       END AS status
	FROM expected e
	FULL JOIN predicted p ON p.id = e.id AND p.relation = e.relation
	WHERE coalesce(e.id, p.id) NOT IN (SELECT id FROM oracle_check_error)
)
SELECT s.id, s.tag, x.relation, x.expected_lock, x.expected_rewrites, x.predicted_lock, x.predicted_rewrites, x.status
FROM stmts s JOIN pairs x USING (id)
UNION ALL
SELECT s.id, s.tag, '-', NULL, NULL, NULL, NULL, 'ok'
FROM stmts s
WHERE s.id NOT IN (SELECT id FROM pairs) AND s.id NOT IN (SELECT id FROM oracle_check_error)
UNION ALL
SELECT s.id, s.tag, '-', NULL, NULL, NULL, NULL, 'MISMATCH: check() failed: ' || e.sqlstate || ' ' || e.message
FROM stmts s JOIN oracle_check_error e USING (id);

\pset null ''
-- the per-statement table
SELECT id, tag, relation, expected_lock, expected_rewrites AS exp_rw, predicted_lock, predicted_rewrites AS pred_rw, status
FROM oracle_result
ORDER BY id, relation;

-- the mismatches alone
SELECT id, tag, relation, expected_lock, expected_rewrites AS exp_rw, predicted_lock, predicted_rewrites AS pred_rw, status
FROM oracle_result
WHERE status <> 'ok'
ORDER BY id, relation;

\if :show_scans
-- informational, not counted: check()'s "scans" vs an observed sequential scan without rewrite
SELECT o.id, o.relation, o.seq_scans AS observed_seq_scans, o.rewritten,
       bool_or(p.scans) AS predicted_scans
FROM oracle.observed o
JOIN oracle_predicted p ON p.id = o.id AND p.relation = o.relation
WHERE o.relation IS NOT NULL AND NOT o.created
GROUP BY o.id, o.relation, o.seq_scans, o.rewritten
HAVING bool_or(p.scans) IS DISTINCT FROM (o.seq_scans > 0 AND NOT o.rewritten)
ORDER BY o.id, o.relation;
\endif

-- the count line
SELECT format('%s mismatches', count(*) FILTER (WHERE status <> 'ok')) AS result FROM oracle_result;
