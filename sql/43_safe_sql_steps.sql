-- Exact safe SQL where the hints gave prose or placeholders: ADD COLUMN with
-- inline constraints, ADD PRIMARY KEY on nullable columns, CREATE INDEX on a
-- partitioned table.  Each statement is rejected with its steps; the steps
-- (check()'s safe_sql, one statement a line) are then run as given, each in
-- its own transaction, and do what the statement would have done, under the
-- names PostgreSQL would have chosen.
SET safemigrate.small_table_rows = 0;
SET safemigrate.mode = off;
CREATE FUNCTION sq_steps(stmt text) RETURNS SETOF text LANGUAGE sql AS
$$ SELECT s FROM safemigrate.check(stmt) c, regexp_split_to_table(c.safe_sql, E'\n') s WHERE c.safe_sql <> '' $$;
CREATE FUNCTION sq_constraints(tab regclass) RETURNS TABLE (conname name, contype "char", convalidated boolean,
    condeferred boolean, def text) LANGUAGE sql AS
$$ SELECT conname, contype, convalidated, condeferred, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = tab ORDER BY conname $$;
CREATE TABLE sq (id int, a int);
INSERT INTO sq SELECT g, g FROM generate_series(1, 100) g;
CREATE TABLE sq_ref (id int PRIMARY KEY, name text COLLATE "C" UNIQUE);
INSERT INTO sq_ref VALUES (1, 'x'), (2, 'y');
-- a relation that has the name PostgreSQL would give the UNIQUE of column m (it numbers on)
CREATE INDEX sq_m_key ON sq (a);
ANALYZE sq;
RESET safemigrate.mode;

-- 1. ADD COLUMN with a CHECK: the column, then the CHECK NOT VALID, then VALIDATE
ALTER TABLE sq ADD COLUMN d int CHECK (d > 0);
SELECT sq_steps($$ALTER TABLE sq ADD COLUMN d int CHECK (d > 0)$$) \gexec
SELECT * FROM sq_constraints('sq');
-- several at once: the definition as written less the constraints (COLLATE, DEFAULT, NOT NULL stay),
-- a CONSTRAINT name kept, the others named as PostgreSQL names them
ALTER TABLE sq ADD COLUMN g text COLLATE "C" DEFAULT 'x' NOT NULL CONSTRAINT sq_g_ok CHECK (g <> '')
  CHECK (length(g) < 10) REFERENCES sq_ref (name) ON DELETE CASCADE;
-- (the names PostgreSQL gives them, run as written and rolled back)
BEGIN;
SET LOCAL safemigrate.mode = off;
ALTER TABLE sq ADD COLUMN g text COLLATE "C" DEFAULT 'x' NOT NULL CONSTRAINT sq_g_ok CHECK (g <> '')
  CHECK (length(g) < 10) REFERENCES sq_ref (name) ON DELETE CASCADE;
SELECT * FROM sq_constraints('sq') WHERE conname LIKE 'sq_g%';
ROLLBACK;
SELECT sq_steps($$ALTER TABLE sq ADD COLUMN g text COLLATE "C" DEFAULT 'x' NOT NULL CONSTRAINT sq_g_ok CHECK (g <> '')
  CHECK (length(g) < 10) REFERENCES sq_ref (name) ON DELETE CASCADE$$) \gexec
SELECT * FROM sq_constraints('sq') WHERE conname LIKE 'sq_g%';
SELECT attname, attnotnull, collname, pg_get_expr(adbin, adrelid) AS "default"
  FROM pg_attribute JOIN pg_collation c ON c.oid = attcollation LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
 WHERE attrelid = 'sq'::regclass AND attname = 'g';
-- UNIQUE: CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX (its DEFERRABLE kept);
-- sq_m_key is taken by a relation: PostgreSQL would name it sq_m_key1, and so do the steps
ALTER TABLE sq ADD COLUMN m int UNIQUE DEFERRABLE INITIALLY DEFERRED;
BEGIN;
SET LOCAL safemigrate.mode = off;
ALTER TABLE sq ADD COLUMN m int UNIQUE DEFERRABLE INITIALLY DEFERRED;
SELECT * FROM sq_constraints('sq') WHERE conname LIKE 'sq_m%';
ROLLBACK;
SELECT sq_steps($$ALTER TABLE sq ADD COLUMN m int UNIQUE DEFERRABLE INITIALLY DEFERRED$$) \gexec
SELECT * FROM sq_constraints('sq') WHERE conname LIKE 'sq_m%';
-- a REFERENCES with a default is validated apart
ALTER TABLE sq ADD COLUMN f int DEFAULT 1 REFERENCES sq_ref;
SELECT sq_steps($$ALTER TABLE sq ADD COLUMN f int DEFAULT 1 REFERENCES sq_ref$$) \gexec
SELECT * FROM sq_constraints('sq') WHERE conname LIKE 'sq_f%';
-- a REFERENCES without a default is not validated (all NULL) and stays on the column; the CHECK beside it
-- scans the table all the same (the foreign key, judged the strongest, let it through before)
ALTER TABLE sq ADD COLUMN h int REFERENCES sq_ref CHECK (h <> 7);
SELECT sq_steps($$ALTER TABLE sq ADD COLUMN h int REFERENCES sq_ref CHECK (h <> 7)$$) \gexec
SELECT * FROM sq_constraints('sq') WHERE conname LIKE 'sq_h%';
-- an inline PRIMARY KEY: the column NOT NULL from the start (instant with its default)
SET safemigrate.mode = off;
CREATE TABLE sq1 (id int);
INSERT INTO sq1 VALUES (1);
RESET safemigrate.mode;
ALTER TABLE sq1 ADD COLUMN k bigint DEFAULT 7 PRIMARY KEY;
SELECT sq_steps($$ALTER TABLE sq1 ADD COLUMN k bigint DEFAULT 7 PRIMARY KEY$$) \gexec
SELECT * FROM sq_constraints('sq1');

-- 2. ADD PRIMARY KEY on a nullable column: safemigrate.set_not_null() for it first
ALTER TABLE sq ADD PRIMARY KEY (id);
SELECT sq_steps($$ALTER TABLE sq ADD PRIMARY KEY (id)$$) \gexec
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'sq'::regclass AND attname = 'id';
SELECT * FROM sq_constraints('sq') WHERE contype = 'p';
-- ... and with USING INDEX
SET safemigrate.mode = off;
CREATE TABLE "Sq 2" ("Id" int, b int);
INSERT INTO "Sq 2" SELECT g, g FROM generate_series(1, 50) g;
CREATE UNIQUE INDEX sq2_id_uq ON "Sq 2" ("Id", b);
RESET safemigrate.mode;
ALTER TABLE "Sq 2" ADD CONSTRAINT sq2_pk PRIMARY KEY USING INDEX sq2_id_uq;
SELECT sq_steps($$ALTER TABLE "Sq 2" ADD CONSTRAINT sq2_pk PRIMARY KEY USING INDEX sq2_id_uq$$) \gexec
SELECT * FROM sq_constraints('"Sq 2"');

-- 3. CREATE INDEX on a partitioned table: the parent's index ON ONLY (named as PostgreSQL would name it),
-- then one line per partition: built CONCURRENTLY and attached (a partitioned partition's own ON ONLY, its
-- partitions next), a matching index of its own attached as it is; the parent's index ends valid
SET safemigrate.mode = off;
CREATE SCHEMA sq_s;
CREATE TABLE sq_ev (id int, at date, k int) PARTITION BY RANGE (at);
CREATE TABLE sq_ev_2023 PARTITION OF sq_ev FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE sq_s.sq_ev_2024 PARTITION OF sq_ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY LIST (k);
CREATE TABLE sq_s.sq_ev_2024_a PARTITION OF sq_s.sq_ev_2024 FOR VALUES IN (1);
CREATE TABLE sq_ev_2024_b PARTITION OF sq_s.sq_ev_2024 FOR VALUES IN (2);
CREATE TABLE sq_ev_2025 PARTITION OF sq_ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX sq_ev_2025_own ON sq_ev_2025 (at);
INSERT INTO sq_ev SELECT g, date '2023-01-01' + g, 1 + g % 2 FROM generate_series(1, 1000) g;
ANALYZE sq_ev;
BEGIN;
CREATE INDEX ON sq_ev (at);
SELECT indexrelid::regclass AS parent_index_postgresql_names FROM pg_index WHERE indrelid = 'sq_ev'::regclass;
ROLLBACK;
RESET safemigrate.mode;
CREATE INDEX ON sq_ev (at);
SELECT sq_steps($$CREATE INDEX ON sq_ev (at)$$) \gexec
-- an index on an expression with INCLUDE and WHERE: the statement's own list and clauses on each partition
CREATE UNIQUE INDEX sq_ev_k ON sq_ev USING btree (k, (id + 0), at) INCLUDE (id) WHERE k > 0;
SELECT sq_steps($$CREATE UNIQUE INDEX sq_ev_k ON sq_ev USING btree (k, (id + 0), at) INCLUDE (id) WHERE k > 0$$) \gexec
SELECT c.relname, i.indisvalid, i.indisunique, pg_get_expr(i.indpred, i.indrelid) AS pred
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid IN (SELECT relid FROM pg_partition_tree('sq_ev')) ORDER BY 1;
-- the statement itself now attaches and builds nothing: allowed
CREATE INDEX IF NOT EXISTS sq_ev_at_idx ON sq_ev (at);
-- a foreign partition has no index, and an index ON ONLY the parent would never become valid: each
-- partition's index first, then the statement, which attaches them
SET safemigrate.mode = off;
CREATE FOREIGN DATA WRAPPER sq_fdw;
CREATE SERVER sq_srv FOREIGN DATA WRAPPER sq_fdw;
CREATE TABLE sq_fp (id int, k int) PARTITION BY LIST (k);
CREATE TABLE sq_fp_1 PARTITION OF sq_fp FOR VALUES IN (1);
CREATE FOREIGN TABLE sq_fp_2 PARTITION OF sq_fp FOR VALUES IN (2) SERVER sq_srv;
INSERT INTO sq_fp_1 SELECT g, 1 FROM generate_series(1, 100) g;
ANALYZE sq_fp_1;
RESET safemigrate.mode;
CREATE INDEX ON sq_fp (id);
SELECT sq_steps($$CREATE INDEX ON sq_fp (id)$$) \gexec
SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid IN (SELECT relid FROM pg_partition_tree('sq_fp')) ORDER BY 1;
-- 25 partitions: the hint lists 20 of them, check() every step
SET safemigrate.mode = off;
CREATE TABLE sq_many (id int, k int) PARTITION BY LIST (k);
DO $$ BEGIN
  FOR g IN 1..25 LOOP
    EXECUTE format('CREATE TABLE sq_many_%s PARTITION OF sq_many FOR VALUES IN (%s)', g, g);
  END LOOP;
END $$;
INSERT INTO sq_many SELECT g, 1 + g % 25 FROM generate_series(1, 500) g;
ANALYZE sq_many;
RESET safemigrate.mode;
CREATE INDEX sq_many_id ON sq_many (id);
SELECT count(*) AS steps FROM sq_steps($$CREATE INDEX sq_many_id ON sq_many (id)$$);
SELECT sq_steps($$CREATE INDEX sq_many_id ON sq_many (id)$$) \gexec
SELECT count(*) FILTER (WHERE i.indisvalid) AS valid, count(*) AS indexes
  FROM pg_index i WHERE i.indrelid IN (SELECT relid FROM pg_partition_tree('sq_many'));

SET safemigrate.mode = off;
DROP TABLE sq, sq1, "Sq 2", sq_ev, sq_fp, sq_many, sq_ref;
DROP SCHEMA sq_s;
DROP SERVER sq_srv;
DROP FOREIGN DATA WRAPPER sq_fdw;
DROP FUNCTION sq_steps(text), sq_constraints(regclass);
RESET safemigrate.mode;
RESET safemigrate.small_table_rows;
