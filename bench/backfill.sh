#!/usr/bin/env bash
# bench/backfill.sh: filling a new column on a big table while an OLTP load runs, three ways side
# by side in one run on the same data:
#
#   update     one UPDATE bt SET b = a (one transaction, every row locked until the end)
#   limit      the seed's loop: UPDATE bt SET b = a WHERE id IN (SELECT id FROM bt WHERE b IS NULL
#              LIMIT 5000), committed after each batch, until no row is left (each batch rescans
#              the rows already done)
#   backfill   CALL safemigrate.backfill('bt', 'b = a', 'b IS NULL') with its defaults (keyset
#              batches from 5000 rows adapting to 200 ms, lock_timeout 200 ms per batch)
#
# and, first, the load alone ("none") for its baseline latency, then the load while a plain busy
# loop outside the server keeps one core busy for 8 s ("cpu": no database work at all; what one
# busy core alone costs the load on this machine, for comparison).  One more method on request:
#   backfill-noprep  the same with SET safemigrate.backfill_prepare_wal = off (the backfill does not
#              create the WAL segments its next batches fill; see README "Backfill")
# A benchmark, not a test: it prints what it measured and exits 0 unless it cannot run at all.
#
#   bash bench/backfill.sh [-r ROUNDS] [-n ROWS] [--rate TPS] [--baseline SECONDS] [--keep]
#
#   -r ROUNDS         run every method ROUNDS times, in turn (default 1); the summary pools every
#                     load transaction of every round's window for p99 and max (one round's p99 of
#                     ~1,700 transactions is its 17th worst: noisy), the mean time for rows/s, the
#                     worst round for the longest batch and the growth
#   -n ROWS           rows in the table (default 2000000)
#   --rate TPS        the load's rate, pgbench --rate (default 200, 4 clients)
#   --baseline S      how long the load runs alone for the baseline (default 20)
#   --args 'ARGS'     extra arguments for safemigrate.backfill, e.g. --args 'pause_ms => 10'
#   --methods 'LIST'  run only these, in this order (default 'none cpu update limit backfill'; none is
#                     the baseline; backfill-noprep on request)
#   --conf 'NAME = VALUE'  one more server setting (ALTER SYSTEM; repeatable; the server restarts
#                     when one needs it), e.g. --conf 'wal_init_zero = off'
#   --pin             the load on CPU 0, the method on CPU 1 (taskset): pgbench and its four
#                     backends on one core, the method's backend (or the busy loop) on the other, for
#                     every method including none; what the method costs the load when it does not
#                     share the load's core (a server with a core to spare), apart from the core
#                     itself.  Needs taskset (util-linux) and 2 or more CPUs.
#   --waits           also sample, every ~0.5 ms from a third session, what the load's backends
#                     wait for while the method runs (pg_stat_activity wait events of the active
#                     ones; "CPU" when none: running or waiting for a core) and print the counts
#                     under each row.  The sampler costs CPU itself: compare like with like.
#   --keep            keep the per-run files (pgbench logs, window latencies) in bench/.cache/backfill/
#
# Per method: a fresh copy of the fixture database (createdb -T), the load starts (pgbench -c 4
# -j 2 --rate, per-transaction logs; a transaction reads and updates one random row), 3 s later
# the method runs; when it ends the load is stopped.  Measured: the method's wall time and rows/s;
# its longest batch, which is how long it holds row locks at a stretch (update: the whole
# statement; limit: the slowest batch; backfill: longest_batch_ms of its job); the load's p99 and
# max latency over the transactions that started while the method ran; the table's size after it
# (bloat: old row versions not yet reused); and whether every row got b = a.
#
# It uses the extension already installed (no build; `make install` first) and starts its own
# throwaway cluster that preloads it (fsync = off, like every cluster of scripts/lib.sh), removed at
# the end.  BENCH_PG_BINDIR=/path/to/bin runs it against another PostgreSQL 15 installation;
# BENCH_BACKFILL_PGOPTIONS='-c name=value' sets options of the backfill's session only.
# About 80 s per round for 2,000,000 rows on 2 cores.  The last line is machine-readable:
#   BENCH backfill pinned=0|1 rows=N update_s=... limit_s=... backfill_s=... throughput_ratio=... longest_batch_ms=...
#         baseline_p99_ms=... backfill_p99_ms=... p99_ratio=... ...
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$SM_ROOT/bench/lib/common.sh"

