#!/usr/bin/env bash
# test/audit/writer.sh: the audit writer's security and durability, on a
# cluster of its own (started here; a 256kB queue, statements cut at 64 bytes).
#   - it runs as the bootstrap superuser, so no operator or function a user
#     creates (in public, CREATE granted) may take part in its INSERT;
#   - statement texts are cut on a character boundary of the database's
#     encoding (EUC_JP here), so the row is written;
#   - a clean stop (pg_ctl stop -m fast) writes what the queue held first;
#   - a full queue costs a transaction one short wait in all, not one per event;
#   - a lock on the audit table (a prepared transaction) holds the events in
#     the queue until it is gone, and does not hold up a clean stop;
#   - ALTER DATABASE ... SET role does not change the role it writes as.
# Prints "ok - ..." / "not ok - ...", then "audit-writer: N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
set +e
trap sm_cluster_stop EXIT
export PATH="$PG_BINDIR:$PATH"

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
writer_pid() { q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pg_safemigrate audit writer'"; }
wait_writer() {
	local i
	for i in $(seq 1 300); do
		[ -n "$(writer_pid)" ] && return 0
		sleep 0.1
	done
	return 1
}
restart() { sm_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -w "$@" -l "$dir/server.log" >/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; }

sm_cluster_start auditwriter preload >/dev/null
dir=$SM_DIR_auditwriter
{
	echo "safemigrate.audit_queue_size = '256kB'"
	echo "safemigrate.audit_statement_max = 64"
	echo "safemigrate.small_table_rows = 0"
} | sm_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
restart restart
q -d postgres -c "CREATE EXTENSION pg_safemigrate"
rows() { q -d postgres -c "SELECT safemigrate.audit_wait(60000)" >/dev/null; q -d postgres -c "SELECT count(*) FROM safemigrate.ddl_audit WHERE $1"; }

# 1. An operator bigint * interval in public (the writer computes lock_wait
# as bigint microseconds * interval '1 microsecond'; pg_catalog has only
# float8 * interval, reached by a cast, so an exact match elsewhere on the
# path would win) that would make its creator superuser.
q -d postgres <<'SQL'
CREATE ROLE mallory LOGIN;
GRANT CREATE ON SCHEMA public TO mallory;
SET ROLE mallory;
CREATE FUNCTION public.evil_mul(bigint, interval) RETURNS interval LANGUAGE plpgsql AS
  $$BEGIN EXECUTE 'ALTER ROLE mallory SUPERUSER'; RETURN $1::float8 * $2; END$$;
CREATE OPERATOR public.* (leftarg = bigint, rightarg = interval, function = public.evil_mul);
RESET ROLE;
SQL
old=$(writer_pid)
q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
for i in $(seq 1 300); do p=$(writer_pid); [ -n "$p" ] && [ "$p" != "$old" ] && break; sleep 0.1; done
sm_check_eq "the writer is started again after pg_terminate_backend" "t" "$([ -n "$p" ] && [ "$p" != "$old" ] && echo t || echo f)"
q -d postgres -c "CREATE TABLE after_operator (a int)"
sm_check_eq "the DDL after the operator is audited" "1" "$(rows "statement = 'CREATE TABLE after_operator (a int)'")"
sm_check_eq "the writer did not use the user's operator (mallory is no superuser)" "f" \
	"$(q -d postgres -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'")"

# 2. EUC_JP: a statement longer than 64 bytes of two-byte characters.
q -d postgres -c "CREATE DATABASE ej ENCODING 'EUC_JP' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
PGCLIENTENCODING=UTF8 q -d ej -c "CREATE TABLE ej1 (x text DEFAULT '$(printf '漢%.0s' $(seq 1 100))')"
sm_check_eq "a statement cut in an EUC_JP database is written" "1" "$(rows "database_name = 'ej' AND command_tag = 'CREATE TABLE'")"
sm_check_eq "... cut on a character boundary (at most 64 bytes in EUC_JP, whole characters)" "t" \
	"$(q -d postgres -c "SELECT octet_length(convert_to(statement, 'EUC_JP')) <= 64 AND statement LIKE 'CREATE TABLE ej1 (x text DEFAULT ''漢%' FROM safemigrate.ddl_audit WHERE database_name = 'ej'")"
failed=$(q -d postgres -c "SELECT events_failed FROM safemigrate.audit_queue()" 2>/dev/null || echo "?")
sm_check_eq "no event failed to be written" "0" "$failed"

