-- Every rule through the hook: rejected with its SQLSTATE in enforce mode (inside
-- this test's transaction no rewrite is possible), run with a WARNING in warn
-- mode, let through by safemigrate.allow, and by the override for a member of
-- safemigrate_override.  The fixtures are committed (fixtures/setup.sql) and hold
-- 20,000 rows each; every statement is rolled back.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(96);
SET LOCAL search_path = safemigrate_test, public;
SET LOCAL safemigrate.small_table_rows = 0;  -- the materialized view is small

CREATE TEMP TABLE matrix (rule text, stmt text);
INSERT INTO matrix VALUES
  ('create-index-blocking',         'CREATE INDEX m_idx ON orders (placed)'),
  ('drop-index-blocking',           'DROP INDEX orders_placed_idx'),
  ('reindex-blocking',              'REINDEX TABLE orders'),
  ('add-foreign-key-validating',    'ALTER TABLE orders ADD FOREIGN KEY (patient_id) REFERENCES patients (id)'),
  ('add-check-validating',          'ALTER TABLE orders ADD CHECK (total >= 0)'),
  ('set-not-null-scan',             'ALTER TABLE orders ALTER COLUMN status SET NOT NULL'),
  ('add-unique-blocking',           'ALTER TABLE orders ADD UNIQUE (id, status)'),
  ('add-primary-key-blocking',      'ALTER TABLE amounts ADD PRIMARY KEY (id)'),
  ('add-exclusion-blocking',        'ALTER TABLE orders ADD EXCLUDE USING btree (id WITH =)'),
  ('add-column-volatile-default',   'ALTER TABLE orders ADD COLUMN r float8 DEFAULT random()'),
  ('add-column-rewrite',            'ALTER TABLE orders ADD COLUMN g int GENERATED ALWAYS AS (id * 2) STORED'),
  ('alter-column-type-rewrite',     'ALTER TABLE orders ALTER COLUMN status TYPE varchar(3)'),
  ('attach-partition-scan',         'ALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM (''2027-01-01'') TO (''2028-01-01'')'),
  ('cluster-rewrite',               'CLUSTER orders USING orders_pkey'),
  ('create-partition-locks-parent', 'CREATE TABLE events_2028 PARTITION OF events FOR VALUES FROM (''2028-01-01'') TO (''2029-01-01'')'),
  ('detach-partition-blocking',     'ALTER TABLE events DETACH PARTITION events_2026'),
  ('drop-column',                   'ALTER TABLE orders DROP COLUMN note'),
  ('drop-table',                    'DROP TABLE moods'),
  ('lock-table-blocking',           'LOCK TABLE orders IN SHARE MODE'),
  ('refresh-matview-blocking',      'REFRESH MATERIALIZED VIEW order_days'),
  ('rename-column',                 'ALTER TABLE orders RENAME COLUMN note TO remark'),
  ('rename-enum-value',             'ALTER TYPE mood RENAME VALUE ''sad'' TO ''blue'''),
  ('rename-table',                  'ALTER TABLE orders RENAME TO purchases'),
  ('set-logged-rewrite',            'ALTER TABLE orders SET UNLOGGED'),
  ('set-access-method-rewrite',     'ALTER TABLE orders SET ACCESS METHOD heap2'),
  ('set-schema',                    'ALTER TABLE orders SET SCHEMA public'),
  ('set-tablespace-copy',           'ALTER TABLE orders SET TABLESPACE no_such_tablespace'),
  ('truncate-table',                'TRUNCATE orders'),
  ('vacuum-full-rewrite',           'VACUUM FULL orders'),
  ('drop-view',                     'DROP VIEW order_view'),
  ('alter-domain-validating',       'ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0)');

-- A second heap access method, so that SET ACCESS METHOD really changes it.
CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;

-- enforce: each rule's SQLSTATE, from the catalogue.
SELECT throws_ok(m.stmt, r.sqlstate, NULL, 'enforce rejects: ' || m.rule)
  FROM matrix m JOIN safemigrate.rules r ON r.rule = m.rule
 WHERE m.rule NOT IN ('set-tablespace-copy', 'vacuum-full-rewrite')
 ORDER BY m.rule;
-- (SET TABLESPACE needs a tablespace; VACUUM cannot run in a transaction block: check() instead.)
SELECT is((SELECT c.rule || '/' || c.verdict FROM safemigrate.check('ALTER TABLE orders SET TABLESPACE elsewhere') c),
          'set-tablespace-copy/reject', 'set-tablespace-copy is rejected (check())');
SELECT is((SELECT c.rule || '/' || c.verdict FROM safemigrate.check('VACUUM FULL orders') c),
          'vacuum-full-rewrite/reject', 'vacuum-full-rewrite is rejected (check())');

-- warn: the same statements run (each in a savepoint, so that the next one sees the fixtures).
SET LOCAL safemigrate.mode = warn;
SET LOCAL client_min_messages = error;
CREATE FUNCTION pg_temp.runs(sql text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RAISE EXCEPTION 'roll back' USING ERRCODE = 'SMTST';
EXCEPTION
  WHEN SQLSTATE 'SMTST' THEN RETURN true;
  WHEN OTHERS THEN RAISE NOTICE '%: %', SQLSTATE, SQLERRM; RETURN false;
END $$;
SELECT ok(pg_temp.runs(m.stmt), 'warn runs: ' || m.rule)
  FROM matrix m WHERE m.rule NOT IN ('set-tablespace-copy', 'vacuum-full-rewrite', 'cluster-rewrite')
 ORDER BY m.rule;
RESET safemigrate.mode;

-- safemigrate.allow lets each rule through.
SELECT ok(pg_temp.runs(format('SET LOCAL safemigrate.allow = %L; %s', m.rule, m.stmt)), 'allow lets through: ' || m.rule)
  FROM matrix m WHERE m.rule NOT IN ('set-tablespace-copy', 'vacuum-full-rewrite', 'cluster-rewrite')
 ORDER BY m.rule;

-- The override: a member of safemigrate_override, with the comment.
CREATE ROLE regress_sm_tap_breakglass IN ROLE safemigrate_override, regress_sm_tap_user;
SET LOCAL ROLE regress_sm_tap_breakglass;
SELECT ok(pg_temp.runs('/* safemigrate:allow add-check-validating */ ALTER TABLE patients ADD CHECK (id > 0)'),
          'override: a member runs the statement');
RESET ROLE;
SET LOCAL ROLE regress_sm_tap_user;
SELECT throws_ok('/* safemigrate:allow add-check-validating */ ALTER TABLE patients ADD CHECK (id > 0)',
                 'SM005', NULL, 'override: a non-member is rejected');
RESET ROLE;

-- A non-superuser cannot drop or alter the extension's objects.
SET LOCAL ROLE regress_sm_tap_user;
SELECT throws_ok('DROP EXTENSION pg_safemigrate', '42501', NULL, 'a non-superuser cannot drop the extension');
SELECT throws_ok('DROP FUNCTION safemigrate.check(text)', '42501', NULL, 'nor its functions');
SELECT throws_ok('CREATE OR REPLACE VIEW safemigrate.rules AS SELECT 1', '42501', NULL, 'nor replace its view');
SELECT throws_ok('ALTER ROLE safemigrate_override RENAME TO x', '42501', NULL, 'nor touch the override role');
SELECT throws_ok('GRANT safemigrate_override TO regress_sm_tap_user', '42501', NULL, 'nor grant it to itself');
RESET ROLE;

-- DDL sent from an event trigger's function is judged too.
CREATE FUNCTION pg_temp.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  CREATE INDEX et_idx ON safemigrate_test.orders (placed);
END $$;
SELECT lives_ok('CREATE EVENT TRIGGER regress_sm_et ON ddl_command_end WHEN TAG IN (''COMMENT'') EXECUTE FUNCTION pg_temp.on_ddl()',
                'an event trigger that runs DDL');
SELECT throws_ok('COMMENT ON TABLE orders IS ''x''', 'SM001', NULL, 'its DDL is rejected like any other');

SELECT * FROM finish();
ROLLBACK;
