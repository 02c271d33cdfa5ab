-- The policy on top of the classifier: automatic rewrites, small tables,
-- safemigrate.allow, the break-glass override, declared categories.
CREATE SCHEMA policy_test;
SET search_path = policy_test, public;
CREATE TABLE visits (id bigint PRIMARY KEY, patient_id bigint, at date, note text);
INSERT INTO visits SELECT g, g % 500, date '2026-01-01' + g % 300, 'n' FROM generate_series(1, 20000) g;
CREATE TABLE tiny (id int PRIMARY KEY, v int);
INSERT INTO tiny SELECT g, g FROM generate_series(1, 100) g;
CREATE MATERIALIZED VIEW visit_days AS SELECT at, count(*) AS n FROM visits GROUP BY at;
CREATE UNIQUE INDEX CONCURRENTLY visit_days_at ON visit_days (at);
CREATE TABLE ev (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE ev_2027 PARTITION OF ev FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
INSERT INTO ev SELECT g, date '2026-01-01' + g % 600 FROM generate_series(1, 20000) g;
ANALYZE;

-- Automatic rewrites (safemigrate.rewrite = on, top level, outside a transaction
-- block): the CONCURRENTLY form runs instead, announced by a NOTICE.
\set VERBOSITY terse
SET safemigrate.small_table_rows = 0;  -- the matview is small; 08 tests the exemption further down
CREATE INDEX visits_patient_idx ON visits (patient_id);
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indexrelid = 'visits_patient_idx'::regclass;
REINDEX INDEX visits_patient_idx;
REFRESH MATERIALIZED VIEW visit_days;
DROP INDEX visits_patient_idx;
SELECT to_regclass('visits_patient_idx') IS NULL AS dropped;
ALTER TABLE ev DETACH PARTITION ev_2027;
SELECT count(*) AS partitions FROM pg_inherits WHERE inhparent = 'ev'::regclass;

-- Multi-step rewrites: each step in its own transaction, under the lock protocol.
CREATE TABLE patients (id bigint PRIMARY KEY, name text);
INSERT INTO patients SELECT g, 'p' || g FROM generate_series(0, 499) g;
ALTER TABLE visits ADD CONSTRAINT visits_patient_fk FOREIGN KEY (patient_id) REFERENCES patients (id);
ALTER TABLE visits ADD CONSTRAINT visits_id_positive CHECK (id > 0);
ALTER TABLE visits ALTER COLUMN note SET NOT NULL;
ALTER TABLE visits ADD CONSTRAINT visits_id_at_key UNIQUE (id, at);
SELECT conname, contype, convalidated FROM pg_constraint WHERE conrelid = 'visits'::regclass ORDER BY 1;
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'visits'::regclass AND attname = 'note';
-- A step that fails leaves the steps before it committed, in a valid state
-- (a NOT VALID constraint already checks new rows); the error names the step.
ALTER TABLE visits DROP CONSTRAINT visits_patient_fk;
INSERT INTO visits VALUES (20001, 9999, '2026-01-01', 'orphan');
ALTER TABLE visits ADD CONSTRAINT visits_patient_fk2 FOREIGN KEY (patient_id) REFERENCES patients (id);
SELECT conname, convalidated FROM pg_constraint WHERE conname = 'visits_patient_fk2';
-- Running the statement again continues where it stopped.
DELETE FROM visits WHERE id = 20001;
ALTER TABLE visits ADD CONSTRAINT visits_patient_fk2 FOREIGN KEY (patient_id) REFERENCES patients (id);
SELECT conname, convalidated FROM pg_constraint WHERE conname = 'visits_patient_fk2';

-- Inside a transaction block the CONCURRENTLY form is impossible: rejected, with the steps.
BEGIN;
CREATE INDEX visits_at_idx ON visits (at);
ROLLBACK;
-- Several statements in one query string are an implicit transaction block.
SELECT 1 \; CREATE INDEX visits_at_idx ON visits (at);
-- warn mode runs the statement as written, with a warning.
SET safemigrate.mode = warn;
CREATE INDEX visits_at_idx ON visits (at);
RESET safemigrate.mode;
/* safemigrate: concurrent */ DROP INDEX CONCURRENTLY visits_at_idx;
-- An INVALID index left by a failed CONCURRENTLY build is dropped first
-- (DROP INDEX CONCURRENTLY), then the index is built: two steps.
CREATE INDEX CONCURRENTLY visits_bad_idx ON visits ((1 / (id - 5000)));
SELECT indisvalid FROM pg_index WHERE indexrelid = 'visits_bad_idx'::regclass;
CREATE INDEX visits_bad_idx ON visits (at);
SELECT indisvalid, pg_get_indexdef(indexrelid) FROM pg_index WHERE indexrelid = 'visits_bad_idx'::regclass;
DROP INDEX CONCURRENTLY visits_bad_idx;
-- A rewritten build that fails drops the INVALID index it left at once
-- (the error's detail says so), so that running it again just works:
-- a unique index on duplicates, an expression that fails on one row, and
-- the CREATE UNIQUE INDEX CONCURRENTLY step of a rewritten ADD UNIQUE.
CREATE UNIQUE INDEX visits_patient_uq ON visits (patient_id);
CREATE INDEX ON visits ((1 / (id - 5000)));
ALTER TABLE visits ADD CONSTRAINT visits_at_key UNIQUE (at);
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'visits'::regclass ORDER BY indexrelid::regclass::text;
CREATE UNIQUE INDEX visits_patient_uq ON visits (patient_id, id);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'visits_patient_uq'::regclass;
DROP INDEX CONCURRENTLY visits_patient_uq;

-- Small tables (fewer rows than small_table_rows and smaller than
-- small_table_size) are exempt from lock rules, not from breaking rules.
RESET safemigrate.small_table_rows;
SET safemigrate.rewrite = off;
ALTER TABLE tiny ADD CONSTRAINT tiny_v_check CHECK (v > 0);
ALTER TABLE tiny DROP COLUMN v;
SET safemigrate.small_table_rows = 50;
ALTER TABLE tiny ADD CONSTRAINT tiny_v_check2 CHECK (v > 0);
RESET safemigrate.small_table_rows;

-- safemigrate.allow lets named rules through; unknown ids are an error.
SET safemigrate.allow = 'add-check-validating, set-not-null-scan';
ALTER TABLE visits ADD CONSTRAINT visits_id_check CHECK (id > 0);
SET safemigrate.allow = 'no-such-rule';
RESET safemigrate.allow;

-- The break-glass override: honoured for members of safemigrate_override only.
CREATE ROLE regress_sm_migrator;
CREATE ROLE regress_sm_breakglass IN ROLE safemigrate_override;
GRANT ALL ON SCHEMA policy_test TO regress_sm_migrator, regress_sm_breakglass;
ALTER TABLE visits OWNER TO regress_sm_migrator;
GRANT regress_sm_migrator TO regress_sm_breakglass;
SET SESSION AUTHORIZATION regress_sm_migrator;
/* safemigrate:allow add-check-validating */ ALTER TABLE visits ADD CONSTRAINT visits_at_check CHECK (at > '2000-01-01');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_sm_breakglass;
/* safemigrate:allow add-check-validating */ ALTER TABLE visits ADD CONSTRAINT visits_at_check CHECK (at > '2000-01-01');
-- a non-member cannot borrow the override through SET ROLE to a role it is not in
SET ROLE regress_sm_migrator;
/* safemigrate:allow add-check-validating */ ALTER TABLE visits ADD CONSTRAINT visits_at_check2 CHECK (at > '2000-01-01');
RESET ROLE;
RESET SESSION AUTHORIZATION;
-- the override role exists once per cluster and nobody can log in with it
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = 'safemigrate_override';

-- Declared categories: weaker than the truth is rejected; require_declaration.
\set VERBOSITY default
/* safemigrate: instant-safe */ ALTER TABLE visits ALTER COLUMN note SET NOT NULL;
/* safemigrate: instant-safe */ CREATE INDEX CONCURRENTLY visits_note_idx ON visits (note);
\set VERBOSITY terse
/* safemigrate: instant-safe */ ALTER TABLE visits ADD COLUMN room text;
SET safemigrate.require_declaration = on;
ALTER TABLE visits ADD COLUMN floor int;
/* safemigrate: instant-safe */ ALTER TABLE visits ADD COLUMN floor int;
CREATE TABLE undeclared_new (a int);
-- Statements that lock an existing table count too (triggers, comments, policies).
COMMENT ON TABLE visits IS 'appointments';
/* safemigrate: instant-safe */ COMMENT ON TABLE visits IS 'appointments';
-- (a column name that is not qualified: PostgreSQL's own error)
COMMENT ON COLUMN visits IS 'x';
RESET safemigrate.require_declaration;

-- Only superusers may weaken the policy.
SET SESSION AUTHORIZATION regress_sm_migrator;
SET safemigrate.allow = 'create-index-blocking';
SET safemigrate.small_table_rows = 1000000000;
SET safemigrate.require_declaration = off;
SET safemigrate.rewrite = on;
RESET SESSION AUTHORIZATION;

-- A rejection carries the table in the error's schema and table fields, as
-- errtable() would, for drivers and ORMs that show them.
DO $$
DECLARE s text; t text; c text;
BEGIN
  ALTER TABLE visits RENAME COLUMN note TO remark;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = SCHEMA_NAME, t = TABLE_NAME, c = RETURNED_SQLSTATE;
  RAISE NOTICE 'sqlstate %, schema %, table %', c, s, t;
END $$;

RESET search_path;
/* safemigrate: expand-contract */ DROP SCHEMA policy_test CASCADE;
DROP ROLE regress_sm_migrator, regress_sm_breakglass;
