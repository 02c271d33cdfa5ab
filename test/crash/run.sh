#!/usr/bin/env bash
# test/crash/run.sh: a migration whose backend dies in the middle of a rewrite.
#
# A rewritten statement runs its safe steps in transactions of their own (and
# waits for its locks in subtransactions), so a backend that is terminated (pg_terminate_backend) or killed (kill -9, which
# makes the postmaster restart every backend and recover) between or during
# steps leaves the steps before it committed.  That must be a valid state, no
# lock may outlive the backend, and running the original statement again must
# finish the migration.
#
# Expects PGHOST/PGPORT/PGUSER to point at a throwaway cluster that preloads
# pg_safemigrate (it is crashed on purpose; do not point it at anything else),
# and to be allowed to send signals to its backends (root or the cluster owner).
# The victim is made slow where it must be caught (a CHECK that sleeps per row,
# an index expression that sleeps per row); the test waits for a catalog
# condition, not for a fixed time.  Prints "ok - ..." / "not ok - ...", then
# "crash: N passed, M failed".

source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh" # sm_check_eq, sm_checks_summary
# Not -e: a failed check or a killed session is what this file looks at.
set +e
set -uo pipefail

db=safemigrate_crash
victim_log=$(mktemp "${TMPDIR:-/tmp}/pg_safemigrate_crash.XXXXXX")

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# wait_for SQL: poll (at most 30 s) until the query returns t.
wait_for() {
	local i
	for i in $(seq 300); do
		[ "$(sql -c "$1" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	echo "# timed out waiting for: $1"
	return 1
}
# wait_up: the server accepts connections again (after a crash restart).
wait_up() {
	local i
	for i in $(seq 600); do
		psql -X -q -At -d "$db" -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
victim_pid() { sql -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'crash_victim'"; }

# strike: end the victim ($how: terminate or kill9) and wait until the server
# takes connections again.  After kill -9 the postmaster ends every backend
# and restarts; a sentinel session tells when that has happened (it is ended
# too), so the checks that follow do not run on the server about to restart.
strike() {
	local pid sentinel
	pid=$(victim_pid)
	if [ -z "$pid" ]; then
		echo "# the victim had ended already:"; cat "$victim_log"
	elif [ "$how" = terminate ]; then
		sql -c "SELECT pg_terminate_backend($pid)" >/dev/null
	else
		PGAPPNAME=crash_sentinel psql -X -q -d "$db" -c "SELECT pg_sleep(3600)" >/dev/null 2>&1 &
		sentinel=$!
		wait_for "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'crash_sentinel')"
		kill -9 "$pid"
		wait "$sentinel"
	fi
	wait "$victim_job"
	wait_up
}

# The audit of the cluster goes to database postgres.
psql -X -q -d postgres -c "CREATE EXTENSION IF NOT EXISTS pg_safemigrate" || exit 1
audit() { psql -X -q -At -d postgres -c "SELECT safemigrate.audit_wait(30000)" -c "$1" | tail -n +2; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
	-c "ALTER DATABASE $db SET safemigrate.small_table_rows = 0" || exit 1
sql <<'SQL' || exit 1
SET safemigrate.mode = off;
CREATE EXTENSION pg_safemigrate;
-- Slow per row, so that the step that checks existing rows can be caught.
CREATE FUNCTION slow_positive(v int) RETURNS boolean IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.005); RETURN v > 0; END $$;
CREATE FUNCTION slow_key(v int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.005); RETURN v; END $$;
CREATE TABLE customers (id int PRIMARY KEY, email text);
INSERT INTO customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 1000) g;
ANALYZE customers;
CREATE TABLE orders (id int PRIMARY KEY, amount int NOT NULL);
INSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g;
ANALYZE orders;
SQL

# run_victim SQL: run it in the background as the session to kill.
run_victim() {
	PGAPPNAME=crash_victim psql -X -q -d "$db" -c "$1" >"$victim_log" 2>&1 &
	victim_job=$!
}

for how in terminate kill9; do
	# --- ADD CHECK, rewritten as ADD ... NOT VALID + VALIDATE ------------------
	run_victim "ALTER TABLE orders ADD CONSTRAINT orders_amount_${how} CHECK (slow_positive(amount))"
	# Step 1 committed: the NOT VALID constraint exists; step 2 (VALIDATE) is scanning.
	wait_for "SELECT EXISTS (SELECT FROM pg_constraint WHERE conname = 'orders_amount_${how}' AND NOT convalidated)
	          AND EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'crash_victim' AND wait_event = 'PgSleep')"
	strike
	sm_check_eq "$how during VALIDATE: the NOT VALID constraint of step 1 stays" "f" \
		"$(sql -c "SELECT convalidated FROM pg_constraint WHERE conname = 'orders_amount_${how}'")"
	sm_check_eq "$how during VALIDATE: no lock on the table outlives the backend" "0" \
		"$(sql -c "SELECT count(*) FROM pg_locks WHERE relation = 'orders'::regclass")"
	sm_check_eq "$how during VALIDATE: new rows are already checked" "violates check constraint" \
		"$(sql -c "INSERT INTO orders VALUES (100000, -1)" 2>&1 | grep -o 'violates check constraint')"
	out=$(sql -c "ALTER TABLE orders ADD CONSTRAINT orders_amount_${how} CHECK (slow_positive(amount))" 2>&1)
	sm_check_eq "$how during VALIDATE: the statement run again finishes the migration" "t" \
		"$(sql -c "SELECT convalidated FROM pg_constraint WHERE conname = 'orders_amount_${how}'")"
	[ -n "$out" ] && echo "# $out" | head -3
	if [ "$how" = terminate ]; then
		# The session ended in the middle of step 2: the abort at its exit
		# still queued the attempt and its steps (kill -9 restarts the server
		# and loses what was not yet written, see README).
		sm_check_eq "terminate during VALIDATE: the audit has the attempt, failed with 57P01, aborted" \
			"failed|aborted|57P01|terminating connection due to administrator command" \
			"$(audit "SELECT concat_ws('|', action, outcome, sqlstate, message) FROM safemigrate.ddl_audit
			           WHERE application_name = 'crash_victim' AND step = 0 AND statement LIKE '%orders_amount_terminate%'
			           ORDER BY id LIMIT 1")"
		sm_check_eq "terminate during VALIDATE: step 1 committed, step 2 failed" \
			"1|allowed|committed,2|failed|aborted" \
			"$(audit "SELECT string_agg(concat_ws('|', s.step, s.action, s.outcome), ',' ORDER BY s.step)
			           FROM safemigrate.ddl_audit a JOIN safemigrate.ddl_audit s ON s.attempt_id = a.id
			           WHERE a.application_name = 'crash_victim' AND a.statement LIKE '%orders_amount_terminate%'
			             AND a.id = (SELECT min(id) FROM safemigrate.ddl_audit WHERE application_name = 'crash_victim'
			                          AND step = 0 AND statement LIKE '%orders_amount_terminate%')")"
	fi

	# --- CREATE INDEX, rewritten as CREATE INDEX CONCURRENTLY -----------------
	run_victim "CREATE INDEX orders_key_${how} ON orders (slow_key(amount))"
	wait_for "SELECT EXISTS (SELECT FROM pg_class WHERE relname = 'orders_key_${how}')
	          AND EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'crash_victim' AND wait_event = 'PgSleep')"
	strike
	sm_check_eq "$how during CREATE INDEX CONCURRENTLY: the index is left INVALID, not half-valid" "f" \
		"$(sql -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_key_${how}'::regclass")"
	out=$(sql -c "CREATE INDEX orders_key_${how} ON orders (slow_key(amount))" 2>&1)
	sm_check_eq "$how during CREATE INDEX CONCURRENTLY: running it again drops the INVALID index first (DROP INDEX CONCURRENTLY)" \
		"DROP INDEX CONCURRENTLY" "$(grep -o 'DROP INDEX CONCURRENTLY' <<<"$out" | head -1)"
	sm_check_eq "$how during CREATE INDEX CONCURRENTLY: ... and then builds a valid index" "t" \
		"$(sql -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_key_${how}'::regclass")"
	sm_check_eq "$how: no rows lost" "1000" "$(sql -c "SELECT count(*) FROM orders")"

	# --- SET NOT NULL (4 steps), ended while it waits in the lock protocol ----
	# A reader holds the table; the victim waits for step 1's lock in short
	# waits (subtransactions) with backoffs in between.
	psql -X -q -d "$db" -c "SET application_name = 'crash_reader'" \
		-c "BEGIN" -c "SELECT count(*) FROM customers" -c "SELECT pg_sleep(3600)" >/dev/null 2>&1 &
	reader=$!
	wait_for "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'crash_reader' AND wait_event = 'PgSleep')"
	PGOPTIONS="-c safemigrate.lock_timeout=60s -c safemigrate.lock_retries=10000" \
		run_victim "ALTER TABLE customers ALTER COLUMN email SET NOT NULL"
	wait_for "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'crash_victim'
	                           AND wait_event_type IN ('Lock', 'Extension'))"
	strike
	[ "$how" = terminate ] && sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'crash_reader'" >/dev/null
	wait "$reader"
	sm_check_eq "$how while waiting for the lock: nothing changed" "f|0" \
		"$(sql -c "SELECT attnotnull, (SELECT count(*) FROM pg_constraint WHERE conrelid = 'customers'::regclass AND contype = 'c')
		            FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname = 'email'")"
	sm_check_eq "$how while waiting for the lock: no lock outlives the backend" "0" \
		"$(sql -c "SELECT count(*) FROM pg_locks WHERE relation = 'customers'::regclass")"
	sql -c "ALTER TABLE customers ALTER COLUMN email SET NOT NULL" >/dev/null 2>&1
	sm_check_eq "$how while waiting for the lock: run again, all four steps finish (NOT NULL, no helper CHECK left)" "t|0" \
		"$(sql -c "SELECT attnotnull, (SELECT count(*) FROM pg_constraint WHERE conrelid = 'customers'::regclass AND contype = 'c')
		            FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname = 'email'")"
	sql -c "ALTER TABLE customers ALTER COLUMN email DROP NOT NULL" >/dev/null
