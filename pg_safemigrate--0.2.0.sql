/* pg_safemigrate--0.2.0.sql: install script of pg_safemigrate 0.2.0 */

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

CREATE FUNCTION safemigrate.check(migration text)
RETURNS TABLE (stmt_no int, statement text, command text, relation text, lock_mode text,
               rewrites bool, scans bool, breaks_clients bool, category text, rule text,
               verdict text, reason text, safe_sql text)
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'safemigrate_check';
COMMENT ON FUNCTION safemigrate.check(text) IS
  'Classifies a migration script without executing it: one row per statement and relation it locks';

CREATE FUNCTION safemigrate.check_header(migration text)
RETURNS text
LANGUAGE sql STRICT VOLATILE
AS $$
  SELECT '-- safemigrate: ' ||
         CASE max(CASE category WHEN 'expand-contract' THEN 2 WHEN 'concurrent' THEN 1 ELSE 0 END)
              WHEN 2 THEN 'expand-contract' WHEN 1 THEN 'concurrent' ELSE 'instant-safe' END
    FROM safemigrate.check($1)
$$;
COMMENT ON FUNCTION safemigrate.check_header(text) IS
  'The migration''s overall category (the strongest of its statements) as a header comment';

CREATE FUNCTION safemigrate.rule_catalogue()
RETURNS TABLE (rule text, sqlstate text, category text, default_action text, description text)
LANGUAGE C STRICT IMMUTABLE
AS 'MODULE_PATHNAME', 'safemigrate_rule_catalogue';
COMMENT ON FUNCTION safemigrate.rule_catalogue() IS 'Every rule of pg_safemigrate';

CREATE VIEW safemigrate.rules AS SELECT * FROM safemigrate.rule_catalogue();
COMMENT ON VIEW safemigrate.rules IS
  'Every rule id with its SQLSTATE, category, default action (in enforce mode) and description';

GRANT USAGE ON SCHEMA safemigrate TO PUBLIC;
GRANT SELECT ON safemigrate.rules TO PUBLIC;
