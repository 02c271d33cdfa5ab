#!/usr/bin/env bash
# test/fuzz/run.sh [SECONDS]: build the core's libFuzzer target with clang
# (-fsanitize=fuzzer,address,undefined) and run it for SECONDS (default 60),
# starting from a corpus of the DDL statements of our own regression tests.
# Any crash, sanitizer report, leak or unexpected exception stops the run and
# leaves the input in build/fuzz/ (crash-*, leak-*).  Prints
# "fuzz: 1 passed, 0 failed" when the run ends without a finding.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=build/fuzz
mkdir -p "$out/corpus"
CXX=${FUZZ_CXX:-clang++}
if ! "$CXX" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Isrc $(find src/core -name '*.cpp' | sort) test/fuzz/core_fuzz.cpp -o "$out/core_fuzz" >"$out/build.log" 2>&1; then
	cat "$out/build.log"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
# Seeds: each statement of sql/*.sql as a file (the fuzzer mutates them into facts and texts).
if [ -z "$(ls -A "$out/corpus")" ]; then
	awk -v dir="$out/corpus" 'BEGIN { RS = ";" } NF { f = sprintf("%s/seed%05d", dir, NR); printf "%s;", $0 > f; close(f) }' sql/*.sql
fi
echo "corpus: $(ls "$out/corpus" | wc -l) inputs; running for $secs s"
(cd "$out" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	./core_fuzz -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 corpus) >"$out/fuzz.log" 2>&1
rc=$?
grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$out/fuzz.log" | tail -3
if [ "$rc" -eq 0 ]; then
	echo "fuzz: 1 passed, 0 failed"
else
	tail -n 40 "$out/fuzz.log"
	ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* 2>/dev/null
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
