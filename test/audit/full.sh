#!/usr/bin/env bash
# test/audit/full.sh: the audit when its queue is full.  A cluster of its own
# (started here) with the smallest queue and safemigrate.database pointing at
# a database where the extension is not installed yet, so the writer cannot
# drain: DDL must go on (never blocked for more than a short wait), every
# event that found the queue full must be in the server log and counted, and
# once the extension exists the writer must write everything that waited.
# Prints "ok - ..." / "not ok - ...", then "audit-full: N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
set +e
trap sm_cluster_stop EXIT
export PATH="$PG_BINDIR:$PATH"

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

sm_cluster_start auditfull preload >/dev/null
dir=$SM_DIR_auditfull
{
	echo "safemigrate.database = 'audit_target'"
	echo "safemigrate.audit_queue_size = '64kB'"
	echo "safemigrate.audit_statement_max = 64"
} | sm_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
q -d postgres -c "CREATE DATABASE audit_target"
sm_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -w restart -l "$dir/server.log" >/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-

# The counters are read through the extension's function in database postgres.
q -d postgres -c "CREATE EXTENSION pg_safemigrate"
read -r queued0 logged0 <<<"$(q -d postgres -F ' ' -c "SELECT events_queued, events_logged_only FROM safemigrate.audit_queue()")"
# 400 DDL statements with long texts (each event is cut to 64 bytes of statement).
long=$(printf 'x%.0s' $(seq 1 200))
{
	for i in $(seq 1 200); do
		echo "CREATE TABLE full_$i (a int); COMMENT ON TABLE full_$i IS '$long';"
	done
} >"$dir/ddl.sql"
start=$(date +%s.%N)
q -d postgres -f "$dir/ddl.sql" >/dev/null 2>&1
end=$(date +%s.%N)
sm_check_eq "every DDL statement ran" "200" "$(q -d postgres -c "SELECT count(*) FROM pg_class WHERE relname LIKE 'full\_%' AND relkind = 'r'")"
read -r queued logged used <<<"$(q -d postgres -F ' ' -c "SELECT events_queued, events_logged_only, used_bytes FROM safemigrate.audit_queue()")"
queued=$((queued - queued0))
logged=$((logged - logged0))
sm_check_eq "some events found the queue full" "t" "$([ "$logged" -gt 0 ] && echo t || echo f)"
sm_check_eq "queued + logged only = every attempt (400 statements)" "400" "$((queued + logged))"
nlog=$(grep -cE 'DETAIL:  pg_safemigrate audit: .*statement="(CREATE TABLE|COMMENT ON TABLE) full_' "$dir/server.log")
sm_check_eq "each event that found the queue full is in the server log, with its statement" "$logged" "$nlog"
# A full queue costs each statement at most a short wait (100 ms), never a hang.
sm_check_eq "the statements were not held up for long (< 0.2 s each on average)" "t" \
	"$(awk -v s="$start" -v e="$end" -v n=400 'BEGIN { print ((e - s) / n < 0.2) ? "t" : "f" }')"
sm_check_eq "the events the queue holds wait for the writer" "t" "$([ "${used:-0}" -gt 0 ] && echo t || echo f)"

# The extension appears in the audit database: the writer drains what waited.
q -d audit_target -c "CREATE EXTENSION pg_safemigrate"
sm_check_eq "the writer catches up" "t" "$(q -d postgres -c "SELECT safemigrate.audit_wait(60000)")"
rows=$(q -d audit_target -c "SELECT count(*) FROM safemigrate.ddl_audit WHERE statement LIKE 'CREATE TABLE full\_%' OR statement LIKE 'COMMENT ON TABLE full\_%'")
sm_check_eq "rows in the table + events in the log = 400" "400" "$((rows + logged))"
sm_check_eq "statement texts are cut at safemigrate.audit_statement_max bytes" "64" \
	"$(q -d audit_target -c "SELECT max(octet_length(statement)) FROM safemigrate.ddl_audit")"
sm_check_eq "pg_dump keeps the audit rows (pg_extension_config_dump)" "t" \
	"$(pg_dump -a -d audit_target >"$dir/dump.sql" && grep -q 'CREATE TABLE full_1 (a int)' "$dir/dump.sql" && echo t || echo f)"
sm_checks_summary audit-full
