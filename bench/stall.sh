#!/usr/bin/env bash
# bench/stall.sh: what a steady OLTP load sees while a migration runs, for eight common schema
# changes on a 2,000,000-row table, three ways each, in one run on the same data:
#
#   naive      the plain statement, on a server without pg_safemigrate
#   playbook   the hand-written zero-downtime playbook, on the same server without pg_safemigrate
#   extension  the plain statement, with pg_safemigrate enforcing (it rewrites it, rejects it, or
#              runs it under its lock protocol; the outcome and SQLSTATE are recorded)
#
# A benchmark, not a test: it prints what it measured and exits 0 unless it cannot run at all.
#
#   bash bench/stall.sh [-r ROUNDS] [--ops LIST] [--rows N] [--rate TPS] [--plots DIR] [--keep]
#
#   -r ROUNDS     rounds (default 1); each round runs every operation in every variant
#   --ops LIST    comma-separated subset of: create_index, add_fk, add_check, set_not_null, add_unique,
#                 volatile_default, alter_type, lock_queue (default: all eight)
#   --rows N      rows in appointments (default 2000000); patients get N/10
#   --rate TPS    the load's total rate, pgbench --rate (default 150, 4 clients, 2 threads)
#   --plots DIR   where the PNGs go (default bench/results/stall; one per operation, last round)
#   --conf 'NAME = VALUE'  one more server setting (repeatable), e.g. --conf 'wal_init_zero = off'
#   --keep        keep the per-run files (pgbench logs, DDL outputs, plot data) in bench/.cache/stall/
#   -h, --help    this text
#
# The operations (each on a fresh copy of the same template database; "playbook" in brackets):
#   create_index      CREATE INDEX ON appointments (patient_id)      [CREATE INDEX CONCURRENTLY]
#   add_fk            ADD FOREIGN KEY (patient_id) REFERENCES patients [ADD ... NOT VALID; VALIDATE]
#   add_check         ADD CHECK (duration_min > 0)                    [ADD ... NOT VALID; VALIDATE]
#   set_not_null      ALTER COLUMN room SET NOT NULL    [CHECK (room IS NOT NULL) NOT VALID; VALIDATE;
#                                                        SET NOT NULL; DROP CONSTRAINT]
#   add_unique        ADD UNIQUE (ext_ref)         [CREATE UNIQUE INDEX CONCURRENTLY; ADD ... USING INDEX]
#   volatile_default  ADD COLUMN checked_in_at timestamptz DEFAULT clock_timestamp()
#                     [ADD COLUMN without default; SET DEFAULT; keyset backfill, 5000 rows a commit]
#   alter_type        ALTER COLUMN duration_min TYPE bigint (rewrites the table and its indexes)
#                     [expand: ADD COLUMN duration_min_new bigint; a BEFORE INSERT OR UPDATE trigger
#                      copying duration_min; keyset backfill, 5000 rows a commit; the swap (contract)
#                      is not run: it is one short transaction and not what stalls]
#   lock_queue        a session holds AccessShareLock on appointments (BEGIN; SELECT ...; idle in
#                     transaction for 6 s from t=2 s), then at t=3 s ALTER TABLE ADD COLUMN lq_note text
#                     [SET lock_timeout = '100ms', retried after 200-400 ms until it succeeds]
#
# Why one server restarted, not a database with safemigrate.mode = off: naive and playbook run while
# the server does not load the library at all (shared_preload_libraries empty), so nothing of the
# extension (hook, audit, lock protocol) can touch them; then the same data directory is restarted
# with shared_preload_libraries = 'pg_safemigrate' and the extension runs are made in copies of the
# same template with CREATE EXTENSION pg_safemigrate and safemigrate.small_table_rows = 0 (every other
# setting at its default: mode enforce, rewrite on, audit on, lock_wait 100ms, lock_timeout 2s).
# Rounds alternate which half runs first (one restart per half).
#
# One run: a fresh copy of the template (CREATE DATABASE ... STRATEGY FILE_COPY), CHECKPOINT, the load
# starts (pgbench -c 4 -j 2 --rate 150 -l; per transaction: read a patient, update a random
# appointment, insert an appointment with a valid patient_id, a room, duration 30 and a new uuid, so
# it satisfies every constraint the operations add); 3 s later the DDL runs (naive: lock_timeout = 0);
# 3 s after it ends the load stops.  Measured: the DDL's wall time and outcome (done, rewritten,
# rejected SMxxx, failed SQLSTATE); the load's longest latency (with --rate counted from the scheduled
# start, so a stalled transaction also makes the ones queued behind it late), its p99 over the
# transactions scheduled from the DDL's start to 2 s after its end, the transactions over 100 ms and
# over 1 s, and the failed ones (pgbench's failed/skipped count and client aborts other than the stop).
#
# It uses the extension already installed (no build; `make install` first), starts its own throwaway
# cluster (shared_buffers 512MB, max_wal_size 8GB, fsync off like every cluster of scripts/lib.sh) and
# removes it at the end.  gnuplot (Debian gnuplot-nox) is installed when missing.  About 15-20 minutes
# for the default 2,000,000 rows on 2 cores; --rows 100000 takes about 5.  Per result one line
#   RESULT stall op=... variant=... round=... outcome=... sqlstate=... ddl_ms=... max_ms=... p99_ms=... ...
# and the last line (medians over the rounds):
#   BENCH stall rounds=N rows=N rate=N <op>_naive_max_ms=... <op>_playbook_max_ms=... <op>_extension_max_ms=...
#         ... <op>_extension=<outcome> ... and, with more than one round, <op>_pooled_p99_ratio=...
#         <op>_pooled_max_ratio=... (extension / playbook over every transaction of every round's DDL
#         window pooled in one distribution, printed as a table before the plots)
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$SM_ROOT/bench/lib/common.sh"

