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
