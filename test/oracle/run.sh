#!/usr/bin/env bash
# test/oracle/run.sh: the lock/rewrite oracle on a throwaway PostgreSQL 15 cluster.
#
#   bash test/oracle/run.sh             observe the corpus, probe documented.sql, write observed_pg15.txt
#   bash test/oracle/run.sh --compare   also build + install pg_safemigrate, preload it, CREATE EXTENSION
#                                       and run compare.sql (result in test/oracle/results/compare.out;
#                                       exit status 1 unless the last line is "0 mismatches")
#   bash test/oracle/run.sh --selftest  test compare.sql itself against selftest_mock.sql (no build)
#   --no-probe                          skip probe.sql (needs contrib's dblink; about a minute)
#
# The cluster lives in /tmp and is removed at exit (scripts/lib.sh sm_cluster_stop), also on failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"

compare=0 selftest=0 probe=1
for arg in "$@"; do
	case $arg in
		--compare) compare=1 ;;
		--selftest) selftest=1 ;;
		--no-probe) probe=0 ;;
		*) echo "usage: $0 [--compare] [--selftest] [--no-probe]" >&2; exit 2 ;;
	esac
done

trap sm_cluster_stop EXIT
sm_install_deps
if [ "$compare" = 1 ]; then
	sm_build
	sm_cluster_start oracle preload
else
	sm_cluster_start oracle no-preload
fi

DB=safemigrate_oracle
RESULTS=$HERE/results
mkdir -p "$RESULTS"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d "$DB")

createdb "$DB"
sm_say "fixtures, corpus, observation"
"${PSQL[@]}" -f "$HERE/setup.sql"
"${PSQL[@]}" -f "$HERE/corpus.sql"
"${PSQL[@]}" -f "$HERE/observe.sql" >"$RESULTS/observe.out"
"${PSQL[@]}" -f "$HERE/documented.sql"
failed=$("${PSQL[@]}" -At -c "SELECT count(*) FROM oracle.observed_status WHERE NOT ok")
echo "corpus: $("${PSQL[@]}" -At -c "SELECT count(*) FROM oracle.corpus") statements, $failed failed"

if [ "$probe" = 1 ]; then
	sm_say "probing documented.sql (statements that cannot run in a transaction block)"
	createdb oracle_probe_tpl
	psql -X -q -v ON_ERROR_STOP=1 -d oracle_probe_tpl -f "$HERE/setup.sql"
	"${PSQL[@]}" -f "$HERE/probe.sql" >"$RESULTS/probe.out"
	echo "probe: $(grep -c " agrees" "$RESULTS/probe.out" || true) rows agree"
	if grep -q 'DIFFERS' "$RESULTS/probe.out"; then grep 'DIFFERS' "$RESULTS/probe.out"; fi
fi

if [ "$compare" = 0 ] && [ "$selftest" = 0 ]; then
	"${PSQL[@]}" -f "$HERE/report.sql" >"$HERE/observed_pg15.txt"
	echo "wrote $HERE/observed_pg15.txt"
fi

status=0
[ "$failed" = 0 ] || status=1

if [ "$selftest" = 1 ]; then
	sm_say "self-test of compare.sql with a mock safemigrate.check()"
	"${PSQL[@]}" -f "$HERE/selftest_mock.sql"
	zero=$("${PSQL[@]}" -f "$HERE/compare.sql" | grep ' mismatches$' | tr -d ' ')
	"${PSQL[@]}" -c "INSERT INTO safemigrate.mock_perturb VALUES
		(101, 'oracle.parent', 'ShareLock', NULL, false),
		(106, 'oracle.parent', NULL, false, false),
		(119, 'oracle.parent', NULL, NULL, true)"
	three=$("${PSQL[@]}" -f "$HERE/compare.sql" | grep ' mismatches$' | tr -d ' ')
	echo "exact mock: $zero; perturbed mock: $three"
	[ "$zero" = 0mismatches ] && [ "$three" = 3mismatches ] || status=1
fi

if [ "$compare" = 1 ]; then
	sm_say "compare safemigrate.check() with the observations"
	"${PSQL[@]}" -c "CREATE EXTENSION pg_safemigrate"
	"${PSQL[@]}" -f "$HERE/compare.sql" >"$RESULTS/compare.out" || status=1
	tail -n 3 "$RESULTS/compare.out"
	tail -n 3 "$RESULTS/compare.out" | grep -q '^ 0 mismatches$' || status=1
fi

exit "$status"
