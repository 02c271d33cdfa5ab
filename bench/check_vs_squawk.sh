#!/usr/bin/env bash
# bench/check_vs_squawk.sh: how long safemigrate.check() takes to judge a 10,000-statement
# migration, next to the squawk linter on the same file.  A benchmark, not a test: it
# prints times and exits 0 unless it cannot run at all.
#
#   bash bench/check_vs_squawk.sh [-r ROUNDS] [-n STATEMENTS] [-s SEED] [--verify]
#
#   -r ROUNDS      timed rounds (default 5), the order alternating: check first in odd
#                  rounds, squawk first in even ones; one untimed warm-up of each before
#   -n STATEMENTS  size of the generated migration (default 10000)
#   -s SEED        generator seed (default 20240615)
#   --no-check     time squawk alone, even if check() exists
#   --no-build     do not build and install the extension: time the one installed
#   --ext-version V  CREATE EXTENSION pg_safemigrate VERSION 'V' (default: the control file's)
#   --verify       also run the whole migration for real in a scratch database (policy off)
#                  to show that the generated script is valid; adds about 5 minutes
#
# Steps: installs what is missing (Debian packages through scripts/lib.sh, squawk-cli from
# npm into bench/.cache), generates bench/.cache/check_vs_squawk/{fixture,migration}.sql,
# builds and installs the extension, starts a throwaway cluster that preloads it, loads the
# fixture (50 tables with data) into database "bench", creates the extension, then times.
# Until safemigrate.check(text) exists it says so and times squawk alone.
# The last line is machine-readable:
#   BENCH check_vs_squawk statements=N rounds=R check_ms=... check_query_ms=... check_server_ms=...
#         squawk_ms=... squawk_gcc_ms=... ratio=... ratio_gcc=... squawk_version=...
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$SM_ROOT/bench/lib/common.sh"
trap sm_cluster_stop EXIT

rounds=5 statements=10000 seed=20240615 verify=0 skip_check=0 build=1 ext_version=""
while [ $# -gt 0 ]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	-n) statements=$2; shift 2 ;;
	-s) seed=$2; shift 2 ;;
	--verify) verify=1; shift ;;
	--no-check) skip_check=1; shift ;;
	--no-build) build=0; shift ;;
	--ext-version) ext_version=$2; shift 2 ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done

out=$BENCH_CACHE/check_vs_squawk
mig=$out/migration.sql

sm_install_deps
bench_install_squawk
bench_say "generating the fixture and a $statements-statement migration (seed $seed)"
bash "$BENCH_DIR/gen_migration.sh" -n "$statements" -s "$seed" "$out"
mig_kb=$(( $(wc -c <"$mig") / 1024 ))
echo "migration.sql: $mig_kb kB, $(wc -l <"$mig") lines"
if [ "$build" = 1 ]; then
	sm_build || { bench_warn "the extension does not build (above); --no-build times the installed one"; exit 1; }
else
	bench_warn "--no-build: timing the installed $("$PG_CONFIG" --pkglibdir)/pg_safemigrate.so" \
		"($(date -r "$("$PG_CONFIG" --pkglibdir)/pg_safemigrate.so" '+%F %T'))"
fi
sm_cluster_start bench preload
bench_env_line

bench_say "loading the fixture into database bench"
createdb bench
export PGDATABASE=bench
t0=$(bench_now)
psql -X -q -v ON_ERROR_STOP=1 -f "$out/fixture.sql"
psql -X -q -c 'VACUUM ANALYZE'
echo "loaded in $(bench_ms "$t0" "$(bench_now)") ms: $(psql -X -At -c "
	SELECT count(*) || ' tables, ' || sum(reltuples)::bigint || ' rows, '
	       || pg_size_pretty(sum(pg_total_relation_size(oid))::bigint)
	FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'")"

if [ "$verify" = 1 ]; then
	bench_say "--verify: running the migration for real in database bench_verify (no extension there)"
	createdb -T bench bench_verify
	t0=$(bench_now)
	if PGDATABASE=bench_verify psql -X -q -v ON_ERROR_STOP=1 -f "$mig" >"$out/verify.log" 2>&1; then
		echo "all $statements statements ran without error in $(bench_ms "$t0" "$(bench_now)") ms"
	else
		bench_warn "the generated migration failed to run:"
		grep -m3 -B1 ERROR "$out/verify.log" || tail -5 "$out/verify.log"
	fi
	dropdb bench_verify
	psql -X -q -c CHECKPOINT
