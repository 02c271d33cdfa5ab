#!/usr/bin/env bash
# bench/audit_throughput.sh: DDL throughput with the audit on versus off, in
# the same run.  8 concurrent clients send 10,000 DDL statements (committed,
# rolled back, rejected, COMMENT in a transaction block); each round runs the
# workload with safemigrate.audit = off, then on, and checks that the audited
# run left exactly one row per attempt (test/audit/load.sh).  Prints the
# median throughput of each side and the ratio on/off (target: at least 0.9).
#
#   bash bench/audit_throughput.sh [ROUNDS]     (default 3)
#
# Uses the extension already installed (no build), starts its own throwaway
# cluster that preloads it, and removes it at the end.  The last line is
# machine-readable: BENCH audit_throughput rounds=N off_stmt_s=... on_stmt_s=... ratio=... exact=yes|no
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
trap sm_cluster_stop EXIT
export PATH="$PG_BINDIR:$PATH"
rounds=${1:-3}
sm_cluster_start auditbench preload >/dev/null
psql -X -q -d postgres -c "CREATE EXTENSION pg_safemigrate"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); $(postgres --version)"
bash "$SM_ROOT/test/audit/load.sh" "$rounds"
