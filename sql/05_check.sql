-- safemigrate.check(): classifies a migration without executing it.
-- The fixtures are small: test the rules, not the small-table exemption (08_policy).
SET safemigrate.small_table_rows = 0;
CREATE SCHEMA check_test;
SET search_path = check_test, public;
CREATE TABLE parent (id bigint PRIMARY KEY, name text, code varchar(10), amount numeric(8,2),
                     seen timestamp, status text NOT NULL DEFAULT 'new');
INSERT INTO parent SELECT g, 'n' || g, 'c', g, timestamp '2026-01-01', 'new' FROM generate_series(1, 3000) g;
CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint, note text);
INSERT INTO child SELECT g, g, 'x' FROM generate_series(1, 3000) g;
CREATE TABLE checked (id int, v int, CONSTRAINT v_present CHECK (v IS NOT NULL));
INSERT INTO checked SELECT g, g FROM generate_series(1, 100) g;
CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO events SELECT g, date '2025-01-01' + g % 300 FROM generate_series(1, 1000) g;
CREATE TABLE events_2026 (id bigint, at date);
INSERT INTO events_2026 VALUES (1, '2026-02-01');
CREATE TABLE events_2027 (id bigint, at date,
  CONSTRAINT in_2027 CHECK (at IS NOT NULL AND at >= '2027-01-01' AND at < '2028-01-01'));
INSERT INTO events_2027 VALUES (1, '2027-02-01');
CREATE MATERIALIZED VIEW parent_mv AS SELECT id, name FROM parent;
CREATE UNIQUE INDEX CONCURRENTLY parent_mv_id ON parent_mv (id);
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
ANALYZE;
SET TimeZone = 'UTC';

