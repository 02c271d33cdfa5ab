-- The documented interface of check(), check_header(), rehearse() and the rules view.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(15);

SELECT has_function('safemigrate', 'check', ARRAY['text'], 'safemigrate.check(text) exists');
SELECT has_function('safemigrate', 'check_header', ARRAY['text'], 'safemigrate.check_header(text) exists');
SELECT has_function('safemigrate', 'rehearse', ARRAY['text', 'interval'], 'safemigrate.rehearse(text, interval) exists');
SELECT has_view('safemigrate', 'rules', 'view safemigrate.rules exists');
SELECT is(
  (SELECT pg_get_function_result('safemigrate.check(text)'::regprocedure)),
  'TABLE(stmt_no integer, statement text, command text, relation text, lock_mode text, rewrites boolean, scans boolean, breaks_clients boolean, category text, rule text, verdict text, reason text, safe_sql text)',
  'check() returns the documented columns');
SELECT is((SELECT count(*)::int FROM safemigrate.rules), 33, '33 rules');
SELECT is((SELECT count(DISTINCT sqlstate)::int FROM safemigrate.rules), 33, 'one SQLSTATE per rule');
SELECT ok((SELECT bool_and(sqlstate ~ '^SM[0-9]{3}$') FROM safemigrate.rules), 'SQLSTATEs are in class SM');

SELECT throws_ok($$SELECT * FROM safemigrate.check('ALTER TABLE t ADD COLUMN;')$$, '42601', NULL,
                 'a syntax error is PostgreSQL''s, with SQLSTATE 42601');
SELECT is((SELECT verdict FROM safemigrate.check('CREATE INDEX ON safemigrate_test.patients (name)')),
          'rewrite', 'check() predicts the hook''s automatic rewrite at top level');
SET LOCAL safemigrate.rewrite = off;
SELECT is((SELECT verdict FROM safemigrate.check('CREATE INDEX ON safemigrate_test.patients (name)')),
          'reject', 'check() predicts the hook''s rejection without rewrites');
RESET safemigrate.rewrite;
SELECT is((SELECT rule FROM safemigrate.check('ALTER TABLE safemigrate_test.patients ADD COLUMN r float8 DEFAULT random()')),
          'add-column-volatile-default', 'check() names the rule');
SELECT is((SELECT count(*)::int FROM pg_attribute WHERE attrelid = 'safemigrate_test.patients'::regclass AND attname = 'r'),
          0, 'check() executes nothing');

-- An ordinary role may classify migrations.
SET LOCAL ROLE regress_sm_tap_user;
SELECT lives_ok($$SELECT * FROM safemigrate.check('ALTER TABLE safemigrate_test.patients ADD COLUMN x int')$$,
                'a non-superuser can run check()');
SELECT is(safemigrate.check_header('ALTER TABLE safemigrate_test.patients ALTER COLUMN id TYPE int'),
          '-- safemigrate: expand-contract', 'check_header() gives the strongest category');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