ALL_OPS="create_index add_fk add_check set_not_null add_unique volatile_default alter_type lock_queue"
VARIANTS="naive playbook extension"
rounds=1 ops=$ALL_OPS rows=2000000 rate=150 clients=4 jobs=2 keep=0 plots=$SM_ROOT/bench/results/stall
warm=3 tail=3 cap=600 t_long=2 hold=6 confs=()
while [ $# -gt 0 ]; do
	case $1 in
	-r) rounds=$2; shift 2 ;;
	--ops) ops=$(echo "$2" | tr ',' ' '); shift 2 ;;
	--rows) rows=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--plots) plots=$2; shift 2 ;;
	--conf) confs+=("$2"); shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
case $rounds in '' | *[!0-9]* | 0) echo "-r wants a positive number" >&2; exit 2 ;; esac
case $rows in '' | *[!0-9]*) echo "--rows wants a number" >&2; exit 2 ;; esac
[ "$rows" -ge 1000 ] || { echo "--rows wants at least 1000" >&2; exit 2; }
for o in $ops; do
	case " $ALL_OPS " in *" $o "*) ;; *) echo "unknown operation: $o (one of: $ALL_OPS)" >&2; exit 2 ;; esac
done
patients=$((rows / 10))

work=$(mktemp -d /tmp/pg_safemigrate_stall_runs.XXXXXX)
chmod 777 "$work"
cleanup() {
	sm_cluster_stop
	if [ "$keep" = 1 ]; then
		rm -rf "$BENCH_CACHE/stall"
		mkdir -p "$BENCH_CACHE"
		mv "$work" "$BENCH_CACHE/stall" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

sm_install_deps
if ! command -v gnuplot >/dev/null; then
	sm_say "installing gnuplot-nox (the plots)"
	"${SUDO[@]}" apt-get update -q
	DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends gnuplot-nox
fi
so=$("$PG_CONFIG" --pkglibdir)/pg_safemigrate.so
[ -f "$so" ] || { bench_warn "$so is not installed (make install first)"; exit 1; }
echo "timing the installed $so ($(date -r "$so" '+%F %T'))"
bench_start=$(bench_now)
sm_cluster_start stall no-preload
# shellcheck disable=SC2154 # set by sm_cluster_start through printf -v
cdir=$SM_DIR_stall
{
	echo "shared_buffers = 512MB"
	echo "max_wal_size = 8GB"
	echo "checkpoint_timeout = 30min"
	for c in ${confs[@]+"${confs[@]}"}; do echo "$c"; done
} | sm_as_owner tee -a "$cdir/data/postgresql.conf" >/dev/null
preload=off

# set_preload on|off: restart the cluster with or without the library
set_preload() {
	local want=$1
	if [ "$want" = on ]; then
		echo "shared_preload_libraries = 'pg_safemigrate'"
	else
		echo "shared_preload_libraries = ''"
	fi | sm_as_owner tee -a "$cdir/data/postgresql.conf" >/dev/null
	sm_as_owner "$PG_BINDIR/pg_ctl" -D "$cdir/data" -l "$cdir/server.log" -w -t 120 restart >/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- ||
		{ tail -20 "$cdir/server.log"; exit 1; }
	preload=$want
	if [ "$want" = on ] && [ "$(psql -X -At -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_safemigrate'")" = 0 ]; then
		# the audit's database (safemigrate.database = postgres)
		psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pg_safemigrate"
	fi
	echo "server restarted: shared_preload_libraries = '$(psql -X -At -c 'SHOW shared_preload_libraries')'"
}
set_preload off
bench_env_line
[ ${#confs[@]} = 0 ] || echo "extra server settings: ${confs[*]}"

bench_say "template: patients $patients rows, appointments $rows rows (no foreign key, no unique, room nullable)"
psql -X -q -v ON_ERROR_STOP=1 <<EOF
CREATE DATABASE stall_tpl;
\\c stall_tpl
CREATE TABLE patients (
  id integer PRIMARY KEY,
  name text NOT NULL,
  born date NOT NULL,
  email text
);
INSERT INTO patients SELECT g, 'patient ' || g, date '1940-01-01' + (g * 7919) % 29000, 'p' || g || '@example.org'
  FROM generate_series(1, $patients) g;
CREATE TABLE appointments (
  id bigserial PRIMARY KEY,
  patient_id integer NOT NULL,          -- references patients (id): the constraint is add_fk
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  duration_min integer NOT NULL,        -- add_check: > 0; alter_type: to bigint
  status text NOT NULL,
  room text,                            -- set_not_null (every row has one)
  ext_ref uuid NOT NULL,                -- add_unique (every value distinct)
  notes text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO appointments (id, patient_id, starts_at, ends_at, duration_min, status, room, ext_ref, notes, created_at, updated_at)
  SELECT g, 1 + (g * 7) % $patients, ts, ts + d * interval '1 minute', d,
         (ARRAY['booked', 'confirmed', 'done', 'cancelled', 'no-show'])[1 + g % 5],
         'R' || (g % 40), gen_random_uuid(),
         CASE WHEN g % 3 = 0 THEN NULL ELSE 'follow-up ' || md5(g::text) END,
         ts - interval '30 days', ts - interval '30 days'
    FROM generate_series(1, $rows) g,
         LATERAL (SELECT timestamptz '2024-01-01 08:00+00' + g * interval '7 minutes' AS ts,
                         15 * (1 + g % 4) AS d) x;
SELECT setval('appointments_id_seq', $rows) AS setval \\gset
CREATE TABLE bench_ctl (stop boolean NOT NULL);
INSERT INTO bench_ctl VALUES (false);
-- The playbook's backfill: keyset batches over the id range that exists when it starts, a COMMIT
-- after each batch (rows inserted later get the column's default or the trigger's value).
CREATE PROCEDURE playbook_backfill(set_clause text, where_clause text DEFAULT 'true', batch integer DEFAULT 5000)
LANGUAGE plpgsql AS \$\$
DECLARE
  lo bigint;
  hi bigint;
BEGIN
  SELECT min(id) - 1, max(id) INTO lo, hi FROM appointments;
  WHILE lo < hi LOOP
    EXECUTE format('UPDATE appointments SET %s WHERE id > \$1 AND id <= \$2 AND (%s)', set_clause, where_clause)
      USING lo, lo + batch;
    lo := lo + batch;
    COMMIT;
  END LOOP;
END \$\$;
-- The playbook's expand step of alter_type: the new column follows the old one.
CREATE FUNCTION appointments_duration_sync() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  NEW.duration_min_new := NEW.duration_min;
  RETURN NEW;
END \$\$;
VACUUM ANALYZE;
EOF
echo "appointments: $(psql -X -At -d stall_tpl -c "SELECT reltuples::bigint || ' rows, ' ||
	pg_size_pretty(pg_relation_size(oid)) || ' heap, ' || pg_size_pretty(pg_total_relation_size(oid)) || ' with indexes'
	FROM pg_class WHERE oid = 'appointments'::regclass"); patients: $(psql -X -At -d stall_tpl -c "
	SELECT pg_size_pretty(pg_total_relation_size('patients'))")"
t_loaded=$(bench_now)
echo "template loaded in $(awk -v a="$bench_start" -v b="$t_loaded" 'BEGIN { printf "%.0f", b - a }') s"

cat >"$work/load.sql" <<EOF
\\set pid random(1, $patients)
\\set aid random(1, $rows)
SELECT 1 / (1 - stop::int) FROM bench_ctl;
BEGIN;
SELECT name, born FROM patients WHERE id = :pid;
UPDATE appointments SET status = 'confirmed', updated_at = now() WHERE id = :aid;
INSERT INTO appointments (patient_id, starts_at, ends_at, duration_min, status, room, ext_ref, notes)
  VALUES (:pid, now() + interval '1 day', now() + interval '1 day 30 minutes', 30, 'booked', 'R' || (:aid % 40), gen_random_uuid(), 'booked online');
COMMIT;
EOF

# naive_sql OP: the plain statement (also what the extension variant runs)
naive_sql() {
	case $1 in
	create_index) echo "CREATE INDEX appointments_patient_idx ON appointments (patient_id);" ;;
	add_fk) echo "ALTER TABLE appointments ADD CONSTRAINT appointments_patient_fk FOREIGN KEY (patient_id) REFERENCES patients (id);" ;;
	add_check) echo "ALTER TABLE appointments ADD CONSTRAINT appointments_duration_pos CHECK (duration_min > 0);" ;;
	set_not_null) echo "ALTER TABLE appointments ALTER COLUMN room SET NOT NULL;" ;;
	add_unique) echo "ALTER TABLE appointments ADD CONSTRAINT appointments_ext_ref_key UNIQUE (ext_ref);" ;;
	volatile_default) echo "ALTER TABLE appointments ADD COLUMN checked_in_at timestamptz DEFAULT clock_timestamp();" ;;
	alter_type) echo "ALTER TABLE appointments ALTER COLUMN duration_min TYPE bigint;" ;;
	lock_queue) echo "ALTER TABLE appointments ADD COLUMN lq_note text;" ;;
	esac
}

