-- DDL is judged the same whichever way it reaches the server.
-- The fixtures are small: test the rules, not the small-table exemption (08_policy).
SET safemigrate.small_table_rows = 0;
SET safemigrate.rewrite = off;
SET search_path = safemigrate_test, public;
\set VERBOSITY terse

-- PL/pgSQL EXECUTE (migration tools run DDL this way)
DO $$ BEGIN EXECUTE 'CREATE INDEX via_execute ON safemigrate_test.patients (born)'; END $$;
-- PL/pgSQL static DDL in a function
CREATE FUNCTION add_index() RETURNS void LANGUAGE plpgsql
AS $$ BEGIN CREATE INDEX via_function ON safemigrate_test.patients (born); END $$;
SELECT add_index();
-- SQL-language function
CREATE FUNCTION add_index_sql() RETURNS void LANGUAGE sql
AS $$ CREATE INDEX via_sql_function ON safemigrate_test.patients (born) $$;
SELECT add_index_sql();
-- procedure
CREATE PROCEDURE add_index_proc() LANGUAGE plpgsql
AS $$ BEGIN CREATE INDEX via_procedure ON safemigrate_test.patients (born); END $$;
CALL add_index_proc();
-- a SECURITY DEFINER function owned by a superuser is no escape
CREATE FUNCTION add_index_definer() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
AS $$ BEGIN CREATE INDEX via_definer ON safemigrate_test.patients (born); END $$;
SELECT add_index_definer();
-- several statements in one query string (an implicit transaction block):
-- only the CREATE INDEX is rejected, and its hint quotes only itself.
\set VERBOSITY default
SELECT 1 AS first \; CREATE INDEX via_multi ON patients (born) \; SELECT 2 AS third;
\set VERBOSITY terse
-- none of them was created
SELECT count(*) AS created FROM pg_indexes WHERE indexname LIKE 'via\_%';

-- Statements without a rule are untouched, in any context.
BEGIN;
SET LOCAL work_mem = '8MB';
SHOW work_mem;
SAVEPOINT s1;
RELEASE SAVEPOINT s1;
COMMIT;
DO $$ BEGIN PERFORM 1; END $$;

-- A database without the extension is not policed: the library is preloaded
-- for the whole cluster, the policy is installed per database.
DROP EXTENSION pg_safemigrate;
CREATE INDEX not_policed ON patients (born);
DROP INDEX not_policed;
CREATE EXTENSION pg_safemigrate;
CREATE INDEX policed_again ON patients (born);

/* safemigrate: expand-contract */ DROP SCHEMA safemigrate_test CASCADE;
