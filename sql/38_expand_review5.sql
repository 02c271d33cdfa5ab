-- Findings of the fifth review of the expand-contract helpers (session 11),
-- each fixed and kept here.
SET safemigrate.small_table_rows = 0;
\set VERBOSITY terse
SELECT setval(pg_get_serial_sequence('safemigrate.backfill_jobs', 'job_id'), 9500) IS NOT NULL AS ids_set,
       setval(pg_get_serial_sequence('safemigrate.expansions', 'expansion_id'), 950) IS NOT NULL AS expansion_ids_set;

-- 1. The backfill of an expansion runs under the settings of the expand
-- call, whichever session runs its batches: the NOTICE, contract()'s hint and
-- expansion_status name the expand procedure's re-run; a backfill_resume() of
-- the job in a session with another TimeZone converts as the expand call
-- would have (a two-way timestamp -> timestamptz change under another
-- TimeZone left both columns consistent but wrong), and leaves the session's
-- own settings alone.
SET TimeZone = 'UTC';
CREATE TABLE e5_ev (id int PRIMARY KEY, at timestamp);
INSERT INTO e5_ev VALUES (1, '2020-01-01 00:00'), (2, '2021-06-01 12:00');
\set VERBOSITY default
CALL safemigrate.expand_alter_column_type('e5_ev', 'at', 'timestamptz', run_backfill => false,
                                          reverse_using => 'at_new::timestamp') \gset
SELECT next_step FROM safemigrate.expansion_status WHERE expansion_id = :expansion_id;
CALL safemigrate.contract(:expansion_id);
SET TimeZone = 'Asia/Tokyo';
SELECT job_id AS e5_job FROM safemigrate.expansions WHERE expansion_id = :expansion_id \gset
CALL safemigrate.backfill_resume(:e5_job);
\set VERBOSITY terse
SHOW TimeZone;
SELECT status, rows_done FROM safemigrate.backfill_jobs WHERE job_id = :e5_job;
SET TimeZone = 'UTC';
SELECT id, at, at_new FROM e5_ev ORDER BY id;
-- the expand procedure again marks it expanded (its job is done); then contract
SET TimeZone = 'Etc/UTC';
CALL safemigrate.expand_alter_column_type('e5_ev', 'at', 'timestamptz', reverse_using => 'at_new::timestamp');
SHOW TimeZone;
CALL safemigrate.contract(:expansion_id);
SET TimeZone = 'UTC';
SELECT id, at FROM e5_ev ORDER BY id;
-- under the same settings, a backfill_resume() of an expansion's job runs
CREATE TABLE e5_ev2 (id int PRIMARY KEY, at timestamp);
INSERT INTO e5_ev2 VALUES (1, '2020-01-01 00:00');
CALL safemigrate.expand_alter_column_type('e5_ev2', 'at', 'timestamptz', run_backfill => false) \gset
SELECT job_id AS e5_job FROM safemigrate.expansions WHERE expansion_id = :expansion_id \gset
CALL safemigrate.backfill_resume(:e5_job);
CALL safemigrate.contract(:expansion_id);
SELECT id, at FROM e5_ev2 ORDER BY id;
-- a backfill that fails leaves the session's settings as they were (the
-- expand procedure no longer sets them for the session); its batches read
-- '02/01/2020' as the recorded DateStyle (DMY) does, not the session's MDY
CREATE TABLE e5_bad (id int PRIMARY KEY, d text);
INSERT INTO e5_bad VALUES (1, '02/01/2020'), (2, 'not a date');
SET DateStyle = 'ISO, DMY';
CALL safemigrate.expand_alter_column_type('e5_bad', 'd', 'date', run_backfill => false) \gset
SET DateStyle = 'SQL, MDY';
SET TimeZone = 'America/New_York';
CALL safemigrate.expand_alter_column_type('e5_bad', 'd', 'date');
SHOW DateStyle;
SHOW TimeZone;
SELECT status, rows_done, last_error FROM safemigrate.backfill_jobs
 WHERE job_id = (SELECT job_id FROM safemigrate.expansions WHERE expansion_id = :expansion_id);