done

# --- immediate shutdown of the whole server during a rewrite ---------------
# (CRASH_PGDATA: the cluster's data directory, to stop and start it.)  The
# events the audit writer had written before are in the table after the
# restart, and with safemigrate.log_level = log every queued event is also in
# the server log; the statement in flight has no event (documented).
if [ -n "${CRASH_PGDATA:-}" ]; then
	pgctl() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$(dirname "$(command -v psql)")/pg_ctl" "$@"; else pg_ctl "$@"; fi; }
	PGOPTIONS="-c safemigrate.log_level=log" run_victim "ALTER TABLE orders ADD CONSTRAINT orders_amount_immediate CHECK (slow_positive(amount))"
	wait_for "SELECT EXISTS (SELECT FROM pg_constraint WHERE conname = 'orders_amount_immediate' AND NOT convalidated)
	          AND EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'crash_victim' AND wait_event = 'PgSleep')"
	# Step 1 committed and was queued: wait until the writer has written it, then crash.
	audit "SELECT 1" >/dev/null
	pgctl -D "$CRASH_PGDATA" -m immediate -w stop >/dev/null 2>&1
	wait "$victim_job"
	pgctl -D "$CRASH_PGDATA" -l "$CRASH_PGDATA/../server.log" -w start >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	wait_up
	sm_check_eq "immediate shutdown during VALIDATE: the NOT VALID constraint of step 1 stays" "f" \
		"$(sql -c "SELECT convalidated FROM pg_constraint WHERE conname = 'orders_amount_immediate'")"
	sm_check_eq "immediate shutdown during VALIDATE: step 1's audit row survived the restart" "1|allowed|committed" \
		"$(audit "SELECT concat_ws('|', step, action, outcome) FROM safemigrate.ddl_audit
		           WHERE application_name = 'crash_victim' AND step = 1
		             AND statement LIKE '%orders_amount_immediate%NOT VALID%'")"
	sm_check_eq "immediate shutdown during VALIDATE: step 1's event is also in the server log" "1" \
		"$(grep -c 'pg_safemigrate audit: .*step=1 action=allowed outcome=committed .*orders_amount_immediate' "$CRASH_PGDATA/../server.log")"
	sql -c "ALTER TABLE orders ADD CONSTRAINT orders_amount_immediate CHECK (slow_positive(amount))" >/dev/null 2>&1
	sm_check_eq "immediate shutdown during VALIDATE: the statement run again finishes the migration" "t" \
		"$(sql -c "SELECT convalidated FROM pg_constraint WHERE conname = 'orders_amount_immediate'")"
	sm_check_eq "immediate shutdown: no rows lost" "1000" "$(sql -c "SELECT count(*) FROM orders WHERE id <= 1000")"

	# --- immediate shutdown during a backfill -------------------------------
	# Batches of 50 rows with a pause between them: the server is stopped
	# (immediate) half-way; after the restart the job shows the last committed
	# batch and backfill_resume finishes it, every row updated exactly once.
	sql -c "SET safemigrate.mode = off" -c "ALTER TABLE orders ADD COLUMN doubled int" -c "ALTER TABLE orders ADD COLUMN touched int NOT NULL DEFAULT 0" >/dev/null
	PGOPTIONS="-c statement_timeout=0" run_victim "CALL safemigrate.backfill('orders', 'doubled = amount * 2, touched = touched + 1', 'id <= 1000', batch_size => 50, min_batch_size => 50, max_batch_size => 50, pause_ms => 20)"
	wait_for "SELECT EXISTS (SELECT FROM safemigrate.backfill_jobs WHERE table_name = 'public.orders' AND rows_done >= 200)"
	pgctl -D "$CRASH_PGDATA" -m immediate -w stop >/dev/null 2>&1
	wait "$victim_job"
	pgctl -D "$CRASH_PGDATA" -l "$CRASH_PGDATA/../server.log" -w start >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	wait_up
	job=$(sql -c "SELECT max(job_id) FROM safemigrate.backfill_jobs WHERE table_name = 'public.orders'")
	sm_check_eq "immediate shutdown during a backfill: the job kept its progress (rows done = rows updated)" "t" \
		"$(sql -c "SELECT rows_done = (SELECT count(*) FROM orders WHERE touched > 0) AND rows_done BETWEEN 200 AND 999
		            FROM safemigrate.backfill_jobs WHERE job_id = $job")"
	PGOPTIONS="-c statement_timeout=0" sql -c "CALL safemigrate.backfill_resume($job)" >/dev/null 2>&1
	sm_check_eq "immediate shutdown during a backfill: resumed, done, every row updated exactly once and right" "done|1000|0" \
		"$(sql -c "SELECT status, (SELECT count(*) FROM orders WHERE id <= 1000 AND touched = 1),
		                   (SELECT count(*) FROM orders WHERE id <= 1000 AND doubled IS DISTINCT FROM amount * 2)
		            FROM safemigrate.backfill_jobs WHERE job_id = $job" )"
fi

rm -f "$victim_log"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
sm_checks_summary crash
