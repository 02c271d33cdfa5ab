-- Installation: the extension creates and owns schema "safemigrate".
CREATE EXTENSION pg_safemigrate;
SELECT extname, extversion, extrelocatable, n.nspname AS extnamespace
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'pg_safemigrate';
SELECT pg_describe_object(classid, objid, 0) AS member
  FROM pg_depend
 WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_safemigrate')
   AND deptype = 'e'
 ORDER BY 1;
-- The library was preloaded, so the install-time check passes.
SELECT safemigrate.assert_preloaded();
-- A second CREATE EXTENSION fails as for any extension.
CREATE EXTENSION pg_safemigrate;
-- The safemigrate.* prefix is reserved: a misspelt setting is an error, not a
-- silently ignored placeholder.
SET safemigrate.moed = 'off';
-- Versions available for install and upgrade.
SELECT version FROM pg_available_extension_versions WHERE name = 'pg_safemigrate' ORDER BY 1;

-- Upgrade path: install the previous version and update it.
DROP EXTENSION pg_safemigrate;
CREATE EXTENSION pg_safemigrate VERSION '0.1.0';
SELECT to_regprocedure('safemigrate.check(text)') IS NULL AS no_check_in_0_1_0;
ALTER EXTENSION pg_safemigrate UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'pg_safemigrate';
SELECT count(*) > 0 AS check_works FROM safemigrate.check('SELECT 1');
-- The objects of an updated install and of a fresh one are the same.
SELECT pg_describe_object(classid, objid, 0) AS member
  FROM pg_depend
 WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_safemigrate')
   AND deptype = 'e'
 ORDER BY 1;
