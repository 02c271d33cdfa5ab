-- safemigrate.rehearse(): runs the migration in a transaction that is always
-- rolled back; reports real durations, locks and rewrites.
-- The fixtures are small: test the rules, not the small-table exemption (08_policy).
SET safemigrate.small_table_rows = 0;
CREATE SCHEMA rehearse_test;
SET search_path = rehearse_test, public;
CREATE TABLE accounts (id int PRIMARY KEY, email varchar(50), balance int);
INSERT INTO accounts SELECT g, 'a' || g || '@example.org', g FROM generate_series(1, 2000) g;

SELECT stmt_no, statement, duration_ms >= 0 AS timed, relation, lock_mode, rewritten, error
  FROM safemigrate.rehearse($$
ALTER TABLE accounts ADD COLUMN note text;
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(100);
ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;
CREATE TABLE ledger (id int PRIMARY KEY, account_id int REFERENCES accounts (id));
CREATE INDEX CONCURRENTLY accounts_email ON accounts (email);
BEGIN;
ALTER TABLE accounts ADD COLUMN nope int REFERENCES nowhere (id);
COMMIT;
$$) ORDER BY stmt_no, relation;

-- Nothing of it remains.
SELECT count(*) AS accounts_columns FROM pg_attribute
 WHERE attrelid = 'accounts'::regclass AND attnum > 0 AND NOT attisdropped;
SELECT to_regclass('ledger') IS NULL AS no_ledger;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'accounts'::regclass AND attname = 'balance';
-- The policy stays in force for the rest of the session.
SHOW safemigrate.mode;

-- A syntax error is the parser's, before anything runs.
\set SHOW_CONTEXT never
SELECT * FROM safemigrate.rehearse('ALTER TABLE accounts ADD COLUMN;');

RESET search_path;
/* safemigrate: expand-contract */ DROP SCHEMA rehearse_test CASCADE;
