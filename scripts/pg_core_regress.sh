#!/usr/bin/env bash
# scripts/pg_core_regress.sh: PostgreSQL 15's own regression suite with pg_safemigrate preloaded.
#
#   bash scripts/pg_core_regress.sh [--subset | --schedule FILE] [--modes "off warn enforce"]
#                                   [--outdir DIR] [--no-build] [--check]
#
# Fetches the PostgreSQL 15 source with Debian's source package (apt-get
# source postgresql-15, adding a deb-src entry for bookworm when none is
# configured; unpacked once into $SM_PGSRC_CACHE, default
# /var/tmp/pg_safemigrate-pgsrc), builds the suite's regress.so against the
# installed server headers (PGXS), and runs the core schedule with Debian's
# installed pg_regress on throwaway C-locale UTF8 clusters:
#
#   baseline   a cluster without pg_safemigrate
#   off|warn|enforce
#              a cluster with shared_preload_libraries = 'pg_safemigrate',
#              safemigrate.mode set to the mode (safemigrate.audit = on when
#              the setting exists), and the extension created in the test
#              database (pg_regress --load-extension)
#
# Each preloaded run is compared with the baseline test by test (a test's
# output that differs from the baseline's, unless both passed, is diffed
# against it) and test/pg_core_regress/classify.pl sorts the diff hunks into
# ours (our rule errors and warnings, rewrite notices, lock-protocol errors),
# cascade (a later consequence of a statement we rejected, see classify.pl),
# after_rewrite, known (test/pg_core_regress/known_differences) and
# unexplained.  One summary line per run:
#
#   pg_core_regress: mode=M tests=N passed=P failed=F crashes=C connection_lost=L same_as_baseline=yes|no
#                    hunks=H ours=O cascade=K after_rewrite=R known=W unexplained=U
#
# --subset runs test/pg_core_regress/subset_schedule (the DDL-heavy files)
# instead of the whole parallel_schedule.  --check makes the exit status
# strict: non-zero unless mode off equals the baseline and no run crashed and
# no preloaded run has an unexplained hunk.  Without --check it is non-zero
# only when something could not run.  Holds the install lock (scripts/lib.sh)
# for the whole run.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap sm_cluster_stop EXIT

MODES="off warn enforce"
SCHEDULE=""
SUBSET=0
BUILD=1
CHECK=0
OUTDIR="$SM_ROOT/build/pg_core_regress"
CACHE=${SM_PGSRC_CACHE:-/var/tmp/pg_safemigrate-pgsrc}
HERE="$SM_ROOT/test/pg_core_regress"

while [ $# -gt 0 ]; do
	case $1 in
	--modes) MODES=$2; shift 2 ;;
	--subset) SUBSET=1; shift ;;
	--schedule) SCHEDULE=$(realpath "$2"); shift 2 ;;
	--outdir) OUTDIR=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--check) CHECK=1; shift ;;
	-h | --help) sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
OUTDIR=$(realpath -m "$OUTDIR")
for m in $MODES; do
	case $m in off | warn | enforce) ;; *) echo "unknown mode: $m (off, warn, enforce)" >&2; exit 2 ;; esac
done

sm_install_deps
if [ "$BUILD" -eq 1 ]; then
	sm_build
elif [ -z "${SM_INSTALL_LOCKED:-}" ] && command -v flock >/dev/null; then
	exec 9>>"$SM_INSTALL_LOCK"
	flock 9
	export SM_INSTALL_LOCKED=1
fi

PG_REGRESS="$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress"
[ -x "$PG_REGRESS" ] || { echo "no pg_regress at $PG_REGRESS (postgresql-server-dev-$PG_MAJOR)" >&2; exit 1; }