# playbook_sql OP: the safe steps, each statement its own transaction (psql autocommit)
playbook_sql() {
	case $1 in
	create_index) echo "CREATE INDEX CONCURRENTLY appointments_patient_idx ON appointments (patient_id);" ;;
	add_fk) cat <<'EOF'
ALTER TABLE appointments ADD CONSTRAINT appointments_patient_fk FOREIGN KEY (patient_id) REFERENCES patients (id) NOT VALID;
ALTER TABLE appointments VALIDATE CONSTRAINT appointments_patient_fk;
EOF
		;;
	add_check) cat <<'EOF'
ALTER TABLE appointments ADD CONSTRAINT appointments_duration_pos CHECK (duration_min > 0) NOT VALID;
ALTER TABLE appointments VALIDATE CONSTRAINT appointments_duration_pos;
EOF
		;;
	set_not_null) cat <<'EOF'
ALTER TABLE appointments ADD CONSTRAINT appointments_room_not_null CHECK (room IS NOT NULL) NOT VALID;
ALTER TABLE appointments VALIDATE CONSTRAINT appointments_room_not_null;
ALTER TABLE appointments ALTER COLUMN room SET NOT NULL;
ALTER TABLE appointments DROP CONSTRAINT appointments_room_not_null;
EOF
		;;
	add_unique) cat <<'EOF'
