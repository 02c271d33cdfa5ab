#!/usr/bin/env bash
# bench/overhead.sh: what the ProcessUtility hook costs the statements it does not police.
# The hook sits on the path of every BEGIN, COMMIT, SET and SHOW of every session; a machine is
# too noisy to see a 1% difference in TPS, so this counts instructions instead: callgrind
# (valgrind --tool=callgrind --trace-children=no) on a single-user backend
# (postgres --single -D DATA -c shared_preload_libraries=... DB < script), run as the cluster's
# owner, on three fixed scripts, each with an empty script's count (start-up and shutdown)
# subtracted:
#
#   utility  -n statements of non-DDL utility commands: BEGIN/COMMIT/ROLLBACK, SET [LOCAL]/SHOW/
#            RESET, SAVEPOINT/RELEASE/ROLLBACK TO, PREPARE/EXECUTE/DEALLOCATE, DECLARE/FETCH/CLOSE,
#            NOTIFY, DO, EXPLAIN, DISCARD PLANS/TEMP/ALL, RESET ALL (not LISTEN: single-user
#            mode refuses it)
#   tpcb     -n statements of pgbench's tpcb-like transaction (BEGIN, 3 UPDATEs, SELECT, INSERT,
#            END) as plain SQL, with pseudo-random ids from a fixed seed (the same script each run)
#   ddl      --ddl statements of instant-safe DDL, in groups of five: CREATE TABLE, ALTER TABLE
#            ADD COLUMN (the new, empty table), COMMENT ON TABLE, ALTER TABLE pgbench_accounts
#            ALTER COLUMN ... SET/DROP DEFAULT (100,000 rows), a declared DROP TABLE; three of the
#            five are judged by the policy, two pass through
#
# in five configurations of the same cluster (only shared_preload_libraries and the database
# change), each run on a fresh copy of its database (CREATE DATABASE ... TEMPLATE):
#
#   none            library not loaded; database without the extension
#   preload         library preloaded; database without the extension (the policy is inactive)
#   none+ext        library not loaded; database with CREATE EXTENSION pg_safemigrate (the baseline
#                   of the next two: the same catalog)
#   ext             library preloaded, extension created: the product (mode enforce, audit on)
#   ext,audit=off   the same with -c safemigrate.audit=off
#
# The empty script's count is subtracted (start-up and shutdown: under a postmaster the preload's
# start-up is paid once by the postmaster, not per connection); the utility table also shows the
# ratio with a "warm" script (empty + one DO) subtracted instead, since the first DO loads PL/pgSQL,
# whose settings cost more to define when the library's settings are there too (once per backend).
#
# What single-user mode does not measure: the audit (a backend audits only under a postmaster:
# IsUnderPostmaster; its background writer does not start either), so ext and ext,audit=off
# count the same there.  The bench checks before measuring that the hook does run under --single
# (a RENAME COLUMN on pgbench_accounts is rejected with rename-column in config ext, and runs in
# none).  For the audit, the ddl script also runs through psql against the postmaster started
# under callgrind (every forked process gets its own count): the backend's instructions with the
# audit on and off (PGOPTIONS), each minus an empty session's; the writer's INSERTs are another
# process (see bench/audit_throughput.sh for the throughput).
#
# Then, for information only (2 cores shared with other jobs: noise), pgbench's built-in
# tpcb-like load against a normal server, with and without the preload, alternating.
#
#   bash bench/overhead.sh [-r ROUNDS] [-n STATEMENTS] [--ddl N] [--tps-rounds N] [--tps-seconds S]
#                          [--no-audit] [--keep]
#
#   -r ROUNDS         callgrind runs of each configuration and script (default 2: the counts of the
#                     rounds should agree to about 0.01%; the tables show the first and the spread)
#   -n STATEMENTS     statements of the utility and tpcb scripts (default 3000; whole blocks, so a few more)
#   --ddl N           DDL statements of the ddl script (default 1000, a multiple of 5)
#   --tps-rounds N    pgbench rounds per configuration (default 3; 0: no TPS part)
#   --tps-seconds S   length of each pgbench run (default 5)
#   --no-audit        skip the measurement of the audit under a postmaster
#   --keep            keep the scripts, outputs and callgrind files in bench/.cache/overhead/
#
# Uses the extension already installed (no build), installs valgrind when missing, starts its own
# throwaway cluster (scripts/lib.sh) and removes it at the end.  About 6 minutes with the defaults
# (callgrind runs 20-50x slower than the program).  The last line is machine-readable:
#   BENCH overhead utility_ratio=... tpcb_ratio=... ddl_instr_per_stmt=... tps_ratio=... (and more)
# utility_ratio and tpcb_ratio: instructions of config ext / none+ext, start-up subtracted
# (utility_warm_ratio: the warm script subtracted); ddl_instr_per_stmt: (ext - none+ext) / DDL
# statements; ddl_audit_instr_per_stmt: (audit on - off) / DDL statements under a postmaster;
# tps_ratio: median TPS with / without the preload (information only).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$SM_ROOT/bench/lib/common.sh"

