/* pg_safemigrate--0.1.0.sql: install script of pg_safemigrate 0.1.0 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pg_safemigrate" to load this file. \quit

-- The extension owns its schema: no IF NOT EXISTS, and no "schema" key in the
-- control file, so that the schema is certainly ours.
CREATE SCHEMA safemigrate;
COMMENT ON SCHEMA safemigrate IS 'pg_safemigrate: lock-safe schema migration policy';

CREATE FUNCTION safemigrate.assert_preloaded()
RETURNS void
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'safemigrate_assert_preloaded';
COMMENT ON FUNCTION safemigrate.assert_preloaded() IS
  'Raises an error unless pg_safemigrate was loaded through shared_preload_libraries';

-- The policy must be active in every session: refuse to install otherwise.
SELECT safemigrate.assert_preloaded();