CREATE UNIQUE INDEX CONCURRENTLY appointments_ext_ref_key ON appointments (ext_ref);
ALTER TABLE appointments ADD CONSTRAINT appointments_ext_ref_key UNIQUE USING INDEX appointments_ext_ref_key;
EOF
		;;
	volatile_default) cat <<'EOF'
ALTER TABLE appointments ADD COLUMN checked_in_at timestamptz;
ALTER TABLE appointments ALTER COLUMN checked_in_at SET DEFAULT clock_timestamp();
CALL playbook_backfill('checked_in_at = clock_timestamp()', 'checked_in_at IS NULL');
EOF
		;;
	alter_type) cat <<'EOF'
ALTER TABLE appointments ADD COLUMN duration_min_new bigint;
CREATE TRIGGER appointments_duration_sync BEFORE INSERT OR UPDATE ON appointments
  FOR EACH ROW EXECUTE FUNCTION appointments_duration_sync();
CALL playbook_backfill('duration_min_new = duration_min');
EOF
		;;
	esac
}

sleep_until() {
	local s
	s=$(awk -v t0="$1" -v o="$2" -v now="$(bench_now)" 'BEGIN { d = t0 + o - now; printf "%.3f", (d > 0 ? d : 0) }')
	sleep "$s"
}