rows=2000000 rate=200 clients=4 jobs=2 baseline=20 keep=0 pin=0 waits=0 warmup=3 rounds=1 bf_args="" methods="none cpu update limit backfill" confs=() cpu_seconds=8
while [ $# -gt 0 ]; do
	case $1 in
	-n) rows=$2; shift 2 ;;
	-r) rounds=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--baseline) baseline=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--pin) pin=1; shift ;;
	--waits) waits=1; shift ;;
	--args) bf_args=", $2"; shift 2 ;;
	--methods) methods=$2; shift 2 ;;
	--conf) confs+=("$2"); shift 2 ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $rows in '' | *[!0-9]* | 0) echo "-n wants a positive number" >&2; exit 2 ;; esac
case $rounds in '' | *[!0-9]* | 0) echo "-r wants a positive number" >&2; exit 2 ;; esac
if [ "$pin" = 1 ] && { ! command -v taskset >/dev/null || [ "$(nproc)" -lt 2 ]; }; then
	echo "--pin needs taskset (util-linux) and 2 or more CPUs" >&2
	exit 2
fi

PG_BINDIR=${BENCH_PG_BINDIR:-$PG_BINDIR}
work=$(mktemp -d /tmp/pg_safemigrate_backfill_runs.XXXXXX)
chmod 777 "$work"
cleanup() {
	sm_cluster_stop
	if [ "$keep" = 1 ]; then
		rm -rf "$BENCH_CACHE/backfill"
		mkdir -p "$BENCH_CACHE"
		mv "$work" "$BENCH_CACHE/backfill" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

sm_install_deps
so=$("$PG_CONFIG" --pkglibdir)/pg_safemigrate.so
[ -f "$so" ] || { bench_warn "$so is not installed (make install first)"; exit 1; }
echo "timing the installed $so ($(date -r "$so" '+%F %T'))"
sm_cluster_start backfill preload
if [ ${#confs[@]} -gt 0 ]; then
	for c in "${confs[@]}"; do
		psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET ${c%%=*} = '$(sed "s/^[^=]*= *//; s/'//g" <<<"$c")'"
	done
	psql -X -q -c "SELECT pg_reload_conf()" >/dev/null
	# Settings that only take effect at server start (wal_buffers, shared_buffers): restart.
	if [ "$(psql -X -At -c "SELECT count(*) FROM pg_settings WHERE pending_restart")" != 0 ]; then
		sm_as_owner "$PG_BINDIR/pg_ctl" -D "$SM_DIR_backfill/data" -l "$SM_DIR_backfill/server.log" -w -t 60 restart \
			>/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	fi
	echo "extra server settings: ${confs[*]} ($(psql -X -At -c "SELECT string_agg(name || ' = ' || current_setting(name), ', ')
		FROM pg_settings WHERE name IN ('shared_buffers', 'wal_buffers')"))"
fi
bench_env_line

bench_say "fixture: bt with $rows rows"
createdb fixture
psql -X -q -v ON_ERROR_STOP=1 -d fixture <<EOF
CREATE EXTENSION pg_safemigrate;
CREATE TABLE bt (id bigint PRIMARY KEY, a int NOT NULL, v int NOT NULL DEFAULT 0, payload text NOT NULL, b int);
INSERT INTO bt (id, a, payload) SELECT g, g % 100000, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, $rows) g;
CREATE TABLE bench_ctl (stop boolean NOT NULL);
INSERT INTO bench_ctl VALUES (false);
CREATE TABLE limit_batches (ms double precision, n int);
-- The seed's loop, as a procedure that commits after every batch.
CREATE PROCEDURE limit_loop() LANGUAGE plpgsql AS \$\$
DECLARE
  n int;
  t timestamptz;
BEGIN
  LOOP
    t := clock_timestamp();
    UPDATE bt SET b = a WHERE id IN (SELECT id FROM bt WHERE b IS NULL LIMIT 5000);
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO limit_batches VALUES (extract(epoch FROM clock_timestamp() - t) * 1000, n);
    COMMIT;
    EXIT WHEN n = 0;
  END LOOP;
END \$\$;
-- --waits: what the load's active backends wait for, sampled until bench_ctl.stop.
CREATE FUNCTION bench_waits() RETURNS TABLE (wait text, samples bigint) LANGUAGE plpgsql AS \$\$
DECLARE
  n bigint := 0;
BEGIN
  CREATE TEMP TABLE bench_w (w text);
  LOOP
    PERFORM pg_stat_clear_snapshot();  -- else pg_stat_activity is read once per transaction
    INSERT INTO bench_w SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
      WHERE application_name = 'pgbench' AND state = 'active';
    n := n + 1;
    EXIT WHEN (SELECT stop FROM bench_ctl);
    PERFORM pg_sleep(0.0005);
  END LOOP;
  RETURN QUERY SELECT 'samples', n UNION ALL (SELECT w, count(*) FROM bench_w GROUP BY w ORDER BY 2 DESC, 1);
END \$\$;
VACUUM ANALYZE bt;
EOF
echo "bt: $(psql -X -At -d fixture -c "SELECT pg_size_pretty(pg_relation_size('bt')) || ' heap, ' ||
	pg_size_pretty(pg_total_relation_size('bt')) || ' with its index'")"

# The load: one random row read and updated per transaction; the first command ends the client
# (division by zero) once bench_ctl.stop is set, so that pgbench exits and writes its logs.
cat >"$work/load.sql" <<EOF
\\set id random(1, $rows)
SELECT 1 / (1 - stop::int) FROM bench_ctl;
SELECT v FROM bt WHERE id = :id;
UPDATE bt SET v = v + 1 WHERE id = :id;
EOF

# pin_backends DB CONDITION COUNT CPU: waits (up to 5 s) until COUNT backends match the
# pg_stat_activity CONDITION, then pins them to CPU
pin_backends() {
	local pids="" i
	for i in $(seq 1 500); do
		pids=$(psql -X -At -d "$1" -c "SELECT pid FROM pg_stat_activity WHERE $2 AND pid <> pg_backend_pid()")
		[ "$(wc -w <<<"$pids")" -ge "$3" ] && break
		sleep 0.01
	done
	for i in $pids; do taskset -p -c "$4" "$i" >/dev/null; done
}

# on_method_cpu CMD...: runs CMD, on CPU 1 with --pin
on_method_cpu() {
	if [ "$pin" = 1 ]; then taskset -c 1 "$@"; else "$@"; fi
}

# method_sql DB PGOPTIONS SQL: runs SQL in its own session; with --pin that session's backend
# (and psql) on CPU 1
method_sql() {
	local db=$1 opts=$2 sql=$3 pid rc=0
	if [ "$pin" != 1 ]; then
		PGOPTIONS="$opts" psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "$sql"
		return
	fi
	PGOPTIONS="$opts" PGAPPNAME=bench_method taskset -c 1 psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "$sql" &
	pid=$!
	pin_backends "$db" "application_name = 'bench_method'" 1 1
	wait "$pid" || rc=$?
	return "$rc"
}

# run_one METHOD ROUND: sets the m_* values
run_one() {
	local m=$1 db=bench_$1 dir=$work/$1.$2 pgb_pid t0 t1 rc=0 w0 w1 samp_pid=""
	mkdir -p "$dir"
	chmod 777 "$dir"
	createdb -T fixture "$db"
	psql -X -q -d "$db" -c CHECKPOINT
	m_size_before=$(psql -X -At -d "$db" -c "SELECT pg_relation_size('bt')")
	PGOPTIONS='-c statement_timeout=0' pgbench -n -f "$work/load.sql" -c "$clients" -j "$jobs" -T 3600 \
		--rate "$rate" -l --log-prefix="$dir/tx" "$db" >"$dir/pgbench.out" 2>&1 &
	pgb_pid=$!
	sleep "$warmup"
	if [ "$pin" = 1 ]; then
		# pgbench (every thread) and its backends on CPU 0
		taskset -a -p -c 0 "$pgb_pid" >/dev/null
		pin_backends "$db" "application_name = 'pgbench'" "$clients" 0
	fi
	if [ "$waits" = 1 ]; then
		psql -X -At -F ' ' -d "$db" -c "SELECT * FROM bench_waits()" >"$dir/waits.out" 2>&1 &
		samp_pid=$!
	fi
	w0=$(psql -X -At -d "$db" -c "SELECT pg_current_wal_insert_lsn()")
	t0=$(bench_now)
	case $m in
	none) sleep "$baseline" ;;
	# A busy loop outside the server: what one busy core alone costs the load on this machine.
	cpu) on_method_cpu timeout "$cpu_seconds" sh -c 'while :; do :; done' || true ;;
	update) method_sql "$db" "" "UPDATE bt SET b = a" >"$dir/method.out" 2>&1 || rc=$? ;;
	limit) method_sql "$db" "" "CALL limit_loop()" >"$dir/method.out" 2>&1 || rc=$? ;;
	backfill) method_sql "$db" "${BENCH_BACKFILL_PGOPTIONS:-}" "CALL safemigrate.backfill('bt', 'b = a', 'b IS NULL'$bf_args)" \
		>"$dir/method.out" 2>&1 || rc=$? ;;
	backfill-noprep) method_sql "$db" '-c safemigrate.backfill_prepare_wal=off' \
		"CALL safemigrate.backfill('bt', 'b = a', 'b IS NULL'$bf_args)" >"$dir/method.out" 2>&1 || rc=$? ;;
	esac
	t1=$(bench_now)
	w1=$(psql -X -At -d "$db" -c "SELECT pg_current_wal_insert_lsn()")
	psql -X -q -d "$db" -c "UPDATE bench_ctl SET stop = true"
	wait "$pgb_pid" || true
	m_waits=""
	if [ -n "$samp_pid" ]; then
		wait "$samp_pid" || true
		m_waits=$(awk 'NR == 1 { n = $2; next } { a += $2 } NR <= 7 { s = s (s ? ", " : "") $1 " " $2 } END { printf "%s samples, %d active backends seen: %s", n, a, s }' "$dir/waits.out")
	fi
	# WAL of every session while the method ran (the load alone writes about 1 MB a second)
	m_wal=$(psql -X -At -d "$db" -c "SELECT round(pg_wal_lsn_diff('$w1', '$w0') / 1048576)")
	[ "$rc" = 0 ] || { bench_warn "$m failed:"; cat "$dir/method.out"; }
	m_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	m_rps=$(awk -v r="$rows" -v s="$m_s" 'BEGIN { printf "%.0f", r / s }')
	case $m in
	none | cpu) m_longest=NA m_rps=NA ;;
	update) m_longest=$(awk -v s="$m_s" 'BEGIN { printf "%.0f", s * 1000 }') ;;
	limit) m_longest=$(psql -X -At -d "$db" -c "SELECT round(max(ms)) FROM limit_batches")
		m_batches=$(psql -X -At -d "$db" -c "SELECT count(*) FROM limit_batches") ;;
	backfill*) m_longest=$(psql -X -At -d "$db" -c "SELECT round(longest_batch_ms) FROM safemigrate.backfill_jobs")
		m_batches=$(psql -X -At -d "$db" -c "SELECT batches || ' batches, last size ' || batch_size || ', ' ||
			retries || ' retries' FROM safemigrate.backfill_jobs") ;;
	esac
	m_size=$(psql -X -At -d "$db" -c "SELECT pg_relation_size('bt')")
	m_bloat=$(awk -v a="$m_size" -v b="$m_size_before" 'BEGIN { printf "%.2f", a / b }')
	m_size=$(awk -v a="$m_size" 'BEGIN { printf "%.0f", a / 1048576 }')
	m_ok=$(psql -X -At -d "$db" -c "SELECT CASE WHEN count(*) FILTER (WHERE b IS DISTINCT FROM a) = 0 THEN 'yes' ELSE 'NO' END FROM bt")
	case $m in none | cpu) m_ok=- ;; esac
	# pgbench 15 log: client tx latency_us script epoch_s epoch_us [lag_us]; with --rate the latency
	# counts from the scheduled start, so a transaction held up also delays the ones after it.
	# Only the transactions that started while the method ran count.
	cat "$dir"/tx.* 2>/dev/null | awk -v t0="$t0" -v t1="$t1" '
		$3 ~ /^[0-9]+$/ { end = $5 + $6 / 1e6; start = end - $3 / 1e6; if (start >= t0 && start <= t1) print $3 / 1000 }' \
		>"$dir/window.ms"
	cat "$dir/window.ms" >>"$work/pooled.$m.ms"
	read -r m_n m_p99 m_max < <(latency_stats <"$dir/window.ms")
	dropdb "$db"
}