SELECT stmt_no, command, relation, lock_mode, rewrites AS rw, scans AS sc, breaks_clients AS br,
       category, rule, verdict
  FROM safemigrate.check($$
ALTER TABLE parent ADD COLUMN a int;
ALTER TABLE parent ADD COLUMN b int DEFAULT 0;
ALTER TABLE parent ADD COLUMN c timestamptz DEFAULT now();
ALTER TABLE parent ADD COLUMN d float8 DEFAULT random();
ALTER TABLE parent ADD COLUMN e timestamptz DEFAULT clock_timestamp();
ALTER TABLE parent ADD COLUMN f uuid DEFAULT gen_random_uuid();
ALTER TABLE parent ADD COLUMN g bigserial;
ALTER TABLE parent ADD COLUMN h int GENERATED ALWAYS AS IDENTITY;
ALTER TABLE parent ADD COLUMN i int GENERATED ALWAYS AS (id * 2) STORED;
ALTER TABLE parent ADD COLUMN j positive;
ALTER TABLE parent ADD COLUMN k int NOT NULL DEFAULT 1;
ALTER TABLE parent ADD COLUMN l int CHECK (l > 0);
ALTER TABLE parent ADD COLUMN m int UNIQUE;
ALTER TABLE child ADD COLUMN p2 bigint REFERENCES parent (id);
ALTER TABLE parent ALTER COLUMN code TYPE varchar(20);
ALTER TABLE parent ALTER COLUMN code TYPE varchar(5);
ALTER TABLE parent ALTER COLUMN code TYPE text;
ALTER TABLE parent ALTER COLUMN name TYPE varchar(50);
ALTER TABLE parent ALTER COLUMN amount TYPE numeric(12,2);
ALTER TABLE parent ALTER COLUMN amount TYPE numeric(12,4);
ALTER TABLE parent ALTER COLUMN id TYPE int;
ALTER TABLE parent ALTER COLUMN seen TYPE timestamptz;
ALTER TABLE parent ALTER COLUMN code TYPE varchar(30) USING code;
ALTER TABLE parent ALTER COLUMN code TYPE varchar(30) USING upper(code);
ALTER TABLE parent ALTER COLUMN name SET DEFAULT 'x';
ALTER TABLE parent ALTER COLUMN name SET NOT NULL;
ALTER TABLE parent ALTER COLUMN status SET NOT NULL;
ALTER TABLE checked ALTER COLUMN v SET NOT NULL;
ALTER TABLE parent ALTER COLUMN name DROP NOT NULL;
ALTER TABLE parent ALTER COLUMN name SET STATISTICS 500;
ALTER TABLE parent ALTER COLUMN name SET STORAGE EXTERNAL;
ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id);
ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;
ALTER TABLE child VALIDATE CONSTRAINT child_parent_fk;
ALTER TABLE parent ADD CONSTRAINT amount_positive CHECK (amount > 0);
ALTER TABLE parent ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;
ALTER TABLE child ADD UNIQUE (parent_id);
ALTER TABLE child ADD CONSTRAINT child_pk2 PRIMARY KEY (parent_id);
ALTER TABLE parent ADD CONSTRAINT parent_pkey2 UNIQUE USING INDEX parent_pkey;
ALTER TABLE parent DROP CONSTRAINT parent_pkey;
ALTER TABLE parent DROP COLUMN name;
ALTER TABLE parent RENAME COLUMN name TO full_name;
ALTER TABLE parent RENAME TO parents;
ALTER TABLE parent SET SCHEMA public;
ALTER TABLE parent SET UNLOGGED;
ALTER TABLE parent SET LOGGED;
ALTER TABLE parent SET TABLESPACE pg_default;
ALTER TABLE parent SET ACCESS METHOD heap;
ALTER TABLE parent SET (fillfactor = 70);
ALTER TABLE parent SET (autovacuum_enabled = false);
ALTER TABLE parent DISABLE TRIGGER ALL;
ALTER TABLE parent ENABLE ROW LEVEL SECURITY;
ALTER TABLE parent OWNER TO CURRENT_USER;
ALTER TABLE parent CLUSTER ON parent_pkey;
ALTER TABLE parent REPLICA IDENTITY FULL;
ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
ALTER TABLE events DETACH PARTITION events_2025;
ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY;
CREATE TABLE events_2028 PARTITION OF events FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
CREATE INDEX ON parent (name);
CREATE INDEX CONCURRENTLY ON parent (name);
DROP INDEX parent_mv_id;
DROP INDEX CONCURRENTLY parent_mv_id;
REINDEX TABLE parent;
REINDEX INDEX CONCURRENTLY parent_pkey;
REFRESH MATERIALIZED VIEW parent_mv;
REFRESH MATERIALIZED VIEW CONCURRENTLY parent_mv;
VACUUM FULL parent;
VACUUM (ANALYZE) parent;
CLUSTER parent USING parent_pkey;
TRUNCATE child;
DROP TABLE child;
LOCK TABLE parent IN ACCESS EXCLUSIVE MODE;
LOCK TABLE parent IN ROW EXCLUSIVE MODE;
CREATE TRIGGER t BEFORE UPDATE ON parent FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
COMMENT ON TABLE parent IS 'patients';
GRANT SELECT ON parent TO PUBLIC;
ALTER TYPE mood ADD VALUE 'happy';
ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';
ALTER INDEX parent_pkey RENAME TO parent_pk;
UPDATE parent SET name = 'x' WHERE id = 1;
$$) ORDER BY stmt_no, relation;

-- Relations created earlier in the script count as new; statements inside
-- BEGIN ... COMMIT get the note that CONCURRENTLY needs a statement of its own.
SELECT stmt_no, command, relation, rule, verdict, reason, safe_sql
  FROM safemigrate.check($$
CREATE TABLE invoices (id bigint PRIMARY KEY, parent_id bigint, total numeric);
CREATE INDEX invoices_parent ON invoices (parent_id);
ALTER TABLE invoices ADD FOREIGN KEY (parent_id) REFERENCES parent (id);
BEGIN;
CREATE INDEX parent_seen ON parent (seen);
COMMIT;
$$) ORDER BY stmt_no, relation;