rounds=2 nstmt=3000 nddl=1000 tps_rounds=3 tps_seconds=5 keep=0 audit_pm=1
while [ $# -gt 0 ]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	-n) nstmt=$2; shift 2 ;;
	--ddl) nddl=$2; shift 2 ;;
	--tps-rounds) tps_rounds=$2; shift 2 ;;
	--tps-seconds) tps_seconds=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--no-audit) audit_pm=0; shift ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
for v in "$rounds" "$nstmt" "$nddl" "$tps_seconds"; do
	case $v in '' | *[!0-9]* | 0) echo "-r, -n, --ddl and --tps-seconds want a positive number" >&2; exit 2 ;; esac
done
case $tps_rounds in '' | *[!0-9]*) echo "--tps-rounds wants a number" >&2; exit 2 ;; esac
nddl=$(( (nddl + 4) / 5 * 5 ))

work=$(mktemp -d /tmp/pg_safemigrate_overhead_runs.XXXXXX)
chmod 755 "$work"
[ "$(id -u)" -eq 0 ] && chown postgres: "$work"
cleanup() {
	sm_cluster_stop
	if [ "$keep" = 1 ]; then
		rm -rf "$BENCH_CACHE/overhead"
		mkdir -p "$BENCH_CACHE"
		mv "$work" "$BENCH_CACHE/overhead" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
t_start=$(bench_now)

sm_install_deps
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	sm_say "installing valgrind (Debian package valgrind)"
	"${SUDO[@]}" apt-get update -q
	DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends valgrind
fi
so=$("$PG_CONFIG" --pkglibdir)/pg_safemigrate.so
[ -f "$so" ] || { bench_warn "$so is not installed (make install first)"; exit 1; }
so_sum=$(sha256sum "$so" | cut -c1-16)
echo "measuring the installed $so ($(date -r "$so" '+%F %T'), sha256 $so_sum...)"
sm_cluster_start overhead preload
bench_env_line
valgrind --version
# shellcheck disable=SC2154 # set by sm_cluster_start (printf -v)
data=$SM_DIR_overhead/data

# ---------------------------------------------------------------------------------------------
bench_say "fixture: pgbench -i -s 1 in bench_plain (no extension) and bench_ext (CREATE EXTENSION)"
createdb bench_plain
pgbench -i -q -s 1 bench_plain >"$work/pgbench-init.log" 2>&1 || { cat "$work/pgbench-init.log"; exit 1; }
psql -X -q -d bench_plain -c 'VACUUM ANALYZE'
createdb -T bench_plain bench_ext
psql -X -q -v ON_ERROR_STOP=1 -d bench_ext -c 'CREATE EXTENSION pg_safemigrate' -c 'VACUUM ANALYZE'
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE EXTENSION pg_safemigrate'    # the audit's table (safemigrate.database)
createdb -T bench_ext bench_tps
echo "pg_safemigrate $(psql -X -At -d bench_ext -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_safemigrate'")" \
	"in bench_ext; pgbench_accounts: $(psql -X -At -d bench_ext -c "SELECT reltuples::bigint FROM pg_class WHERE relname = 'pgbench_accounts'") rows"

# ---------------------------------------------------------------------------------------------
# TPS, for information: a normal server, restarted with and without the preload, alternating.
# The same database (bench_tps, with the extension) both ways.
restart_with() { # restart_with PRELOAD ('' or pg_safemigrate)
	sm_as_owner "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w stop >/dev/null
	sm_as_owner "$PG_BINDIR/pg_ctl" -D "$data" -l "$SM_DIR_overhead/server.log" -w -t 60 \
		-o "-c shared_preload_libraries='$1'" start >/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}