# latency_stats < milliseconds, one per line: "count p99 max"
latency_stats() {
	sort -g | awk '
		{ n++; v[n] = $1 }
		END {
			if (n == 0) { print 0, "NA", "NA"; exit }
			i = int(n * 0.99 + 0.999999); if (i < 1) i = 1; if (i > n) i = n
			printf "%d %.2f %.1f\n", n, v[i], v[n]
		}'
}

bench_say "load: pgbench -c $clients -j $jobs --rate $rate (read + update of a random row); each method starts ${warmup}s after it"
[ "$pin" = 0 ] || echo "pinned: the load (pgbench and its backends) on CPU 0, each method on CPU 1"
[ -z "$bf_args" ] || echo "backfill arguments: ${bf_args#, }"
fmt='%-15s %8s %9s %11s %7s %9s %9s %7s %8s %7s %4s  %s\n'
keys="s rps longest n p99 max size bloat ok"
declare -A R
for m in none cpu update limit backfill backfill-noprep; do
	for k in $keys; do R[$m.$k]=NA; done
	R[$m.sum_s]=0 R[$m.sum_wal]=0 R[$m.rounds]=0
done
for round in $(seq 1 "$rounds"); do
	[ "$rounds" = 1 ] || bench_say "round $round of $rounds"
	# shellcheck disable=SC2059
	printf "$fmt" method seconds rows/s longest_ms txns p99_ms max_ms WAL_MB heap_MB growth b=a notes
	for m in $methods; do
		m_batches=""
		run_one "$m" "$round"
		# shellcheck disable=SC2059
		printf "$fmt" "$m" "$m_s" "$m_rps" "$m_longest" "$m_n" "$m_p99" "$m_max" "$m_wal" "$m_size" "$m_bloat" "$m_ok" "$m_batches"
		[ -z "$m_waits" ] || echo "    waits: $m_waits"
		R[$m.sum_wal]=$(awk -v a="${R[$m.sum_wal]}" -v b="$m_wal" 'BEGIN { print a + b }')
		R[$m.sum_s]=$(awk -v a="${R[$m.sum_s]}" -v b="$m_s" 'BEGIN { print a + b }')
		R[$m.rounds]=$((R[$m.rounds] + 1))
		R[$m.p99_r$round]=$m_p99
		# the longest batch and the growth: the worst round; b=a: every round
		[ "${R[$m.longest]}" = NA ] || [ "$m_longest" = NA ] ||
			m_longest=$(awk -v a="${R[$m.longest]}" -v b="$m_longest" 'BEGIN { print (a > b ? a : b) }')
		[ "${R[$m.bloat]}" = NA ] || m_bloat=$(awk -v a="${R[$m.bloat]}" -v b="$m_bloat" 'BEGIN { print (a > b ? a : b) }')
		[ "${R[$m.ok]}" = NA ] || [ "${R[$m.ok]}" = "$m_ok" ] || m_ok=NO
		for k in longest size bloat ok; do
			vn=m_$k
			R[$m.$k]=${!vn}
		done
	done
