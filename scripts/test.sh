#!/usr/bin/env bash
# scripts/test.sh: the whole test suite, from a fresh Debian 12 machine.
#
# Installs what is missing (apt-get), builds and installs the extension, runs
# the core's unit tests (CTest), then starts a throwaway PostgreSQL 15 cluster
# with shared_preload_libraries = 'pg_safemigrate' and runs the pg_regress,
# isolation and pgTAP suites against it, plus the checks that need a server
# without the library preloaded or in binary-upgrade mode.  Removes every
# cluster it started, and exits non-zero if anything failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap sm_cluster_stop EXIT

passed=0
failed=0
failures=()
# record SUITE PASSED FAILED
record() {
	passed=$((passed + $2))
	failed=$((failed + $3))
	[ "$3" -eq 0 ] || failures+=("$1")
	echo "$1: $2 passed, $3 failed"
}
# record_from_log SUITE LOG: the counts of the last "SUITE: N passed, M failed"
# line a test script printed into LOG; one failure when there is none.
record_from_log() {
	local line
	line=$(grep -E "^$1: [0-9]+ passed, [0-9]+ failed\$" "$2" 2>/dev/null | tail -1 || true)
	if [ -n "$line" ]; then
		record "$1" "$(sed 's/^[^:]*: \([0-9]*\) passed.*/\1/' <<<"$line")" "$(sed 's/.*, \([0-9]*\) failed$/\1/' <<<"$line")"
	else
		[ "${3:-}" = show ] && cat "$2"
		record "$1" 0 1
	fi
}

sm_install_deps
sm_build
cd "$SM_ROOT"
mkdir -p build

# --- 1. unit tests of the pure core (no server) -----------------------------
sm_say "unit tests (GoogleTest via CTest)"
cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo >build/cmake.log 2>&1 || { cat build/cmake.log; exit 1; }
cmake --build build/cmake -j2 >>build/cmake.log 2>&1 || { cat build/cmake.log; exit 1; }
(cd build/cmake && ctest --output-on-failure) | tee build/ctest.log || true
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' build/ctest.log)
nfail=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' build/ctest.log)
if [ -z "$total" ]; then record unit 0 1; else record unit $((total - nfail)) "$nfail"; fi

# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
sm_say "unit tests under ASan + UBSan"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DSAFEMIGRATE_SANITIZE=ON >build/asan.log 2>&1 &&
	cmake --build build/asan -j2 >>build/asan.log 2>&1 || { cat build/asan.log; exit 1; }
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure) >build/ctest-asan.log 2>&1 || true
tail -n 3 build/ctest-asan.log
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' build/ctest-asan.log)
nfail=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' build/ctest-asan.log)
if [ -z "$total" ]; then cat build/ctest-asan.log; record unit-asan 0 1; else record unit-asan $((total - nfail)) "$nfail"; fi

# The core's entry points under libFuzzer (clang, ASan + UBSan), for a minute.
sm_say "fuzzing the core (test/fuzz/run.sh, 60 s)"
bash test/fuzz/run.sh 60 >build/fuzz.log 2>&1 || true
tail -n 4 build/fuzz.log
record_from_log fuzz build/fuzz.log show

# --- 2. a server with the library preloaded ----------------------------------
sm_say "throwaway cluster"
sm_cluster_start main preload
# The audit of the whole cluster lands in safemigrate.database (postgres).
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION pg_safemigrate"
# A test-only extension whose script runs DDL the policy would reject: it
# proves that extension scripts pass through.
"${SUDO[@]}" install -m 644 test/extension/safemigrate_testext.control test/extension/safemigrate_testext--1.0.sql \
	"$("$PG_CONFIG" --sharedir)/extension/"