UPDATE e5_bad SET d = '04/03/2020' WHERE id = 2;
CALL safemigrate.expand_alter_column_type('e5_bad', 'd', 'date');
SET DateStyle = 'ISO, MDY';
SELECT id, d, d_new FROM e5_bad ORDER BY id;
CALL safemigrate.expand_abort(:expansion_id);
-- settings that cannot be set (the owner may write the row) fail the run
-- before its first batch, the job left failed and resumable
CALL safemigrate.expand_alter_column_type('e5_bad', 'd', 'date', run_backfill => false) \gset
UPDATE safemigrate.expansions SET settings[1] = 'Mars/Olympus_Mons' WHERE expansion_id = :expansion_id;
SELECT job_id AS e5_job FROM safemigrate.expansions WHERE expansion_id = :expansion_id \gset
CALL safemigrate.backfill_resume(:e5_job);
SELECT status, rows_done, last_error FROM safemigrate.backfill_jobs WHERE job_id = :e5_job;
UPDATE safemigrate.expansions SET settings[1] = 'UTC' WHERE expansion_id = :expansion_id;
CALL safemigrate.backfill_resume(:e5_job);
SELECT status, rows_done FROM safemigrate.backfill_jobs WHERE job_id = :e5_job;
CALL safemigrate.expand_abort(:expansion_id);
RESET TimeZone;
RESET DateStyle;

-- 3. A rename converts nothing: its sync function pins only search_path
-- (each SET clause costs every write); a type change pins the settings too.
CREATE TABLE e5_rn (id int PRIMARY KEY, a int);
CALL safemigrate.expand_rename_column('e5_rn', 'a', 'b', run_backfill => false) \gset
SELECT x.settings, p.proconfig FROM safemigrate.expansions x
  JOIN pg_proc p ON p.oid = to_regprocedure(x.sync_function || '()')
 WHERE x.expansion_id = :expansion_id;
CALL safemigrate.expand_abort(:expansion_id);
CALL safemigrate.expand_alter_column_type('e5_rn', 'a', 'bigint', run_backfill => false) \gset
SELECT x.settings IS NOT NULL AS settings_recorded,
       array(SELECT split_part(c, '=', 1) FROM unnest(p.proconfig) c) AS pinned
  FROM safemigrate.expansions x JOIN pg_proc p ON p.oid = to_regprocedure(x.sync_function || '()')
 WHERE x.expansion_id = :expansion_id;
CALL safemigrate.expand_abort(:expansion_id);

-- 2. The WARNING for rows updated besides the batch's own (an AFTER UPDATE
-- trigger moving keys) fires for a partitioned table too: its updates are
-- counted on the leaf partitions.
CREATE TABLE e5_part (id int PRIMARY KEY, v int) PARTITION BY RANGE (id);
CREATE TABLE e5_part_1 PARTITION OF e5_part FOR VALUES FROM (0) TO (100000);
CREATE FUNCTION e5_mover() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id < 1000 THEN
    EXECUTE format('UPDATE %s SET id = id + 1000 WHERE id = $1', TG_TABLE_NAME) USING NEW.id;
  END IF;
  RETURN NULL;
END $$;
INSERT INTO e5_part SELECT g, 0 FROM generate_series(1, 100) g UNION ALL SELECT 5000, 0;
CREATE TRIGGER mv AFTER UPDATE ON e5_part FOR EACH ROW EXECUTE FUNCTION e5_mover();
\set VERBOSITY default
CALL safemigrate.backfill('e5_part', 'v = v + 1', batch_size => 100, min_batch_size => 5);
\set VERBOSITY terse
SELECT v, count(*) FROM e5_part GROUP BY v ORDER BY v;
