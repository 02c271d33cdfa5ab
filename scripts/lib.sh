# scripts/lib.sh: shared by scripts/test.sh and scripts/demo.sh (sourced, not run).
#
# sm_install_deps   apt-get install what is missing (Debian 12 package names)
# sm_build          make && make install (as root, or through sudo)
# sm_cluster_start  initdb + start a throwaway PostgreSQL 15 cluster in a temp dir
#                   on a free port; exports PGHOST/PGPORT/PGUSER/PGDATABASE
# sm_cluster_stop   stop it and remove the directory (also run from the EXIT trap)
# sm_check, sm_check_eq, sm_checks_summary   the checks of the shell-driven suites

set -euo pipefail

SM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_BINDIR=${SM_PG_BINDIR:-/usr/lib/postgresql/$PG_MAJOR/bin}  # SM_PG_BINDIR: a private copy for development
SM_PACKAGES=(
	"postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" "postgresql-client-$PG_MAJOR"
	"postgresql-$PG_MAJOR-pgtap" libtap-parser-sourcehandler-pgtap-perl
	g++ make cmake libboost-dev libgtest-dev
	clang libclang-rt-14-dev # the core's libFuzzer target (test/fuzz)
)

if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
else
	SUDO=(sudo)
fi

sm_say() { printf '\n==> %s\n' "$*"; }

sm_install_deps() {
	local missing=() p
	for p in "${SM_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		sm_say "installing ${missing[*]}"
		"${SUDO[@]}" apt-get update -q
		DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
	export PATH="$PG_BINDIR:$PATH"
	export PG_CONFIG="$PG_BINDIR/pg_config"
}

# Only one checkout at a time may install into this machine's PostgreSQL and
# test against it: sm_build takes an exclusive lock on SM_INSTALL_LOCK (held on
# fd 9 until the script exits; clusters are started with fds 3-9 closed, so
# that no postmaster inherits a lock taken with flock(1) or by this script).
SM_INSTALL_LOCK=${SM_INSTALL_LOCK:-/tmp/pg_safemigrate.install.lock}

sm_build() {
	# Re-entrant: scripts run by a script that holds the lock inherit it.
	if [ -z "${SM_INSTALL_LOCKED:-}" ] && command -v flock >/dev/null; then
		exec 9>>"$SM_INSTALL_LOCK"
		flock 9
		export SM_INSTALL_LOCKED=1
	fi
	sm_say "building and installing pg_safemigrate (PGXS, C++17)"
	make -C "$SM_ROOT" -j2 PG_CONFIG="$PG_CONFIG" ERROR_ON_WARNING=1 >"$SM_ROOT/build.log" 2>&1 ||
		{ cat "$SM_ROOT/build.log"; return 1; }
	"${SUDO[@]}" make -C "$SM_ROOT" install PG_CONFIG="$PG_CONFIG" >>"$SM_ROOT/build.log" 2>&1 ||
		{ cat "$SM_ROOT/build.log"; return 1; }
	echo "installed $("$PG_CONFIG" --pkglibdir)/pg_safemigrate.so"
}

# Run a command as the cluster's owner: postgres when we are root (initdb and
# postgres refuse to run as root), ourselves otherwise.
sm_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Checks of the shell-driven suites (test/*/run.sh, test/audit/full.sh): each prints "ok - NAME" or
# "not ok - NAME"; sm_checks_summary SUITE prints the line scripts/test.sh counts,
# "SUITE: N passed, M failed", and fails when one did.
SM_CHECKS_PASSED=0 SM_CHECKS_FAILED=0
sm_check_pass() { SM_CHECKS_PASSED=$((SM_CHECKS_PASSED + 1)); echo "ok - $1"; }
sm_check_fail() { SM_CHECKS_FAILED=$((SM_CHECKS_FAILED + 1)); echo "not ok - $1"; }
# sm_check NAME STATUS: passes when STATUS (of the condition, e.g. "$(test ...; echo $?)") is 0.
sm_check() { if [ "$2" = 0 ]; then sm_check_pass "$1"; else sm_check_fail "$1"; fi; }
# sm_check_eq NAME EXPECTED ACTUAL: passes when equal; prints both when not.
sm_check_eq() {
	if [ "$2" = "$3" ]; then
		sm_check_pass "$1"
	else
		sm_check_fail "$1"
		echo "#   expected: $2"
		echo "#   actual:   $3"
	fi
}
# sm_checks_summary SUITE [EXIT_STATUS]: from an EXIT trap, a non-zero status (the script stopped
# before its last check) counts as one more failure.
sm_checks_summary() {
	[ "${2:-0}" = 0 ] || sm_check_fail "$1 stopped before its last check (exit status $2)"
	echo "$1: $SM_CHECKS_PASSED passed, $SM_CHECKS_FAILED failed"
	[ "$SM_CHECKS_FAILED" -eq 0 ]
}

sm_free_port() {
	local port
	for _ in $(seq 1 100); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "no free port found" >&2
	return 1
}

SM_CLUSTERS=()

# sm_cluster_start NAME [preload|no-preload]: sets SM_DIR_<NAME>; exports PG* for it.
sm_cluster_start() {
	local name=$1 preload=${2:-preload} dir port
	dir=$(mktemp -d "/tmp/pg_safemigrate_${name}.XXXXXX")
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	port=$(sm_free_port)
	sm_as_owner "$PG_BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust --locale=C -E UTF8 \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; return 1; }
	{
		echo "port = $port"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$dir'"
		[ "$preload" = preload ] && echo "shared_preload_libraries = 'pg_safemigrate'"
		echo "fsync = off"
		echo "max_connections = 50"
		echo "log_line_prefix = '%m [%p] %q%a '"
		echo "max_prepared_transactions = 10"
	} | sm_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
	sm_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- ||
		{ cat "$dir/server.log"; return 1; }
	SM_CLUSTERS+=("$dir")
	printf -v "SM_DIR_$name" '%s' "$dir"
	export PGHOST="$dir" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
	echo "cluster '$name': PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}') in $dir, port $port ($preload)"
}

sm_cluster_stop() {
	local dir
	for dir in "${SM_CLUSTERS[@]}"; do
		if [ -f "$dir/data/postmaster.pid" ]; then
			sm_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
		fi
		rm -rf "$dir"
	done
	SM_CLUSTERS=()
}
