#!/usr/bin/env bash
# bench/lock_queue.sh: the lock-queue outage, side by side.  A steady read/write load runs
# on a 200,000-row table; a long transaction reads the table and stays open; then
# ALTER TABLE ... ADD COLUMN asks for AccessExclusiveLock.  Without pg_safemigrate (database
# "naive") the ALTER waits in the lock queue for the long transaction and every query of the
# load waits behind the ALTER; with it (database "guarded") the ALTER never stands in the
# queue for more than safemigrate.lock_wait at a time and gives up after
# safemigrate.lock_timeout (55P03).  A benchmark, not a test: it prints the latencies the load
# saw and exits 0 unless it cannot run at all.
#
#   bash bench/lock_queue.sh [-r ROUNDS] [--trace] [--lock-wait MS] [--lock-timeout MS]
#
#   -r ROUNDS         rounds (default 3); each runs both databases, naive first in odd rounds
#   --trace           also sample pg_locks/pg_stat_activity every 20 ms during each run and
#                     print, per run, how long the load's sessions stood in the lock queue and
#                     behind whom (the samples stay in the run's directory, see --keep)
#   --lock-wait MS    ALTER DATABASE guarded SET safemigrate.lock_wait (default: not set, 100ms)
#   --lock-timeout MS ALTER DATABASE guarded SET safemigrate.lock_timeout (default: not set, 2s)
#   --keep            keep the per-run files (pgbench logs, outputs) in bench/.cache/lock_queue/
#
# Per run (times after pgbench starts): pgbench -c 4 -j 2 -T 12 --rate 200 with per-transaction
# logs (one SELECT and one UPDATE of a random row per transaction); at 2 s a session runs
# BEGIN; SELECT count(*) FROM accounts; and stays idle in transaction for 6 s, then COMMITs; at
# 3 s another session runs ALTER TABLE accounts ADD COLUMN note_<round> text (naive: with
# lock_timeout = 0; guarded: the extension's default settings).  It uses the extension already
# installed (no build), starts its own throwaway cluster that preloads it and removes it at the
# end.  About 75 s for 3 rounds.  The last line is machine-readable:
#   BENCH lock_queue rounds=N naive_max_ms=... guarded_max_ms=... ratio=... guarded_lock_wait_ms=...
#         naive_p99_ms=... guarded_p99_ms=... guarded_alter=... guarded_lock_timeout_ms=... hold_ms=...
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$SM_ROOT/bench/lib/common.sh"

rounds=3 trace=0 keep=0 lock_wait="" lock_timeout=""
rows=200000 clients=4 jobs=2 duration=12 rate=200
t_long=2 hold=6 t_alter=3
while [ $# -gt 0 ]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	--trace) trace=1; shift ;;
	--keep) keep=1; shift ;;
	--lock-wait) lock_wait=$2; shift 2 ;;
	--lock-timeout) lock_timeout=$2; shift 2 ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $rounds in '' | *[!0-9]* | 0) echo "-r wants a positive number" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/pg_safemigrate_lockq_runs.XXXXXX)
