-- Findings of a review of the rewrites (2026-11-26), each fixed and kept here:
-- what an interrupted rewrite left is continued only when it is the same
-- constraint; steps keep every clause of the statement; a new partitioned
-- table with old partitions is not new; an INVALID index is dropped only on
-- the table the CREATE INDEX names.
CREATE SCHEMA rf;
SET search_path = rf, public;
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
CREATE TABLE c1 (id int PRIMARY KEY, a int, b int);
INSERT INTO c1 SELECT g, g, g FROM generate_series(1, 2000) g;
CREATE TABLE m2 (id int PRIMARY KEY);
INSERT INTO m2 SELECT g FROM generate_series(1, 2000) g;
CREATE TABLE customers (id int PRIMARY KEY);
INSERT INTO customers SELECT g FROM generate_series(1, 2000) g;
ANALYZE;

-- NOT VALID constraints with the names the rewrites would use, other definitions.
SET safemigrate.mode = off;
ALTER TABLE c1 ADD CONSTRAINT c1_a_check CHECK (a < 1000000) NOT VALID;
ALTER TABLE c1 ADD CONSTRAINT fkish CHECK (b > 0) NOT VALID;
ALTER TABLE c1 ADD CONSTRAINT c1_b_not_null CHECK (b > -5) NOT VALID;
ALTER TABLE c1 ADD CONSTRAINT c1_a_fkey FOREIGN KEY (b) REFERENCES m2 NOT VALID;
RESET safemigrate.mode;
-- An unnamed CHECK gets the next free name, as PostgreSQL names it.
ALTER TABLE c1 ADD CHECK (a > 0);
-- A named one that exists with another definition: PostgreSQL's own error.
ALTER TABLE c1 ADD CONSTRAINT fkish CHECK (b < 0);
-- SET NOT NULL leaves the table's own c1_b_not_null alone.
ALTER TABLE c1 ALTER COLUMN b SET NOT NULL;
-- An unnamed foreign key on a: not the NOT VALID one on b.
ALTER TABLE c1 ADD FOREIGN KEY (a) REFERENCES customers (id);
SELECT conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint
WHERE conrelid = 'c1'::regclass ORDER BY conname;
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'c1'::regclass AND attname = 'b';

-- The same definition left NOT VALID by an interrupted run: only validated.
SET safemigrate.mode = off;
ALTER TABLE c1 ADD CONSTRAINT c1_id_check CHECK (id > 0) NOT VALID;
ALTER TABLE c1 ADD CONSTRAINT c1_a_not_null CHECK (a IS NOT NULL) NOT VALID;
RESET safemigrate.mode;
SELECT * FROM safemigrate.check('ALTER TABLE c1 ADD CHECK (id > 0); ALTER TABLE c1 ALTER COLUMN a SET NOT NULL;')
WHERE rule IS NOT NULL;
ALTER TABLE c1 ADD CHECK (id > 0);
ALTER TABLE c1 ALTER COLUMN a SET NOT NULL;
SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'c1'::regclass AND conname LIKE 'c1\_id%'
   OR conrelid = 'c1'::regclass AND conname LIKE 'c1\_a\_not%' ORDER BY 1;

-- Names as PostgreSQL reads them: an unquoted name folds to lower case, a
-- quoted one keeps its case and is quoted once in the steps.
ALTER TABLE c1 ADD CONSTRAINT MyCheck CHECK (id < 10000000);
CREATE TABLE "Orders" (id int PRIMARY KEY, amount int);
INSERT INTO "Orders" SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE "Orders";
ALTER TABLE "Orders" ADD CHECK (amount > 0);
ALTER TABLE "Orders" ADD CONSTRAINT "Amount Max" CHECK (amount < 1000000);
-- a keyword as a name is quoted in the steps
ALTER TABLE "Orders" ADD CONSTRAINT "check" CHECK (amount <> 0);
SELECT conname, convalidated FROM pg_constraint
 WHERE conrelid IN ('c1'::regclass, '"Orders"'::regclass) AND conname IN ('mycheck', 'Orders_amount_check', 'Amount Max', 'check')
 ORDER BY 1;

