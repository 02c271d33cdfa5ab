/* pg_safemigrate--0.1.0--0.2.0.sql: upgrade to 0.2.0, the classifier */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_safemigrate UPDATE TO '0.2.0'" to load this file. \quit

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
