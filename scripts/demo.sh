#!/usr/bin/env bash
# scripts/demo.sh: the main job, from a fresh Debian 12 machine.
#
# Installs what is missing, builds and installs pg_safemigrate, starts a
# throwaway PostgreSQL 15 cluster that preloads it, loads a clinic schema
# (200,000 patients, 500,000 appointments), runs a short migration that shows a
# rejection with its hint and then the safe statement succeeding, and removes
# the cluster again.  Nothing is left running.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap sm_cluster_stop EXIT

sm_install_deps
sm_build
sm_say "throwaway cluster with shared_preload_libraries = 'pg_safemigrate'"
sm_cluster_start demo preload
createdb clinic
export PGDATABASE=clinic
sm_say "loading demo/schema.sql (200,000 patients, 500,000 appointments)"
psql -X -q -v ON_ERROR_STOP=1 -f "$SM_ROOT/demo/schema.sql"
sm_say "running demo/migration.sql"
(cd "$SM_ROOT" && psql -X -e -f demo/migration.sql 2>&1)
sm_say "the same check from the command line (tools/pg_safemigrate, exit status 1: something would be rejected)"
"$SM_ROOT/tools/pg_safemigrate" check "$SM_ROOT/demo/migration_002.sql" | head -40 || true
sm_say "stopping and removing the cluster"
sm_cluster_stop
echo "done"
