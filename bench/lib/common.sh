# shellcheck shell=bash
# bench/lib/common.sh: shared by the benchmarks in bench/ (sourced after scripts/lib.sh).
#
# bench_say / bench_warn        headings and warnings
# bench_now, bench_ms T0 T1     wall clock (bash's EPOCHREALTIME) and a difference in ms
# bench_median V...             median of the values, ignoring NA (NA if none)
# bench_ratio A B               A / B with two decimals (NA if either is NA)
# bench_install_node            node + npm from Debian's nodejs/npm when missing
# bench_install_squawk          squawk-cli from npm into bench/.cache; sets SQUAWK_BIN, SQUAWK_VERSION
# bench_env_line                one line: CPU, cores, PostgreSQL, node

BENCH_DIR=$SM_ROOT/bench
BENCH_CACHE=$BENCH_DIR/.cache
SQUAWK_CLI_VERSION=${SQUAWK_CLI_VERSION:-2.66.0}
export LC_NUMERIC=C     # EPOCHREALTIME and awk print a decimal point

bench_say() { printf '\n==> %s\n' "$*"; }
bench_warn() { printf '!!! %s\n' "$*"; }

bench_now() { printf '%s' "$EPOCHREALTIME"; }
bench_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

bench_median() {
	printf '%s\n' "$@" | awk '$1 != "NA" && $1 != "" { print }' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "NA"; exit }
			if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]
			else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.2f\n", a / b }'
}

bench_install_node() {
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		sm_say "installing node and npm (Debian packages nodejs, npm)"
		"${SUDO[@]}" apt-get update -q
		DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends nodejs npm
	fi
}

# The npm package squawk-cli is a small node wrapper; the real program is a native
# binary in the platform package it lists as an optional dependency
# (@squawk-cli/linux-x64 here), which npm installs from the registry like any other
# package: no download from elsewhere at install time.  We time the native binary
# (the wrapper only adds node's start-up).
bench_squawk_path() {
	(cd "$BENCH_CACHE" && node -p 'require("squawk-cli/js/index.js").getBinaryPath()') 2>/dev/null
}

bench_install_squawk() {
	local have=""
	bench_install_node
	mkdir -p "$BENCH_CACHE"
	have=$(node -p 'require(process.argv[1]).version' "$BENCH_CACHE/node_modules/squawk-cli/package.json" 2>/dev/null || true)
	if [ "$have" != "$SQUAWK_CLI_VERSION" ] || ! bench_squawk_path >/dev/null; then
		sm_say "installing squawk-cli@$SQUAWK_CLI_VERSION from npm into ${BENCH_CACHE#"$SM_ROOT/"}"
		npm install --prefix "$BENCH_CACHE" --no-audit --no-fund --include=optional \
			"squawk-cli@$SQUAWK_CLI_VERSION" >"$BENCH_CACHE/npm-install.log" 2>&1 ||
			{ cat "$BENCH_CACHE/npm-install.log"; return 1; }
	fi
	SQUAWK_BIN=$(bench_squawk_path) || {
		echo "squawk-cli installed, but its platform binary (@squawk-cli/$(node -p 'process.platform + "-" + process.arch')) is missing" >&2
		return 1
	}
	SQUAWK_VERSION=$("$SQUAWK_BIN" --version | awk '{ print $NF }')
	echo "squawk $SQUAWK_VERSION: ${SQUAWK_BIN#"$SM_ROOT/"}"
}

bench_env_line() {
	printf 'machine: %s, %s cores; %s; node %s\n' \
		"$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(nproc)" \
		"$("$PG_BINDIR/postgres" --version)" "$(node --version 2>/dev/null || echo none)"
}
