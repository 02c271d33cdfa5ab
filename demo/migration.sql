-- demo/migration.sql: a short migration on a live-sized table, as a developer
-- would write it, run by scripts/demo.sh with psql against a cluster that
-- preloads pg_safemigrate.
\set VERBOSITY default
\timing on
\echo
\echo '--- the policy in force for every session of the cluster'
SHOW safemigrate.mode;
SELECT relname, to_char(reltuples, 'FM999,999,999') AS rows, pg_size_pretty(pg_relation_size(oid)) AS size
  FROM pg_class WHERE relname IN ('patients', 'appointments') ORDER BY relname;

\echo
\echo '--- 1. the naive migration: a plain CREATE INDEX would block every write to appointments'
CREATE INDEX appointments_patient_idx ON appointments (patient_id);

\echo
\echo '--- 2. the same through a migration tool''s function (PL/pgSQL EXECUTE): judged the same'
DO $$ BEGIN EXECUTE 'CREATE UNIQUE INDEX patients_email_key ON patients (email)'; END $$;

\echo
\echo '--- 3. the statement from the hint: builds without blocking writers'
CREATE UNIQUE INDEX CONCURRENTLY patients_email_key ON patients (email);
SELECT indrelid::regclass AS "table", indexrelid::regclass AS index, indisvalid AS valid,
       pg_size_pretty(pg_relation_size(indexrelid)) AS size
  FROM pg_index WHERE indrelid IN ('appointments'::regclass, 'patients'::regclass) ORDER BY 1, 2;

\echo
\echo '--- 4. new and empty tables are exempt: nobody else can be blocked'
BEGIN;
CREATE TABLE prescriptions (id bigint PRIMARY KEY, appointment_id bigint NOT NULL, drug text NOT NULL);
CREATE INDEX prescriptions_appointment_idx ON prescriptions (appointment_id);
COMMIT;

\echo
\echo '--- 5. the next migration file, classified before it runs: check() reads the catalog, executes nothing'
\set m `cat demo/migration_002.sql`
\! cat demo/migration_002.sql
\set ECHO none
\echo 'SELECT safemigrate.check_header(:m);  SELECT ... FROM safemigrate.check(:m);'
SELECT safemigrate.check_header(:'m') AS header_for_the_file;
SELECT stmt_no, left(statement, 48) AS statement, lock_mode, rewrites, scans, category, rule, verdict
  FROM safemigrate.check(:'m') ORDER BY stmt_no, relation;
\echo
\echo '--- 6. the safe SQL for each rejected statement'
SELECT stmt_no, rule, safe_sql FROM safemigrate.check(:'m') WHERE verdict = 'reject' ORDER BY stmt_no;
\echo
\echo '--- 7. rehearsal: the migration runs for real in a transaction that is always rolled back'
\echo 'SELECT ... FROM safemigrate.rehearse(:m);'
SELECT stmt_no, left(statement, 48) AS statement, round(duration_ms) AS ms, relation, lock_mode, rewritten
  FROM safemigrate.rehearse(:'m') ORDER BY stmt_no, relation;

\set ECHO queries
\echo
\echo '--- 8. the lock queue: a report job keeps a transaction open on appointments for 4 seconds'
\! psql -X -q -c "SET application_name = 'nightly_report'" -c "BEGIN" -c "SELECT count(*) FROM appointments" -c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null &
SELECT pg_sleep(0.5);
\echo 'an instant ALTER TABLE would queue behind it and stall every query; pg_safemigrate waits in short steps, then gives up naming the blocker:'
ALTER TABLE appointments ADD COLUMN room text;
SELECT pid IS NOT NULL AS has_pid, application_name, state, held_mode FROM safemigrate.blockers('appointments', 'AccessExclusiveLock');
SELECT pg_sleep(2);
\echo 'the report is done: the same statement goes through at once'
ALTER TABLE appointments ADD COLUMN room text;

\echo
\echo '--- 9. an ordinary role cannot switch the policy off'
SET ROLE demo_app;
SET safemigrate.mode = off;
RESET ROLE;

\echo
\echo '--- 10. a superuser can relax it per role, e.g. warn for a trial period'
ALTER ROLE demo_app SET safemigrate.mode = warn;
SELECT rolname, rolconfig FROM pg_roles WHERE rolname = 'demo_app';