# run_regress SUITE OUTPUTDIR make-args...: a pg_regress or isolation run via
# PGXS; counts its "... ok" and "... FAILED" lines and shows the diffs.
run_regress() {
	local suite=$1 outdir=$2 log="build/$1.log" rc=0 ok bad
	shift 2
	rm -rf "$outdir"
	mkdir -p "$outdir"
	make -s "$@" PG_CONFIG="$PG_CONFIG" >"$log" 2>&1 || rc=$?
	cat "$log"
	ok=$(grep -cE '\.\.\. ok' "$log" || true)
	bad=$(grep -cE '\.\.\. FAILED' "$log" || true)
	if [ "$rc" -ne 0 ]; then
		[ "$bad" -gt 0 ] || bad=1
		if [ -s "$outdir/regression.diffs" ]; then cat "$outdir/regression.diffs"; fi
	fi
	record "$suite" "$ok" "$bad"
}

sm_say "pg_regress tests (sql/, expected/)"
run_regress regress build/regress installcheck ISOLATION=

sm_say "isolation tests (test/isolation/specs)"
run_regress isolation build/isolation installcheck REGRESS=

sm_say "pgTAP tests (test/pgtap)"
createdb safemigrate_tap
psql -X -q -v ON_ERROR_STOP=1 -d safemigrate_tap -f test/pgtap/fixtures/setup.sql
pg_prove --verbose -d safemigrate_tap test/pgtap/*.sql >build/pgtap.log 2>&1 || true
cat build/pgtap.log
# Every assertion prints "ok N" or "not ok N"; a file that dies prints no
# summary "Result: PASS".
nok=$(grep -cE '^ok [0-9]+' build/pgtap.log || true)
nbad=$(grep -cE '^not ok [0-9]+' build/pgtap.log || true)
if ! grep -q '^Result: PASS' build/pgtap.log; then [ "$nbad" -gt 0 ] || nbad=1; fi
record pgtap "$nok" "$nbad"

sm_say "command-line tool (tools/pg_safemigrate, test/cli)"
createdb safemigrate_cli
# The CLI's fixtures are small tables: judge them like big ones.
psql -X -q -c "ALTER DATABASE safemigrate_cli SET safemigrate.small_table_rows = 0" \
	-c "ALTER DATABASE safemigrate_cli SET safemigrate.rewrite = off"
bash test/cli/run.sh safemigrate_cli >build/cli.log 2>&1 || true
cat build/cli.log
record_from_log cli build/cli.log

# --- 3. the classifier against what PostgreSQL 15 really does ---------------
# test/oracle runs 330 statements on fixtures with data (each in a rolled-back
# subtransaction, reading pg_locks and relfilenode) plus 15 that cannot run in
# a transaction (measured through dblink), and compares with check().
sm_say "lock/rewrite oracle (test/oracle): check() against the real server"
rm -f test/oracle/results/compare.out
bash test/oracle/run.sh --compare >build/oracle.log 2>&1 || true
tail -n 3 build/oracle.log
oracle_ok=$(grep -cE '\| ok *$' test/oracle/results/compare.out 2>/dev/null || true)
oracle_bad=$(sed -n 's/^ *\([0-9]*\) mismatches$/\1/p' test/oracle/results/compare.out 2>/dev/null | tail -1)
if [ -z "$oracle_bad" ]; then
	cat build/oracle.log
	record oracle 0 1
else
	[ "$oracle_bad" -eq 0 ] || grep MISMATCH test/oracle/results/compare.out | sort -u
	record oracle "$oracle_ok" "$oracle_bad"
fi

sm_say "audit under load: 8 clients, 10,000 DDL statements (test/audit/load.sh)"
bash test/audit/load.sh 1 >build/audit-load.log 2>&1 && rc=0 || rc=$?
cat build/audit-load.log
record_from_log audit-load build/audit-load.log

# --- 4. binary-upgrade mode passes through -----------------------------------
# pg_upgrade runs the new server with -b; the same statement that enforce mode
# rejects must then run.  Checked in single-user mode on the stopped cluster.
sm_say "binary-upgrade bypass (single-user mode, with and without -b)"
sm_as_owner "$PG_BINDIR/pg_ctl" -D "$SM_DIR_main/data" -m fast -w stop >/dev/null
# rewrite=off: the rejection is what is tested (a rewrite's NOTICE is not printed in single-user mode).
single() { printf '%s\n' "$2" | sm_as_owner "$PG_BINDIR/postgres" --single $1 -c safemigrate.rewrite=off -D "$SM_DIR_main/data" safemigrate_tap 2>&1; }
out_normal=$(single "" "CREATE INDEX bu_idx ON safemigrate_test.patients (name);")
# In binary-upgrade mode every new relation needs the OIDs pg_upgrade would set.
out_upgrade=$(single "-b" "SELECT binary_upgrade_set_next_index_pg_class_oid('999999'::oid);
SELECT binary_upgrade_set_next_index_relfilenode('999999'::oid);
CREATE INDEX bu_idx ON safemigrate_test.patients (name);")
bu_pass=0 bu_fail=0
if grep -q 'create-index-blocking' <<<"$out_normal"; then bu_pass=$((bu_pass + 1)); else bu_fail=$((bu_fail + 1)); echo "without -b the statement was not rejected:"; echo "$out_normal"; fi
if ! grep -qE 'ERROR|FATAL|create-index-blocking' <<<"$out_upgrade"; then bu_pass=$((bu_pass + 1)); else bu_fail=$((bu_fail + 1)); echo "with -b the statement did not pass:"; echo "$out_upgrade"; fi
record binary-upgrade "$bu_pass" "$bu_fail"

# No backend may have crashed, or leaked a snapshot, buffer or relcache reference, while the suites ran.
if grep -E 'terminated by signal|was terminated by exception|PANIC:|TRAP:|snapshot .* still active|leaked|reference leak' "$SM_DIR_main/server.log"; then
	record server-log 0 1
else
	record server-log 1 0
fi

# --- 5. a server without the library preloaded -------------------------------
sm_say "CREATE EXTENSION without shared_preload_libraries"
sm_cluster_start nopreload no-preload
run_regress nopreload build/nopreload installcheck ISOLATION= REGRESS=preload_required \
	REGRESS_OPTS="--inputdir=test/nopreload --outputdir=build/nopreload"

# --- 5b. the audit with a full queue (its own cluster: a tiny queue and an audit database without the extension)
sm_say "audit with a full queue (test/audit/full.sh)"
bash test/audit/full.sh >build/audit-full.log 2>&1 || true
cat build/audit-full.log
record_from_log audit-full build/audit-full.log

# --- 5c. the audit writer: security, encodings, a clean stop, a full queue (its own cluster)
sm_say "audit writer (test/audit/writer.sh)"
bash test/audit/writer.sh >build/audit-writer.log 2>&1 || true
grep -E '^(ok|not ok)|audit-writer:' build/audit-writer.log
record_from_log audit-writer build/audit-writer.log

# --- 5d. the extension's data through pg_dump and a restore (its own clusters)
sm_say "pg_dump and restore of jobs and expansions (test/dump/run.sh)"
bash test/dump/run.sh >build/dump-restore.log 2>&1 || true
grep -E '^(ok|not ok)|dump-restore:' build/dump-restore.log
record_from_log dump-restore build/dump-restore.log

# --- PostgreSQL's own regression suite under the hook -----------------------
# The DDL-heavy files of PostgreSQL 15's core suite (test/pg_core_regress/
# subset_schedule) on throwaway clusters: without the library (the baseline),
# then preloaded in modes off, warn and enforce.  Checks: mode off gives the
# baseline's results exactly; no run crashes a backend or loses a connection;
# every difference in warn and enforce is our own message, a consequence of a
# statement we rejected or rewrote, or a listed known difference.  The whole
# schedule: bash scripts/pg_core_regress.sh (README).
sm_say "PostgreSQL's core regression suite, DDL-heavy subset (scripts/pg_core_regress.sh --subset)"
bash scripts/pg_core_regress.sh --subset --no-build --outdir build/pg_core_regress >build/pg_core_regress.log 2>&1 || true
grep -E '^(pg_core_regress: |  |elapsed: )' build/pg_core_regress.log || tail -n 30 build/pg_core_regress.log
core_ok=0 core_bad=0
core_check() { if grep -qE "$1" build/pg_core_regress.log; then core_ok=$((core_ok + 1)); else core_bad=$((core_bad + 1)); echo "not satisfied: $2"; fi; }
core_check '^pg_core_regress: mode=baseline tests=[1-9][0-9]* .* crashes=0 connection_lost=0$' "the baseline ran without a crash"
core_check '^pg_core_regress: mode=off .* crashes=0 connection_lost=0 same_as_baseline=yes ' "mode off gives the baseline's results"
for m in warn enforce; do
	core_check "^pg_core_regress: mode=$m tests=[1-9][0-9]* .* crashes=0 connection_lost=0 " "mode $m: no crash, no lost connection"
	core_check "^pg_core_regress: mode=$m .* unexplained=0\$" "mode $m: every difference explained (build/pg_core_regress/$m/unexplained.txt)"
done
record pg-core-regress "$core_ok" "$core_bad"

# --- 5c. SQL-level fuzz: mutated DDL of our and PostgreSQL's regression tests through check() and the hook
sm_say "SQL-level fuzz (test/fuzz/sql_fuzz.sh, 10,000 mutants)"
sm_cluster_start sqlfuzz preload
bash test/fuzz/sql_fuzz.sh 10000 >build/sql-fuzz.log 2>&1 || true
cat build/sql-fuzz.log
if grep -E 'terminated by signal|TRAP:|PANIC:' "$SM_DIR_sqlfuzz/server.log"; then
	echo "not ok - the server log of the SQL fuzz shows a crash"
	record sql-fuzz-log 0 1
fi
record_from_log sql-fuzz build/sql-fuzz.log

# --- 6. a migration whose backend dies mid-rewrite ----------------------------
# Its own cluster: kill -9 makes the postmaster restart every backend.
sm_say "backend terminated / killed during a rewrite (test/crash)"
sm_cluster_start crash
CRASH_PGDATA="$SM_DIR_crash/data" bash test/crash/run.sh >build/crash.log 2>&1 || true
cat build/crash.log
record_from_log crash build/crash.log

# --- 7. the backfill's replica-lag throttle against a streaming standby -----
# test/replica/run.sh makes the standby itself (pg_basebackup of this primary) and removes it.
sm_say "backfill paused and resumed by a standby's replay lag (test/replica)"
sm_cluster_start replica
bash test/replica/run.sh >build/replica.log 2>&1 || true
cat build/replica.log
record_from_log replica build/replica.log

# --- 7b. the backfill creates the WAL segments it is about to fill -----------
# Its own cluster: wal_recycle = off and no checkpoints, so that only the backfill creates future segments.
sm_say "backfill prepares its WAL segments (test/backfill_wal)"
sm_cluster_start backfill_wal
bash test/backfill_wal/run.sh >build/backfill-wal.log 2>&1 || true
cat build/backfill-wal.log
record_from_log backfill-wal build/backfill-wal.log

# --- 7c. expand-contract and backfill while pgbench clients write the table -----
sm_say "expand-contract and backfill under a write load (test/stress)"
sm_cluster_start stress
bash test/stress/run.sh >build/stress.log 2>&1 || true
cat build/stress.log
record_from_log stress build/stress.log

# --- 8. real migration tools: psql, node-pg-migrate, Django, sqitch -----------
# test/clients/run.sh installs the clients when missing (Debian packages; npm into test/clients/.cache)
# and starts its own cluster.
sm_say "migration tools against the hook (test/clients)"
bash test/clients/run.sh >build/clients.log 2>&1 || true
cat build/clients.log
record_from_log clients build/clients.log

sm_cluster_stop
echo
echo "suites with failures: ${failures[*]:-none}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
