#!/usr/bin/env bash
# scripts/demo.sh: the main job, from a fresh Debian 12 machine.
#
# Installs what is missing, builds and installs pg_safemigrate, starts a
# throwaway PostgreSQL 15 cluster that preloads it, loads a clinic schema
# (200,000 patients, 500,000 appointments), runs a short migration that shows a
# rejection with its hint and then the safe statement succeeding, shows the
# audit of every DDL attempt, runs a batched backfill, and removes the cluster
# again.  Nothing is left running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap sm_cluster_stop EXIT

sm_install_deps
sm_build
sm_say "throwaway cluster with shared_preload_libraries = 'pg_safemigrate'"
sm_cluster_start demo preload
# The audit of the whole cluster is written to database postgres.
psql -X -q -d postgres -c "CREATE EXTENSION pg_safemigrate"
createdb clinic
export PGDATABASE=clinic
sm_say "loading demo/schema.sql (200,000 patients, 500,000 appointments)"
psql -X -q -v ON_ERROR_STOP=1 -f "$SM_ROOT/demo/schema.sql"
sm_say "running demo/migration.sql"
(cd "$SM_ROOT" && psql -X -e -f demo/migration.sql 2>&1)
sm_say "a batched backfill: a new column of appointments filled for 500,000 rows, in keyset batches that commit as they go"
psql -X -c "ALTER TABLE appointments ADD COLUMN duration_min int" \
	-c "SET statement_timeout = 0" \
	-c "CALL safemigrate.backfill('appointments', 'duration_min = 30', 'duration_min IS NULL', pause_ms => 5)" \
	-c "SELECT job_id, table_name, batching, status, rows_done, batches, percent, rows_per_second, longest_batch_ms
	      FROM safemigrate.backfill_progress" \
	-c "SELECT count(*) FILTER (WHERE duration_min IS NULL) AS rows_left FROM appointments"
sm_say "the audit (database postgres): every DDL attempt above, with its action, the outcome of its transaction and its duration"
psql -X -q -d postgres -c "SELECT safemigrate.audit_wait(30000) AS all_written" \
	-c "SELECT to_char(started_at, 'HH24:MI:SS.MS') AS started, step,
	           round(extract(epoch FROM duration) * 1000, 1) AS ms, round(extract(epoch FROM lock_wait) * 1000) AS lock_wait_ms,
	           retries, command_tag, action, outcome, sqlstate, rules, left(statement, 60) AS statement
	      FROM safemigrate.ddl_audit WHERE database_name = 'clinic' ORDER BY id" \
	-c "SELECT left(blockers, 100) AS blockers_named_in_the_audit FROM safemigrate.ddl_audit
	     WHERE database_name = 'clinic' AND blockers IS NOT NULL ORDER BY id LIMIT 1"
sm_say "the same check from the command line (tools/pg_safemigrate, exit status 1: something would be rejected)"
"$SM_ROOT/tools/pg_safemigrate" check "$SM_ROOT/demo/migration_002.sql" | head -40 || true
sm_say "stopping and removing the cluster"
sm_cluster_stop
echo "done"