# 3. A clean stop right after 5,000 DDL statements: none is lost.
PGOPTIONS="-c client_min_messages=warning" q -d postgres -c "DO \$\$BEGIN FOR i IN 1..5000 LOOP EXECUTE format('CREATE TABLE IF NOT EXISTS stop_%s (a int)', i % 50); END LOOP; END\$\$"
restart stop -m fast
restart start
wait_writer
logged=$(q -d postgres -c "SELECT events_logged_only FROM safemigrate.audit_queue()")
sm_check_eq "after pg_ctl stop -m fast: every one of the 5,000 attempts is in the table (or counted in the log)" "5000" \
	"$(($(rows "statement LIKE 'CREATE TABLE IF NOT EXISTS stop\_%'") + logged))"

# 4. A full queue: a transaction of 3,000 DDL statements while the writer is
# held up (a session holds a lock on the audit table; the 256kB queue holds
# fewer than 1,000 of these events) waits 100 ms in all, then logs the rest.
q -d postgres -c "SELECT safemigrate.audit_wait(60000)" >/dev/null
PGOPTIONS='-c safemigrate.mode=off -c safemigrate.audit=off' psql -X -q -d postgres \
	-c "BEGIN" -c "LOCK safemigrate.ddl_audit IN EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
locker=$!
for i in $(seq 1 100); do
	[ "$(q -d postgres -c "SELECT count(*) FROM pg_locks WHERE relation = 'safemigrate.ddl_audit'::regclass AND mode = 'ExclusiveLock' AND granted")" = 1 ] && break
	sleep 0.1
done
long=$(printf 'y%.0s' $(seq 1 200))
logged0=$(q -d postgres -c "SELECT events_logged_only FROM safemigrate.audit_queue()")
start=$(date +%s.%N)
q -d postgres -c "DO \$\$BEGIN FOR i IN 1..3000 LOOP EXECUTE format('COMMENT ON TABLE after_operator IS %L', i || '$long'); END LOOP; END\$\$"
end=$(date +%s.%N)
logged1=$(q -d postgres -c "SELECT events_logged_only FROM safemigrate.audit_queue()")
sm_check_eq "the queue was full: events of the transaction went to the server log" "t" "$([ "$logged1" -gt "$logged0" ] && echo t || echo f)"
# One wait of 100 ms for the transaction; 100 ms per event would be minutes.
sm_check_eq "the transaction waited once for room, not once per event (< 10 s)" "t" \
	"$(awk -v s="$start" -v e="$end" 'BEGIN { print (e - s < 10) ? "t" : "f" }')"
kill "$locker" 2>/dev/null
q -d postgres -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'" >/dev/null
wait "$locker" 2>/dev/null

# 5. A synchronous standby that never answers: the writer commits locally
# (its rows do not wait for the standby), and a fast stop does not hang on it.
q -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = 'nosuch_standby'" -c "SELECT pg_reload_conf()" >/dev/null
PGOPTIONS='-c synchronous_commit=local' q -d postgres -c "CREATE TABLE after_sync_standby (a int)"
sm_check_eq "with a missing synchronous standby the writer still writes" "t" \
	"$(PGOPTIONS='-c synchronous_commit=local' q -d postgres -c "SELECT safemigrate.audit_wait(10000)")"
start=$(date +%s)
sm_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -w -t 60 stop -m fast >/dev/null 2>&1
rc=$?
sm_check_eq "pg_ctl stop -m fast with a missing synchronous standby stops the server" "0" "$rc"
sm_check_eq "... within 20 s" "t" "$([ $(($(date +%s) - start)) -lt 20 ] && echo t || echo f)"
sm_as_owner sed -i '/synchronous_standby_names/d' "$dir/data/postgresql.auto.conf"

