-- test/oracle/selftest_mock.sql: a stand-in safemigrate.check() that answers from the observations,
-- to test compare.sql itself (run.sh --selftest). NEVER load it where pg_safemigrate is installed.
--
-- It returns, for a statement of the corpus or of documented.sql, exactly the expected rows, so
-- compare.sql must print "0 mismatches"; then it perturbs three answers (a wrong lock, a wrong rewrite
-- flag, a missing relation) and compare.sql must print "3 mismatches".

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS safemigrate;
CREATE TABLE IF NOT EXISTS safemigrate.mock_perturb (id int, relation text, lock_mode text, rewrites bool, drop_row bool);
TRUNCATE safemigrate.mock_perturb;

CREATE OR REPLACE FUNCTION safemigrate.check(migration text)
RETURNS TABLE (stmt_no int, statement text, command text, relation text, lock_mode text, rewrites bool,
               scans bool, breaks_clients bool, category text, rule text, verdict text, reason text, safe_sql text)
LANGUAGE sql STABLE AS $$
	WITH ids AS (
		SELECT id FROM oracle.corpus
		WHERE stmt = migration
		  AND coalesce(settings ->> 'TimeZone', 'America/New_York') = current_setting('TimeZone')   -- 211 vs 212
		UNION
		SELECT id FROM oracle.documented WHERE stmt = migration
	),
	truth AS (
		SELECT o.id, o.relation, o.lock_mode, o.rewritten AS rewrites, o.seq_scans > 0 AND NOT o.rewritten AS scans
		FROM oracle.observed o JOIN ids USING (id)
		WHERE o.relation IS NOT NULL AND NOT o.created
		UNION ALL
		SELECT d.id, d.relation, d.lock_mode, d.rewrites, NULL
		FROM oracle.documented d JOIN ids USING (id)
	)
	SELECT 1, migration, 'MOCK', t.relation, coalesce(p.lock_mode, t.lock_mode), coalesce(p.rewrites, t.rewrites),
	       t.scans, false, 'mock', 'mock', 'ok', NULL, NULL
	FROM truth t LEFT JOIN safemigrate.mock_perturb p ON p.id = t.id AND p.relation = t.relation
	WHERE NOT coalesce(p.drop_row, false)
	UNION ALL
	SELECT 1, migration, 'MOCK', NULL, NULL, false, false, false, 'mock', 'mock', 'ok', NULL, NULL
	WHERE NOT EXISTS (SELECT FROM truth)
$$;