-- ADD UNIQUE keeps INCLUDE, NULLS NOT DISTINCT, WITH, DEFERRABLE; default names are unquoted.
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Mixed Table" ("Id" int, v int);
INSERT INTO "My Schema"."Mixed Table" SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE "My Schema"."Mixed Table";
ALTER TABLE "My Schema"."Mixed Table" ADD CONSTRAINT "Uq" UNIQUE NULLS NOT DISTINCT ("Id") INCLUDE (v)
  WITH (fillfactor = 80) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "My Schema"."Mixed Table" ADD UNIQUE ("Id", v);
-- an unnamed one with INCLUDE is named as PostgreSQL names it, with the INCLUDE columns
ALTER TABLE "My Schema"."Mixed Table" ADD UNIQUE (v) INCLUDE ("Id");
SELECT conname, pg_get_constraintdef(c.oid) AS def, condeferrable, condeferred, i.reloptions
FROM pg_constraint c JOIN pg_class i ON i.oid = c.conindid
WHERE conrelid = '"My Schema"."Mixed Table"'::regclass ORDER BY conname;

-- Messages name a relation as PostgreSQL does: "schema.name", without identifier quotes inside.
ALTER TABLE "My Schema"."Mixed Table" DROP COLUMN v;

-- An existing unique index is reused only when USING INDEX takes it as it is.
CREATE TABLE u1 (a int, c int);
INSERT INTO u1 SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE u1;
CREATE UNIQUE INDEX CONCURRENTLY u1_a_desc ON u1 (a DESC);
CREATE UNIQUE INDEX CONCURRENTLY u1_c_nnd ON u1 (c) NULLS NOT DISTINCT;
ALTER TABLE u1 ADD CONSTRAINT u1_a_uq UNIQUE (a);
ALTER TABLE u1 ADD CONSTRAINT u1_c_uq UNIQUE (c);
SELECT conname, pg_get_constraintdef(oid) AS def, conindid::regclass FROM pg_constraint
WHERE conrelid = 'u1'::regclass ORDER BY 1;
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'u1'::regclass ORDER BY indexrelid::regclass::text;

-- Unnamed, the index gets the name PostgreSQL would choose: the default one is taken by another relation.
CREATE TABLE u2 (a int NOT NULL, b int);
INSERT INTO u2 SELECT g, g FROM generate_series(1, 2000) g;
ANALYZE u2;
CREATE SEQUENCE u2_b_key;
CREATE SEQUENCE u2_pkey;
ALTER TABLE u2 ADD UNIQUE (b);
ALTER TABLE u2 ADD PRIMARY KEY (a);
SELECT conname, pg_get_constraintdef(oid) AS def, conindid::regclass FROM pg_constraint
WHERE conrelid = 'u2'::regclass ORDER BY 1;

-- A partitioned table created in this transaction with an old partition is not new.
CREATE TABLE big (id int NOT NULL, v int);
INSERT INTO big SELECT g, g FROM generate_series(1, 2000) g;
ALTER TABLE big ADD CONSTRAINT big_range CHECK (id >= 0 AND id < 1000000);
ANALYZE big;
BEGIN;
CREATE TABLE p (id int NOT NULL, v int) PARTITION BY RANGE (id);
ALTER TABLE p ATTACH PARTITION big FOR VALUES FROM (0) TO (1000000);
SAVEPOINT s;
CREATE INDEX ON p (v);
ROLLBACK TO s;
ALTER TABLE p ALTER COLUMN v TYPE bigint;
ROLLBACK;
-- with only new partitions it is new
BEGIN;
CREATE TABLE p (id int NOT NULL, v int) PARTITION BY RANGE (id);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (1000000);
CREATE INDEX ON p (v);
ALTER TABLE p ALTER COLUMN v TYPE bigint;
ROLLBACK;

-- ATTACH PARTITION builds the parent's indexes the table lacks, under its lock.
CREATE TABLE events (id int NOT NULL, payload int) PARTITION BY RANGE (id);
CREATE INDEX events_payload_idx ON events (payload);
CREATE TABLE events_1 (id int NOT NULL, payload int);
INSERT INTO events_1 SELECT g, g FROM generate_series(1, 2000) g;
ALTER TABLE events_1 ADD CONSTRAINT events_1_bound CHECK (id >= 0 AND id < 1000000);
ANALYZE events_1;
SELECT relation, lock_mode, scans, rule, verdict
  FROM safemigrate.check('ALTER TABLE events ATTACH PARTITION events_1 FOR VALUES FROM (0) TO (1000000)');
