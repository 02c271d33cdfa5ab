-- Findings of the second review of the expand-contract helpers (2026-11-26,
-- afternoon), each fixed and kept here.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 3000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 200) IS NOT NULL AS expansion_ids_set;

-- A sync function planted under the predictable name by a role with CREATE on
-- the schema is refused (CREATE OR REPLACE kept its owner, who could then
-- change the body of a trigger that superusers' writes fire).
CREATE ROLE regress_ex_mallory LOGIN;
GRANT CREATE ON SCHEMA public TO regress_ex_mallory;
CREATE TABLE ex_payroll (id int PRIMARY KEY, salary int);
INSERT INTO ex_payroll VALUES (1, 100);
SET ROLE regress_ex_mallory;
CREATE FUNCTION public.safemigrate_sync_201() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
RESET ROLE;
CALL safemigrate.expand_rename_column('ex_payroll', 'salary', 'pay');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'ex_payroll'::regclass;
CALL safemigrate.expand_abort(201);
DROP FUNCTION public.safemigrate_sync_201();

-- A column named like a PL/pgSQL variable; the trigger fires also for
-- session_replication_role = replica (logical replication's apply workers).
CREATE TABLE ex_m (id int PRIMARY KEY, found int);
CALL safemigrate.expand_alter_column_type('ex_m', 'found', 'bigint') \gset
INSERT INTO ex_m VALUES (1, 1);
SET session_replication_role = replica;
INSERT INTO ex_m (id, found) VALUES (2, 2);
UPDATE ex_m SET found = 10 WHERE id = 1;
RESET session_replication_role;
SELECT * FROM ex_m ORDER BY id;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'ex_m'::regclass ORDER BY tgname;
CALL safemigrate.contract(:expansion_id);
SELECT id, found, pg_typeof(found) FROM ex_m ORDER BY id;

-- The type and the USING expression mean what they meant in the expand call,
-- whatever the search_path of the sessions that write.
CREATE SCHEMA ex_app;
CREATE TYPE ex_app.feel AS ENUM ('sad', 'ok');
CREATE TABLE ex_app.folks (id int PRIMARY KEY, feel text);
INSERT INTO ex_app.folks VALUES (1, 'ok');
SET search_path = ex_app, public;
CALL safemigrate.expand_alter_column_type('folks', 'feel', 'feel', using_expr => 'feel::feel') \gset
RESET search_path;
INSERT INTO ex_app.folks (id, feel) VALUES (2, 'sad');
SELECT id, feel, feel_new FROM ex_app.folks ORDER BY id;
CALL safemigrate.expand_abort(:expansion_id);

-- Refused up front: inheritance children (triggers are not inherited),
-- generated and identity columns, a column of an expansion under way.
CREATE TABLE ex_parent (id int PRIMARY KEY, v int);
CREATE TABLE ex_child () INHERITS (ex_parent);
CALL safemigrate.expand_rename_column('ex_parent', 'v', 'w');
CREATE TABLE ex_gen (id int PRIMARY KEY, price int, dbl int GENERATED ALWAYS AS (price * 2) STORED,
                     ident int GENERATED ALWAYS AS IDENTITY);
CALL safemigrate.expand_rename_column('ex_gen', 'dbl', 'twice');
CALL safemigrate.expand_alter_column_type('ex_gen', 'ident', 'bigint');
CREATE TABLE ex_two (id int PRIMARY KEY, status int);
CALL safemigrate.expand_rename_column('ex_two', 'status', 'state') \gset
CALL safemigrate.expand_alter_column_type('ex_two', 'status', 'bigint');
\echo :LAST_ERROR_SQLSTATE
CALL safemigrate.expand_abort(:expansion_id);

-- Contract refuses while the old column carries what dropping it would lose
-- (the new column does not have it), and names it; a default and the
-- sequence of a serial column move to the new column.
CREATE TABLE ex_s (id serial, qty int CHECK (qty >= 0));
INSERT INTO ex_s (qty) VALUES (1);
CALL safemigrate.expand_rename_column('ex_s', 'id', 'sid') \gset
\set VERBOSITY default
CALL safemigrate.contract(:expansion_id);
\set VERBOSITY terse
CALL safemigrate.set_not_null('ex_s', 'sid');
CALL safemigrate.contract(:expansion_id);
INSERT INTO ex_s (qty) VALUES (2) RETURNING *;
SELECT pg_get_serial_sequence('ex_s', 'sid');
CALL safemigrate.expand_alter_column_type('ex_s', 'qty', 'bigint') \gset
CALL safemigrate.contract(:expansion_id);
SELECT status, next_step FROM safemigrate.expansion_status WHERE expansion_id = :expansion_id;
CALL safemigrate.expand_abort(:expansion_id);

-- Row-level security that hides rows from the owner (FORCE) fails the
-- backfill instead of leaving rows out of it.
CREATE ROLE regress_ex_app LOGIN;
GRANT CREATE ON SCHEMA public TO regress_ex_app;
SET ROLE regress_ex_app;
CREATE TABLE ex_docs (id int PRIMARY KEY, tenant int, body text);
INSERT INTO ex_docs SELECT g, g % 3, 'b' || g FROM generate_series(1, 9) g;
ALTER TABLE ex_docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ex_docs FORCE ROW LEVEL SECURITY;
CREATE POLICY p ON ex_docs USING (tenant = 0);
CALL safemigrate.expand_rename_column('ex_docs', 'body', 'content');
\echo :LAST_ERROR_SQLSTATE
-- (refused before anything is recorded: no expansion, no column, no trigger)
SELECT count(*) AS expansions, (SELECT count(*) FROM pg_attribute WHERE attrelid = 'ex_docs'::regclass AND attname = 'content') AS new_columns FROM safemigrate.expansions WHERE table_name = 'ex_docs';
-- the refusal does not depend on what the policies hide: any that applies to the role is refused
ALTER POLICY p ON ex_docs USING (true);
SELECT safemigrate.backfill_create('ex_docs', 'content = body') IS NOT NULL AS created;
-- the owner without FORCE is not subject to the policies: it goes through
ALTER TABLE ex_docs NO FORCE ROW LEVEL SECURITY;
CALL safemigrate.expand_rename_column('ex_docs', 'body', 'content');
SELECT count(*) FILTER (WHERE content IS DISTINCT FROM body) AS differing FROM ex_docs;
SELECT expansion_id AS docs_expansion FROM safemigrate.expansions WHERE relid = 'ex_docs'::regclass \gset
CALL safemigrate.expand_abort(:docs_expansion);
RESET ROLE;

-- An expansion whose table was dropped: contract says so, abort closes it.
CREATE TABLE ex_gone (id int PRIMARY KEY, v int);
CALL safemigrate.expand_rename_column('ex_gone', 'v', 'w') \gset
/* safemigrate: expand-contract */ DROP TABLE ex_gone;
CALL safemigrate.contract(:expansion_id);
CALL safemigrate.expand_abort(:expansion_id);
SELECT status FROM safemigrate.expansions WHERE expansion_id = :expansion_id;


-- Checked before anything is recorded or changed: options, an empty name,
-- USING expressions that do not parse, a partition key column, a domain with
-- constraints; a 63-byte column name gets a new column that fits.
CREATE TABLE ex_na (id int PRIMARY KEY, v int);
CALL safemigrate.expand_rename_column('ex_na', 'v', 'w', batch_size => 0);
CALL safemigrate.expand_rename_column('ex_na', 'v', '');
CALL safemigrate.expand_alter_column_type('ex_na', 'v', 'bigint', using_expr => 'v +');
\echo :LAST_ERROR_SQLSTATE
CALL safemigrate.expand_alter_column_type('ex_na', 'v', 'bigint', using_expr => 'v::bigint', reverse_using => 'nosuch::int');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS recorded FROM safemigrate.expansions WHERE relid = 'ex_na'::regclass;
SELECT count(*) AS columns FROM pg_attribute WHERE attrelid = 'ex_na'::regclass AND attnum > 0 AND NOT attisdropped;
CREATE TABLE ex_pt (k int, v int) PARTITION BY RANGE (k);
CALL safemigrate.expand_alter_column_type('ex_pt', 'k', 'bigint');
CREATE DOMAIN ex_posint AS int CHECK (VALUE > 0);
CREATE TABLE ex_dom (id int PRIMARY KEY, qty ex_posint);
CALL safemigrate.expand_rename_column('ex_dom', 'qty', 'quantity');
CREATE TABLE ex_long (id int PRIMARY KEY, "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" int);
CALL safemigrate.expand_alter_column_type('ex_long', 'ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc', 'bigint') \gset
SELECT new_column, octet_length(new_column::text) FROM safemigrate.expansions WHERE expansion_id = :expansion_id;
CALL safemigrate.expand_abort(:expansion_id);


-- The sync trigger fires after the table's own BEFORE triggers: what they
-- change in the row is copied too.
CREATE TABLE ex_users (id int PRIMARY KEY, email text);
CREATE FUNCTION ex_lower_email() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN NEW.email := lower(NEW.email); RETURN NEW; END';
CREATE TRIGGER trg_lower_email BEFORE INSERT OR UPDATE ON ex_users FOR EACH ROW EXECUTE FUNCTION ex_lower_email();
CALL safemigrate.expand_rename_column('ex_users', 'email', 'email_address') \gset
INSERT INTO ex_users (id, email) VALUES (1, 'B@X.COM');
SELECT * FROM ex_users;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'ex_users'::regclass ORDER BY tgname COLLATE "C";
CALL safemigrate.expand_abort(:expansion_id);


-- Second review. A role with BYPASSRLS cannot write another role's job or
-- expansion (its texts would run as that role).
CREATE ROLE regress_ex_carol LOGIN BYPASSRLS;
CREATE TABLE ex_bp (id int PRIMARY KEY, v int, w int);
INSERT INTO ex_bp SELECT g, g FROM generate_series(1, 10) g;
SELECT safemigrate.backfill_create('ex_bp', 'w = v') AS j \gset
GRANT UPDATE ON safemigrate.backfill_jobs TO regress_ex_carol;
SET ROLE regress_ex_carol;
UPDATE safemigrate.backfill_jobs SET set_clause = 'w = 0' WHERE job_id = :j;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM safemigrate.backfill_jobs WHERE job_id = :j;
INSERT INTO safemigrate.backfill_jobs (owner, relid, table_name, set_clause, batch_size, target_batch_ms, min_batch_size,
                                       max_batch_size, pause_ms, lock_timeout_ms, max_retries)
VALUES ('postgres', 'ex_bp', 'public.ex_bp', 'w = 0', 1, 1, 1, 1, 0, 0, 0);
RESET ROLE;
SELECT set_clause FROM safemigrate.backfill_jobs WHERE job_id = :j;
-- a planted function with the very body: abort still closes the expansion, and leaves the function alone
CREATE TABLE ex_x1 (id int PRIMARY KEY, name text);
SELECT last_value + 1 AS next_id FROM safemigrate.expansions_expansion_id_seq \gset
SET ex.next_id = :next_id;
SET ROLE regress_ex_mallory;
DO $$
DECLARE
  e safemigrate.expansions;
BEGIN
  e.expansion_id := current_setting('ex.next_id')::int;
  e.kind := 'rename column';
  e.old_column := 'name';
  e.new_column := 'full_name';
  EXECUTE format('CREATE FUNCTION public.safemigrate_sync_%s() RETURNS trigger LANGUAGE plpgsql AS %L',
                 e.expansion_id, safemigrate._expansion_sync_body(e));
END $$;
RESET ROLE;
CALL safemigrate.expand_rename_column('ex_x1', 'name', 'full_name');
CALL safemigrate.expand_abort(:next_id);
SELECT status FROM safemigrate.expansions WHERE expansion_id = :next_id;
SELECT proowner::regrole FROM pg_proc WHERE proname = 'safemigrate_sync_' || :next_id;
SET safemigrate.mode = off;
SELECT format('DROP FUNCTION public.safemigrate_sync_%s()', :next_id) \gexec
RESET safemigrate.mode;
-- a domain over a domain with constraints is refused too
CREATE DOMAIN ex_posint2 AS ex_posint;
CALL safemigrate.expand_alter_column_type('ex_na', 'v', 'ex_posint2');
-- contract names a generated column that uses the old column
CREATE TABLE ex_g1 (k int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED);
CALL safemigrate.expand_rename_column('ex_g1', 'a', 'a2') \gset
CALL safemigrate.contract(:expansion_id);
CALL safemigrate.expand_abort(:expansion_id);
-- a BEFORE row trigger that sorts after the sync trigger is named in a WARNING
CREATE TABLE ex_tr (id int PRIMARY KEY, a text);
CREATE TRIGGER "übernormalize" BEFORE INSERT OR UPDATE ON ex_tr FOR EACH ROW EXECUTE FUNCTION ex_lower_email();
CALL safemigrate.expand_rename_column('ex_tr', 'a', 'a2') \gset
CALL safemigrate.expand_abort(:expansion_id);

SET safemigrate.mode = off;
DROP TABLE ex_payroll, ex_m, ex_parent, ex_child, ex_gen, ex_two, ex_s, ex_docs, ex_na, ex_pt, ex_dom, ex_long, ex_users, ex_bp, ex_x1, ex_g1, ex_tr;
DROP FUNCTION ex_lower_email();
DROP DOMAIN ex_posint2;
DROP DOMAIN ex_posint;
DROP SCHEMA ex_app CASCADE;
RESET safemigrate.mode;
DELETE FROM safemigrate.backfill_jobs WHERE job_id > 3000;
DELETE FROM safemigrate.expansions WHERE expansion_id > 200;
REVOKE CREATE ON SCHEMA public FROM regress_ex_mallory, regress_ex_app;
DROP ROLE regress_ex_mallory;
REVOKE UPDATE ON safemigrate.backfill_jobs FROM regress_ex_carol;
DROP ROLE regress_ex_carol;
DROP ROLE regress_ex_app;
RESET safemigrate.small_table_rows;
