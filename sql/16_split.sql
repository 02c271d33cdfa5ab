-- An ALTER TABLE with several subcommands: when every subcommand that breaks
-- a rule has safe steps, the statement is split, in order, into each
-- subcommand alone or its safe steps, each in its own transaction; otherwise
-- (or inside a transaction block) it is rejected with the whole list.
CREATE TABLE split_t (id int PRIMARY KEY, v int);
INSERT INTO split_t SELECT g, g FROM generate_series(1, 20000) g;
ANALYZE split_t;
ALTER TABLE split_t ADD COLUMN w int, ADD CONSTRAINT split_v_pos CHECK (v > 0), ALTER COLUMN v SET NOT NULL;
SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'split_t'::regclass AND attnum > 0 ORDER BY attnum;
SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'split_t'::regclass AND contype = 'c' ORDER BY conname;
-- Inside a transaction block the steps cannot commit: rejected, with the plan.
BEGIN;
ALTER TABLE split_t ADD COLUMN x int, ADD CONSTRAINT split_w_pos CHECK (w > 0);
ROLLBACK;
-- A subcommand that breaks a rule without steps the hook could run (DROP
-- COLUMN breaks clients): no split, rejected.
\set VERBOSITY terse
ALTER TABLE split_t ADD COLUMN y int, DROP COLUMN w;
\set VERBOSITY default
-- Nothing was half done.
SELECT count(*) AS columns FROM pg_attribute WHERE attrelid = 'split_t'::regclass AND attnum > 0 AND NOT attisdropped;
/* safemigrate: expand-contract */ DROP TABLE split_t;
