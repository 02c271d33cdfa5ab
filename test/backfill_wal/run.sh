#!/usr/bin/env bash
# test/backfill_wal/run.sh: safemigrate.backfill() creates the WAL segments its next batches will
# fill (safemigrate.backfill_prepare_wal), so that the load's commits do not wait while a new
# segment is created and zero-filled under WALWriteLock (bench/backfill.sh: load p99 46 ms without,
# 2 ms with, on a fresh server).
#
# Run by scripts/test.sh after `sm_cluster_start backfill_wal` (PGHOST/PGPORT name it; it preloads
# pg_safemigrate).  The cluster is set so that nothing else creates future segments: wal_recycle =
# off (a checkpoint removes old segments instead of renaming them into future ones) and no
# checkpoint during a backfill (the checkpointer pre-creates one segment when the insert position is
# 3/4 through one).  Then, after each backfill, the segments beyond the insert position are the
# backfill's: none with the setting off, one to four with it on.  Last, with pg_wal read-only to the
# server for a short backfill that stays within its segment, the failure to create one is a WARNING
# and the job completes.  Prints one line per check and "backfill-wal: N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
# Not -e: a condition that fails goes to its sm_check.
set +e
export PATH="$PG_BINDIR:$PATH"

waldir="$PGHOST/data/pg_wal"
cleanup() {
	local rc=$?
	chmod 700 "$waldir" 2>/dev/null || true
	sm_checks_summary backfill-wal "$rc"
}
trap cleanup EXIT

P() { psql -X -At -v ON_ERROR_STOP=1 -d backfill_wal "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET wal_recycle = off" -c "ALTER SYSTEM SET checkpoint_timeout = '1h'" \
	-c "ALTER SYSTEM SET max_wal_size = '4GB'" -c "SELECT pg_reload_conf()" >/dev/null
createdb backfill_wal
# About 50 MB of WAL per backfill: a full-page image of each of the 3,000 pages after the
# checkpoint, and a new version of each row.
P -q <<'SQL'
CREATE EXTENSION pg_safemigrate;
CREATE TABLE w (id int PRIMARY KEY, a int NOT NULL, pad text NOT NULL, b int);
INSERT INTO w SELECT g, g, repeat('x', 300) FROM generate_series(1, 60000) g;
VACUUM ANALYZE w;
SQL
# The segments after the one the insert position is in.
future_sql="SELECT count(*) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}\$'
  AND name > pg_walfile_name(pg_current_wal_insert_lsn())"
# A fresh segment, a checkpoint at its start (nothing pre-created: the position is not 3/4 through).
fresh_segment() { P -q -c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null; }

fresh_segment
n=$(P -c "$future_sql")
sm_check "after a segment switch and a checkpoint, no segment exists beyond the insert position ($n)" "$([ "$n" = 0 ]; echo $?)"

out=$(PGOPTIONS='-c safemigrate.backfill_prepare_wal=off' P -c "CALL safemigrate.backfill('w', 'b = a', 'b IS NULL')" 2>&1)
n=$(P -c "$future_sql")
sm_check "backfill_prepare_wal = off: the backfill is done and leaves no segment beyond the insert position ($n)" \
	"$([ "$n" = 0 ] && grep -q 'done: 60000 rows updated' <<<"$out"; echo $?)"

P -q -c "UPDATE w SET b = NULL" -c "VACUUM w" >/dev/null
fresh_segment
wal0=$(P -c "SELECT pg_current_wal_insert_lsn()")
out=$(P -c "CALL safemigrate.backfill('w', 'b = a', 'b IS NULL')" 2>&1)
wal1=$(P -c "SELECT pg_current_wal_insert_lsn()")
mb=$(P -c "SELECT round(pg_wal_lsn_diff('$wal1', '$wal0') / 1048576)")
n=$(P -c "$future_sql")
sm_check "backfill_prepare_wal = on (the default): after a backfill that wrote $mb MB of WAL, 1 to 4 segments exist beyond the insert position ($n)" \
	"$([ "$n" -ge 1 ] && [ "$n" -le 4 ] && [ "$mb" -ge 32 ]; echo $?)"
sm_check "the backfill with the segments prepared is done and right" \
	"$(grep -q 'done: 60000 rows updated' <<<"$out" && [ "$(P -c "SELECT count(*) FROM w WHERE b IS DISTINCT FROM a")" = 0 ]; echo $?)"
sm_check "no WARNING from a backfill that could create its segments" "$(! grep -q WARNING <<<"$out"; echo $?)"

# The failure path: pg_wal read-only to the server while a short backfill (a few kB of WAL, well
# within its segment) runs, after segment switches until none exists beyond the insert position
# (the previous backfill prepared some; with wal_recycle off a checkpoint never adds one).
P -q -c "CREATE TABLE small (id int PRIMARY KEY, a int NOT NULL, b int)" \
	-c "INSERT INTO small SELECT g, g FROM generate_series(1, 200) g" >/dev/null
# Always at the start of a fresh segment: the few kB must not need a new one while pg_wal is read-only.
fresh_segment
for _ in 1 2 3 4 5; do
	[ "$(P -c "$future_sql")" = 0 ] && break
	fresh_segment
done
n=$(P -c "$future_sql")
chmod 500 "$waldir"
out=$(P -c "CALL safemigrate.backfill('small', 'b = a', 'b IS NULL')" 2>&1)
chmod 700 "$waldir"
sm_check "pg_wal not writable: the backfill says so in a WARNING and completes ($n segments ahead before)" \
	"$([ "$n" = 0 ] && grep -q 'WARNING:  backfill job [0-9]* could not create the next WAL segment' <<<"$out" &&
		grep -q 'done: 200 rows updated' <<<"$out" &&
		[ "$(P -c "SELECT count(*) FROM small WHERE b IS DISTINCT FROM a")" = 0 ]; echo $?)"
grep -E 'WARNING|HINT|DETAIL' <<<"$out" | head -3
sm_check "the server is still up and writes WAL into new segments again" \
	"$(P -q -c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null && [ "$(P -c "SELECT count(*) FROM small")" = 200 ]; echo $?)"