# 6. A lock on safemigrate.ddl_audit that does not go away with a session (a
# prepared transaction): the writer waits between tries of 1 s (logged once),
# writes the event once the lock is gone, and is not held up in a clean stop:
# what it could not write goes to the server log.
restart start
wait_writer
hold_audit() {
	q -d postgres -c "SELECT safemigrate.audit_wait(60000)" >/dev/null
	PGOPTIONS='-c safemigrate.mode=off -c safemigrate.audit=off -c default_transaction_read_only=off' q -d postgres <<'SQL'
BEGIN;
LOCK TABLE safemigrate.ddl_audit IN ACCESS EXCLUSIVE MODE;
PREPARE TRANSACTION 'hold_audit';
SQL
}
waiting_lines() { grep -c 'audit writer is waiting for a lock on safemigrate.ddl_audit' "$dir/server.log"; }
wait_for_waiting() {
	local i
	for i in $(seq 1 300); do
		[ "$(waiting_lines)" -gt "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
hold_audit
w0=$(waiting_lines)
q -d postgres -c "CREATE TABLE while_locked (a int)"
wait_for_waiting "$w0"
sm_check_eq "the writer says once that it waits for a lock on safemigrate.ddl_audit" "$((w0 + 1))" "$(waiting_lines)"
sm_check_eq "... the event is not written while the lock is held (audit_wait times out)" "f" \
	"$(q -d postgres -c "SELECT safemigrate.audit_wait(1500)")"
q -d postgres -c "ROLLBACK PREPARED 'hold_audit'"
sm_check_eq "... and is written once the lock is gone" "1" "$(rows "statement = 'CREATE TABLE while_locked (a int)'")"
sm_check_eq "... with no event set aside as failed" "0" "$(q -d postgres -c "SELECT events_failed FROM safemigrate.audit_queue()")"
# Two SIGTERMs at once (a shutdown signals the writer and its process group):
# the writer still logs what it could not write, and the restarted writer
# writes it once the lock is gone.
hold_audit
w0=$(waiting_lines)
q -d postgres -c "CREATE TABLE twice_terminated (a int)"
wait_for_waiting "$w0"
wpid=$(writer_pid)
sm_as_owner kill -TERM "$wpid"
sm_as_owner kill -TERM "$wpid"
for i in $(seq 1 100); do
	grep -A1 'audit writer stopped before audit event' "$dir/server.log" | grep -q 'twice_terminated' && break
	sleep 0.1
done
sm_check_eq "two SIGTERMs: the event the writer could not write is in the server log" "1" \
	"$(grep -A1 'audit writer stopped before audit event' "$dir/server.log" | grep -c 'CREATE TABLE twice_terminated')"
q -d postgres -c "ROLLBACK PREPARED 'hold_audit'"
wait_writer
sm_check_eq "... and the restarted writer writes it" "1" "$(rows "statement = 'CREATE TABLE twice_terminated (a int)'")"
hold_audit
w0=$(waiting_lines)
q -d postgres -c "CREATE TABLE at_stop_while_locked (a int)"
wait_for_waiting "$w0"
sm_check_eq "... held again: the writer says so again" "$((w0 + 1))" "$(waiting_lines)"
start=$(date +%s)
sm_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -w -t 60 stop -m fast >/dev/null 2>&1
rc=$?
sm_check_eq "pg_ctl stop -m fast while the writer waits for the lock stops the server" "0" "$rc"
sm_check_eq "... within 20 s" "t" "$([ $(($(date +%s) - start)) -lt 20 ] && echo t || echo f)"
sm_check_eq "... and the event it could not write is in the server log" "1" \
	"$(grep -A1 'audit writer stopped before audit event' "$dir/server.log" | grep -c 'CREATE TABLE at_stop_while_locked')"
restart start
q -d postgres -c "ROLLBACK PREPARED 'hold_audit'"

# 7. A fast stop while sessions are in the middle of transactions with DDL:
# the postmaster ends them and the writer at once, so their events (aborted)
# may reach the ring after the writer left.  Each is in the table or in the
# server log, none lost.
for i in $(seq 1 8); do
	{ echo "BEGIN; CREATE TABLE fast_stop_$i (a int);"; while [ ! -e "$dir/fast_stop.done" ]; do sleep 0.2; done; } |
		psql -X -q -d postgres >/dev/null 2>&1 &
done
for i in $(seq 1 100); do
	[ "$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%CREATE TABLE fast_stop_%' AND state = 'idle in transaction'")" = 8 ] && break
	sleep 0.1
done
sm_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -w -t 60 stop -m fast >/dev/null 2>&1
restart start
wait_writer
in_table=$(rows "statement LIKE 'CREATE TABLE fast_stop_%'")
in_log=$(grep -A1 -E 'audit writer (is not running|stopped before audit event)' "$dir/server.log" | grep -o 'CREATE TABLE fast_stop_[0-9]*' | sort -u | wc -l)
sm_check_eq "a fast stop during 8 transactions with DDL: each event is in the table or in the server log" "t" \
	"$([ $((in_table + in_log)) -ge 8 ] && echo t || echo "f (table $in_table, log $in_log)")"
echo "# fast stop: $in_table in the table, $in_log in the server log"
touch "$dir/fast_stop.done"
wait

# 8. The writer that replaces one stopped while it could not write does not
# inherit "cannot write" (sessions would log their events instead of waiting
# for room in a full queue).
hold_audit
w0=$(waiting_lines)
q -d postgres -c "CREATE TABLE waiting_then_new_writer (a int)"
wait_for_waiting "$w0"
sm_check_eq "a lock on the table: audit_queue() says the writer is waiting" "t" \
	"$(q -d postgres -c "SELECT writer_waiting FROM safemigrate.audit_queue()")"
wpid=$(writer_pid)
sm_as_owner kill -TERM "$wpid"
q -d postgres -c "ROLLBACK PREPARED 'hold_audit'"
for i in $(seq 1 100); do
	[ -n "$(writer_pid)" ] && [ "$(writer_pid)" != "$wpid" ] && break
	sleep 0.1
done
sm_check_eq "... the new writer writes what waited" "1" "$(rows "statement = 'CREATE TABLE waiting_then_new_writer (a int)'")"
sm_check_eq "... and is not waiting" "f" "$(q -d postgres -c "SELECT writer_waiting FROM safemigrate.audit_queue()")"

# 9. ALTER DATABASE ... SET default_transaction_read_only = on (and
# exit_on_error = on, which any user may set) for the audit database: the
# writer still writes, and a failed insert does not end it.
q -d postgres -c "ALTER DATABASE postgres SET exit_on_error = on"
q -d postgres -c "ALTER DATABASE postgres SET default_transaction_read_only = on"
wpid=$(writer_pid)
sm_as_owner kill -TERM "$wpid"
for i in $(seq 1 100); do
	[ -n "$(writer_pid)" ] && [ "$(writer_pid)" != "$wpid" ] && break
	sleep 0.1
done
export PGOPTIONS='-c default_transaction_read_only=off'
q -d postgres -c "CREATE TABLE read_only_default (a int)"
sm_check_eq "default_transaction_read_only = on in the audit database: the row is written" "1" \
	"$(rows "statement = 'CREATE TABLE read_only_default (a int)'")"
wpid=$(writer_pid)
hold_audit
w0=$(waiting_lines)
q -d postgres -c "CREATE TABLE exit_on_error_wait (a int)"
wait_for_waiting "$w0"
sleep 1.5
sm_check_eq "exit_on_error = on: the writer waits for the lock instead of dying and restarting" "$wpid" "$(writer_pid)"
q -d postgres -c "ROLLBACK PREPARED 'hold_audit'"
sm_check_eq "... and then writes the event" "1" "$(rows "statement = 'CREATE TABLE exit_on_error_wait (a int)'")"
q -d postgres -c "ALTER DATABASE postgres RESET default_transaction_read_only"
q -d postgres -c "ALTER DATABASE postgres RESET exit_on_error"
unset PGOPTIONS

# 10. A byte that is not valid in the audit database's encoding (a SQL_ASCII
# database takes any): the row is written, the byte as \xFF.
q -d postgres -c "CREATE DATABASE sqlascii ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
q -d sqlascii -c "CREATE TABLE victim (a int)"
printf "COMMENT ON TABLE victim IS 'x\xff'" | q -d sqlascii
sm_check_eq "an invalid byte in a SQL_ASCII database: the row is written, the byte escaped" "1" \
	"$(rows "database_name = 'sqlascii' AND statement = \$\$COMMENT ON TABLE victim IS 'x\\xFF'\$\$")"

# 11. ALTER DATABASE ... SET role = a role without rights on the audit table
# (the database's owner may set it): the writer still runs as the bootstrap
# superuser and writes.  (This script's own sessions override it.)
export PGOPTIONS='-c role=none'
q -d postgres -c "ALTER DATABASE postgres SET role = 'mallory'"
wpid=$(writer_pid)
q -d postgres -c "SELECT pg_terminate_backend($wpid)" >/dev/null
for i in $(seq 1 300); do p=$(writer_pid); [ -n "$p" ] && [ "$p" != "$wpid" ] && break; sleep 0.1; done
q -d postgres -c "CREATE TABLE role_setting (a int)"
sm_check_eq "ALTER DATABASE ... SET role: the writer still writes the row" "1" \
	"$(rows "statement = 'CREATE TABLE role_setting (a int)'")"
q -d postgres -c "ALTER DATABASE postgres RESET role"
unset PGOPTIONS

sm_checks_summary audit-writer