fi

# shellcheck disable=SC2016 # the quotes are SQL's; $ext_version expands
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pg_safemigrate${ext_version:+ VERSION '$ext_version'}"
ext_installed=$(psql -X -At -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_safemigrate'")
echo "pg_safemigrate $ext_installed"
have_check=$(psql -X -At -c "SELECT to_regprocedure('safemigrate.check(text)') IS NOT NULL")

# One psql session per timed run of check(): connect, read the file into a psql variable,
# one query, disconnect.  The query is the EXPLAIN ANALYZE of SELECT count(*) FROM check(...),
# so one call gives three times: the psql process's wall time (what a CI step pays), psql's
# \timing of the query (sending 1.4 MB, parsing, judging, the reply) and the server's
# "Execution Time" (the function alone).  EXPLAIN adds next to nothing here: one
# function-scan node and an aggregate, with TIMING OFF.
cat >"$out/check_run.psql" <<EOF
\\set m \`cat '$mig'\`
\\timing on
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM safemigrate.check(:'m');
EOF

# run_check: sets check_wall check_query check_server (ms) and check_rows
run_check() {
	local t0 t1 outp
	t0=$(bench_now)
	outp=$(psql -X -At -v ON_ERROR_STOP=1 -f "$out/check_run.psql" 2>&1) || { echo "$outp" >&2; return 1; }
	t1=$(bench_now)
	check_wall=$(bench_ms "$t0" "$t1")
	check_rows=$(echo "$outp" | sed -n 's/.*Function Scan.*actual rows=\([0-9]*\).*/\1/p')
	check_query=$(echo "$outp" | awk '/^Time:/ { print $2 }')
	check_server=$(echo "$outp" | awk '/Execution Time:/ { print $3 }')
	if [ -z "$check_rows" ] || [ -z "$check_query" ] || [ -z "$check_server" ]; then
		bench_warn "unexpected output from check_run.psql:"; echo "$outp" | head -20; return 1
	fi
}

# run_squawk REPORTER-ARGS...: sets squawk_t (ms) and squawk_findings; output in $out/squawk*.out
run_squawk() {
	local t0 t1 rc=0 f=$out/squawk${1:+_gcc}.out
	t0=$(bench_now)
	"$SQUAWK_BIN" "$@" "$mig" >"$f" 2>&1 || rc=$?
	t1=$(bench_now)
	squawk_t=$(bench_ms "$t0" "$t1")
	# squawk exits 1 when it finds something; anything else, or no report, means it did not run
	if [ "$rc" -gt 1 ] || ! [ -s "$f" ]; then
		bench_warn "squawk $* exited $rc without a report:"; tail -5 "$f"; return 1
	fi
	if [ -n "${1:-}" ]; then
		squawk_findings=$(grep -c ': warning: \|: error: ' "$f" || true)
	else
		squawk_findings=$(sed 's/\x1b\[[0-9;]*m//g' "$f" | awk '/^Found [0-9]+ issue/ { print $2 }')
		[ -n "$squawk_findings" ] || { bench_warn "squawk's report has no 'Found N issues' line"; tail -5 "$f"; return 1; }
	fi
}

bench_say "one untimed run of each (warm-up, and what each found)"
check_state="absent"
if [ "$skip_check" = 1 ]; then
	check_state="skipped"
	bench_warn "--no-check: timing squawk alone"
elif [ "$have_check" = t ]; then
	# one call into a temporary table, then summaries of it
	if psql -X -q -v ON_ERROR_STOP=1 -v N="$statements" <<EOF; then
\\set m \`cat '$mig'\`
\\pset footer off
\\timing on
CREATE TEMP TABLE r AS SELECT * FROM safemigrate.check(:'m');
\\timing off
SELECT count(*) AS rows, count(DISTINCT stmt_no) AS statements, min(stmt_no) AS first_stmt,
       max(stmt_no) AS last_stmt, count(relation) AS with_relation FROM r;
SELECT verdict, count(*) FROM r GROUP BY 1 ORDER BY 2 DESC;
SELECT coalesce(rule, '(none)') AS rule, count(*) FROM r GROUP BY 1 ORDER BY 2 DESC LIMIT 20;
SELECT count(DISTINCT stmt_no) <> :N AS mismatch FROM r \\gset
\\if :mismatch
\\echo '!!! check() did not return a row for each of the' :N 'statements'
\\endif
EOF
		check_state="ok"
	else
		check_state="error"
		bench_warn "safemigrate.check() exists but failed on the migration (above); timing squawk alone"
	fi
else
	bench_warn "safemigrate.check(text) does not exist in pg_safemigrate $ext_installed: timing squawk alone"
fi
run_squawk
echo "squawk: $squawk_findings findings in $squawk_t ms (default tty report, ${out#"$SM_ROOT/"}/squawk.out)"
squawk_tty_findings=$squawk_findings
run_squawk --reporter gcc
echo "squawk --reporter gcc: $squawk_findings findings in $squawk_t ms"
if grep -q 'syntax-error' "$out/squawk_gcc.out"; then
	bench_warn "squawk reports syntax errors: $(grep -c syntax-error "$out/squawk_gcc.out")"
fi

# check() must not change anything: compare catalog row counts before and after the rounds
fingerprint="SELECT (SELECT count(*) FROM pg_class) || '/' || (SELECT count(*) FROM pg_attribute)
	|| '/' || (SELECT count(*) FROM pg_constraint) || '/' || (SELECT count(*) FROM pg_description)"
catalog_before=$(psql -X -At -c "$fingerprint")

bench_say "$rounds timed rounds (ms)"
cw=() cq=() cs=() sq=() sg=()
fmt='%-6s %-6s %14s %15s %16s %12s %14s\n'
# shellcheck disable=SC2059
printf "$fmt" round first check_wall check_query check_server squawk squawk_gcc
for r in $(seq 1 "$rounds"); do
	check_wall=NA check_query=NA check_server=NA
	if [ $((r % 2)) -eq 1 ]; then order="check"; else order="squawk"; fi
	for side in $([ "$order" = check ] && echo "check squawk" || echo "squawk check"); do
		if [ "$side" = check ]; then
			if [ "$check_state" = ok ]; then run_check; fi
		else
			run_squawk
			sq+=("$squawk_t")
			run_squawk --reporter gcc
			sg+=("$squawk_t")
		fi
	done
	cw+=("$check_wall") cq+=("$check_query") cs+=("$check_server")
	# shellcheck disable=SC2059
	printf "$fmt" "$r" "$order" "$check_wall" "$check_query" "$check_server" "${sq[-1]}" "${sg[-1]}"
done
catalog_after=$(psql -X -At -c "$fingerprint")
[ "$catalog_before" = "$catalog_after" ] || bench_warn "the catalog changed during the timed rounds" \
	"(counts of pg_class/pg_attribute/pg_constraint/pg_description: $catalog_before -> $catalog_after)"
m_cw=$(bench_median "${cw[@]}") m_cq=$(bench_median "${cq[@]}") m_cs=$(bench_median "${cs[@]}")
m_sq=$(bench_median "${sq[@]}") m_sg=$(bench_median "${sg[@]}")
# shellcheck disable=SC2059
printf "$fmt" median "" "$m_cw" "$m_cq" "$m_cs" "$m_sq" "$m_sg"
ratio=$(bench_ratio "$m_sq" "$m_cw") ratio_gcc=$(bench_ratio "$m_sg" "$m_cw")

cat <<EOF

check_wall    the psql process: connect, read the file into a variable, one query on check(:'m'), exit
check_query   that query as psql's \\timing sees it (send $mig_kb kB, parse, judge, reply)
check_server  the same query's "Execution Time" inside the server (EXPLAIN ANALYZE, TIMING OFF)
squawk        \`squawk FILE\` (native binary, default tty report; $squawk_tty_findings findings)
squawk_gcc    \`squawk --reporter gcc FILE\` (same analysis, one line per finding)
EOF
case $check_state in
ok) echo "squawk / check (wall): ${ratio}x with the default report, ${ratio_gcc}x with --reporter gcc" ;;
absent) echo "check(): not measured, safemigrate.check(text) does not exist in pg_safemigrate $ext_installed" ;;
error) echo "check(): not measured, it failed on the migration" ;;
skipped) echo "check(): not measured (--no-check)" ;;
esac
echo "BENCH check_vs_squawk statements=$statements rounds=$rounds check=$check_state check_ms=$m_cw" \
	"check_query_ms=$m_cq check_server_ms=$m_cs squawk_ms=$m_sq squawk_gcc_ms=$m_sg ratio=$ratio" \
	"ratio_gcc=$ratio_gcc squawk_version=$SQUAWK_VERSION"