# run_ddl OP VARIANT DB DIR: the migration; sets rc and r_attempts
run_ddl() {
	local op=$1 variant=$2 db=$3 dir=$4 psql_ddl
	psql_ddl=(timeout "$cap" psql -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$db")
	rc=0 r_attempts=1
	case $variant in
	naive)
		{ echo "SET lock_timeout = 0;"; naive_sql "$op"; } >"$dir/ddl.sql"
		PGAPPNAME=stall_ddl "${psql_ddl[@]}" -f "$dir/ddl.sql" >"$dir/ddl.out" 2>&1 || rc=$? ;;
	extension)
		naive_sql "$op" >"$dir/ddl.sql"
		PGAPPNAME=stall_ddl "${psql_ddl[@]}" -f "$dir/ddl.sql" >"$dir/ddl.out" 2>&1 || rc=$? ;;
	playbook)
		if [ "$op" = lock_queue ]; then
			{ echo "SET lock_timeout = '100ms';"; naive_sql "$op"; } >"$dir/ddl.sql"
			: >"$dir/ddl.out"
			r_attempts=0
			while :; do
				r_attempts=$((r_attempts + 1))
				rc=0
				PGAPPNAME=stall_ddl "${psql_ddl[@]}" -f "$dir/ddl.sql" >"$dir/ddl.try" 2>&1 || rc=$?
				cat "$dir/ddl.try" >>"$dir/ddl.out"
				if [ "$rc" = 0 ] || ! grep -q '55P03' "$dir/ddl.try" || [ "$r_attempts" -ge 200 ]; then break; fi
				sleep "0.$((200 + RANDOM % 200))"
			done
		else
			playbook_sql "$op" >"$dir/ddl.sql"
			PGAPPNAME=stall_ddl "${psql_ddl[@]}" -f "$dir/ddl.sql" >"$dir/ddl.out" 2>&1 || rc=$?
		fi ;;
	esac
}

# run_one OP VARIANT ROUND: one run; sets the r_* values
run_one() {
	local op=$1 variant=$2 round=$3 db=s_$1_$2 dir=$work/$1.$2.r$3 t0 ta tb pgb_pid long_pid="" st
	mkdir -p "$dir"
	chmod 777 "$dir"
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE stall_tpl STRATEGY FILE_COPY"
	if [ "$variant" = extension ]; then
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION pg_safemigrate" \
			-c "ALTER DATABASE $db SET safemigrate.small_table_rows = 0"
	fi
	psql -X -q -d "$db" -c CHECKPOINT
	t0=$(bench_now)
	PGOPTIONS='-c statement_timeout=0' timeout $((cap + 120)) pgbench -n -f "$work/load.sql" -c "$clients" -j "$jobs" \
		-T $((cap + 60)) --rate "$rate" -l --log-prefix="$dir/tx" "$db" >"$dir/pgbench.out" 2>&1 &
	pgb_pid=$!
	if [ "$op" = lock_queue ]; then
		sleep_until "$t0" "$t_long"
		{
			echo "BEGIN; SELECT count(*) FROM appointments WHERE id <= 1000;"
			sleep "$hold"
			echo "COMMIT;"
		} | PGAPPNAME=stall_long timeout 120 psql -X -At -q -v ON_ERROR_STOP=1 -d "$db" >"$dir/long.out" 2>&1 &
		long_pid=$!
	fi
	sleep_until "$t0" "$warm"
	ta=$(bench_now)
	run_ddl "$op" "$variant" "$db" "$dir"
	tb=$(bench_now)
	sleep "$tail"
	psql -X -q -d "$db" -c "UPDATE bench_ctl SET stop = true"
	wait "$pgb_pid" || true
	[ -z "$long_pid" ] || wait "$long_pid" || bench_warn "$op $variant: the long transaction failed: $(head -3 "$dir/long.out")"
	echo "$ta $tb" >"$dir/ddl.times"

	r_ddl_ms=$(bench_ms "$ta" "$tb")
	r_sqlstate=$(sed -n 's/.*ERROR: *\([0-9A-Z]\{5\}\):.*/\1/p' "$dir/ddl.out" | tail -1)
	r_rule=$(sed -n 's/.*ERROR: *SM[0-9]\{3\}: \([a-z-]*\):.*/\1/p' "$dir/ddl.out" | tail -1)
	r_steps=$(sed -n 's/.*pg_safemigrate rewrote the statement (rule [a-z-]*) as \([0-9]*\) step.*/\1/p' "$dir/ddl.out" | head -1)
	if [ "$rc" = 0 ]; then
		r_sqlstate=-
		if grep -q 'pg_safemigrate rewrote the statement' "$dir/ddl.out"; then
			r_outcome=rewritten
			r_rule=$(sed -n 's/.*pg_safemigrate rewrote the statement (rule \([a-z-]*\)).*/\1/p' "$dir/ddl.out" | head -1)
			[ -n "$r_steps" ] || r_steps=1
		else
			r_outcome='done'
		fi
	else
		r_sqlstate=${r_sqlstate:-error}
		case $r_sqlstate in
		SM*) r_outcome=rejected ;;
		*) r_outcome=failed ;;
		esac
	fi
	r_rule=${r_rule:--}
	r_steps=${r_steps:--}
	r_note=""
	[ "$variant" = playbook ] && [ "$op" = lock_queue ] && r_note="$r_attempts attempts"
	st=$(sed -n 's/.*pg_safemigrate waited \([0-9]*\) time.*/\1/p' "$dir/ddl.out" | head -1)
	[ -z "$st" ] || r_note="waited ${st}x in the queue"
	[ "$r_outcome" = rewritten ] && r_note="${r_note:+$r_note, }$r_steps step(s), $r_rule"
	[ "$r_outcome" = rejected ] && r_note="${r_note:+$r_note, }$r_rule"

	# pgbench 15 log: client tx latency_us script epoch_s epoch_us [lag_us]; with --rate the latency
	# counts from the scheduled start.  A failed or skipped transaction has a word instead of it.
	# Plot data: scheduled start relative to the DDL's start (s), latency (ms).
	cat "$dir"/tx.* 2>/dev/null | awk -v ta="$ta" '
		$3 ~ /^[0-9]+$/ { end = $5 + $6 / 1e6; printf "%.4f %.3f\n", end - $3 / 1e6 - ta, $3 / 1000 }' |
		sort -g >"$dir/plot.dat"
	# The latencies of the DDL window (scheduled from its start to 2 s after its end), for the pooled table.
	cat "$dir"/tx.* 2>/dev/null | awk -v ta="$ta" -v tb="$tb" '
		$3 ~ /^[0-9]+$/ { end = $5 + $6 / 1e6; st = end - $3 / 1e6; if (st >= ta && st <= tb + 2) printf "%.3f\n", $3 / 1000 }' \
		>"$dir/window.lat"
	read -r r_n r_max r_p99 r_o100 r_o1s r_failed < <(
		cat "$dir"/tx.* 2>/dev/null | awk -v ta="$ta" -v tb="$tb" '
			$3 ~ /^[0-9]+$/ { end = $5 + $6 / 1e6; st = end - $3 / 1e6
			                  print $3 / 1000, ((st >= ta && st <= tb + 2) ? 1 : 0); next }
			NF >= 6 { print "failed", 0 }' | sort -g | awk '
			$1 == "failed" { failed++; next }
			{ n++; if ($1 > max) max = $1; if ($1 > 100) o1++; if ($1 > 1000) o2++
			  if ($2) { w++; v[w] = $1 } }
			END {
				if (w == 0) p99 = "NA"
				else { i = int(w * 0.99 + 0.999999); if (i < 1) i = 1; if (i > w) i = w; p99 = sprintf("%.1f", v[i]) }
				printf "%d %.1f %s %d %d %d\n", n, max, p99, o1 + 0, o2 + 0, failed + 0
			}')
	local pf ab
	pf=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$dir/pgbench.out")
	[ -n "$pf" ] && [ "$pf" -gt "$r_failed" ] && r_failed=$pf
	# clients aborted by anything else than the stop (division by zero in the first command)
	ab=$(grep 'aborted in command' "$dir/pgbench.out" | grep -vc 'division by zero' || true)
	r_failed=$((r_failed + ab))
	r_errors=$(grep 'aborted in command\|ERROR' "$dir/pgbench.out" | grep -v 'division by zero' | head -2 | tr '\n' ' ' || true)
	psql -X -q -c "DROP DATABASE $db"
}