# --- the PostgreSQL source: Debian's source package, unpacked once ------------
# pg_source: sets PGSRC to the unpacked tree (the installed server's version when
# the archive has it, else the newest bookworm one).
pg_source() {
	local installed upstream d
	installed=$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR")
	upstream=${installed%%-*}
	mkdir -p "$CACHE"
	# A tree fetched earlier for this server version (the archive's newest
	# when it lacked the exact one): no network.
	if [ -f "$CACHE/fetched-for-$installed" ]; then
		PGSRC=$(cat "$CACHE/fetched-for-$installed")
		[ -f "$PGSRC/src/test/regress/parallel_schedule" ] && return 0
	fi
	if ! dpkg-query -W -f='${Status}' dpkg-dev 2>/dev/null | grep -q 'install ok installed'; then
		sm_say "installing dpkg-dev (apt-get source unpacks with dpkg-source)"
		"${SUDO[@]}" apt-get update -q
		DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends dpkg-dev
	fi
	if ! apt-cache showsrc "postgresql-$PG_MAJOR" 2>/dev/null | grep -q '^Version:'; then
		# No deb-src entry yet: one for bookworm main, in the deb822 format that
		# Debian 12 uses for /etc/apt/sources.list.d/debian.sources.
		sm_say "adding a deb-src entry for bookworm main (/etc/apt/sources.list.d/pg_safemigrate-src.sources)"
		printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm bookworm-updates' \
			'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
			"${SUDO[@]}" tee /etc/apt/sources.list.d/pg_safemigrate-src.sources >/dev/null
		"${SUDO[@]}" apt-get update -q >/dev/null
	fi
	sm_say "fetching the PostgreSQL $PG_MAJOR source (apt-get source) into $CACHE"
	# The installed version; else the candidate; else bookworm's own (a security
	# update's source may be indexed but not downloadable from a mirror).
	(cd "$CACHE" && { apt-get source -q "postgresql-$PG_MAJOR=$installed" || apt-get source -q "postgresql-$PG_MAJOR" ||
		apt-get source -q "postgresql-$PG_MAJOR/bookworm"; }) \
		>"$CACHE/apt-get-source.log" 2>&1 || { cat "$CACHE/apt-get-source.log"; return 1; }
	for d in "$CACHE/postgresql-$PG_MAJOR-$upstream" $(ls -d "$CACHE"/postgresql-"$PG_MAJOR"-*/ 2>/dev/null | sort -V -r); do
		if [ -f "$d/src/test/regress/parallel_schedule" ]; then
			PGSRC=${d%/}
			echo "$PGSRC" >"$CACHE/fetched-for-$installed"
			return 0
		fi
	done
	echo "apt-get source unpacked no src/test/regress under $CACHE" >&2
	return 1
}
pg_source
REGRESS_SRC="$PGSRC/src/test/regress"
SRC_VERSION=${PGSRC##*/postgresql-$PG_MAJOR-}
echo "PostgreSQL source $SRC_VERSION in $PGSRC; server $("$PG_BINDIR/postgres" --version | awk '{print $3}')"

# --- regress.so (and contrib/spi's refint.so, autoinc.so that the suite loads) --
DLDIR="$CACHE/dl-$SRC_VERSION"
if [ ! -f "$DLDIR/regress.so" ] || [ "$DLDIR/regress.so" -ot "$("$PG_CONFIG" --includedir-server)/pg_config.h" ]; then
	sm_say "building regress.so with PGXS"
	mkdir -p "$DLDIR"
	cp "$REGRESS_SRC/regress.c" "$DLDIR/"
	printf '%s\n' 'MODULES = regress' 'PGXS := $(shell $(PG_CONFIG) --pgxs)' 'include $(PGXS)' >"$DLDIR/Makefile"
	make -C "$DLDIR" PG_CONFIG="$PG_CONFIG" >"$DLDIR/build.log" 2>&1 || { cat "$DLDIR/build.log"; exit 1; }
fi
for lib in refint autoinc; do
	cp "$("$PG_CONFIG" --pkglibdir)/$lib.so" "$DLDIR/"
done

if [ -n "$SCHEDULE" ]; then
	:
elif [ "$SUBSET" -eq 1 ]; then
	SCHEDULE="$HERE/subset_schedule"
else
	SCHEDULE="$REGRESS_SRC/parallel_schedule"
fi
echo "schedule: $SCHEDULE"

rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"
# The server writes into the output directory (COPY TO, lo_export).
[ "$(id -u)" -eq 0 ] && chown postgres: "$OUTDIR"

# run_suite NAME MODE|-: one throwaway cluster, one pg_regress run into $OUTDIR/NAME.
run_suite() {
	local name=$1 mode=$2 dir out="$OUTDIR/$1" opts=() rc=0
	if [ "$mode" = - ]; then
		sm_cluster_start "core_$name" no-preload >/dev/null
	else
		sm_cluster_start "core_$name" preload >/dev/null
		psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET safemigrate.mode = '$mode'"
		if [ "$(psql -X -At -c "SELECT count(*) FROM pg_settings WHERE name = 'safemigrate.audit'")" = 1 ]; then
			psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET safemigrate.audit = on"
		fi
		psql -X -q -c "SELECT pg_reload_conf()" >/dev/null
		# The audit of the cluster goes to database postgres.
		psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION pg_safemigrate"
		opts+=(--load-extension=pg_safemigrate)
	fi
	dir=$(eval echo "\$SM_DIR_core_$name")
	sm_as_owner mkdir -p "$out"
	sm_say "core regression suite: $name ($(date -u +%H:%M:%S))"
	sm_as_owner "$PG_REGRESS" --inputdir="$REGRESS_SRC" --outputdir="$out" --dlpath="$DLDIR" \
		--bindir="$PG_BINDIR" --host="$PGHOST" --port="$PGPORT" --user=postgres \
		--max-concurrent-tests=20 --schedule="$SCHEDULE" "${opts[@]}" >"$out/pg_regress.log" 2>&1 || rc=$?
	if [ "$mode" != - ]; then
		psql -X -At -d postgres -c "SELECT safemigrate.audit_wait(60000)" >/dev/null 2>&1
		psql -X -At -F ' ' -d postgres -c "SELECT 'audit: rows=' || (SELECT count(*) FROM safemigrate.ddl_audit WHERE database_name = 'regression'),
		       'failed_rows=' || (SELECT count(*) FROM safemigrate.ddl_audit WHERE database_name = 'regression' AND action IN ('failed', 'rejected')),
		       'logged_only=' || events_logged_only, 'insert_failed=' || events_failed FROM safemigrate.audit_queue()" \
			>"$out/audit.txt" 2>&1 || true
	fi
	sm_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	cp "$dir/server.log" "$out/server.log"
	sm_cluster_stop
	tail -n 4 "$out/pg_regress.log"
	[ -s "$out/audit.txt" ] && cat "$out/audit.txt"
	echo "pg_regress exit status $rc"
}

start=$(date +%s)
run_suite baseline -
for m in $MODES; do
	run_suite "$m" "$m"
done

sm_say "comparison with the baseline (test/pg_core_regress/classify.pl)"
args=()
for m in $MODES; do args+=("$m"); done
status=0
perl "$HERE/classify.pl" --outdir "$OUTDIR" --known "$HERE/known_differences" --rules <(sed -n 's/^\t{"\([a-z-]*\)", "\(SM[0-9A-Z]*\)".*/\1 \2/p' "$SM_ROOT/src/core/rules.cpp") \
	$([ "$CHECK" -eq 1 ] && echo --check) baseline "${args[@]}" | tee "$OUTDIR/summary.txt" || status=$?
echo "elapsed: $(($(date +%s) - start)) s for $((1 + $(wc -w <<<"$MODES"))) runs of $(grep -cE '^test:' "$SCHEDULE") schedule lines"
exit "$status"
