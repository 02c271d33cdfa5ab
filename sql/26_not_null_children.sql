-- SET NOT NULL scans each table it reaches unless that table's own valid
-- CHECKs prove the column NOT NULL (phase 3, NotNullImpliedByRelConstraints):
-- a parent's NO INHERIT CHECK proves nothing for its children, and a
-- partitioned table needs its partitions' proofs.  Each verdict beside what
-- PostgreSQL reads (rolled back).
SET safemigrate.small_table_rows = 0;
SET safemigrate.mode = off;
CREATE TABLE nn_ip (id int, v text, CONSTRAINT nn_ip_v CHECK (v IS NOT NULL) NO INHERIT);
CREATE TABLE nn_ic () INHERITS (nn_ip);
INSERT INTO nn_ic SELECT g, 'x' FROM generate_series(1, 2000) g;
CREATE TABLE nn_pt (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE nn_pt1 PARTITION OF nn_pt FOR VALUES FROM (0) TO (1000);
CREATE TABLE nn_pt2 PARTITION OF nn_pt FOR VALUES FROM (1000) TO (2000);
INSERT INTO nn_pt SELECT g, 'x' FROM generate_series(0, 1999) g;
ALTER TABLE nn_pt1 ADD CONSTRAINT nn_pt1_v CHECK (v IS NOT NULL);
ALTER TABLE nn_pt2 ADD CONSTRAINT nn_pt2_v CHECK (v IS NOT NULL);
CREATE TABLE nn_pu (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE nn_pu1 PARTITION OF nn_pu FOR VALUES FROM (0) TO (1000);
CREATE TABLE nn_pu2 PARTITION OF nn_pu FOR VALUES FROM (1000) TO (2000);
INSERT INTO nn_pu SELECT g, 'x' FROM generate_series(0, 1999) g;
ALTER TABLE nn_pu1 ADD CONSTRAINT nn_pu1_v CHECK (v IS NOT NULL);
-- a parent already NOT NULL whose child is not (traditional inheritance allows it)
CREATE TABLE nn_ap (id int, v int NOT NULL);
CREATE TABLE nn_ac () INHERITS (nn_ap);
ALTER TABLE ONLY nn_ac ALTER COLUMN v DROP NOT NULL;
INSERT INTO nn_ac SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE nn_ip, nn_ic, nn_pt1, nn_pt2, nn_pu1, nn_pu2, nn_ac;
CREATE FUNCTION nn_truth(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  reads jsonb;
  result text;
BEGIN
  SELECT jsonb_object_agg(c.relname, pg_stat_get_xact_tuples_returned(c.oid)) INTO reads
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r';
  EXECUTE stmt;
  SELECT string_agg('read ' || c.relname, ', ' ORDER BY c.relname) INTO result FROM pg_class c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
     AND pg_stat_get_xact_tuples_returned(c.oid) > (reads ->> c.relname)::bigint;
  RAISE EXCEPTION USING MESSAGE = coalesce(result, 'nothing');
EXCEPTION WHEN raise_exception THEN
  RETURN SQLERRM;
END $$;
RESET safemigrate.mode;
CREATE TABLE nn_cases (n int, stmt text);
INSERT INTO nn_cases VALUES
  (1, 'ALTER TABLE nn_ip ALTER COLUMN v SET NOT NULL'),        -- the child has no proof
  (2, 'ALTER TABLE ONLY nn_ip ALTER COLUMN v SET NOT NULL'),   -- the parent alone: its CHECK proves it
  (3, 'ALTER TABLE nn_pt ALTER COLUMN v SET NOT NULL'),        -- every partition proved
  (4, 'ALTER TABLE nn_pu ALTER COLUMN v SET NOT NULL'),        -- one partition not
  (5, 'ALTER TABLE nn_ap ALTER COLUMN v SET NOT NULL');        -- the parent already is, its child not
SELECT n, (SELECT string_agg(verdict, ', ') FROM safemigrate.check(stmt)
            WHERE NOT reason LIKE 'a partition or inheritance child%') AS verdict,
       nn_truth('SET LOCAL safemigrate.mode = off; ' || stmt) AS postgres
  FROM nn_cases ORDER BY n;
-- The hook lets the proved one through.
ALTER TABLE nn_pt ALTER COLUMN v SET NOT NULL;
SELECT attrelid::regclass, attnotnull FROM pg_attribute WHERE attname = 'v' AND attrelid IN ('nn_pt1'::regclass, 'nn_pt2'::regclass) ORDER BY attrelid::regclass::text;

SET safemigrate.mode = off;
DROP TABLE nn_ip, nn_ic, nn_pt, nn_pu, nn_ap, nn_ac, nn_cases;
DROP FUNCTION nn_truth(text);
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