-- Reasons and safe SQL of the concurrent-category rules.
SELECT stmt_no, rule, reason, safe_sql
  FROM safemigrate.check($$
ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id);
alter table ONLY check_test.parent add check (amount >= 0);
ALTER TABLE parent ALTER COLUMN name SET NOT NULL;
ALTER TABLE child ADD CONSTRAINT child_parent_key UNIQUE (parent_id);
ALTER TABLE parent ADD COLUMN d float8 DEFAULT random();
DROP INDEX parent_mv_id, parent_pkey;
REINDEX (VERBOSE) TABLE parent;
REFRESH MATERIALIZED VIEW parent_mv WITH DATA;
ALTER TABLE events DETACH PARTITION events_2025;
$$) WHERE rule IS NOT NULL ORDER BY stmt_no;

-- Without a rewrite, an index whose operator class changes is still rebuilt
-- (timestamp -> timestamptz under UTC); a parent-only index on a partitioned
-- table builds nothing.
CREATE INDEX CONCURRENTLY parent_seen_idx ON parent (seen);
SELECT stmt_no, rewrites, scans, rule, reason FROM safemigrate.check($$
ALTER TABLE parent ALTER COLUMN seen TYPE timestamptz;
ALTER TABLE parent ALTER COLUMN code TYPE varchar(40);
CREATE INDEX events_at_idx ON ONLY events (at);
$$) ORDER BY stmt_no, relation;

-- A declared expand-contract statement may break clients, but not block them.
SELECT stmt_no, rule, verdict, reason FROM safemigrate.check($$
ALTER TABLE parent DROP COLUMN status;
/* safemigrate: expand-contract */ ALTER TABLE parent DROP COLUMN name;
/* safemigrate: expand-contract */ ALTER TABLE parent ALTER COLUMN id TYPE int;
$$) ORDER BY stmt_no;
-- A declaration before the first statement (the file's header) covers the whole
-- migration; a comment further down covers only the statement it precedes.
SELECT stmt_no, rule, verdict FROM safemigrate.check($$-- safemigrate: expand-contract
ALTER TABLE parent DROP COLUMN name;
ALTER TABLE parent RENAME COLUMN code TO kind;
$$) ORDER BY stmt_no;
SELECT stmt_no, rule, verdict FROM safemigrate.check($$
ALTER TABLE parent DROP COLUMN name;
-- safemigrate: expand-contract
SELECT 1;
$$) ORDER BY stmt_no;

-- The header comment for the migration file: the strongest category.
SELECT safemigrate.check_header('ALTER TABLE parent ADD COLUMN x int; CREATE INDEX CONCURRENTLY ON parent (seen);');
SELECT safemigrate.check_header('ALTER TABLE parent ADD COLUMN x int');
SELECT safemigrate.check_header('ALTER TABLE parent ALTER COLUMN id TYPE int');

-- warn and off modes change the verdict only.
SET safemigrate.mode = warn;
SELECT verdict FROM safemigrate.check('CREATE INDEX ON parent (name)');
SET safemigrate.mode = off;
SELECT verdict FROM safemigrate.check('CREATE INDEX ON parent (name)');
RESET safemigrate.mode;

-- Bad input: unknown relations and errors PostgreSQL would raise are reported
-- per statement; a syntax error is the parser's, with its position.
SELECT stmt_no, command, relation, verdict, reason FROM safemigrate.check($$
ALTER TABLE no_such_table ADD COLUMN x int;
ALTER TABLE parent ADD COLUMN y int DEFAULT no_such_function();
ALTER TABLE parent ADD COLUMN z no_such_type;
CREATE INDEX ON parent (id);
$$) ORDER BY stmt_no;
SELECT * FROM safemigrate.check('ALTER TABLE parent ADD COLUMN;');
SELECT * FROM safemigrate.check('SELECT 1; CREATE INDX foo ON parent (id);');
SELECT count(*) FROM safemigrate.check('');
SELECT count(*) FROM safemigrate.check(NULL);
-- check() executes nothing.
SELECT count(*) AS parent_columns FROM pg_attribute WHERE attrelid = 'parent'::regclass AND attnum > 0 AND NOT attisdropped;

-- Every rule, with its SQLSTATE and category.
SELECT rule, sqlstate, category FROM safemigrate.rules ORDER BY sqlstate;

RESET search_path;
/* safemigrate: expand-contract */ DROP SCHEMA check_test CASCADE;
