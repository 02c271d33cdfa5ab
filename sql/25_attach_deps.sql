-- ATTACH PARTITION beyond the partition bound (tablecmds.c
-- ATExecAttachPartition): the parent's foreign keys the table lacks are
-- added to it and validated on every row, and every referenced table is
-- locked ShareRowExclusive (CloneFkReferencing); the default partition is
-- scanned for rows of the new bound unless its CHECKs keep them out.  Each
-- verdict is set beside what PostgreSQL does (rows read, locks, rolled back).
SET safemigrate.small_table_rows = 0;
SET safemigrate.mode = off;
CREATE TABLE ad_cust (id int PRIMARY KEY);
INSERT INTO ad_cust SELECT g FROM generate_series(1, 100) g;
CREATE TABLE ad_pf (id int, cid int REFERENCES ad_cust, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ad_pf_2025 (LIKE ad_pf INCLUDING ALL);   -- LIKE copies no foreign key
ALTER TABLE ad_pf_2025 ADD CONSTRAINT ad_pf_2025_b CHECK (at >= '2025-01-01' AND at < '2026-01-01');
INSERT INTO ad_pf_2025 SELECT g, 1 + g % 100, '2025-03-01' FROM generate_series(1, 2000) g;
CREATE TABLE ad_pf_2026 (LIKE ad_pf INCLUDING ALL);
ALTER TABLE ad_pf_2026 ADD CONSTRAINT ad_pf_2026_b CHECK (at >= '2026-01-01' AND at < '2027-01-01');
ALTER TABLE ad_pf_2026 ADD CONSTRAINT ad_pf_2026_fk FOREIGN KEY (cid) REFERENCES ad_cust;
INSERT INTO ad_pf_2026 SELECT g, 1 + g % 100, '2026-03-01' FROM generate_series(1, 2000) g;
CREATE TABLE ad_pp (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ad_pp_def PARTITION OF ad_pp DEFAULT;
INSERT INTO ad_pp SELECT g, '2020-01-01' FROM generate_series(1, 2000) g;
ALTER TABLE ad_pp_def ADD CONSTRAINT ad_pp_def_no2031 CHECK (at < '2031-01-01' OR at >= '2032-01-01');
CREATE TABLE ad_pp_2030 (LIKE ad_pp);
ALTER TABLE ad_pp_2030 ADD CONSTRAINT ad_pp_2030_b CHECK (at >= '2030-01-01' AND at < '2031-01-01');
INSERT INTO ad_pp_2030 SELECT g, '2030-03-01' FROM generate_series(1, 2000) g;
CREATE TABLE ad_pp_2031 (LIKE ad_pp);
ALTER TABLE ad_pp_2031 ADD CONSTRAINT ad_pp_2031_b CHECK (at >= '2031-01-01' AND at < '2032-01-01');
INSERT INTO ad_pp_2031 SELECT g, '2031-03-01' FROM generate_series(1, 2000) g;
-- a partitioned table attached to a parent with an index it lacks: built on its leaves
CREATE TABLE ad_pq (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE INDEX ad_pq_id ON ad_pq (id);
CREATE TABLE ad_pqx (id int, at date NOT NULL, CONSTRAINT ad_pqx_bound CHECK (at >= '2040-01-01' AND at < '2041-01-01'))
  PARTITION BY RANGE (at);
CREATE TABLE ad_pqx_a PARTITION OF ad_pqx FOR VALUES FROM ('2040-01-01') TO ('2040-07-01');
CREATE TABLE ad_pqx_b PARTITION OF ad_pqx FOR VALUES FROM ('2040-07-01') TO ('2041-01-01');
INSERT INTO ad_pqx SELECT g, '2040-03-01' FROM generate_series(1, 2000) g;
CREATE INDEX ad_pqx_b_id ON ad_pqx_b (id);  -- (one leaf has a matching index already)
CREATE TABLE ad_pqy (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ad_pqy_a PARTITION OF ad_pqy FOR VALUES FROM ('2041-01-01') TO ('2042-01-01');
ALTER TABLE ad_pqy ADD CONSTRAINT ad_pqy_bound CHECK (at >= '2041-01-01' AND at < '2042-01-01');
INSERT INTO ad_pqy SELECT g, '2041-03-01' FROM generate_series(1, 2000) g;
CREATE INDEX ad_pqy_id ON ad_pqy (id);      -- a matching partitioned index: attached, nothing built
-- an INVALID partitioned index (ON ONLY, nothing attached) matches nothing: built on the leaves
CREATE TABLE ad_pqz (id int, at date NOT NULL, CONSTRAINT ad_pqz_bound CHECK (at >= '2042-01-01' AND at < '2043-01-01'))
  PARTITION BY RANGE (at);
CREATE TABLE ad_pqz_a PARTITION OF ad_pqz FOR VALUES FROM ('2042-01-01') TO ('2043-01-01');
INSERT INTO ad_pqz SELECT g, '2042-03-01' FROM generate_series(1, 2000) g;
CREATE INDEX ad_pqz_id ON ONLY ad_pqz (id);
-- two foreign keys of the parent alike: the table's one key is taken over once, the other is validated
CREATE TABLE ad_df (id int, cid int, at date NOT NULL) PARTITION BY RANGE (at);
ALTER TABLE ad_df ADD CONSTRAINT ad_df_fk1 FOREIGN KEY (cid) REFERENCES ad_cust;
ALTER TABLE ad_df ADD CONSTRAINT ad_df_fk2 FOREIGN KEY (cid) REFERENCES ad_cust;
CREATE TABLE ad_df1 (id int, cid int REFERENCES ad_cust, at date NOT NULL,
  CONSTRAINT ad_df1_b CHECK (at >= '2025-01-01' AND at < '2026-01-01'));
INSERT INTO ad_df1 SELECT g, 1 + g % 100, '2025-03-01' FROM generate_series(1, 2000) g;
-- a foreign key to a partitioned table (one constraint row per referenced partition): taken over, no scan
CREATE TABLE ad_rb (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE ad_rb1 PARTITION OF ad_rb FOR VALUES FROM (0) TO (50);
CREATE TABLE ad_rb2 PARTITION OF ad_rb FOR VALUES FROM (50) TO (200);
INSERT INTO ad_rb SELECT g FROM generate_series(1, 100) g;
CREATE TABLE ad_fp (id int, cid int REFERENCES ad_rb, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ad_fp1 (id int, cid int REFERENCES ad_rb, at date NOT NULL,
  CONSTRAINT ad_fp1_b CHECK (at >= '2025-01-01' AND at < '2026-01-01'));
INSERT INTO ad_fp1 SELECT g, 1 + g % 100, '2025-03-01' FROM generate_series(1, 2000) g;
-- a partitioned table whose leaves have the key: taken over leaf by leaf, no scan
CREATE TABLE ad_lq (id int, cid int, at date NOT NULL, CONSTRAINT ad_lq_b CHECK (at >= '2026-01-01' AND at < '2027-01-01'))
  PARTITION BY RANGE (at);
CREATE TABLE ad_lq_a PARTITION OF ad_lq FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE ad_lq_a ADD CONSTRAINT ad_lq_a_fk FOREIGN KEY (cid) REFERENCES ad_cust;
INSERT INTO ad_lq SELECT g, 1 + g % 100, '2026-03-01' FROM generate_series(1, 2000) g;
-- a partitioned default partition whose partitions' CHECKs keep out the new bound: no scan
CREATE TABLE ad_dp (k int, at int NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ad_dp_def PARTITION OF ad_dp DEFAULT PARTITION BY LIST (k);
CREATE TABLE ad_dp_d1 PARTITION OF ad_dp_def FOR VALUES IN (1);
CREATE TABLE ad_dp_d2 PARTITION OF ad_dp_def FOR VALUES IN (2);
INSERT INTO ad_dp SELECT 1 + g % 2, 200 + g % 100 FROM generate_series(1, 2000) g;
ALTER TABLE ad_dp_d1 ADD CONSTRAINT ad_dp_d1_out CHECK (at < 100 OR at >= 200);
ALTER TABLE ad_dp_d2 ADD CONSTRAINT ad_dp_d2_out CHECK (at < 100 OR at >= 200);
CREATE TABLE ad_dp_new (k int, at int NOT NULL, CONSTRAINT ad_dp_new_b CHECK (at >= 100 AND at < 200));
CREATE TABLE ad_dp_new2 (k int, at int NOT NULL, CONSTRAINT ad_dp_new2_b CHECK (at >= 0 AND at < 100));
-- a partitioned table whose partitions' CHECKs imply the bound: no scan
CREATE TABLE ad_lp (k int, at int NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ad_lt (k int, at int NOT NULL) PARTITION BY LIST (k);
CREATE TABLE ad_lt1 PARTITION OF ad_lt FOR VALUES IN (1);
CREATE TABLE ad_lt2 PARTITION OF ad_lt FOR VALUES IN (2);
INSERT INTO ad_lt SELECT 1 + g % 2, g % 100 FROM generate_series(1, 2000) g;
ALTER TABLE ad_lt1 ADD CONSTRAINT ad_lt1_b CHECK (at >= 0 AND at < 100);
ALTER TABLE ad_lt2 ADD CONSTRAINT ad_lt2_b CHECK (at >= 0 AND at < 100);
-- a key referencing an ancestor of the parent locks its table too
CREATE TABLE ad_g (id int, at int NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE ad_gp PARTITION OF ad_g FOR VALUES FROM (0) TO (1000) PARTITION BY RANGE (at);
CREATE TABLE ad_gp1 PARTITION OF ad_gp FOR VALUES FROM (0) TO (100);
CREATE TABLE ad_gref (gid int, gat int, FOREIGN KEY (gid, gat) REFERENCES ad_g);
CREATE TABLE ad_gt (id int NOT NULL, at int NOT NULL, PRIMARY KEY (id, at), CONSTRAINT ad_gt_b CHECK (at >= 100 AND at < 200));
-- two levels: a key / an index of an intermediate partition is taken over with its subtree
CREATE TABLE ad_mt (id int, cid int, at int NOT NULL, CONSTRAINT ad_mt_b CHECK (at >= 0 AND at < 100)) PARTITION BY RANGE (at);
CREATE TABLE ad_mt_mid (id int, cid int REFERENCES ad_cust, at int NOT NULL, CONSTRAINT ad_mt_b CHECK (at >= 0 AND at < 100))
  PARTITION BY RANGE (at);
CREATE TABLE ad_mt_leaf PARTITION OF ad_mt_mid FOR VALUES FROM (0) TO (100);
CREATE INDEX ad_mt_mid_id ON ad_mt_mid (id);
ALTER TABLE ad_mt ATTACH PARTITION ad_mt_mid FOR VALUES FROM (0) TO (100);
INSERT INTO ad_mt SELECT g, 1 + g % 100, g % 100 FROM generate_series(1, 2000) g;
CREATE TABLE ad_mp (id int, cid int REFERENCES ad_cust, at int NOT NULL) PARTITION BY RANGE (at);
CREATE INDEX ad_mp_id ON ad_mp (id);
-- a table whose foreign key references the parent is locked too
CREATE TABLE ad_rp (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE ad_rord (pid int, pat date, FOREIGN KEY (pid, pat) REFERENCES ad_rp);
CREATE TABLE ad_rp2 (id int NOT NULL, at date NOT NULL, PRIMARY KEY (id, at),
  CONSTRAINT ad_rp2_b CHECK (at >= '2025-01-01' AND at < '2026-01-01'));
ANALYZE ad_cust, ad_pf_2025, ad_pf_2026, ad_pp_def, ad_pp_2030, ad_pp_2031, ad_pqx_a, ad_pqx_b, ad_pqy_a, ad_pqz_a,
  ad_df1, ad_rb1, ad_rb2, ad_fp1, ad_lq_a, ad_dp_d1, ad_dp_d2, ad_lt1, ad_lt2, ad_mt_leaf;
-- What PostgreSQL read, and its locks on ad_cust.
CREATE FUNCTION ad_truth(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  reads jsonb;
  result text;
BEGIN
  SELECT jsonb_object_agg(c.relname, pg_stat_get_xact_tuples_returned(c.oid)) INTO reads
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r';
  SELECT reads || jsonb_object_agg(c.relname, 0) INTO reads
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'i';
  EXECUTE stmt;
  SELECT string_agg(x, ', ' ORDER BY x) INTO result FROM (
    SELECT 'built ' || c.relname AS x FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'i' AND NOT reads ? c.relname
    UNION ALL
    SELECT 'read ' || c.relname AS x FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname <> 'ad_cust'
       AND pg_stat_get_xact_tuples_returned(c.oid) > (reads ->> c.relname)::bigint
    UNION ALL
    SELECT c.relname || ' ' || l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
     WHERE c.relname IN ('ad_cust', 'ad_rord', 'ad_gref') AND l.pid = pg_backend_pid() AND l.mode <> 'AccessShareLock') s;
  RAISE EXCEPTION USING MESSAGE = coalesce(result, 'nothing');
EXCEPTION WHEN raise_exception THEN
  RETURN SQLERRM;
END $$;
RESET safemigrate.mode;
CREATE TABLE ad_cases (n int, stmt text);
INSERT INTO ad_cases VALUES
  (1, 'ALTER TABLE ad_pf ATTACH PARTITION ad_pf_2025 FOR VALUES FROM (''2025-01-01'') TO (''2026-01-01'')'),  -- lacks the FK
  (2, 'ALTER TABLE ad_pf ATTACH PARTITION ad_pf_2026 FOR VALUES FROM (''2026-01-01'') TO (''2027-01-01'')'),  -- has it
  (3, 'ALTER TABLE ad_pp ATTACH PARTITION ad_pp_2030 FOR VALUES FROM (''2030-01-01'') TO (''2031-01-01'')'),  -- default scanned
  (4, 'ALTER TABLE ad_pp ATTACH PARTITION ad_pp_2031 FOR VALUES FROM (''2031-01-01'') TO (''2032-01-01'')'),  -- default proved
  (5, 'ALTER TABLE ad_pq ATTACH PARTITION ad_pqx FOR VALUES FROM (''2040-01-01'') TO (''2041-01-01'')'),      -- index built on a leaf
  (6, 'ALTER TABLE ad_pq ATTACH PARTITION ad_pqy FOR VALUES FROM (''2041-01-01'') TO (''2042-01-01'')'),     -- nothing built
  (7, 'ALTER TABLE ad_pq ATTACH PARTITION ad_pqz FOR VALUES FROM (''2042-01-01'') TO (''2043-01-01'')'),     -- INVALID index: built
  (8, 'ALTER TABLE ad_df ATTACH PARTITION ad_df1 FOR VALUES FROM (''2025-01-01'') TO (''2026-01-01'')'),     -- second key validated
  (9, 'ALTER TABLE ad_fp ATTACH PARTITION ad_fp1 FOR VALUES FROM (''2025-01-01'') TO (''2026-01-01'')'),     -- taken over
  (10, 'ALTER TABLE ad_pf ATTACH PARTITION ad_lq FOR VALUES FROM (''2026-01-01'') TO (''2027-01-01'')'),    -- leaves take over
  (11, 'ALTER TABLE ad_rp ATTACH PARTITION ad_rp2 FOR VALUES FROM (''2025-01-01'') TO (''2026-01-01'')'),   -- referencing table
  (12, 'ALTER TABLE ad_dp ATTACH PARTITION ad_dp_new FOR VALUES FROM (100) TO (200)'),                      -- default's leaves prove it
  (13, 'ALTER TABLE ad_dp ATTACH PARTITION ad_dp_new2 FOR VALUES FROM (0) TO (100)'),                      -- they do not
  (14, 'ALTER TABLE ad_lp ATTACH PARTITION ad_lt FOR VALUES FROM (0) TO (100)'),                            -- leaves prove it
  (15, 'ALTER TABLE ad_gp ATTACH PARTITION ad_gt FOR VALUES FROM (100) TO (200)'),                         -- ancestor's referencer
  (16, 'ALTER TABLE ad_mp ATTACH PARTITION ad_mt FOR VALUES FROM (0) TO (100)');                            -- two levels, nothing to do
SELECT n, (SELECT string_agg(relation || ' ' || lock_mode || ' ' || verdict || CASE WHEN scans THEN ' (scans)' ELSE '' END, '; ')
             FROM safemigrate.check(stmt)) AS verdict,
       ad_truth('SET LOCAL safemigrate.mode = off; ' || stmt) AS postgres
  FROM ad_cases ORDER BY n;

-- The hook names what to do first; done, the ATTACH passes.
\set VERBOSITY default
ALTER TABLE ad_pf ATTACH PARTITION ad_pf_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE ad_pf_2025 ADD CONSTRAINT ad_pf_2025_fk FOREIGN KEY (cid) REFERENCES ad_cust NOT VALID;
ALTER TABLE ad_pf_2025 VALIDATE CONSTRAINT ad_pf_2025_fk;
ALTER TABLE ad_pf ATTACH PARTITION ad_pf_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
SELECT conname, conparentid <> 0 AS attached FROM pg_constraint WHERE conrelid = 'ad_pf_2025'::regclass AND contype = 'f';
ALTER TABLE ad_pp ATTACH PARTITION ad_pp_2030 FOR VALUES FROM ('2030-01-01') TO ('2031-01-01');

-- A bound computed by a function is not evaluated while judging (check() runs
-- nothing; a volatile value would differ from the one the ATTACH then reads):
-- the ATTACH is judged as scanning.  Constants, casts of them and MAXVALUE
-- are read.
SET safemigrate.mode = off;
CREATE TABLE ad_bp (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ad_bt (id int, at date NOT NULL CHECK (at >= '2030-01-01' AND at < '2031-01-01'));
INSERT INTO ad_bt SELECT g, '2030-07-01' FROM generate_series(1, 100) g;
CREATE TABLE ad_side (msg text);
CREATE FUNCTION ad_bound() RETURNS date LANGUAGE plpgsql AS $$
BEGIN INSERT INTO ad_side VALUES ('ran'); RETURN date '2030-01-01'; END $$;
RESET safemigrate.mode;
SELECT n, verdict, scans FROM (VALUES
    (1, 'ALTER TABLE ad_bp ATTACH PARTITION ad_bt FOR VALUES FROM (ad_bound()) TO (''2031-01-01'')'),
    (2, 'ALTER TABLE ad_bp ATTACH PARTITION ad_bt FOR VALUES FROM (''2030-01-01''::date) TO (MAXVALUE)'),
    (3, 'ALTER TABLE ad_bp ATTACH PARTITION ad_bt FOR VALUES FROM (''2030-01-01''::text::date) TO (''2031-01-01'')'),
    (4, 'ALTER TABLE ad_bp ATTACH PARTITION ad_bt FOR VALUES FROM (date ''2030-01-01'' + 1) TO (''2031-01-01'')')
  ) AS v(n, stmt), safemigrate.check(stmt) WHERE relation = 'public.ad_bt' ORDER BY n;
SELECT count(*) AS function_ran FROM ad_side;
ALTER TABLE ad_bp ATTACH PARTITION ad_bt FOR VALUES FROM (ad_bound()) TO ('2031-01-01');
SELECT count(*) AS function_ran, (SELECT relispartition FROM pg_class WHERE oid = 'ad_bt'::regclass) FROM ad_side;
ALTER TABLE ad_bp ATTACH PARTITION ad_bt FOR VALUES FROM ('2030-01-01'::date) TO (MAXVALUE);

-- A string constant is read through the key type's input function only when
-- that runs no user code: not for a composite or array type holding a domain
-- (its CHECK would run).
SET safemigrate.mode = off;
CREATE FUNCTION ad_chk(int) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS
$$BEGIN INSERT INTO ad_side VALUES ('check ran'); RETURN true; END$$;
CREATE DOMAIN ad_dom AS int CHECK (ad_chk(VALUE));
CREATE TYPE ad_comp AS (v ad_dom);
CREATE TABLE ad_cp (k ad_comp) PARTITION BY RANGE (k);
CREATE TABLE ad_cp1 (k ad_comp);
CREATE TABLE ad_ap (k ad_dom[]) PARTITION BY LIST (k);
CREATE TABLE ad_ap1 (k ad_dom[]);
RESET safemigrate.mode;
SELECT relation, verdict, scans FROM safemigrate.check($$ALTER TABLE ad_cp ATTACH PARTITION ad_cp1 FOR VALUES FROM ('(1)') TO ('(5)')$$)
 WHERE relation = 'public.ad_cp1';
SELECT relation, verdict, scans FROM safemigrate.check($$ALTER TABLE ad_ap ATTACH PARTITION ad_ap1 FOR VALUES IN ('{7}')$$)
 WHERE relation = 'public.ad_ap1';
SELECT count(*) AS check_ran FROM ad_side;

SET safemigrate.mode = off;
DROP TABLE ad_bp, ad_side, ad_cp, ad_cp1, ad_ap, ad_ap1;
DROP TYPE ad_comp;
DROP DOMAIN ad_dom;
DROP FUNCTION ad_bound(), ad_chk(int);
DROP TABLE ad_pf, ad_pf_2026, ad_pp, ad_pp_2030, ad_pp_2031, ad_cases, ad_pq, ad_pqx, ad_pqy, ad_pqz, ad_df, ad_df1, ad_fp, ad_fp1, ad_lq, ad_rb, ad_rord, ad_rp, ad_dp, ad_dp_new, ad_dp_new2, ad_lp, ad_lt, ad_gref, ad_g, ad_gt, ad_mp, ad_mt, ad_cust;
DROP FUNCTION ad_truth(text);
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