fmt='%-16s %-9s %-16s %-5s %9s %6s %9s %8s %7s %5s %6s  %s\n'
declare -A col
run_half() { # run_half naive-playbook|extension ROUND
	local half=$1 round=$2 op v vs
	if [ "$half" = extension ]; then vs=extension; else vs="naive playbook"; fi
	for op in $ops; do
		for v in $vs; do
			run_one "$op" "$v" "$round"
			# shellcheck disable=SC2059
			printf "$fmt" "$op" "$v" "$r_outcome" "$r_sqlstate" "$r_ddl_ms" "$r_n" "$r_max" "$r_p99" "$r_o100" "$r_o1s" \
				"$r_failed" "$r_note"
			[ -z "$r_errors" ] || echo "     load errors: $r_errors"
			if [ "$r_outcome" = failed ] || { [ "$r_outcome" = rejected ] && [ "$round" = 1 ]; }; then
				{ grep -m1 'ERROR:' "$work/$op.$v.r$round/ddl.out" || true; } | sed 's/^psql:[^ ]*: //' | cut -c1-160 | sed 's/^/     /'
			fi
			echo "RESULT stall op=$op variant=$v round=$round outcome=$r_outcome sqlstate=$r_sqlstate rule=$r_rule" \
				"steps=$r_steps ddl_ms=$r_ddl_ms txns=$r_n max_ms=$r_max p99_ms=$r_p99 over100=$r_o100 over1s=$r_o1s" \
				"failed=$r_failed attempts=$r_attempts" >>"$work/results.txt"
			for k in ddl_ms n max p99 o100 o1s failed; do
				vn=r_$k
				col[$op.$v.$k]="${col[$op.$v.$k]:-} ${!vn}"
			done
			if [ "$r_sqlstate" = - ]; then o=$r_outcome; else o=$r_outcome-$r_sqlstate; fi
			col[$op.$v.outcome]="${col[$op.$v.outcome]:-} $o"
			col[$op.$v.lastoutcome]=${o/-/ }
			col[$op.$v.note]=$r_note
			col[$op.$v.lastmax]=$r_max
			last_round[$op.$v]=$round
		done
	done
}
declare -A last_round

