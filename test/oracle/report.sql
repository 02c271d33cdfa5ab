-- test/oracle/report.sql: prints the observations (run.sh writes this to observed_pg15.txt).
-- Needs setup.sql, corpus.sql, observe.sql, documented.sql and (optionally) probe.sql run before.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\pset null ''
\pset pager off

\echo '== pg_safemigrate lock/rewrite oracle: observations on PostgreSQL 15 =='
\echo 'lock_mode  = strongest granted mode the statement holds on the relation at its end (pg_locks, own backend)'
\echo 'rewritten  = pg_class.relfilenode changed; seq_scans = sequential scans started (index builds count)'
\echo 'flag       = new: created by the statement; dropped: gone after it'
\echo 'index_ae   = indexes of that table holding AccessExclusiveLock: (rebuilt) new relfilenode, (new) built,'
\echo '             (re-created, storage kept) dropped and re-created on the old relfilenode, (dropped)'
\echo 'session TimeZone America/New_York unless the statement says otherwise (212, 214: UTC)'
\echo

SELECT split_part(version(), ' on ', 1) AS server,
       (SELECT count(*) FROM oracle.corpus) AS corpus_statements,
       (SELECT count(*) FILTER (WHERE ok) FROM oracle.observed_status) AS observed_ok,
       (SELECT count(*) FILTER (WHERE NOT ok) FROM oracle.observed_status) AS observed_failed,
       (SELECT count(DISTINCT id) FROM oracle.documented) AS documented_statements;

\echo '== 1. observed, per statement and relation =='
WITH idx AS (
	SELECT id, table_name,
	       string_agg(index_name || CASE WHEN created AND (rebuilt OR relkind = 'I') THEN ' (new)'
	                                     WHEN created THEN ' (re-created, storage kept)'
	                                     WHEN dropped THEN ' (dropped)'
	                                     WHEN rebuilt THEN ' (rebuilt)' ELSE '' END, ', ' ORDER BY index_name, created) AS index_ae
	FROM oracle.observed_index
	WHERE lock_mode = 'AccessExclusiveLock'
	GROUP BY id, table_name
)
SELECT o.id, c.stmt AS statement, coalesce(o.relation, '-') AS relation, o.lock_mode, o.rewritten, o.seq_scans,
       CASE WHEN o.created THEN 'new' WHEN o.dropped THEN 'dropped' ELSE '' END AS flag,
       coalesce(i.index_ae, '') AS index_ae
FROM oracle.observed o
JOIN oracle.corpus c USING (id)
LEFT JOIN idx i ON i.id = o.id AND i.table_name = o.relation
ORDER BY o.id, o.relation NULLS FIRST;

\echo '== 2. observed index locks, all modes (for statements whose table rows do not show them, e.g. ALTER INDEX) =='
SELECT id, index_name, table_name, lock_mode, all_modes, rebuilt,
       CASE WHEN created AND (rebuilt OR relkind = 'I') THEN 'new' WHEN created THEN 're-created, storage kept'
            WHEN dropped THEN 'dropped' ELSE '' END AS flag
FROM oracle.observed_index
WHERE id IN (SELECT id FROM oracle.observed WHERE relation IS NULL)
   OR lock_mode <> 'AccessExclusiveLock'
ORDER BY id, index_name, created;

\echo '== 3. statements that failed (expected: none) =='
SELECT id, sqlstate, message FROM oracle.observed_status WHERE NOT ok ORDER BY id;

\echo '== 4. documented (cannot run in a transaction block), with the empirical probe (probe.sql) =='
SELECT to_regclass('oracle.probed') IS NOT NULL AS have_probe \gset
\if :have_probe
SELECT d.id, d.stmt AS statement, d.relation, d.lock_mode AS documented_lock, d.rewrites AS documented_rewrites,
       p.strongest AS probed_lock, p.rewritten AS probed_rewritten,
       CASE WHEN p.id IS NULL THEN 'not probed'
            WHEN d.lock_mode IS NOT DISTINCT FROM p.strongest AND d.rewrites IS NOT DISTINCT FROM p.rewritten THEN 'agrees'
            ELSE 'DIFFERS' END AS probe
FROM oracle.documented d LEFT JOIN oracle.probed p USING (id, relation)
ORDER BY d.id, d.relation;
SELECT id, relation, ladder, index_changes, status FROM oracle.probed ORDER BY id, relation;
\else
SELECT id, stmt AS statement, relation, lock_mode AS documented_lock, rewrites AS documented_rewrites
FROM oracle.documented ORDER BY id, relation;
\endif
SELECT id, relation, index_locks, source FROM oracle.documented ORDER BY id, relation;

\echo '== 5. summary: statements by strongest lock on a pre-existing relation and rewrite (any relation) =='
WITH per_stmt AS (
	SELECT id, max(oracle.lock_rank(lock_mode)) FILTER (WHERE NOT created) AS rank,
	       bool_or(rewritten) AS rewritten
	FROM oracle.observed GROUP BY id
	UNION ALL
	SELECT id, max(oracle.lock_rank(lock_mode)), bool_or(rewrites) FROM oracle.documented GROUP BY id
)
SELECT coalesce(oracle.lock_name(rank), '(no table lock)') AS strongest_lock, rewritten, count(*) AS n,
       string_agg(id::text, ' ' ORDER BY id) AS statement_ids
FROM per_stmt
GROUP BY rank, rewritten
ORDER BY rank DESC NULLS LAST, rewritten DESC;
