-- Jobs and expansions record their owner by oid (regrole), as the catalogs
-- record owners: ALTER ROLE ... RENAME keeps them the role's, a new role given
-- the old name gets nothing, a role whose name needs quotes ("Mixed Case")
-- owns and runs them, and one owned by a dropped role is refused with a
-- message that says so.  Before, the name was recorded: the renamed role lost
-- its jobs and expansions, a new role of the old name got them.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 12000) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 1200) IS NOT NULL AS expansion_ids_set;
CREATE ROLE "Regress Ow Mixed";
CREATE SCHEMA regress_ow AUTHORIZATION "Regress Ow Mixed";
GRANT USAGE ON SCHEMA safemigrate TO "Regress Ow Mixed";
CREATE TABLE regress_ow.acct (id int PRIMARY KEY, name text, n int);
ALTER TABLE regress_ow.acct OWNER TO "Regress Ow Mixed";
INSERT INTO regress_ow.acct SELECT g, 'n' || g, g FROM generate_series(1, 50) g;
SET ROLE "Regress Ow Mixed";
CALL safemigrate.expand_rename_column('regress_ow.acct', 'name', 'full_name');
ALTER TABLE regress_ow.acct ADD COLUMN m int;
CALL safemigrate.backfill('regress_ow.acct', 'm = n', batch_size => 10, min_batch_size => 10);
SELECT job_id, owner, status FROM safemigrate.backfill_jobs ORDER BY job_id;
SELECT expansion_id, table_name, status FROM safemigrate.expansion_status;
-- the same expand call again (the sync function's owner is compared by oid, too)
CALL safemigrate.expand_rename_column('regress_ow.acct', 'name', 'full_name');
RESET ROLE;
SELECT pg_typeof(owner) AS recorded_as, owner FROM safemigrate.expansions WHERE expansion_id = 1201;

-- Renamed: still the role's own, under its new name.
ALTER ROLE "Regress Ow Mixed" RENAME TO regress_ow_renamed;
SET ROLE regress_ow_renamed;
SELECT job_id, owner, status FROM safemigrate.backfill_jobs ORDER BY job_id;
SELECT expansion_id, status FROM safemigrate.expansion_status;
-- a superuser resuming it is told the current name
RESET ROLE;
UPDATE safemigrate.backfill_jobs SET status = 'paused' WHERE job_id = 12002;
CALL safemigrate.backfill_resume(12002);
CALL safemigrate.contract(1201);
-- A new role given the old name gets nothing.
CREATE ROLE "Regress Ow Mixed";
GRANT USAGE ON SCHEMA safemigrate TO "Regress Ow Mixed";
SET ROLE "Regress Ow Mixed";
SELECT count(*) AS jobs_seen FROM safemigrate.backfill_jobs;
SELECT count(*) AS expansions_seen FROM safemigrate.expansion_status;
CALL safemigrate.backfill_resume(12002);
RESET ROLE;
SET ROLE regress_ow_renamed;
CALL safemigrate.backfill_resume(12002);
CALL safemigrate.contract(1201);
SELECT column_name FROM information_schema.columns WHERE table_schema = 'regress_ow' AND table_name = 'acct' ORDER BY 1;
RESET ROLE;

-- A dropped owner: its rows stay, with its oid, and nobody runs them until a superuser gives them to a role.
CREATE ROLE regress_ow_gone;
GRANT USAGE ON SCHEMA safemigrate TO regress_ow_gone;
GRANT USAGE, CREATE ON SCHEMA regress_ow TO regress_ow_gone;
GRANT SELECT, UPDATE ON regress_ow.acct TO regress_ow_gone;
CREATE TABLE regress_ow.gone (id int PRIMARY KEY, a int, b int);
ALTER TABLE regress_ow.gone OWNER TO regress_ow_gone;
INSERT INTO regress_ow.gone SELECT g, g FROM generate_series(1, 20) g;
SET ROLE regress_ow_gone;
CALL safemigrate.backfill('regress_ow.acct', 'n = n');
CALL safemigrate.expand_rename_column('regress_ow.gone', 'a', 'a2', run_backfill => false);
RESET ROLE;
REASSIGN OWNED BY regress_ow_gone TO regress_ow_renamed;
DROP OWNED BY regress_ow_gone;
DROP ROLE regress_ow_gone;
SELECT job_id, owner::text ~ '^[0-9]+$' AS shown_as_oid, status FROM safemigrate.backfill_jobs WHERE job_id = 12003;
\set VERBOSITY default
CALL safemigrate.backfill_resume(12003);
CALL safemigrate.contract(1202);
\set VERBOSITY terse
-- given to a role by a superuser, it runs
UPDATE safemigrate.backfill_jobs SET owner = 'regress_ow_renamed' WHERE job_id = 12003;
UPDATE safemigrate.expansions SET owner = 'regress_ow_renamed' WHERE expansion_id = 1202;
SET ROLE regress_ow_renamed;
CALL safemigrate.backfill_resume(12003);
CALL safemigrate.expand_abort(1202);
-- and a role cannot give its rows to another (row-level security and the owner trigger)
UPDATE safemigrate.backfill_jobs SET owner = 'postgres' WHERE job_id = 12003;
INSERT INTO safemigrate.backfill_jobs (owner, relid, table_name, set_clause, batch_size, target_batch_ms,
                                       min_batch_size, max_batch_size, pause_ms, lock_timeout_ms, max_retries)
VALUES ('postgres', 'regress_ow.acct', 'regress_ow.acct', 'n = n', 1, 1, 1, 1, 0, 0, 0);
RESET ROLE;

SET safemigrate.mode = off;
DROP SCHEMA regress_ow CASCADE;
RESET safemigrate.mode;
DELETE FROM safemigrate.backfill_jobs WHERE job_id >= 12000 AND job_id < 13000;
DELETE FROM safemigrate.expansions WHERE expansion_id >= 1200 AND expansion_id < 1300;
DROP OWNED BY "Regress Ow Mixed", regress_ow_renamed;
DROP ROLE "Regress Ow Mixed", regress_ow_renamed;
RESET safemigrate.small_table_rows;
