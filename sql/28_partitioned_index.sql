-- CREATE INDEX on a partitioned table (not ONLY): DefineIndex attaches each
-- partition's free matching index (same columns, access method, collations,
-- operator families, uniqueness; not attached to another index) and builds
-- one under a ShareLock only where there is none, level by level for
-- partitioned partitions (indexcmds.c DefineIndex, catalog/index.c
-- CompareIndexInfo).  With every partition indexed already the statement
-- builds nothing and is not rejected.  Each verdict is set beside what
-- PostgreSQL builds and reads in the same run (rolled back).
SET safemigrate.small_table_rows = 0;
SET safemigrate.mode = off;
CREATE TABLE pi_t (id int, code text, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE pi_t1 PARTITION OF pi_t FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE pi_t2 PARTITION OF pi_t FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
-- a partitioned partition: its leaves have their own indexes
CREATE TABLE pi_t3 PARTITION OF pi_t FOR VALUES FROM ('2027-01-01') TO ('2028-01-01') PARTITION BY RANGE (at);
CREATE TABLE pi_t3a PARTITION OF pi_t3 FOR VALUES FROM ('2027-01-01') TO ('2027-07-01');
CREATE TABLE pi_t3b (code text, at date NOT NULL, id int);  -- columns in another order
ALTER TABLE pi_t3 ATTACH PARTITION pi_t3b FOR VALUES FROM ('2027-07-01') TO ('2028-01-01');
INSERT INTO pi_t SELECT g, 'c' || g, date '2025-01-01' + g % 1000 FROM generate_series(1, 3000) g;
CREATE INDEX pi_t1_id ON pi_t1 (id);
CREATE INDEX pi_t2_id ON pi_t2 (id);
CREATE INDEX pi_t3a_id ON pi_t3a (id);
CREATE INDEX pi_t3b_id ON pi_t3b (id);
CREATE INDEX pi_t1_code ON pi_t1 (code text_pattern_ops) INCLUDE (at);
CREATE INDEX pi_t2_code ON pi_t2 (code text_pattern_ops) INCLUDE (at);
CREATE INDEX pi_t3a_code ON pi_t3a (code text_pattern_ops) INCLUDE (at);
CREATE INDEX pi_t3b_code ON pi_t3b (code text_pattern_ops) INCLUDE (at);
CREATE INDEX pi_t1_codec ON pi_t1 (code COLLATE "C");
CREATE INDEX pi_t2_codec ON pi_t2 (code COLLATE "C");
CREATE INDEX pi_t3a_codec ON pi_t3a (code COLLATE "C");
CREATE INDEX pi_t3b_codec ON pi_t3b (code COLLATE "C");
CREATE UNIQUE INDEX pi_t1_u ON pi_t1 (id, at);
CREATE UNIQUE INDEX pi_t2_u ON pi_t2 (id, at);
CREATE UNIQUE INDEX pi_t3a_u ON pi_t3a (id, at);
CREATE UNIQUE INDEX pi_t3b_u ON pi_t3b (id, at);
CREATE INDEX pi_t1_lower ON pi_t1 (lower(code));
CREATE INDEX pi_t2_lower ON pi_t2 (lower(code));
CREATE INDEX pi_t3a_lower ON pi_t3a (lower(code));
CREATE INDEX pi_t3b_lower ON pi_t3b (lower(code));
-- a second table: one leaf lacks the index, and one leaf's index is attached to another parent index already
CREATE TABLE pi_s (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE pi_s1 PARTITION OF pi_s FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE pi_s2 PARTITION OF pi_s FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO pi_s SELECT g, date '2025-01-01' + g % 700 FROM generate_series(1, 2000) g;
CREATE INDEX pi_s1_id ON pi_s1 (id);
CREATE INDEX pi_s_id_old ON pi_s (id);  -- takes pi_s1_id, builds one on pi_s2
-- a partitioned partition with a matching partitioned index: attached as it is
CREATE TABLE pi_p (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE pi_p1 PARTITION OF pi_p FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (at);
CREATE TABLE pi_p1a PARTITION OF pi_p1 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO pi_p SELECT g, date '2025-01-01' + g % 300 FROM generate_series(1, 2000) g;
CREATE INDEX pi_p1_id ON pi_p1 (id);
-- only an empty partition lacks the index: what is built is empty
CREATE TABLE pi_e (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE pi_e1 PARTITION OF pi_e FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE pi_e2 PARTITION OF pi_e FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO pi_e SELECT g, '2025-03-01' FROM generate_series(1, 2000) g;
CREATE INDEX pi_e1_id ON pi_e1 (id);
-- gist (rtree is its old name)
CREATE TABLE pi_g (b box, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE pi_g1 PARTITION OF pi_g FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO pi_g SELECT box(point(g, g), point(g + 1, g + 1)), '2025-03-01' FROM generate_series(1, 2000) g;
CREATE INDEX pi_g1_b ON pi_g1 USING gist (b);
ANALYZE pi_t, pi_t1, pi_t2, pi_t3a, pi_t3b, pi_s1, pi_s2, pi_p1a, pi_e1, pi_e2, pi_g1;
-- What PostgreSQL built and read.
CREATE FUNCTION pi_truth(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  known text[];
  reads jsonb;
  result text;
BEGIN
  SELECT array_agg(c.relname::text) INTO known FROM pg_class c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('i', 'I');
  SELECT jsonb_object_agg(c.relname, pg_stat_get_xact_tuples_returned(c.oid)) INTO reads
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r';
  EXECUTE stmt;
  SELECT string_agg(x, ', ' ORDER BY x) INTO result FROM (
    SELECT 'built on ' || t.relname AS x FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'i' AND c.relname <> ALL (known)
    UNION ALL
    SELECT 'read ' || c.relname FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
       AND pg_stat_get_xact_tuples_returned(c.oid) > (reads ->> c.relname)::bigint) s;
  RAISE EXCEPTION USING MESSAGE = coalesce(result, 'nothing built');
EXCEPTION WHEN raise_exception THEN
  RETURN SQLERRM;
END $$;
RESET safemigrate.mode;
CREATE TABLE pi_cases (n int, stmt text);
INSERT INTO pi_cases VALUES
  (1, 'CREATE INDEX pi_t_id ON pi_t (id)'),                                     -- every leaf has one
  (2, 'CREATE INDEX pi_t_code ON pi_t USING btree (code text_pattern_ops) INCLUDE (at)'),  -- opclass, INCLUDE
  (3, 'CREATE INDEX pi_t_code2 ON pi_t (code)'),                               -- default opclass: none matches
  (4, 'CREATE INDEX pi_t_codec ON pi_t (code COLLATE "C")'),                   -- collation matches
  (5, 'CREATE INDEX pi_t_codep ON pi_t (code COLLATE "POSIX")'),               -- another collation
  (6, 'CREATE UNIQUE INDEX pi_t_u ON pi_t (id, at)'),                          -- unique matches unique
  (7, 'CREATE INDEX pi_t_idat ON pi_t (id, at)'),                              -- not unique: no match
  (8, 'CREATE INDEX pi_t_idh ON pi_t USING hash (id)'),                        -- another access method
  (9, 'CREATE INDEX pi_t_lower ON pi_t (lower(code))'),                        -- expression: not matched here, judged as a build (PostgreSQL attaches)
  (10, 'CREATE INDEX pi_s_id ON pi_s (id)'),                                   -- pi_s1_id is taken: built on both
  (11, 'CREATE INDEX pi_p_id ON pi_p (id)'),                                   -- partitioned index attached
  (12, 'CREATE INDEX ON pi_t (id)'),                                           -- no name: the same
  (13, 'CREATE INDEX pi_t_id2 ON pi_t ((id))'),                                -- (column) is the column
  (14, 'CREATE INDEX pi_t_codec2 ON pi_t ((code COLLATE "C"))'),               -- and (column COLLATE c)
  (15, 'CREATE INDEX pi_t_codec3 ON pi_t ((code COLLATE "POSIX") COLLATE "C")'), -- the COLLATE clause wins
  (16, 'CREATE INDEX pi_e_id ON pi_e (id)'),                                   -- built on the empty partition only
  (17, 'CREATE INDEX pi_g_b ON pi_g USING rtree (b)');                         -- rtree is gist
SELECT n, (SELECT string_agg(relation || ' ' || lock_mode || ' ' || verdict || CASE WHEN scans THEN ' (scans)' ELSE '' END, '; ')
             FROM safemigrate.check(stmt)) AS verdict,
       pi_truth('SET LOCAL safemigrate.mode = off; ' || stmt) AS postgres
  FROM pi_cases ORDER BY n;

-- check() counts the partition indexes that earlier statements of the
-- script build (and are not rejected): the recipe of the hint passes.
SELECT n, (SELECT string_agg(stmt_no || ' ' || relation || ' ' || verdict || CASE WHEN scans THEN ' (scans)' ELSE '' END,
                             '; ' ORDER BY stmt_no, relation)
             FROM safemigrate.check(script) WHERE command LIKE 'CREATE INDEX%' AND relation LIKE 'public.pi_s%') AS verdicts
  FROM (VALUES
    (1, 'CREATE INDEX CONCURRENTLY pi_s1_id2 ON pi_s1 (id); CREATE INDEX CONCURRENTLY pi_s2_id2 ON pi_s2 (id); CREATE INDEX pi_s_id ON pi_s (id);'),
    (2, 'CREATE INDEX CONCURRENTLY pi_s1_id2 ON pi_s1 (id); CREATE INDEX pi_s_id ON pi_s (id);'),
    (3, 'CREATE INDEX CONCURRENTLY pi_s1_id2 ON pi_s1 (id DESC); CREATE INDEX pi_s2_id2 ON pi_s2 (id); CREATE INDEX pi_s_id ON pi_s (id);'),
    (4, 'CREATE INDEX pi_s_id ON pi_s (id);')
  ) AS v(n, script) ORDER BY n;
-- ... only the indexes that will exist and be free when it runs: not those of
-- a block rolled back, a later DROP INDEX, a name already taken, nor those an
-- earlier statement attached (CREATE INDEX on the parent, ALTER INDEX ...
-- ATTACH PARTITION).
SELECT n, (SELECT string_agg(stmt_no || ' ' || verdict, ', ' ORDER BY stmt_no)
             FROM safemigrate.check(script) WHERE relation = 'public.pi_s') AS parent_verdicts
  FROM (VALUES
    (1, 'BEGIN; SET LOCAL safemigrate.allow = ''create-index-blocking''; CREATE INDEX pi_s1_x ON pi_s1 (id); CREATE INDEX pi_s2_x ON pi_s2 (id); ROLLBACK; CREATE INDEX pi_s_id ON pi_s (id);'),
    (2, 'BEGIN; SET LOCAL safemigrate.allow = ''create-index-blocking''; CREATE INDEX pi_s1_x ON pi_s1 (id); CREATE INDEX pi_s2_x ON pi_s2 (id); COMMIT; CREATE INDEX pi_s_id ON pi_s (id);'),
    (3, 'BEGIN; SET LOCAL safemigrate.allow = ''create-index-blocking''; CREATE INDEX pi_s1_x ON pi_s1 (id); SAVEPOINT a; CREATE INDEX pi_s2_x ON pi_s2 (id); ROLLBACK TO SAVEPOINT a; COMMIT; CREATE INDEX pi_s_id ON pi_s (id);'),
    (4, 'CREATE INDEX CONCURRENTLY pi_s1_x ON pi_s1 (id); CREATE INDEX CONCURRENTLY pi_s2_x ON pi_s2 (id); DROP INDEX CONCURRENTLY pi_s1_x; CREATE INDEX pi_s_id ON pi_s (id);'),
    (5, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS pi_s1_id ON pi_s1 (id); CREATE INDEX CONCURRENTLY pi_s2_x ON pi_s2 (id); CREATE INDEX pi_s_id ON pi_s (id);'),
    (6, 'CREATE INDEX CONCURRENTLY pi_s1_x ON pi_s1 (id); CREATE INDEX CONCURRENTLY pi_s2_x ON pi_s2 (id); CREATE INDEX pi_s_id ON pi_s (id); CREATE INDEX pi_s_id3 ON pi_s (id);'),
    (7, 'CREATE INDEX pi_s_id ON ONLY pi_s (id); CREATE INDEX CONCURRENTLY pi_s1_x ON pi_s1 (id); ALTER INDEX pi_s_id ATTACH PARTITION pi_s1_x; CREATE INDEX CONCURRENTLY pi_s2_x ON pi_s2 (id); CREATE INDEX pi_s_id4 ON pi_s (id);')
  ) AS v(n, script) ORDER BY n;
-- An existing partition index the script drops (also under a name the script
-- renamed it to), or a script's index renamed and then dropped, is not there to
-- attach either.
SELECT n, (SELECT string_agg(stmt_no || ' ' || verdict, ', ' ORDER BY stmt_no)
             FROM safemigrate.check(script) WHERE command = 'CREATE INDEX' AND relation IN ('public.pi_t', 'public.pi_s')) AS parent_verdicts
  FROM (VALUES
    (8, 'DROP INDEX CONCURRENTLY pi_t1_id; CREATE INDEX pi_t_id ON pi_t (id);'),
    (9, 'ALTER INDEX pi_t1_id RENAME TO pi_t1_idx; DROP INDEX CONCURRENTLY pi_t1_idx; CREATE INDEX pi_t_id ON pi_t (id);'),
    (10, 'ALTER INDEX pi_t1_id RENAME TO pi_t1_idx; CREATE INDEX pi_t_id ON pi_t (id);'),
    (11, 'CREATE INDEX CONCURRENTLY pi_s1_x ON pi_s1 (id); CREATE INDEX CONCURRENTLY pi_s2_x ON pi_s2 (id); ALTER INDEX pi_s1_x RENAME TO pi_s1_y; DROP INDEX CONCURRENTLY pi_s1_y; CREATE INDEX pi_s_id ON pi_s (id);'),
    (12, 'CREATE INDEX CONCURRENTLY pi_s1_x ON pi_s1 (id); CREATE INDEX CONCURRENTLY pi_s2_x ON pi_s2 (id); ALTER INDEX pi_s1_x RENAME TO pi_s1_y; CREATE INDEX pi_s_id ON pi_s (id);'),
    (13, 'ALTER INDEX pi_t1_id RENAME TO pi_t1_idx; ALTER INDEX pi_t1_idx RENAME TO pi_t1_idy; DROP INDEX CONCURRENTLY pi_t1_idy; CREATE INDEX pi_t_id ON pi_t (id);')
  ) AS v(n, script) ORDER BY n;

-- The hook lets the attaching statement through and rejects the building one.
\set VERBOSITY default
CREATE INDEX pi_t_id ON pi_t (id);
SELECT c.relname, i.indisvalid, p.relname AS parent_index
  FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_class p ON p.oid = h.inhparent
  JOIN pg_index i ON i.indexrelid = c.oid
 WHERE p.relname IN ('pi_t_id') ORDER BY 1;
CREATE INDEX pi_s_id ON pi_s (id);
\set VERBOSITY terse

SET safemigrate.mode = off;
-- An event trigger's own DDL while the statement runs is not a build of it.
SET safemigrate.mode = off;
CREATE FUNCTION pi_note() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS pi_seen (tag text PRIMARY KEY, note text);
  INSERT INTO pi_seen VALUES (tg_tag, 'seen') ON CONFLICT DO NOTHING;
END $$;
CREATE EVENT TRIGGER pi_note ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION pi_note();
RESET safemigrate.mode;
CREATE INDEX pi_t_code ON pi_t USING btree (code text_pattern_ops) INCLUDE (at);
SELECT tag FROM pi_seen;
SET safemigrate.mode = off;
DROP EVENT TRIGGER pi_note;
DROP FUNCTION pi_note();

-- A partition attached between the judgement and the build (here by an event
-- trigger at ddl_command_start, which runs after the verdict) gets no index
-- built that was not judged: pi_r1 has one to attach, the empty partition's
-- build is exempt, pi_r3's is refused.
CREATE TABLE pi_r (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE pi_r1 PARTITION OF pi_r FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE pi_r_empty PARTITION OF pi_r FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO pi_r SELECT g, date '2025-01-01' + g % 300 FROM generate_series(1, 2000) g;
CREATE INDEX pi_r1_id ON pi_r1 (id);
CREATE TABLE pi_r3 (id int, at date NOT NULL CHECK (at >= '2027-01-01' AND at < '2028-01-01'));
INSERT INTO pi_r3 SELECT g, date '2027-01-01' + g % 300 FROM generate_series(1, 2000) g;
ANALYZE pi_r, pi_r3;
CREATE FUNCTION pi_attach() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (SELECT relispartition FROM pg_class WHERE oid = 'pi_r3'::regclass) THEN
    ALTER TABLE pi_r ATTACH PARTITION pi_r3 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
  END IF;
END $$;
CREATE EVENT TRIGGER pi_attach ON ddl_command_start WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION pi_attach();
RESET safemigrate.mode;
\set VERBOSITY default
CREATE INDEX pi_r_id ON pi_r (id);
\set VERBOSITY terse
SELECT c.relname, c.relispartition, (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes
  FROM pg_class c WHERE c.relname IN ('pi_r1', 'pi_r_empty', 'pi_r3') ORDER BY 1;
-- without the attach, the build the statement was judged on runs
SET safemigrate.mode = off;
DROP EVENT TRIGGER pi_attach;
RESET safemigrate.mode;
CREATE INDEX pi_r_id ON pi_r (id);
SELECT c.relname AS index, t.relname AS "table" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname LIKE 'pi\_r%' ORDER BY 1;

-- check(): CREATE INDEX on a partitioned table the script creates also builds
-- the index on an existing table the script attached to it (judged as a
-- CREATE INDEX on that table, as the hook judges the partitions it builds on).
SELECT stmt_no, relation, verdict, reason FROM safemigrate.check($$
CREATE TABLE pi_n (id int, at date NOT NULL) PARTITION BY RANGE (at);
ALTER TABLE pi_n ATTACH PARTITION pi_r3 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
CREATE INDEX pi_n_id ON pi_n (id);
CREATE INDEX pi_n_at ON ONLY pi_n (at);
$$) ORDER BY stmt_no, relation;
-- (with the table's index built CONCURRENTLY first, the parent's attaches it)
SELECT stmt_no, relation, verdict FROM safemigrate.check($$
CREATE TABLE pi_n (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE INDEX CONCURRENTLY pi_r3_id ON pi_r3 (id);
ALTER TABLE pi_n ATTACH PARTITION pi_r3 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
CREATE INDEX pi_n_id ON pi_n (id);
$$) ORDER BY stmt_no, relation;

-- IF NOT EXISTS with a taken name is judged a no-op: when the name is dropped
-- before the statement runs, the build it would then be is refused.
SET safemigrate.mode = off;
CREATE TABLE pi_big (id int);
INSERT INTO pi_big SELECT generate_series(1, 2000);
ANALYZE pi_big;
CREATE TABLE pi_other (id int);
CREATE INDEX pi_big_id ON pi_other (id);
CREATE FUNCTION pi_free() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  SET LOCAL safemigrate.mode = off;
  DROP INDEX IF EXISTS pi_big_id;
END $$;
CREATE EVENT TRIGGER pi_free ON ddl_command_start WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION pi_free();
RESET safemigrate.mode;
SELECT verdict, reason FROM safemigrate.check('CREATE INDEX IF NOT EXISTS pi_big_id ON pi_big (id)');
\set VERBOSITY default
CREATE INDEX IF NOT EXISTS pi_big_id ON pi_big (id);
\set VERBOSITY terse
SELECT indexrelid::regclass AS index, indrelid::regclass AS "table" FROM pg_index
 WHERE indexrelid = 'pi_big_id'::regclass;
SET safemigrate.mode = off;
DROP EVENT TRIGGER pi_free;
DROP FUNCTION pi_free(), pi_attach();
DROP TABLE pi_r, pi_r3, pi_big, pi_other;
DROP TABLE pi_t, pi_s, pi_p, pi_e, pi_g, pi_cases;
DROP FUNCTION pi_truth(text);
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