done

# Pooled over the rounds: every transaction of every round's window; the mean time.
if [ "$rounds" -gt 1 ]; then
	bench_say "all $rounds rounds pooled (p99 and max over every transaction of every round's window; mean seconds)"
	# shellcheck disable=SC2059
	printf "$fmt" method seconds rows/s longest_ms txns p99_ms max_ms WAL_MB heap_MB growth b=a notes
fi
for m in $methods; do
	R[$m.s]=$(awk -v a="${R[$m.sum_s]}" -v n="${R[$m.rounds]}" 'BEGIN { printf "%.1f", a / n }')
	R[$m.wal]=$(awk -v a="${R[$m.sum_wal]}" -v n="${R[$m.rounds]}" 'BEGIN { printf "%.0f", a / n }')
	R[$m.rps]=$(awk -v r="$rows" -v s="${R[$m.s]}" 'BEGIN { printf "%.0f", r / s }')
	case $m in none | cpu) R[$m.rps]=NA ;; esac
	read -r R[$m.n] R[$m.p99] R[$m.max] < <(latency_stats <"$work/pooled.$m.ms")
	if [ "$rounds" -gt 1 ]; then
		# shellcheck disable=SC2059
		printf "$fmt" "$m" "${R[$m.s]}" "${R[$m.rps]}" "${R[$m.longest]}" "${R[$m.n]}" "${R[$m.p99]}" "${R[$m.max]}" "${R[$m.wal]}" \
			"${R[$m.size]}" "${R[$m.bloat]}" "${R[$m.ok]}" ""
	fi
