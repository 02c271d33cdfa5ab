#!/usr/bin/env bash
# test/dump/run.sh: the extension's own data through pg_dump and a restore, and
# the audit while the audit database has the extension at a version before
# the audit table.  A cluster of its own (started here).
#   - backfill jobs and expansions name their table by regclass: after a
#     restore (new OIDs; a table of the restoring database at the dumped OID)
#     they act on their own table, never on another;
#   - the job and expansion ids continue after the restored ones;
#   - audit events wait while the audit database has pg_safemigrate 0.2.0
#     (no safemigrate.ddl_audit yet) and are written after ALTER EXTENSION UPDATE.
# Prints "ok - ..." / "not ok - ...", then "dump-restore: N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
set +e
trap sm_cluster_stop EXIT
export PATH="$PG_BINDIR:$PATH"

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

sm_cluster_start dumprestore preload >/dev/null
dir=$SM_DIR_dumprestore
q -d postgres -c "CREATE EXTENSION pg_safemigrate"
q -d postgres -c "CREATE DATABASE src TEMPLATE template0"

# The source: a job not run yet, a finished job, an expansion waiting for its backfill.
q -d src >/dev/null <<'SQL'
CREATE EXTENSION pg_safemigrate;
SET safemigrate.small_table_rows = 0;
CREATE TABLE nopk (a int, b int);
INSERT INTO nopk SELECT g, NULL FROM generate_series(1, 100) g;
CREATE TABLE done_t (id int PRIMARY KEY, v int);
INSERT INTO done_t SELECT g, NULL FROM generate_series(1, 10) g;
SET client_min_messages = warning;
SELECT safemigrate.backfill_create('nopk', 'b = a', 'b IS NULL');
CALL safemigrate.backfill('done_t', 'v = id');
CREATE TABLE exp_t (id int PRIMARY KEY, status text);
INSERT INTO exp_t SELECT g, 's' || g FROM generate_series(1, 10) g;
CALL safemigrate.expand_rename_column('exp_t', 'status', 'state', run_backfill => false);
SQL
nopk_oid=$(q -d src -c "SELECT 'nopk'::regclass::oid")
pg_dump -Fc -d src -f "$dir/src.dump" 2>"$dir/dump.err"
sm_check_eq "pg_dump of a database with jobs and expansions" "0" "$?"

# The target, a second cluster, gets a table of its own at nopk's OID in the
# source (OIDs burnt with large objects until the next one is that OID), then
# the dump: the restored job must not take that table for its own.
src_host=$PGHOST src_port=$PGPORT
sm_cluster_start dumprestore2 preload >/dev/null
q -d postgres -c "CREATE DATABASE dst TEMPLATE template0"
q -d dst >/dev/null <<SQL
DO \$\$
DECLARE o oid;
BEGIN
  LOOP
    o := lo_create(0);
    EXIT WHEN o >= $nopk_oid - 1;
  END LOOP;
END
\$\$;
CREATE TABLE victim (a int, b int);
INSERT INTO victim VALUES (1, NULL), (2, NULL);
SQL
sm_check_eq "the restoring database has a table at the dumped table's OID" "t" \
	"$(q -d dst -c "SELECT 'victim'::regclass::oid = $nopk_oid")"
pg_restore -d dst "$dir/src.dump" 2>"$dir/restore.err"
sm_check_eq "pg_restore of it gives no error" "" "$(cat "$dir/restore.err")"
sm_check_eq "every job and expansion is restored" "3 1" \
	"$(q -d dst -F ' ' -c "SELECT (SELECT count(*) FROM safemigrate.backfill_jobs), (SELECT count(*) FROM safemigrate.expansions)")"
sm_check_eq "the restored job names the restored table" "nopk" \
	"$(q -d dst -c "SELECT relid::regclass FROM safemigrate.backfill_jobs WHERE table_name = 'public.nopk'")"
job=$(q -d dst -c "SELECT job_id FROM safemigrate.backfill_jobs WHERE table_name = 'public.nopk'")
PGOPTIONS='-c client_min_messages=warning' q -d dst -c "CALL safemigrate.backfill_resume($job)"
sm_check_eq "resumed after the restore, the job fills its own table" "100" "$(q -d dst -c "SELECT count(b) FROM nopk")"
sm_check_eq "... and not the table that has its old OID" "0" "$(q -d dst -c "SELECT count(b) FROM victim")"
sm_check_eq "a new job gets an id after the restored ones" "t" \
	"$(PGOPTIONS='-c client_min_messages=warning' q -d dst -c "SELECT safemigrate.backfill_create('done_t', 'v = 2 * id') > (SELECT max(job_id) FROM safemigrate.backfill_jobs WHERE table_name <> 'public.done_t' OR set_clause <> 'v = 2 * id')")"
exp=$(q -d dst -c "SELECT expansion_id FROM safemigrate.expansions")
ejob=$(q -d dst -c "SELECT job_id FROM safemigrate.expansions")
PGOPTIONS='-c client_min_messages=warning' q -d dst -c "CALL safemigrate.backfill_resume($ejob)" -c "CALL safemigrate.contract($exp)"
sm_check_eq "the restored expansion contracts on its own table" "state" \
	"$(q -d dst -c "SELECT string_agg(attname, ',') FROM pg_attribute WHERE attrelid = 'exp_t'::regclass AND attname IN ('status', 'state') AND NOT attisdropped")"
sm_check_eq "a new expansion gets an id after the restored one" "t" \
	"$(PGOPTIONS='-c client_min_messages=warning' q -d dst -c "CALL safemigrate.expand_rename_column('done_t', 'v', 'w', run_backfill => false)" | tail -1 | awk -v e="$exp" '{ print ($1 > e) ? "t" : "f" }')"

# The audit database at 0.2.0 (the first cluster again): events wait, and are written after the update.
export PGHOST=$src_host PGPORT=$src_port
q -d postgres -c "DROP EXTENSION pg_safemigrate" -c "CREATE EXTENSION pg_safemigrate VERSION '0.2.0'"
q -d src -c "CREATE TABLE during_old_version (a int)"
sleep 0.5
failed=$(q -d src -c "SELECT events_failed FROM safemigrate.audit_queue()")
q -d postgres -c "ALTER EXTENSION pg_safemigrate UPDATE"
q -d src -c "SELECT safemigrate.audit_wait(30000)" >/dev/null
sm_check_eq "an event while the audit database has 0.2.0 is written after the update" "1" \
	"$(q -d postgres -c "SELECT count(*) FROM safemigrate.ddl_audit WHERE statement = 'CREATE TABLE during_old_version (a int)'")"
sm_check_eq "... and none failed meanwhile" "0" "$failed"

sm_checks_summary dump-restore
