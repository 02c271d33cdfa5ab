-- Any role may write its own rows of safemigrate.expansions.  Another role's
-- expansion rows are read as text, never run: a forged row's expression does
-- not run with the rights of the superuser (or table owner) whose expand,
-- contract or abort looks at the table's other expansions.
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 8000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 800) IS NOT NULL AS expansion_ids_set;
SET safemigrate.mode = off;
CREATE TABLE fx_accounts (id int PRIMARY KEY, name text, c int);
INSERT INTO fx_accounts VALUES (1, 'a', 1);
CREATE TABLE fx_log (msg text);
GRANT INSERT ON fx_log TO PUBLIC;
-- an IMMUTABLE function with constant arguments is folded when a query is planned
CREATE FUNCTION public.fx_side() RETURNS int LANGUAGE plpgsql IMMUTABLE AS
  $$BEGIN INSERT INTO fx_log VALUES ('ran as ' || current_user); RETURN 1; END$$;
CREATE ROLE regress_fx_mallory LOGIN;
SET ROLE regress_fx_mallory;
INSERT INTO safemigrate.expansions (relid, table_name, kind, old_column, new_column, new_type, using_expr,
                                    sync_function, sync_trigger)
VALUES ('fx_accounts', 'fx_accounts', 'alter column type', 'zz', 'zz_new', 'int', 'public.fx_side() + c', 'x', 'x');
RESET ROLE;
RESET safemigrate.mode;
CALL safemigrate.expand_rename_column('fx_accounts', 'name', 'full_name');
SELECT count(*) AS function_ran FROM fx_log;
-- a forged expression that is not one expression (a second statement): refused, not run
SET ROLE regress_fx_mallory;
UPDATE safemigrate.expansions SET using_expr = '1)::int; ALTER ROLE regress_fx_mallory SUPERUSER; SELECT (1'
 WHERE owner = 'regress_fx_mallory'::regrole;
RESET ROLE;
SELECT expansion_id AS e FROM safemigrate.expansions WHERE table_name = 'fx_accounts' AND kind = 'rename column' \gset
\set VERBOSITY terse
CALL safemigrate.contract(:e);
CALL safemigrate.expand_abort(:e);
\set VERBOSITY default
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_fx_mallory';
-- contract's new_default is one expression, too
SET ROLE regress_fx_mallory;
UPDATE safemigrate.expansions SET status = 'aborted' WHERE owner = 'regress_fx_mallory'::regrole;
RESET ROLE;
\set VERBOSITY terse
CALL safemigrate.contract(:e, new_default => '''x''; DROP TABLE fx_log');
\set VERBOSITY default
CALL safemigrate.contract(:e, new_default => '''x''');
SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'fx_accounts' ORDER BY 1;
SELECT safemigrate._expression_columns('coalesce(a, "B") + r.c + (SELECT max(d) FROM t)') AS reads;
-- a bare list is not one expression (in the procedures' parentheses it would
-- become a row value); ROW(...) is one; a syntax error is said without a
-- caret into the caller's query
\set VERBOSITY terse
SELECT safemigrate._expression_columns('b, 1');
\set VERBOSITY default
SELECT safemigrate._expression_columns('ROW(b, 1)') AS reads;
SELECT safemigrate._expression_columns('b +');
CREATE TABLE fx_list (id int PRIMARY KEY, b int);
INSERT INTO fx_list VALUES (1, 1);
\set VERBOSITY terse
CALL safemigrate.expand_alter_column_type('fx_list', 'b', 'text', using_expr => 'b, 1');
\set VERBOSITY default
SELECT count(*) AS recorded FROM safemigrate.expansions WHERE table_name = 'fx_list';
CALL safemigrate.expand_alter_column_type('fx_list', 'b', 'text', using_expr => 'b::text ||') \gset
SELECT count(*) AS recorded FROM safemigrate.expansions WHERE table_name = 'fx_list';
-- a forged row naming another role's backfill job (with settings of its own)
-- does not change how that job converts: only the job owner's expansions count
SET TimeZone = 'UTC';
CREATE TABLE fx_ts (id int PRIMARY KEY, t timestamp, tz timestamptz);
INSERT INTO fx_ts VALUES (1, '2020-01-01 00:00', NULL);
SELECT safemigrate.backfill_create('fx_ts', 'tz = t::timestamptz') AS fx_job \gset
SET ROLE regress_fx_mallory;
INSERT INTO safemigrate.expansions (relid, table_name, kind, old_column, new_column, new_type, using_expr,
                                    settings, sync_function, sync_trigger, job_id, status)
VALUES ('fx_ts', 'fx_ts', 'alter column type', 't', 'tz', 'timestamptz', 't',
        ARRAY['Asia/Tokyo', 'ISO, MDY', 'postgres'], 'x', 'x', :fx_job, 'backfilling');
RESET ROLE;
CALL safemigrate.backfill_resume(:fx_job);
SELECT id, tz FROM fx_ts;
RESET TimeZone;
SET safemigrate.mode = off;
DROP TABLE fx_accounts, fx_log, fx_ts, fx_list;
DROP FUNCTION public.fx_side();
DELETE FROM safemigrate.expansions WHERE owner = 'regress_fx_mallory'::regrole;
DROP ROLE regress_fx_mallory;
RESET safemigrate.mode;