bench_say "load: pgbench -c $clients -j $jobs --rate $rate (read a patient, update + insert an appointment); DDL ${warm}s after it starts, load stops ${tail}s after the DDL ends"
echo "naive and playbook: server without the library; extension: server with shared_preload_libraries = 'pg_safemigrate', CREATE EXTENSION in each copy"
# shellcheck disable=SC2059
printf "$fmt" op variant outcome state ddl_ms txns max_ms p99_ms '>100ms' '>1s' failed notes
for r in $(seq 1 "$rounds"); do
	if [ "$preload" = off ]; then halves="naive-playbook extension"; else halves="extension naive-playbook"; fi
	for h in $halves; do
		if [ "$h" = extension ] && [ "$preload" = off ]; then set_preload on; fi
		if [ "$h" != extension ] && [ "$preload" = on ]; then set_preload off; fi
		if [ "$h" = extension ] && [ "$r" = 1 ]; then
			psql -X -q -c "CREATE DATABASE s_settings TEMPLATE stall_tpl" 
			psql -X -q -d s_settings -c "CREATE EXTENSION pg_safemigrate" -c "ALTER DATABASE s_settings SET safemigrate.small_table_rows = 0"
			echo "extension settings: $(psql -X -At -d s_settings -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name)
				FROM pg_settings WHERE name IN ('safemigrate.mode', 'safemigrate.rewrite', 'safemigrate.audit', 'safemigrate.lock_wait',
				'safemigrate.lock_timeout', 'safemigrate.statement_timeout', 'safemigrate.online_statement_timeout', 'safemigrate.small_table_rows')")"
			psql -X -q -c "DROP DATABASE s_settings"
		fi
		run_half "$h" "$r"
	done
done
echo
cat "$work/results.txt"

# medians per op and variant
declare -A med
echo
[ "$rounds" = 1 ] || {
	echo "medians over $rounds rounds:"
	# shellcheck disable=SC2059
	printf "$fmt" op variant outcome state ddl_ms txns max_ms p99_ms '>100ms' '>1s' failed ''
}
bench_line="BENCH stall rounds=$rounds rows=$rows rate=$rate"
for op in $ops; do
	for v in $VARIANTS; do
		for k in ddl_ms n max p99 o100 o1s failed; do
			# shellcheck disable=SC2086
			med[$op.$v.$k]=$(bench_median ${col[$op.$v.$k]:-NA})
		done
		med[$op.$v.outcome]=$(echo "${col[$op.$v.outcome]:-NA}" | tr ' ' '\n' | sed '/^$/d' | sort | uniq -c |
			awk '{ printf "%s%s", (NR > 1 ? "," : ""), ($1 > 1 ? $1 "x" : "") $2 }')
		# shellcheck disable=SC2059
		[ "$rounds" = 1 ] || printf "$fmt" "$op" "$v" "${med[$op.$v.outcome]}" "" "${med[$op.$v.ddl_ms]}" "${med[$op.$v.n]}" \
			"${med[$op.$v.max]}" "${med[$op.$v.p99]}" "${med[$op.$v.o100]}" "${med[$op.$v.o1s]}" "${med[$op.$v.failed]}" ""
		bench_line+=" ${op}_${v}_max_ms=${med[$op.$v.max]}"
	done
	bench_line+=" ${op}_extension=${med[$op.extension.outcome]}"
done

