-- The break-glass override comment reaches what a DROP ... CASCADE takes with
-- it: /* safemigrate:allow drop-table */ lets a member of safemigrate_override
-- drop the tables a type takes with it, rule by rule; a non-member is told.
-- Each attempt's audit row names the rule once, with its action.
SET safemigrate.migration_id = 'regress-cascade-override';
SET safemigrate.small_table_rows = 0;
CREATE ROLE regress_co_plain;
CREATE ROLE regress_co_member IN ROLE safemigrate_override;
CREATE SCHEMA co AUTHORIZATION regress_co_plain;
GRANT ALL ON SCHEMA co TO regress_co_member;
GRANT regress_co_plain TO regress_co_member;
SET SESSION AUTHORIZATION regress_co_plain;
CREATE TYPE co.pair AS (a int, b text);
CREATE TABLE co.t1 OF co.pair;
CREATE TABLE co.t2 OF co.pair;
INSERT INTO co.t1 VALUES (1, 'x');
CREATE TABLE co.base (id int, p co.pair);
CREATE VIEW co.v AS SELECT id FROM co.base;

-- a non-member: rejected, and told why the comment did not count
DROP TYPE co.pair CASCADE /* safemigrate:allow drop-table, drop-column */;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_co_member;
-- a member, naming another rule: still rejected
/* safemigrate:allow drop-view */ DROP TYPE co.pair CASCADE;
\echo :LAST_ERROR_SQLSTATE
-- a member naming drop-table and drop-column: both tables and the column go
/* safemigrate:allow drop-table, drop-column */ DROP TYPE co.pair CASCADE;
SELECT to_regclass('co.t1') IS NULL AS t1_gone, to_regclass('co.t2') IS NULL AS t2_gone,
       (SELECT count(*) FROM pg_attribute WHERE attrelid = 'co.base'::regclass AND attname = 'p' AND NOT attisdropped) AS p;
-- the override is per rule: a view the CASCADE takes needs drop-view
CREATE FUNCTION co.one() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE VIEW co.fv AS SELECT co.one() AS x;
/* safemigrate:allow drop-table */ DROP FUNCTION co.one() CASCADE;
\echo :LAST_ERROR_SQLSTATE
/* safemigrate:allow drop-view */ DROP FUNCTION co.one() CASCADE;
SELECT to_regclass('co.fv') IS NULL AS fv_gone;
-- A DROP COLUMN ... CASCADE is never split from a step that may fail (it
-- would commit alone): the statement is rejected for its CHECK, whatever its
-- comments allow.
CREATE TABLE co.big (id int, v int, c int);
INSERT INTO co.big SELECT g, g, g FROM generate_series(1, 100) g;
CREATE VIEW co.cv AS SELECT id, c FROM co.big;
/* safemigrate:allow drop-column */ ALTER TABLE co.big DROP COLUMN c CASCADE, ADD CONSTRAINT big_v_pos CHECK (v > 0);
\echo :LAST_ERROR_SQLSTATE
/* safemigrate:allow drop-column, drop-view */ ALTER TABLE co.big DROP COLUMN c CASCADE, ADD CONSTRAINT big_v_pos CHECK (v > 0);
SELECT to_regclass('co.cv') IS NULL AS cv_gone,
       (SELECT convalidated FROM pg_constraint WHERE conname = 'big_v_pos') AS check_validated;
RESET SESSION AUTHORIZATION;

-- The audit rows, where they are written.
\c postgres
SELECT safemigrate.audit_wait(60000) AS written;
SELECT session_user_name, command_tag, action, outcome, rules, sqlstate
  FROM safemigrate.ddl_audit
 WHERE migration_id = 'regress-cascade-override' AND database_name = 'contrib_regression'
   AND command_tag IN ('DROP TYPE', 'DROP FUNCTION', 'ALTER TABLE') AND step <= 1
 ORDER BY id;
\c contrib_regression
SET safemigrate.mode = off;
DROP SCHEMA co CASCADE;
RESET safemigrate.mode;
DROP ROLE regress_co_plain, regress_co_member;
RESET safemigrate.small_table_rows;