chmod 755 "$work"
cleanup() {
	sm_cluster_stop
	if [ "$keep" = 1 ]; then
		rm -rf "$BENCH_CACHE/lock_queue"
		mkdir -p "$BENCH_CACHE"
		mv "$work" "$BENCH_CACHE/lock_queue" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

sm_install_deps
so=$("$PG_CONFIG" --pkglibdir)/pg_safemigrate.so
[ -f "$so" ] || { bench_warn "$so is not installed (make install first)"; exit 1; }
echo "timing the installed $so ($(date -r "$so" '+%F %T'))"
sm_cluster_start lockq preload
bench_env_line

bench_say "fixture: accounts with $rows rows in databases naive and guarded"
createdb fixture
psql -X -q -v ON_ERROR_STOP=1 -d fixture <<EOF
CREATE TABLE accounts (id integer PRIMARY KEY, balance bigint NOT NULL DEFAULT 0, owner text NOT NULL);
INSERT INTO accounts SELECT g, 1000, 'owner ' || g FROM generate_series(1, $rows) g;
VACUUM ANALYZE accounts;
EOF
createdb -T fixture naive
createdb -T fixture guarded
psql -X -q -v ON_ERROR_STOP=1 -d guarded <<EOF
CREATE EXTENSION pg_safemigrate;
ALTER DATABASE guarded SET safemigrate.small_table_rows = 0;
${lock_wait:+ALTER DATABASE guarded SET safemigrate.lock_wait = $lock_wait;}
${lock_timeout:+ALTER DATABASE guarded SET safemigrate.lock_timeout = $lock_timeout;}
EOF
for db in naive guarded; do psql -X -q -d "$db" -c 'ANALYZE accounts'; done
# pg_settings gives both in ms (their unit)
read -r g_wait g_timeout < <(psql -X -At -F ' ' -d guarded -c "
	SELECT (SELECT setting FROM pg_settings WHERE name = 'safemigrate.lock_wait'),
	       (SELECT setting FROM pg_settings WHERE name = 'safemigrate.lock_timeout')")
echo "accounts: $(psql -X -At -d naive -c "SELECT reltuples::bigint || ' rows (reltuples), ' ||
	pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class WHERE oid = 'accounts'::regclass")"
echo "guarded: pg_safemigrate $(psql -X -At -d guarded -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_safemigrate'"),"\
	"safemigrate.lock_wait = ${g_wait}ms, safemigrate.lock_timeout = ${g_timeout}ms; naive: no extension (the hook is inactive)"

cat >"$work/load.sql" <<EOF
\\set id random(1, $rows)
SELECT balance FROM accounts WHERE id = :id;
UPDATE accounts SET balance = balance + 1 WHERE id = :id;
EOF

# The sampler (--trace): every 20 ms, who waits for a lock on accounts and behind whom.
# One line per sample: epoch|load sessions waiting|ALTER waiting (t/f)|ALTER state/wait event|
# pids blocking the waiting load sessions (pg_blocking_pids), with their application names.
if [ "$trace" = 1 ]; then
	n_samples=$(( (t_alter + g_timeout / 1000 + hold + 2) * 50 ))
	{
		for _ in $(seq 1 "$n_samples"); do
			cat <<'EOF'
SELECT extract(epoch FROM clock_timestamp())::numeric(16,3),
       (SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
         WHERE l.relation = 'accounts'::regclass AND NOT l.granted AND a.application_name = 'pgbench'),
       (SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
         WHERE l.relation = 'accounts'::regclass AND NOT l.granted AND a.application_name = 'lockq_alter'),
       (SELECT coalesce(max(state || '/' || coalesce(wait_event, '-')), 'gone')
          FROM pg_stat_activity WHERE application_name = 'lockq_alter'),
       (SELECT coalesce(string_agg(DISTINCT b.application_name, ','), '')
          FROM pg_stat_activity a, unnest(pg_blocking_pids(a.pid)) bp
          JOIN pg_stat_activity b ON b.pid = bp
         WHERE a.application_name = 'pgbench' AND a.wait_event_type = 'Lock');
SELECT pg_sleep(0.02);
EOF
		done
	} >"$work/sampler.sql"
fi

# sleep_until T0 OFFSET: sleep until OFFSET seconds after the epoch time T0
sleep_until() {
	local s
	s=$(awk -v t0="$1" -v o="$2" -v now="$(bench_now)" 'BEGIN { d = t0 + o - now; printf "%.3f", (d > 0 ? d : 0) }')
	sleep "$s"
}

# run_one VARIANT ROUND: one run; sets the r_* values (ms unless said)
run_one() {
	local variant=$1 round=$2 dir=$work/$1-$2 t0 ta tb rc=0 pgb_rc=0 long_pid pgb_pid samp_pid=""
	mkdir -p "$dir"
	chmod 777 "$dir"
	psql -X -q -d "$variant" -c CHECKPOINT
	t0=$(bench_now)
	PGOPTIONS='-c statement_timeout=60s' timeout 90 pgbench -n -f "$work/load.sql" -c "$clients" -j "$jobs" \
		-T "$duration" --rate "$rate" -l --log-prefix="$dir/tx" "$variant" >"$dir/pgbench.out" 2>&1 &
	pgb_pid=$!
	if [ "$trace" = 1 ]; then
		sleep_until "$t0" 1
		PGAPPNAME=lockq_trace timeout 60 psql -X -At -q -d "$variant" -f "$work/sampler.sql" \
			>"$dir/samples.txt" 2>&1 &
		samp_pid=$!
	fi
	sleep_until "$t0" "$t_long"
	# idle in transaction for $hold s (what an application holding a transaction open looks like)
	{
		echo "SELECT extract(epoch FROM clock_timestamp()) AS long_begin; BEGIN; SELECT count(*) FROM accounts;"
		sleep "$hold"
		echo "COMMIT; SELECT extract(epoch FROM clock_timestamp()) AS long_end;"
	} | PGAPPNAME=lockq_long timeout 60 psql -X -At -q -v ON_ERROR_STOP=1 -d "$variant" >"$dir/long.out" 2>&1 &
	long_pid=$!
	sleep_until "$t0" "$t_alter"
	ta=$(bench_now)
	if [ "$variant" = naive ]; then
		# no lock_timeout: the classic migration; statement_timeout only bounds the benchmark
		PGAPPNAME=lockq_alter psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d naive \
			-c "SET lock_timeout = 0" -c "SET statement_timeout = '60s'" \
			-c "ALTER TABLE accounts ADD COLUMN note_$round text" >"$dir/alter.out" 2>&1 || rc=$?
	else
		PGAPPNAME=lockq_alter psql -X -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d guarded \
			-c "ALTER TABLE accounts ADD COLUMN note_$round text" >"$dir/alter.out" 2>&1 || rc=$?
	fi
	tb=$(bench_now)
	wait "$long_pid" || bench_warn "$variant round $round: the long transaction failed: $(head -3 "$dir/long.out")"
	wait "$pgb_pid" || pgb_rc=$?
	[ -z "$samp_pid" ] || wait "$samp_pid" || true

	r_alter_ms=$(bench_ms "$ta" "$tb")
	if [ "$rc" = 0 ]; then
		r_alter=ok
	else
		r_alter=$(sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\):.*/\1/p' "$dir/alter.out" | head -1)
		r_alter=${r_alter:-error}
	fi
	# pgbench 15 log: client tx latency_us script epoch_s epoch_us [lag_us]; latency counts from the
	# scheduled start (--rate), so a transaction held up also delays the ones scheduled after it.
	# A failed or skipped transaction has a word instead of the latency.
	read -r r_n r_max r_p99 r_over100 r_over1s r_failed r_max_at < <(
		cat "$dir"/tx.* 2>/dev/null | awk -v t0="$t0" '
			$3 ~ /^[0-9]+$/ { print $3 / 1000, $5 + $6 / 1e6 - $3 / 1e6 - t0; next }
			NF >= 6 { print "failed" }' | sort -g | awk '
			$1 == "failed" { failed++; next }
			{ n++; v[n] = $1; at = $2; if ($1 > 100) o1++; if ($1 > 1000) o2++ }
			END {
				if (n == 0) { print 0, "NA", "NA", 0, 0, failed + 0, "NA"; exit }
				i = int(n * 0.99 + 0.999999); if (i < 1) i = 1; if (i > n) i = n
				printf "%d %.1f %.1f %d %d %d %.2f\n", n, v[n], v[i], o1 + 0, o2 + 0, failed + 0, at
			}')
	local pf
	pf=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$dir/pgbench.out")
	[ -n "$pf" ] && [ "$pf" -gt "$r_failed" ] && r_failed=$pf
	r_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$dir/pgbench.out" | head -1)
	r_tps=$(awk -v t="${r_tps:-NA}" 'BEGIN { if (t == "NA") print t; else printf "%.1f\n", t }')
	if [ "$pgb_rc" != 0 ]; then
		bench_warn "$variant round $round: pgbench exited $pgb_rc:"
		grep -m3 -i 'error\|abort' "$dir/pgbench.out" || tail -3 "$dir/pgbench.out"
	fi
	r_err=$(grep -m1 '^ERROR' "$dir/alter.out" || true)
	r_detail=$(grep -m1 '^DETAIL' "$dir/alter.out" || true)
	# the protocol's HINT says how many short queued waits it made; the naive ALTER waits once
	r_waits=$(sed -n 's/.*pg_safemigrate waited \([0-9]*\) time.*/\1/p' "$dir/alter.out" | head -1)
	[ -n "$r_waits" ] || r_waits=$([ "$variant" = naive ] && echo 1 || echo NA)
	r_trace=""
	if [ "$trace" = 1 ]; then r_trace=$(trace_summary "$dir/samples.txt" "$ta" "$tb"); fi
}

# trace_summary FILE ALTER_START ALTER_END: what the samples saw during the ALTER
trace_summary() {
	awk -F'|' -v ta="$2" -v tb="$3" '
		$1 + 0 < ta - 0.5 || $1 + 0 > tb + 0.5 { next }
		{ n++ }
		$3 == "t" { alter_q++ }
		$2 > 0 { load_w++; if ($2 > maxw) maxw = $2; run++; if (run > maxrun) maxrun = run
		         if ($3 != "t") other++; split($5, b, ","); for (k in b) if (b[k] != "") by[b[k]]++
		         next }
		{ run = 0 }
		END {
			s = ""; for (k in by) s = s (s == "" ? "" : " ") k "=" by[k]
			printf "     trace (%d samples, 20 ms apart, ALTER +-0.5 s): ALTER in the lock queue in %d; load sessions waiting in %d (max %d at once, longest streak %d samples, %d while the ALTER was not queued); blocked by: %s\n",
				n, alter_q, load_w, maxw, maxrun, other + 0, s == "" ? "-" : s
		}' "$1"
}

bench_say "$rounds rounds: pgbench -c $clients -j $jobs -T $duration --rate $rate; long transaction at ${t_long}s for ${hold}s; ALTER at ${t_alter}s"
fmt='%-6s %-8s %-8s %9s %6s %7s %7s %9s %8s %7s %6s %6s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" round variant alter alter_ms waits txns tps max_ms p99_ms '>100ms' '>1s' failed max_at_s
declare -A col
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then order="naive guarded"; else order="guarded naive"; fi
	for v in $order; do
		run_one "$v" "$r"
		# shellcheck disable=SC2059
		printf "$fmt" "$r" "$v" "$r_alter" "$r_alter_ms" "$r_waits" "$r_n" "$r_tps" "$r_max" "$r_p99" "$r_over100" \
			"$r_over1s" "$r_failed" "$r_max_at"
		[ -z "$r_trace" ] || echo "$r_trace"
		if [ "$v" = guarded ] && [ -n "$r_err" ] && [ "$r" = 1 ]; then echo "     $r_err"; echo "     $r_detail"; fi
		for k in alter_ms waits n tps max p99 over100 over1s failed; do
			vn=r_$k
			col[$v.$k]="${col[$v.$k]:-} ${!vn}"
		done
		col[$v.alter]="${col[$v.alter]:-} $r_alter"
	done
done

echo
# shellcheck disable=SC2059
printf "$fmt" median variant alter alter_ms waits txns tps max_ms p99_ms '>100ms' '>1s' failed ''
declare -A med
for v in naive guarded; do
	for k in alter_ms waits n tps max p99 over100 over1s failed; do
		# shellcheck disable=SC2086
		med[$v.$k]=$(bench_median ${col[$v.$k]})
	done
	alters=$(echo "${col[$v.alter]}" | tr ' ' '\n' | sed '/^$/d' | sort | uniq -c | awk '{ printf "%s%s", (NR > 1 ? "," : ""), ($1 > 1 ? $1 "x" : "") $2 }')
	med[$v.alter]=$alters
	# shellcheck disable=SC2059
	printf "$fmt" "" "$v" "$alters" "${med[$v.alter_ms]}" "${med[$v.waits]}" "${med[$v.n]}" "${med[$v.tps]}" "${med[$v.max]}" \
		"${med[$v.p99]}" "${med[$v.over100]}" "${med[$v.over1s]}" "${med[$v.failed]}" ''
done
ratio=$(bench_ratio "${med[naive.max]}" "${med[guarded.max]}")
echo
echo "longest stall, naive / guarded: ${ratio}x (medians ${med[naive.max]} ms / ${med[guarded.max]} ms)"
echo "expected: naive about the rest of the long transaction after the ALTER (~$(( (t_long + hold - t_alter) * 1000 )) ms);" \
	"guarded at most about 2 x lock_wait (~$(( 2 * g_wait )) ms), the ALTER giving up after ${g_timeout} ms with 55P03"
echo "BENCH lock_queue rounds=$rounds naive_max_ms=${med[naive.max]} guarded_max_ms=${med[guarded.max]} ratio=$ratio" \
	"guarded_lock_wait_ms=$g_wait naive_p99_ms=${med[naive.p99]} guarded_p99_ms=${med[guarded.p99]}" \
	"guarded_alter=${med[guarded.alter]} guarded_lock_timeout_ms=$g_timeout hold_ms=$((hold * 1000))"
