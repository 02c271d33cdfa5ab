#!/usr/bin/env bash
# test/replica/run.sh: safemigrate.backfill()'s replica-lag throttle against a real streaming standby.
#
# Run by scripts/test.sh after `sm_cluster_start replica` (PGHOST/PGPORT name that primary, which
# preloads pg_safemigrate).  It makes a second, throwaway cluster with pg_basebackup -R, streams to
# it, pauses its replay (pg_wal_replay_pause), and runs a backfill with max_replica_lag => 1 MB on
# the primary: the replay lag grows with every batch until the backfill pauses (NOTICE, and
# backfill_jobs.throttled), and makes no progress while the replay stays paused.  Then the replay is
# resumed: the lag falls, the backfill goes on (NOTICE "resuming after ...") and finishes, and the
# standby shows every row done.  Prints one line per check and "replica: N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
# Not -e: a condition that fails goes to its sm_check (under -e it ended the script before it).
set +e
export PATH="$PG_BINDIR:$PATH"

primary_dir=$PGHOST
standby=$(mktemp -d /tmp/pg_safemigrate_standby.XXXXXX)
chmod 755 "$standby"
[ "$(id -u)" -eq 0 ] && chown postgres: "$standby"
bf_pid=""
cleanup() {
	local rc=$?
	[ -z "$bf_pid" ] || kill "$bf_pid" 2>/dev/null || true
	if [ -f "$standby/data/postmaster.pid" ]; then
		sm_as_owner "$PG_BINDIR/pg_ctl" -D "$standby/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$standby"
	sm_checks_summary replica "$rc"
}
trap cleanup EXIT

P() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
# wait_for SECONDS SQL [psql args...]: until the query returns t
wait_for() {
	local limit=$1 sql=$2 i
	shift 2
	for i in $(seq 1 $((limit * 10))); do
		[ "$(P "$@" -c "$sql" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}

createdb replica_test
P -d replica_test -q <<'EOF'
CREATE EXTENSION pg_safemigrate;
CREATE TABLE rl (id int PRIMARY KEY, a int NOT NULL, pad text NOT NULL, b int);
INSERT INTO rl SELECT g, g, repeat('x', 200) FROM generate_series(1, 20000) g;
VACUUM ANALYZE rl;
EOF

# The standby: a base backup of the primary with its recovery settings (-R), on its own port and socket.
sport=$(sm_free_port)
sm_as_owner "$PG_BINDIR/pg_basebackup" -h "$primary_dir" -p "$PGPORT" -U postgres -D "$standby/data" -R -X stream -c fast \
	>"$standby/basebackup.log" 2>&1
sm_check "pg_basebackup of the primary" $?
{
	echo "port = $sport"
	echo "unix_socket_directories = '$standby'"
	echo "shared_preload_libraries = ''"
	echo "hot_standby = on"
	echo "wal_receiver_status_interval = 1"
} | sm_as_owner tee -a "$standby/data/postgresql.conf" >/dev/null
sm_as_owner "$PG_BINDIR/pg_ctl" -D "$standby/data" -l "$standby/server.log" -w -t 60 start >/dev/null 9>&-
sm_check "the standby starts" $?
S() { P -h "$standby" -p "$sport" -d replica_test "$@"; }
wait_for 30 "SELECT EXISTS (SELECT FROM pg_stat_replication WHERE state = 'streaming')" -d replica_test
sm_check "the standby streams from the primary" $?
wait_for 30 "SELECT (SELECT count(*) FROM rl) = 20000" -h "$standby" -p "$sport" -d replica_test
sm_check "the standby has the table" $?

# Replay paused: the standby receives WAL but does not apply it.
S -q -c "SELECT pg_wal_replay_pause()" >/dev/null
wait_for 10 "SELECT pg_get_wal_replay_pause_state() = 'paused'" -h "$standby" -p "$sport" -d replica_test
sm_check "the standby's replay is paused" $?

P -d replica_test -c "CALL safemigrate.backfill('rl', 'b = a', 'b IS NULL', batch_size => 500, min_batch_size => 500,
	max_batch_size => 500, max_replica_lag => 1048576)" >"$standby/backfill.out" 2>&1 &
bf_pid=$!
wait_for 60 "SELECT EXISTS (SELECT FROM safemigrate.backfill_jobs WHERE throttled LIKE 'replica replay lag %')" -d replica_test
sm_check "the backfill pauses when the replay lag exceeds max_replica_lag" $?
P -d replica_test -c "SELECT job_id, status, rows_done, throttled FROM safemigrate.backfill_jobs"
before=$(P -d replica_test -c "SELECT rows_done FROM safemigrate.backfill_jobs")
lag=$(P -d replica_test -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication")
[ "${lag%%.*}" -gt 1048576 ] 2>/dev/null
sm_check "the primary sees a replay lag above 1 MB ($lag bytes)" $?
[ "$before" -gt 0 ] && [ "$before" -lt 20000 ]
sm_check "it paused part-way ($before of 20000 rows done)" $?
# While the replay stays paused the lag cannot fall: the job must not move.
sleep 2
after=$(P -d replica_test -c "SELECT rows_done FROM safemigrate.backfill_jobs")
[ "$after" = "$before" ]
sm_check "no batch runs while the lag stays above the bound ($after rows done)" $?

S -q -c "SELECT pg_wal_replay_resume()" >/dev/null
wait_for 120 "SELECT status = 'done' FROM safemigrate.backfill_jobs" -d replica_test
sm_check "the backfill resumes once the standby catches up, and finishes" $?
wait "$bf_pid"
sm_check "the CALL succeeds" $?
bf_pid=""
cat "$standby/backfill.out"
grep -q 'pausing: replica replay lag [0-9]* bytes exceeds max_replica_lag 1048576' "$standby/backfill.out"
sm_check "it reports the pause (NOTICE)" $?
grep -q 'resuming after' "$standby/backfill.out"
sm_check "it reports the resumption (NOTICE)" $?
[ "$(P -d replica_test -c "SELECT throttle_waits > 0 AND throttled IS NULL AND rows_done = 20000 FROM safemigrate.backfill_jobs")" = t ]
sm_check "the job counts the wait and is no longer throttled" $?
wait_for 60 "SELECT count(*) FILTER (WHERE b = a) = 20000 FROM rl" -h "$standby" -p "$sport" -d replica_test
sm_check "the standby shows every row done" $?
P -d replica_test -q -c "/* safemigrate: expand-contract */ DROP TABLE rl"