declare -A tps=()
if [ "$tps_rounds" -gt 0 ]; then
	bench_say "pgbench tpcb-like, -c 2 -j 2 -T $tps_seconds, $tps_rounds round(s) each way, alternating (information only)"
	printf '%-6s  %-10s  %10s\n' round preload tps
	for r in $(seq 1 "$tps_rounds"); do
		order="off on"; [ $((r % 2)) = 0 ] && order="on off"
		for side in $order; do
			restart_with "$([ "$side" = on ] && echo pg_safemigrate)"
			t=$(pgbench -n -c 2 -j 2 -T "$tps_seconds" bench_tps 2>&1 | awk '/^tps = / { printf "%.1f", $3 }')
			tps[$side]+="${t:-NA} "
			printf '%-6s  %-10s  %10s\n' "$r" "$side" "${t:-NA}"
		done
	done
fi
sm_as_owner "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w stop >/dev/null

# ---------------------------------------------------------------------------------------------
# The scripts: one statement a line (single-user mode without -j ends a statement at a newline).
bench_say "scripts"
: >"$work/empty.sql"
# shellcheck disable=SC2016
printf 'DO $$BEGIN END$$\n' >"$work/warm.sql"    # the empty script plus loading PL/pgSQL
awk -v n="$nstmt" 'BEGIN {
	nb = split("BEGIN|SET LOCAL work_mem = '"'"'8MB'"'"'|SHOW work_mem|SAVEPOINT s1|SET LOCAL search_path = public, pg_catalog|" \
		"RELEASE SAVEPOINT s1|SAVEPOINT s2|SET LOCAL statement_timeout = '"'"'5s'"'"'|ROLLBACK TO SAVEPOINT s2|RELEASE SAVEPOINT s2|COMMIT|" \
		"START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY|SHOW transaction_isolation|ROLLBACK|" \
		"SET application_name = '"'"'overhead_@'"'"'|SHOW application_name|RESET application_name|" \
		"SET statement_timeout = '"'"'5s'"'"'|SHOW statement_timeout|RESET statement_timeout|" \
		"PREPARE p_@ (int) AS SELECT $1 + 1|EXECUTE p_@(@)|DEALLOCATE p_@|" \
		"BEGIN|DECLARE c_@ CURSOR FOR SELECT 1|FETCH 1 FROM c_@|CLOSE c_@|COMMIT|" \
		"NOTIFY overhead_ch, '"'"'@'"'"'|" \
		"DO $$BEGIN PERFORM 1; END$$|EXPLAIN SELECT 1|DISCARD PLANS|DISCARD TEMP|RESET ALL|DISCARD ALL", b, "|")
	for (i = 1; printed < n; i++)
		for (j = 1; j <= nb; j++) { s = b[j]; gsub(/@/, i, s); print s; printed++ }
}' >"$work/utility.sql"
# pgbench's tpcb-like transaction (scale 1), ids from a Park-Miller generator with a fixed seed.
awk -v n="$nstmt" 'function rnd(lo, hi) { x = (x * 16807) % 2147483647; return lo + x % (hi - lo + 1) }
BEGIN {
	x = 20261126
	for (printed = 0; printed < n; printed += 7) {
		aid = rnd(1, 100000); bid = rnd(1, 1); tid = rnd(1, 10); delta = rnd(-5000, 5000)
		print "BEGIN"
		printf "UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %d\n", delta, aid
		printf "SELECT abalance FROM pgbench_accounts WHERE aid = %d\n", aid
		printf "UPDATE pgbench_tellers SET tbalance = tbalance + %d WHERE tid = %d\n", delta, tid
		printf "UPDATE pgbench_branches SET bbalance = bbalance + %d WHERE bid = %d\n", delta, bid
		printf "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (%d, %d, %d, %d, CURRENT_TIMESTAMP)\n", tid, bid, aid, delta
		print "END"
	}
}' >"$work/tpcb.sql"
awk -v n="$nddl" 'BEGIN {
	for (i = 1; i <= n / 5; i++) {
		printf "CREATE TABLE ddl_%d (id int PRIMARY KEY, v text)\n", i
		printf "ALTER TABLE ddl_%d ADD COLUMN note text\n", i
		printf "COMMENT ON TABLE ddl_%d IS '"'"'overhead %d'"'"'\n", i, i
		if (i % 2) printf "ALTER TABLE pgbench_accounts ALTER COLUMN filler SET DEFAULT '"'"'f%d'"'"'\n", i
		else print "ALTER TABLE pgbench_accounts ALTER COLUMN filler DROP DEFAULT"
		printf "/* safemigrate: expand-contract */ DROP TABLE ddl_%d\n", i
	}
}' >"$work/ddl.sql"
printf 'ALTER TABLE pgbench_accounts RENAME COLUMN filler TO filler_renamed\n' >"$work/check.sql"
declare -A nlines=()
for w in empty warm utility tpcb ddl; do
	nlines[$w]=$(wc -l <"$work/$w.sql")
