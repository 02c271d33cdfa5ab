-- A long session: 100,000 DDL statements (rejected, failed, allowed) in one
-- backend; its memory stays flat (pg_backend_memory_contexts).
SET safemigrate.small_table_rows = 0;
CREATE TABLE long_session (id int PRIMARY KEY, v int);
INSERT INTO long_session SELECT g, g FROM generate_series(1, 20000) g;
ANALYZE long_session;
-- Warm the caches with one round of each kind, then measure.
DO $$BEGIN EXECUTE 'CREATE INDEX ls_v ON long_session (v)'; EXCEPTION WHEN OTHERS THEN NULL; END$$;
DO $$BEGIN EXECUTE 'ALTER TABLE no_such_table ADD COLUMN x int'; EXCEPTION WHEN OTHERS THEN NULL; END$$;
DO $$BEGIN EXECUTE 'ALTER TABLE long_session ALTER COLUMN v SET STATISTICS 100'; END$$;
SELECT count(*) FROM safemigrate.check('ALTER TABLE long_session ADD COLUMN x int DEFAULT random()');
SELECT sum(total_bytes) AS before_bytes FROM pg_backend_memory_contexts \gset
\set QUIET on
\set ECHO none
SELECT format($f$DO $$BEGIN EXECUTE %L; EXCEPTION WHEN OTHERS THEN NULL; END$$$f$, s)
  FROM (SELECT CASE g % 4
                 WHEN 0 THEN 'CREATE INDEX ls_v ON long_session (v)'                  -- rejected
                 WHEN 1 THEN 'ALTER TABLE no_such_table ADD COLUMN x int'              -- PostgreSQL's error
                 WHEN 2 THEN 'ALTER TABLE long_session ALTER COLUMN v SET STATISTICS 100' -- allowed, runs
                 ELSE 'ALTER TABLE long_session ADD CONSTRAINT c CHECK (v > 0)'        -- rejected
               END AS s
          FROM generate_series(1, 100000) g) q \gexec
SELECT count(*) AS n_rows FROM safemigrate.check('ALTER TABLE long_session ADD COLUMN x int DEFAULT random()') \gset
\set ECHO all
\set QUIET off
-- (the growth itself varies by a few kB from run to run; the bound is 512 kB)
SELECT sum(total_bytes) - :before_bytes < 512 * 1024 AS memory_flat FROM pg_backend_memory_contexts;
/* safemigrate: expand-contract */ DROP TABLE long_session;