# Pooled over the rounds: every transaction of every round's DDL window in one distribution per op and
# variant, which is steadier than the median of per-round values when they are a few milliseconds.
if [ "$rounds" != 1 ]; then
	echo
	echo "pooled over $rounds rounds (every transaction of the DDL windows; ratio: extension / playbook):"
	printf '%-16s %-9s %7s %8s %8s %9s %8s %10s %10s\n' op variant txns p50_ms p99_ms p99.9_ms max_ms p99_ratio max_ratio
	for op in $ops; do
		declare -A pooled=()
		for v in $VARIANTS; do
			read -r pn p50 p99 p999 pmax < <(cat "$work/$op.$v".r*/window.lat 2>/dev/null | sort -g | awk '
				{ v[NR] = $1 }
				function q(f,  i) { i = int(NR * f + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; return v[i] }
				END { if (NR == 0) print 0, "NA", "NA", "NA", "NA"; else printf "%d %.2f %.2f %.2f %.2f\n", NR, q(0.5), q(0.99), q(0.999), v[NR] }')
			pooled[$v.p99]=$p99
			pooled[$v.max]=$pmax
			r99="" rmax=""
			if [ "$v" = extension ]; then
				r99=$(bench_ratio "$p99" "${pooled[playbook.p99]}")
				rmax=$(bench_ratio "$pmax" "${pooled[playbook.max]}")
				bench_line+=" ${op}_pooled_p99_ratio=$r99 ${op}_pooled_max_ratio=$rmax"
			fi
			printf '%-16s %-9s %7s %8s %8s %9s %8s %10s %10s\n' "$op" "$v" "$pn" "$p50" "$p99" "$p999" "$pmax" "$r99" "$rmax"
		done
		unset pooled
	done
fi

# the plots: one PNG per operation, three panels (naive, playbook, pg_safemigrate), last round
bench_say "plots in ${plots#"$SM_ROOT/"}/"
mkdir -p "$plots"
for op in $ops; do
	gp=$work/$op.gp
	xmax=0 ymax=10
	for v in $VARIANTS; do
		d=$work/$op.$v.r${last_round[$op.$v]}
		read -r ta tb <"$d/ddl.times"
		xmax=$(awk -v x="$xmax" -v a="$ta" -v b="$tb" -v t="$tail" 'BEGIN { e = b - a + t; print (e > x ? e : x) }')
		ymax=$(awk -v y="$ymax" -v m="${col[$op.$v.lastmax]}" 'BEGIN { print (m != "NA" && m + 0 > y ? m + 0 : y) }')
	done
	{
		echo "set terminal pngcairo noenhanced size 900,500 font 'sans,8'"
		echo "set output '$plots/$op.png'"
		sub="OLTP latency per transaction (pgbench --rate $rate, $clients clients, by scheduled start), $(awk -v r="$rows" 'BEGIN { printf "%\047d", r }') rows"
		[ "$op" = lock_queue ] && sub="$sub; a reader holds AccessShareLock from -$((warm - t_long)) s to $((t_long + hold - warm)) s"
		echo "set multiplot layout 3,1 title \"$op: $(naive_sql "$op" | sed 's/;$//; s/"//g' | cut -c1-110)\\n$sub\" font 'sans,9'"
		echo "set logscale y; set xrange [-$warm:$xmax]; set yrange [0.3:$(awk -v y="$ymax" 'BEGIN { print y * 2 }')]"
		echo "set ylabel 'latency ms'; set grid ytics; set key off; set format y '%g'"
		echo "set lmargin 10; set rmargin 2; set tmargin 1.2; set bmargin 1.6"
		i=0
		for v in $VARIANTS; do
			i=$((i + 1))
			d=$work/$op.$v.r${last_round[$op.$v]}
			read -r ta tb <"$d/ddl.times"
			end=$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.3f", b - a }')
			case $v in naive) color='#d62728' label=naive ;; playbook) color='#1f77b4' label=playbook ;; extension) color='#2ca02c' label=pg_safemigrate ;; esac
			o=${col[$op.$v.lastoutcome]}
			echo "unset arrow; unset label"
			echo "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb '#444444' dt 2"
			echo "set arrow from $end, graph 0 to $end, graph 1 nohead lc rgb '#444444' dt 2"
			echo "set label 1 \"$label: $o, DDL $(awk -v e="$end" 'BEGIN { printf "%.1f", e }') s, max ${col[$op.$v.lastmax]} ms\" at graph 0.01, graph 0.88 left tc rgb '$color' font 'sans,9'"
			[ "$i" = 3 ] && echo "set xlabel 'seconds after the DDL started (dashed: DDL start and end)' offset 0,0.5"
			echo "plot '$d/plot.dat' using 1:2 with points pt 7 ps 0.3 lc rgb '$color'"
		done
		echo "unset multiplot"
	} >"$gp"
	gnuplot "$gp" 2>"$work/$op.gp.err" || { bench_warn "gnuplot failed for $op:"; cat "$work/$op.gp.err"; }
	[ -f "$plots/$op.png" ] && echo "  ${plots#"$SM_ROOT/"}/$op.png ($(du -k "$plots/$op.png" | cut -f1) kB)"
done

bench_end=$(bench_now)
echo
echo "run time: $(awk -v a="$bench_start" -v b="$bench_end" 'BEGIN { printf "%.0f", b - a }') s (template load included); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$bench_line"
