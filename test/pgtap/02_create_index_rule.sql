-- Rule create-index-blocking: reject / warn / allow paths, with the SQLSTATE.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(11);

SELECT throws_ok(
  'CREATE INDEX tap_name_idx ON safemigrate_test.patients (name)',
  'SM001',
  'create-index-blocking: CREATE INDEX on table "safemigrate_test.patients" would block writes',
  'enforce: CREATE INDEX on a table with data is rejected with SQLSTATE SM001');
SELECT throws_ok(
  'CREATE UNIQUE INDEX tap_id_idx ON safemigrate_test.patients (id)', 'SM001', NULL,
  'enforce: CREATE UNIQUE INDEX is rejected too');

-- The hint carries the exact safe statement.
CREATE FUNCTION pg_temp.hint_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
  EXECUTE sql;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
  RETURN h;
END $$;
SELECT is(
  pg_temp.hint_of('CREATE INDEX tap_born_idx ON safemigrate_test.patients USING btree (born DESC) WHERE born > ''2000-01-01'''),
  'Run instead: CREATE INDEX CONCURRENTLY tap_born_idx ON safemigrate_test.patients USING btree (born DESC) WHERE born > ''2000-01-01'';  CREATE INDEX CONCURRENTLY cannot run inside a transaction block or a function: send it as a statement of its own.',
  'the hint is the same statement with CONCURRENTLY');

-- The owner of the table is rejected like anyone else.
SET LOCAL ROLE regress_sm_tap_user;
SELECT throws_ok('CREATE INDEX tap_owner_idx ON safemigrate_test.patients (born)', 'SM001', NULL,
                 'the table owner is rejected too');
RESET ROLE;

-- Exempt: empty table, table created in this transaction, temporary table.
SELECT lives_ok('CREATE INDEX tap_empty_idx ON safemigrate_test.empty_t (a)',
                'an empty table is exempt');
CREATE TABLE safemigrate_test.tap_new AS SELECT generate_series(1, 1000) AS a;
SELECT lives_ok('CREATE INDEX tap_new_idx ON safemigrate_test.tap_new (a)',
                'a table created in this transaction is exempt');
CREATE TEMP TABLE tap_tmp AS SELECT generate_series(1, 1000) AS a;
SELECT lives_ok('CREATE INDEX tap_tmp_idx ON tap_tmp (a)', 'a temporary table is exempt');

-- warn mode: runs, with a warning.
SET LOCAL safemigrate.mode = warn;
SELECT lives_ok('CREATE INDEX tap_warn_idx ON safemigrate_test.patients (born)',
                'warn: the statement runs');
SELECT has_index('safemigrate_test', 'patients', 'tap_warn_idx', 'warn: the index exists');
-- off: runs silently.
SET LOCAL safemigrate.mode = off;
SELECT lives_ok('CREATE INDEX tap_off_idx ON safemigrate_test.patients (name)',
                'off: the statement runs');
RESET safemigrate.mode;
SELECT throws_ok('CREATE INDEX tap_again_idx ON safemigrate_test.patients (name)', 'SM001', NULL,
                 'enforce again after RESET');

SELECT * FROM finish();
ROLLBACK;