done
echo "utility: ${nlines[utility]} statements, $(sort -u "$work/utility.sql" | awk '{ print $1 }' | sort -u | wc -l) distinct commands;" \
	"tpcb: ${nlines[tpcb]} statements ($((nlines[tpcb] / 7)) transactions); ddl: ${nlines[ddl]} statements"

# ---------------------------------------------------------------------------------------------
# config -> "preload database extra-settings"
configs=(none preload none+ext ext 'ext,audit=off')
declare -A cfg_preload=([none]='' [preload]=pg_safemigrate [none+ext]='' [ext]=pg_safemigrate [ext,audit=off]=pg_safemigrate)
declare -A cfg_db=([none]=bench_plain [preload]=bench_plain [none+ext]=bench_ext [ext]=bench_ext [ext,audit=off]=bench_ext)
declare -A cfg_extra=([none]='' [preload]='' [none+ext]='' [ext]='' [ext,audit=off]='-c safemigrate.audit=off')
declare -A cfg_base=([none]=none [preload]=none [none+ext]=none+ext [ext]=none+ext [ext,audit=off]=none+ext)

single() { # single PRELOAD DB [postgres options...] <script: a single-user backend as the owner
	local pl=$1 db=$2
	shift 2
	sm_as_owner "$PG_BINDIR/postgres" --single -D "$data" -c "shared_preload_libraries=$pl" "$@" "$db"
}
# A fresh copy of the configuration's database, so that every run starts from the same state
# (the tpcb and ddl scripts change the data and the catalog), always with the same OID.  What still
# varies between runs: transaction ids and the OIDs of new objects, hence some zeroed pg_xact /
# pg_subtrans pages and hash-table probes (the spread column).
fresh_copy() {
	printf 'DROP DATABASE IF EXISTS bench_run\nCREATE DATABASE bench_run TEMPLATE %s OID = 60000\n' "$1" |
		single '' postgres >"$work/copy.log" 2>&1 || { cat "$work/copy.log"; exit 1; }
}

bench_say "the hook under --single: RENAME COLUMN on pgbench_accounts (100,000 rows)"
for c in none ext; do
	fresh_copy "${cfg_db[$c]}"
	# shellcheck disable=SC2086
	single "${cfg_preload[$c]}" bench_run ${cfg_extra[$c]} <"$work/check.sql" >"$work/check.$c.out" 2>&1 || true
	r=$(grep -o 'ERROR: .*' "$work/check.$c.out" | head -1 | cut -c1-110 || true)
	printf '  %-8s %s\n' "$c" "${r:-no error: the column was renamed}"
done
grep -q 'ERROR:  rename-column' "$work/check.ext.out" ||
	bench_warn "config ext did not reject the RENAME COLUMN under --single: the hook does not run there, the counts below do not measure it"
hook_ok=$(grep -q 'ERROR:  rename-column' "$work/check.ext.out" && echo yes || echo no)