\set VERBOSITY default
ALTER TABLE events ATTACH PARTITION events_1 FOR VALUES FROM (0) TO (1000000);
\set VERBOSITY terse
CREATE INDEX CONCURRENTLY events_1_payload_idx ON events_1 (payload);
ALTER TABLE events ATTACH PARTITION events_1 FOR VALUES FROM (0) TO (1000000);
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'events_1'::regclass;
-- The parent's primary key needs a primary key (or unique constraint) on the table, not a plain unique index.
CREATE TABLE pk_parent (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE pk_part (id int NOT NULL);
INSERT INTO pk_part SELECT g FROM generate_series(1, 2000) g;
ALTER TABLE pk_part ADD CONSTRAINT pk_part_bound CHECK (id >= 0 AND id < 1000000);
CREATE UNIQUE INDEX CONCURRENTLY pk_part_id ON pk_part (id);
ANALYZE pk_part;
SELECT relation, scans, rule, verdict
  FROM safemigrate.check('ALTER TABLE pk_parent ATTACH PARTITION pk_part FOR VALUES FROM (0) TO (1000000)')
 WHERE relation = 'rf.pk_part';
ALTER TABLE pk_part ADD CONSTRAINT pk_part_pkey PRIMARY KEY USING INDEX pk_part_id;
SELECT relation, scans, rule, verdict
  FROM safemigrate.check('ALTER TABLE pk_parent ATTACH PARTITION pk_part FOR VALUES FROM (0) TO (1000000)')
 WHERE relation = 'rf.pk_part';

-- A CREATE INDEX named like an INVALID index of another table: PostgreSQL's error.
CREATE TABLE x1 (a int);
INSERT INTO x1 VALUES (1), (1);
CREATE UNIQUE INDEX CONCURRENTLY x1_uq ON x1 (a);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'x1_uq'::regclass;
CREATE INDEX x1_uq ON u1 (c);
SELECT indrelid::regclass, indisvalid FROM pg_index WHERE indexrelid = 'x1_uq'::regclass;

-- REFRESH ... WITH NO DATA runs no query: not rewritten (CONCURRENTLY cannot go with it).
CREATE MATERIALIZED VIEW mv AS SELECT id FROM c1;
CREATE UNIQUE INDEX CONCURRENTLY mv_id ON mv (id);
REFRESH MATERIALIZED VIEW mv WITH NO DATA;
SELECT relispopulated FROM pg_class WHERE oid = 'mv'::regclass;
REFRESH MATERIALIZED VIEW mv;

-- A declaration inside an E'' string is not a declaration.
ALTER TABLE c1 DROP COLUMN a, ALTER COLUMN b SET DEFAULT E'\' /* safemigrate: expand-contract */ ';
SELECT count(*) FROM pg_attribute WHERE attrelid = 'c1'::regclass AND attname = 'a' AND NOT attisdropped;


-- A foreign key from a partitioned table has no NOT VALID form in PostgreSQL 15: not rewritten.
CREATE TABLE fkp (id int, r int) PARTITION BY RANGE (id);
CREATE TABLE fkp1 PARTITION OF fkp FOR VALUES FROM (0) TO (1000000);
INSERT INTO fkp SELECT g, g FROM generate_series(1, 2000) g;
CREATE TABLE fkref (id int PRIMARY KEY);
INSERT INTO fkref SELECT generate_series(1, 2000);
ANALYZE fkp1, fkref;
ALTER TABLE fkp ADD CONSTRAINT fkp_r_fk FOREIGN KEY (r) REFERENCES fkref (id);
SELECT count(*) AS fks FROM pg_constraint WHERE conname = 'fkp_r_fk';

RESET safemigrate.small_table_rows;
/* safemigrate: expand-contract */ DROP SCHEMA rf CASCADE;
/* safemigrate: expand-contract */ DROP SCHEMA "My Schema" CASCADE;