done
if [ "$rounds" -gt 1 ]; then
	per_round=""
	for round in $(seq 1 "$rounds"); do
		per_round+=" $(bench_ratio "${R[backfill.p99_r$round]:-NA}" "${R[none.p99_r$round]:-NA}")x"
	done
	echo "load p99 with the backfill / without, round by round:$per_round"
fi

tr=$(bench_ratio "${R[backfill.rps]}" "${R[update.rps]}")
p99r=$(bench_ratio "${R[backfill.p99]}" "${R[none.p99]}")
echo
echo "backfill vs single UPDATE: throughput ${tr}x (target >= 0.8), longest batch ${R[backfill.longest]} ms (target <= 500)"
echo "load p99 during the backfill: ${R[backfill.p99]} ms = ${p99r}x its ${R[none.p99]} ms without a backfill (target <= 2)"
cpur=$(bench_ratio "${R[cpu.p99]}" "${R[none.p99]}")
echo "load p99 while a plain busy loop (no database work) keeps one core busy: ${R[cpu.p99]} ms = ${cpur}x;" \
	"the backfill's p99 is $(bench_ratio "${R[backfill.p99]}" "${R[cpu.p99]}")x the busy loop's"
echo "BENCH backfill pinned=$pin rows=$rows update_s=${R[update.s]} limit_s=${R[limit.s]} backfill_s=${R[backfill.s]}" \
	"update_rps=${R[update.rps]} limit_rps=${R[limit.rps]} backfill_rps=${R[backfill.rps]} throughput_ratio=$tr" \
	"update_longest_ms=${R[update.longest]} limit_longest_ms=${R[limit.longest]} longest_batch_ms=${R[backfill.longest]}" \
	"baseline_p99_ms=${R[none.p99]} update_p99_ms=${R[update.p99]} limit_p99_ms=${R[limit.p99]} backfill_p99_ms=${R[backfill.p99]}" \
	"p99_ratio=$p99r cpu_p99_ms=${R[cpu.p99]} cpu_p99_ratio=$cpur baseline_max_ms=${R[none.max]} update_max_ms=${R[update.max]} limit_max_ms=${R[limit.max]}" \
	"backfill_max_ms=${R[backfill.max]} update_growth=${R[update.bloat]} limit_growth=${R[limit.bloat]}" \
	"backfill_growth=${R[backfill.bloat]}"