# ---------------------------------------------------------------------------------------------
declare -A ir=() errs=()
measure() { # measure CONFIG WORKLOAD ROUND
	local c=$1 w=$2 r=$3 out
	out=$work/cg.$w.${c//[+,=]/_}.$r.out
	fresh_copy "${cfg_db[$c]}"
	# shellcheck disable=SC2086
	sm_as_owner valgrind --tool=callgrind --trace-children=no --callgrind-out-file="$out" \
		"$PG_BINDIR/postgres" --single -D "$data" -c "shared_preload_libraries=${cfg_preload[$c]}" ${cfg_extra[$c]} bench_run \
		<"$work/$w.sql" >"$work/run.$w.${c//[+,=]/_}.$r.log" 2>&1 || { tail -20 "$work/run.$w.${c//[+,=]/_}.$r.log"; exit 1; }
	ir[$c.$w.$r]=$(awk '/^totals:/ { print $2 }' "$out")
	errs[$c.$w.$r]=$(grep -c 'ERROR:' "$work/run.$w.${c//[+,=]/_}.$r.log" || true)
}

workloads=(empty warm utility ddl tpcb)
bench_say "callgrind: ${#configs[@]} configurations x ${#workloads[@]} scripts x $rounds round(s)"
for r in $(seq 1 "$rounds"); do
	for w in "${workloads[@]}"; do
		for c in "${configs[@]}"; do
			t0=$(bench_now)
			measure "$c" "$w" "$r"
			printf '  round %d  %-8s %-14s %14s instructions  %3s errors  (%.0f s)\n' "$r" "$w" "$c" \
				"${ir[$c.$w.$r]}" "${errs[$c.$w.$r]}" "$(awk -v a="$t0" -v b="$(bench_now)" 'BEGIN { print b - a }')"
		done
	done
done

# ---------------------------------------------------------------------------------------------
# The audit's cost per DDL statement, which single-user mode cannot show: the postmaster itself
# runs under callgrind, so every process it forks (backends, the audit writer) is counted into
# its own file cg.PID.out; autovacuum is off.  The ddl script runs through psql (a statement a
# line, as in single-user mode) in a fresh copy of bench_ext, with the audit on and with
# PGOPTIONS='-c safemigrate.audit=off'; the backend's count minus an empty session's (connection
# start-up and exit), per DDL statement.  The writer's INSERTs run in the writer, not counted here.
declare -A pm=() pm_rows=()
pm_dir=$work/pm
pm_start() {
	mkdir -p "$pm_dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$pm_dir"
	sm_as_owner valgrind --tool=callgrind --trace-children=no --callgrind-out-file="$pm_dir/cg.%p.out" \
		"$PG_BINDIR/postgres" -D "$data" -c shared_preload_libraries=pg_safemigrate -c autovacuum=off \
		>"$pm_dir/server.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	for _ in $(seq 1 240); do
		pg_isready -q -d postgres && return 0
		sleep 0.5
	done
	cat "$pm_dir/server.log"
	return 1
}
pm_session() { # pm_session WORKLOAD AUDIT(on|off) ROUND
	local w=$1 a=$2 r=$3 pid f
	psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS bench_run' \
		-c 'CREATE DATABASE bench_run TEMPLATE bench_ext OID = 60000' >/dev/null
	{ echo 'SELECT pg_backend_pid();'; sed 's/$/;/' "$work/$w.sql"; } >"$pm_dir/$w.psql"
	PGOPTIONS="$([ "$a" = off ] && echo '-c safemigrate.audit=off')" \
		psql -X -q -At -d bench_run -f "$pm_dir/$w.psql" >"$pm_dir/out.$w.$a.$r" 2>&1 || true
	pid=$(head -1 "$pm_dir/out.$w.$a.$r")
	f=$pm_dir/cg.$pid.out
	for _ in $(seq 1 240); do
		[ -s "$f" ] && grep -q '^totals:' "$f" && break
		sleep 0.5
	done
	pm[$w.$a.$r]=$(awk '/^totals:/ { print $2 }' "$f" 2>/dev/null)
	[ -n "${pm[$w.$a.$r]}" ] || { bench_warn "no callgrind file for backend $pid"; pm[$w.$a.$r]=NA; }
	mv "$f" "$pm_dir/cg.$w.$a.$r.out" 2>/dev/null || true
	psql -X -At -d postgres -c 'SELECT safemigrate.audit_wait(120000)' >/dev/null
	pm_rows[$w.$a.$r]=$(psql -X -At -d postgres -c "SELECT count(*) FROM safemigrate.ddl_audit WHERE backend_pid = $pid AND database_name = 'bench_run'")
}
pm_ddl_per=NA pm_ratio=NA
if [ "$audit_pm" = 1 ]; then
	bench_say "the audit under a postmaster (the postmaster under callgrind; the backend that runs each script)"
	t0=$(bench_now)
	pm_start
	echo "  postmaster started under callgrind in $(awk -v a="$t0" -v b="$(bench_now)" 'BEGIN { printf "%.0f", b - a }') s"
	for r in $(seq 1 "$rounds"); do
		for w in empty ddl; do
			for a in on off; do
				t0=$(bench_now)
				pm_session "$w" "$a" "$r"
				printf '  round %d  %-8s audit=%-4s %14s instructions  %5s audit rows  (%.0f s)\n' "$r" "$w" "$a" \
					"${pm[$w.$a.$r]}" "${pm_rows[$w.$a.$r]}" "$(awk -v a="$t0" -v b="$(bench_now)" 'BEGIN { print b - a }')"
			done
		done
	done
	sm_as_owner "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w -t 300 stop >/dev/null || true
	wait
fi

# ---------------------------------------------------------------------------------------------
# Tables.  Round 1's counts; "spread": the largest relative difference between the rounds.
spread() { # spread CONFIG WORKLOAD: max |round r - round 1| / round 1, in %
	local c=$1 w=$2 r s=0
	for r in $(seq 2 "$rounds"); do
		s=$(awk -v a="${ir[$c.$w.1]}" -v b="${ir[$c.$w.$r]}" -v s="$s" 'BEGIN { d = (b - a) / a * 100; if (d < 0) d = -d; print (d > s ? d : s) }')
	done
	awk -v s="$s" 'BEGIN { printf "%.4f%%", s }'
}
ratio6() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
declare -A res=()
for w in utility tpcb ddl; do
	n=${nlines[$w]}
	bench_say "$w: $n statements (round 1; start-up = the empty script's count in the same configuration)"
	fmt='%-14s %15s %13s %12s %10s %10s %10s %7s\n'
	# shellcheck disable=SC2059
	printf "$fmt" config instructions 'statements' 'per stmt' 'vs base' 'raw ratio' spread errors
	for c in "${configs[@]}"; do
		b=${cfg_base[$c]}
		tot=${ir[$c.$w.1]} st=$(( ${ir[$c.$w.1]} - ${ir[$c.empty.1]} ))
		bst=$(( ${ir[$b.$w.1]} - ${ir[$b.empty.1]} ))
		per=$(awk -v s="$st" -v n="$n" 'BEGIN { printf "%.0f", s / n }')
		rs=$(ratio6 "$st" "$bst") rr=$(ratio6 "$tot" "${ir[$b.$w.1]}")
		res[$c.$w.ratio]=$rs res[$c.$w.raw]=$rr res[$c.$w.per]=$per res[$c.$w.st]=$st
		# shellcheck disable=SC2059
		printf "$fmt" "$c" "$tot" "$st" "$per" "${rs}x" "${rr}x" "$(spread "$c" "$w")" "${errs[$c.$w.1]}"
	done
	echo "(instructions: the whole run; statements: minus the empty script's; vs base: statements of ext and"
	echo " ext,audit=off over none+ext, of none and preload over none; raw ratio: the same without subtracting)"
	if [ "$w" = utility ]; then
		# The first DO loads PL/pgSQL, whose DefineCustom*Variable calls each sort the whole GUC
		# array: longer by the library's settings when it is preloaded.  Once per backend, so
		# also subtract the warm script (empty + one DO) instead of the empty one.
		for c in preload ext; do
			b=${cfg_base[$c]}
			res[$c.utility.warm]=$(ratio6 $(( ${ir[$c.utility.1]} - ${ir[$c.warm.1]} )) $(( ${ir[$b.utility.1]} - ${ir[$b.warm.1]} )))
		done
		echo "loading PL/pgSQL (the first DO) costs $(( ${ir[ext.warm.1]} - ${ir[ext.empty.1]} )) instructions with the preload," \
			"$(( ${ir[none+ext.warm.1]} - ${ir[none+ext.empty.1]} )) without, once per backend; with the warm script (empty + one DO)"
		echo "subtracted instead of the empty one: ext / none+ext = ${res[ext.utility.warm]}x, preload / none = ${res[preload.utility.warm]}x" \
			"($(( (${ir[ext.utility.1]} - ${ir[ext.warm.1]} - ${ir[none+ext.utility.1]} + ${ir[none+ext.warm.1]}) / (n - 1) )) instructions per statement)"
	fi
done
bench_say "start-up and shutdown (the empty script)"
for c in "${configs[@]}"; do
	printf '  %-14s %15s  (spread %s)\n' "$c" "${ir[$c.empty.1]}" "$(spread "$c" empty)"
done
echo "  the preload's start-up: +$(( ${ir[ext.empty.1]} - ${ir[none+ext.empty.1]} )) instructions per backend (loading the library, its settings)"

ddl_per=$(awk -v a="${res[ext.ddl.st]}" -v b="${res[none+ext.ddl.st]}" -v n="${nlines[ddl]}" 'BEGIN { printf "%.0f", (a - b) / n }')
ddl_per_pre=$(awk -v a="${res[preload.ddl.st]}" -v b="${res[none.ddl.st]}" -v n="${nlines[ddl]}" 'BEGIN { printf "%.0f", (a - b) / n }')
echo
echo "DDL: the hook costs $ddl_per instructions per DDL statement with the extension (ext - none+ext),"
echo "     $ddl_per_pre without it (preload - none: the library loaded, the policy inactive);"
echo "     a DDL statement itself costs about ${res[none+ext.ddl.per]} here"

if [ "$audit_pm" = 1 ]; then
	bench_say "ddl under a postmaster, the backend's instructions: ${nlines[ddl]} statements (round 1; start-up = an empty session's)"
	fmt='%-14s %15s %13s %12s %10s %10s %11s\n'
	# shellcheck disable=SC2059
	printf "$fmt" audit instructions statements 'per stmt' 'vs off' spread 'audit rows'
	for a in off on; do
		s=0
		for r in $(seq 2 "$rounds"); do
			s=$(awk -v a="${pm[ddl.$a.1]}" -v b="${pm[ddl.$a.$r]}" -v s="$s" 'BEGIN { if (a == "NA" || b == "NA") { print s; exit } d = (b - a) / a * 100; if (d < 0) d = -d; print (d > s ? d : s) }')
		done
		st=$(awk -v a="${pm[ddl.$a.1]}" -v b="${pm[empty.$a.1]}" 'BEGIN { if (a == "NA" || b == "NA") print "NA"; else print a - b }')
		pm[st.$a]=$st
		# shellcheck disable=SC2059
		printf "$fmt" "$a" "${pm[ddl.$a.1]}" "$st" "$(awk -v s="$st" -v n="${nlines[ddl]}" 'BEGIN { if (s == "NA") print s; else printf "%.0f", s / n }')" \
			"$(awk -v s="$st" -v b="${pm[st.off]}" 'BEGIN { if (s == "NA" || b == "NA") print "NA"; else printf "%.4fx", s / b }')" \
			"$(awk -v s="$s" 'BEGIN { printf "%.4f%%", s }')" "${pm_rows[ddl.$a.1]}"
	done
	pm_ddl_per=$(awk -v a="${pm[st.on]}" -v b="${pm[st.off]}" -v n="${nlines[ddl]}" 'BEGIN { if (a == "NA" || b == "NA") print "NA"; else printf "%.0f", (a - b) / n }')
	pm_ratio=$(awk -v a="${pm[st.on]}" -v b="${pm[st.off]}" 'BEGIN { if (a == "NA" || b == "NA") print "NA"; else printf "%.4f", a / b }')
	echo "the audit costs the backend $pm_ddl_per instructions per DDL statement (on - off, the writer's INSERTs not included)"
	[ "${pm_rows[ddl.on.1]}" = "${nlines[ddl]}" ] || bench_warn "the audited session left ${pm_rows[ddl.on.1]} audit rows for ${nlines[ddl]} DDL statements"
fi

# The hook's own functions in the ddl run of config ext (callgrind_annotate, inclusive).
bench_say "where the hook's instructions go (ddl script, config ext, callgrind_annotate --inclusive=yes)"
callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$work/cg.ddl.ext.1.out" >"$work/annotate.ddl.ext.txt" 2>/dev/null || true
incl() { # incl PATTERN: inclusive Ir of the first function whose line matches (awk regex)
	awk -v p="$1" '$1 ~ /^[0-9,]+$/ && $0 ~ p { gsub(/,/, "", $1); print $1; exit }' "$work/annotate.ddl.ext.txt"
}
fmt='  %-24s %14s %10s  %s\n'
# shellcheck disable=SC2059
printf "$fmt" function inclusive 'per DDL' ''
while IFS='|' read -r label pat what; do
	v=$(incl "$pat")
	[ -n "$v" ] || continue
	# shellcheck disable=SC2059
	printf "$fmt" "$label" "$v" "$(awk -v v="$v" -v n="${nlines[ddl]}" 'BEGIN { printf "%.0f", v / n }')" "$what"
done <<'EOF'
sm_ProcessUtility|:sm_ProcessUtility |the hook, with the statement it runs
standard_ProcessUtility|:standard_ProcessUtility |the statement itself (called by the hook)
judge|::judge[(]|classification and decision
sm_extract|::sm_extract[(]|parse tree and catalog to facts
sm_spi_execute_pinned|::sm_spi_execute_pinned[(]|its catalog queries through SPI (plans kept per backend)
sm_decide|::sm_decide[(]|the rules (src/core, inside fence())
get_extension_oid|:get_extension_oid |is the extension created here? (each DDL statement with rules)
sm_prelock|::sm_prelock[(]|the lock protocol's pre-lock
EOF
hook=$(incl ':sm_ProcessUtility ')
std=$(incl ':standard_ProcessUtility ')
if [ -n "$hook" ] && [ -n "$std" ]; then
	own=$((hook - std))
	echo "  the hook's own work (sm_ProcessUtility minus the standard_ProcessUtility it calls): $own instructions," \
		"$(awk -v v="$own" -v n="${nlines[ddl]}" 'BEGIN { printf "%.0f", v / n }') per DDL statement," \
		"$(awk -v v="$own" -v t="${ir[ext.ddl.1]}" 'BEGIN { printf "%.2f%%", v / t * 100 }') of the run"
	echo "  (a sub-command judged inside a statement, e.g. the index of a PRIMARY KEY, counts in standard_ProcessUtility)"
fi

# Where a ratio comes from: the functions whose own (exclusive) instructions differ most between
# a configuration and its baseline, the empty script's subtracted from each.
self_of() {
	callgrind_annotate --auto=no --threshold=100 "$1" 2>/dev/null |
		awk '/^ *[0-9,]+ [(] *[0-9.]+%[)] / { v = $1; gsub(/,/, "", v); sub(/^ *[0-9,]+ [(] *[0-9.]+%[)] +/, ""); sub(/ [[].*$/, ""); sub(/^[^ ]*\/src\/pg\//, "src/pg/"); if ($0 != "PROGRAM TOTALS") print v "\t" $0 }'
}
diff_self() { # diff_self WORKLOAD CONFIG
	local w=$1 c=$2 b=${cfg_base[$2]} tab=$'\t'
	bench_say "$w: the largest differences per function, $c vs $b (exclusive instructions, empty script subtracted)"
	{
		self_of "$work/cg.$w.${c//[+,=]/_}.1.out" | sed "s/^/1$tab/"
		self_of "$work/cg.empty.${c//[+,=]/_}.1.out" | sed "s/^/-1$tab/"
		self_of "$work/cg.$w.${b//[+,=]/_}.1.out" | sed "s/^/-1$tab/"
		self_of "$work/cg.empty.${b//[+,=]/_}.1.out" | sed "s/^/1$tab/"
	} | awk -F'\t' '{ d[$3] += $1 * $2 } END { for (f in d) if (d[f] != 0) printf "%d\t%d\t%s\n", (d[f] < 0 ? -d[f] : d[f]), d[f], f }' |
		sort -t"$tab" -k1,1 -g -r |
		awk -F'\t' -v n="${nlines[$w]}" 'NR <= 8 { printf "  %+12d  %+8.1f/stmt  %s\n", $2, $2 / n, substr($3, 1, 110) }'
}
diff_self utility ext
diff_self tpcb ext

# ---------------------------------------------------------------------------------------------
tps_off=NA tps_on=NA tps_ratio=NA
if [ "$tps_rounds" -gt 0 ]; then
	# shellcheck disable=SC2086
	tps_off=$(bench_median ${tps[off]}) tps_on=$(bench_median ${tps[on]})
	tps_ratio=$(awk -v a="$tps_on" -v b="$tps_off" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "NA"; else printf "%.3f", a / b }')
	echo
	echo "pgbench tpcb-like (information only): median $tps_off tps without the preload, $tps_on with it: ${tps_ratio}x"
fi
max_spread=$(for c in "${configs[@]}"; do for w in "${workloads[@]}"; do spread "$c" "$w"; echo; done; done |
	tr -d '%' | sort -g | tail -1)
if [ "$(sha256sum "$so" | cut -c1-16)" != "$so_sum" ]; then
	bench_warn "$so was replaced during the run (now $(date -r "$so" '+%F %T')): the configurations may have measured different builds"
	so_changed=yes
fi
echo
echo "run time: $(awk -v a="$t_start" -v b="$(bench_now)" 'BEGIN { printf "%.0f", b - a }') s"
echo "BENCH overhead utility_ratio=${res[ext.utility.ratio]} tpcb_ratio=${res[ext.tpcb.ratio]} ddl_instr_per_stmt=$ddl_per" \
	"tps_ratio=$tps_ratio utility_raw_ratio=${res[ext.utility.raw]} tpcb_raw_ratio=${res[ext.tpcb.raw]}" \
	"preload_utility_ratio=${res[preload.utility.ratio]} preload_tpcb_ratio=${res[preload.tpcb.ratio]}" \
	"utility_warm_ratio=${res[ext.utility.warm]} audit_off_utility_ratio=${res[ext,audit=off.utility.ratio]} utility_instr_per_stmt=${res[ext.utility.per]}" \
	"tpcb_instr_per_stmt=${res[ext.tpcb.per]} ddl_statements=${nlines[ddl]} utility_statements=${nlines[utility]}" \
	"tpcb_statements=${nlines[tpcb]} ddl_audit_instr_per_stmt=$pm_ddl_per ddl_audit_ratio=$pm_ratio rounds=$rounds max_spread_pct=$max_spread hook_in_single=$hook_ok so_replaced=${so_changed:-no} tps_off=$tps_off tps_on=$tps_on"
