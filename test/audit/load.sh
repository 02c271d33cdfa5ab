#!/usr/bin/env bash
# test/audit/load.sh: the audit under load.  8 concurrent clients send 10,000
# DDL statements in total (a quarter each: committed, rolled back by the
# client, rejected by the policy, committed COMMENT in a transaction block);
# afterwards safemigrate.ddl_audit must hold exactly one row per attempt with
# the right action and outcome (compared statement by statement with the list
# of what was sent).  The same workload runs with safemigrate.audit off and
# on, alternating which goes first, ROUNDS times each, and the DDL throughput ratio is printed
# (information, not an assertion: these machines are noisy).
#
# Usage: test/audit/load.sh [ROUNDS]   against the cluster in PGHOST/PGPORT,
# whose database "postgres" is safemigrate.database with the extension.
# Exit status 0 when every audited run is exact.
set -euo pipefail

ROUNDS=${1:-1}
CLIENTS=8
TOTAL=10000
PER=$((TOTAL / CLIENTS))
work=$(mktemp -d /tmp/pg_safemigrate_auditload.XXXXXX)
trap 'rm -rf "$work"' EXIT
DB=safemigrate_load
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -d "$DB" -c "CREATE EXTENSION pg_safemigrate"

# gen RUN AUDIT: one SQL file per client, and the expected rows (CSV).
gen() {
	local run=$1 audit=$2 c k f
	: >"$work/expected-$run.csv"
	for c in $(seq 1 $CLIENTS); do
		f="$work/$run-c$c.sql"
		{
			echo "SET safemigrate.audit = $audit;"
			echo "SET safemigrate.migration_id = '$run-c$c';"
			echo "CREATE TABLE load_${run}_c$c (a int);"
			for k in $(seq 1 $PER); do
				case $((k % 4)) in
					0) echo "ALTER TABLE load_${run}_c$c ADD COLUMN c_$k int;" ;;
					1) echo "BEGIN;"; echo "ALTER TABLE load_${run}_c$c ADD COLUMN c_$k int;"; echo "ROLLBACK;" ;;
					2) echo "ALTER TABLE load_${run}_c$c RENAME COLUMN a TO a_$k;" ;;
					3) echo "BEGIN;"; echo "COMMENT ON TABLE load_${run}_c$c IS 'k$k';"; echo "COMMIT;" ;;
				esac
			done
		} >"$f"
		{
			echo "$run-c$c,CREATE TABLE load_${run}_c$c (a int),allowed,committed"
			for k in $(seq 1 $PER); do
				case $((k % 4)) in
					0) echo "$run-c$c,ALTER TABLE load_${run}_c$c ADD COLUMN c_$k int,allowed,committed" ;;
					1) echo "$run-c$c,ALTER TABLE load_${run}_c$c ADD COLUMN c_$k int,allowed,aborted" ;;
					2) echo "$run-c$c,ALTER TABLE load_${run}_c$c RENAME COLUMN a TO a_$k,rejected,aborted" ;;
					3) echo "$run-c$c,COMMENT ON TABLE load_${run}_c$c IS 'k$k',allowed,committed" ;;
				esac
			done
		} >>"$work/expected-$run.csv"
	done
}

# run RUN: the clients in parallel; prints the wall time in seconds.
run() {
	local run=$1 c start end
	start=$(date +%s.%N)
	for c in $(seq 1 $CLIENTS); do
		psql -X -q -d "$DB" -f "$work/$run-c$c.sql" >/dev/null 2>&1 &
	done
	wait
	end=$(date +%s.%N)
	echo "$start $end" | awk '{printf "%.3f", $2 - $1}'
}

# check RUN: compare the audit rows of the run with what was sent.
check() {
	local run=$1
	psql -X -q -At -d postgres -v ON_ERROR_STOP=1 <<SQL
SELECT safemigrate.audit_wait(120000);
CREATE TEMP TABLE expected (migration_id text, statement text, action text, outcome text);
\\copy expected FROM '$work/expected-$run.csv' WITH (FORMAT csv, QUOTE E'\\x01')
CREATE TEMP TABLE got AS
  SELECT migration_id, statement, action, outcome FROM safemigrate.ddl_audit
   WHERE migration_id LIKE '$run-c%' AND step = 0;
SELECT 'sent=' || (SELECT count(*) FROM expected) || ' rows=' || (SELECT count(*) FROM got)
    || ' missing=' || (SELECT count(*) FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM got) m)
    || ' unexpected=' || (SELECT count(*) FROM (SELECT * FROM got EXCEPT ALL SELECT * FROM expected) u)
    || ' logged_only=' || (SELECT events_logged_only FROM safemigrate.audit_queue())
    || ' failed=' || (SELECT events_failed FROM safemigrate.audit_queue());
SQL
}

declare -a t_off t_on
passed=0
failed=0
status=0
for r in $(seq 1 "$ROUNDS"); do
	gen "off$r" off
	gen "on$r" on
	# Alternate which side runs first, so that neither always gets the warmer (or busier) slot.
	if [ $((r % 2)) -eq 1 ]; then
		t_off+=("$(run "off$r")")
		t_on+=("$(run "on$r")")
	else
		t_on+=("$(run "on$r")")
		t_off+=("$(run "off$r")")
	fi
	result=$(check "on$r" | tail -n 1)
	echo "round $r: audit on: $result"
	case "$result" in
		"sent=$((TOTAL + CLIENTS)) rows=$((TOTAL + CLIENTS)) missing=0 unexpected=0 logged_only=0 failed=0")
			passed=$((passed + 1)); echo "ok - round $r: one audit row per attempt, each with its action and outcome" ;;
		*) failed=$((failed + 1)); status=1; echo "not ok - round $r: audit rows differ from what was sent" ;;
	esac
	off_rows=$(check "off$r" | tail -n 1)
	echo "round $r: audit off: $off_rows"
	case "$off_rows" in
		"sent=$((TOTAL + CLIENTS)) rows=0 "*) passed=$((passed + 1)); echo "ok - round $r: safemigrate.audit = off records nothing" ;;
		*) failed=$((failed + 1)); status=1; echo "not ok - round $r: rows recorded with safemigrate.audit = off" ;;
	esac
	echo "round $r: $TOTAL DDL by $CLIENTS clients: audit off ${t_off[-1]} s, audit on ${t_on[-1]} s"
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
moff=$(med "${t_off[@]}")
mon=$(med "${t_on[@]}")
awk -v off="$moff" -v on="$mon" -v n="$TOTAL" 'BEGIN {
	printf "DDL throughput (median of rounds): audit off %.0f stmt/s, audit on %.0f stmt/s, ratio on/off %.2f\n", n / off, n / on, off / on }'
echo "audit-load: $passed passed, $failed failed"
awk -v off="$moff" -v on="$mon" -v n="$TOTAL" -v r="$ROUNDS" -v ok="$failed" 'BEGIN {
	printf "BENCH audit_throughput rounds=%d off_stmt_s=%.0f on_stmt_s=%.0f ratio=%.3f exact=%s\n", r, n / off, n / on, off / on, (ok == 0) ? "yes" : "no" }' 
psql -X -q -d postgres -c "DROP DATABASE $DB"
psql -X -q -d postgres -c "DELETE FROM safemigrate.ddl_audit WHERE migration_id LIKE 'on%-c%' OR migration_id LIKE 'off%-c%'"
exit $status
