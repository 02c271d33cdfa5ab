-- Catalog shape of the extension and privileges of its settings.
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
BEGIN;
SELECT plan(9);

SELECT has_extension('pg_safemigrate', 'pg_safemigrate is installed');
SELECT has_schema('safemigrate', 'schema safemigrate exists');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'pg_safemigrate'), '0.3.0',
          'version 0.3.0');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'pg_safemigrate'), false,
          'not relocatable');
SELECT has_function('safemigrate', 'assert_preloaded', ARRAY[]::text[],
                    'safemigrate.assert_preloaded() exists');
SELECT lives_ok('SELECT safemigrate.assert_preloaded()', 'the library was preloaded');
SELECT is(current_setting('safemigrate.mode'), 'enforce', 'mode defaults to enforce');
SELECT is((SELECT context FROM pg_settings WHERE name = 'safemigrate.mode'), 'superuser',
          'safemigrate.mode is superuser-only (PGC_SUSET)');

SET LOCAL ROLE regress_sm_tap_user;
SELECT throws_ok('SET safemigrate.mode = off', '42501',
                 'permission denied to set parameter "safemigrate.mode"',
                 'a non-superuser cannot switch the policy off');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
