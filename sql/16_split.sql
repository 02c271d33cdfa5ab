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
-- A step that fails after others committed: the error's context says which
-- committed and gives the steps left to run.
ALTER TABLE split_t ADD COLUMN z int, ADD CONSTRAINT split_v_big CHECK (v <> 7);
SELECT conname, convalidated FROM pg_constraint WHERE conname = 'split_v_big';
SELECT count(*) AS z FROM pg_attribute WHERE attrelid = 'split_t'::regclass AND attname = 'z';
-- Fixed, the step left finishes it (running the statement again would add z again).
UPDATE split_t SET v = 70000 WHERE id = 7;
ALTER TABLE split_t VALIDATE CONSTRAINT split_v_big;
SELECT conname, convalidated FROM pg_constraint WHERE conname = 'split_v_big';
-- A step in the middle: a duplicate stops the unique index (dropped again).
CREATE TABLE split_p (id int PRIMARY KEY);
INSERT INTO split_p SELECT g FROM generate_series(1, 20000) g;
UPDATE split_t SET v = 1 WHERE id = 2;
ALTER TABLE split_t ADD COLUMN pid int, ADD CONSTRAINT split_t_v_key UNIQUE (v), ADD CONSTRAINT split_v_fk FOREIGN KEY (v) REFERENCES split_p;
SELECT count(*) AS pid, (SELECT count(*) FROM pg_class WHERE relname = 'split_t_v_key') AS index,
       (SELECT count(*) FROM pg_constraint WHERE conname = 'split_v_fk') AS fk
  FROM pg_attribute WHERE attrelid = 'split_t'::regclass AND attname = 'pid';
-- The steps left keep the statement's safemigrate comments (an override here).
/* safemigrate:allow set-logged-rewrite */ ALTER TABLE split_t ADD CONSTRAINT split_v_not_big CHECK (v <> 70000), SET UNLOGGED;
-- A trailing -- comment in a subcommand does not swallow the NOT VALID of its
-- step: step 1 adds the constraint without a scan, step 2 finds the violation.
ALTER TABLE split_t
  ADD CONSTRAINT split_id_not_3 CHECK (id <> 3) -- row 3 breaks it
;
SELECT conname, convalidated FROM pg_constraint WHERE conname = 'split_id_not_3';
/* safemigrate: expand-contract */ DROP TABLE split_t, split_p;
