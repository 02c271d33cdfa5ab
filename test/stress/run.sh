#!/usr/bin/env bash
# test/stress/run.sh: expand-contract and backfill while real clients write the table at full speed.
#
# The isolation specs pin down chosen interleavings; here pgbench clients run random single-row
# INSERTs, UPDATEs and DELETEs (3 clients, as fast as they can) through every step, and the checks
# are on the end state, which must hold whatever the interleaving was:
#   rename     expand_rename_column while the old application writes the old column, then the new
#              application writes the new one alongside the old: every row has both columns equal;
#              contract() succeeds while the switched application writes, which never fails across
#              it, and the table has the new shape with every row;
#   type       a two-way type change (text -> int, with reverse_using) under the same two loads: every
#              row's new column is its old one converted, contract() leaves an int column;
#   backfill   a backfill (keyset, batches of 500 committed, throttled by pause_ms) terminated with
#              pg_terminate_backend half-way, then resumed, while clients update, insert and delete:
#              every row the job had to do was updated exactly once (a counter the set clause
#              increments), the rows the clients inserted after it started were left to the
#              table's trigger, none was missed;
#   no key     a backfill by heap pages (no primary key) with a marking where_clause while the load's
#              updates move rows between pages: no row updated twice, every original row done;
#   partitioned  a rename on a partitioned table (rows moving between partitions) expanded, then
#              aborted, under the load: both columns equal in every partition, then the original shape;
#   not null   set_not_null() under inserts and updates: the column is NOT NULL and the load never
#              failed.
# Every load must run without a single failed statement (pgbench aborts a client on one), and must
# have written while the step ran, set_not_null's short scans excepted (counted by sequences the
# load's statements advance: sequences are not transactional, so the count is what the clients did,
# read at once).  Nothing here depends on timing for its verdict: the load is started, the step
# waits until the load has written, and the checks read the end state.
#
# Run by scripts/test.sh after `sm_cluster_start stress` (PGHOST/PGPORT name it; it preloads
# pg_safemigrate).  Prints one line per check and "stress: N passed, M failed".
# Not -e: a condition that fails goes to its sm_check.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
set +e
export PATH="$PG_BINDIR:$PATH"
work=$(mktemp -d /tmp/pg_safemigrate_stress.XXXXXX)
chmod 755 "$work"
loads=()
cleanup() {
	local rc=$?
	local p
	for p in "${loads[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
	sm_checks_summary stress "$rc"
}
trap cleanup EXIT

DB=stress_test
P() { psql -X -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
# wait_for SECONDS SQL: until the query returns t
wait_for() {
	local i
	for i in $(seq 1 $(($1 * 10))); do
		[ "$(P -c "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}
# load NAME SCRIPT [PGBENCH ARGS]: pgbench runs SCRIPT (a file in $work) with 3 clients until
# stopped; its output goes to $work/NAME.log
load() {
	pgbench -n -c 3 -j 1 -T 600 "${@:3}" -f "$work/$2" "$DB" >"$work/$1.log" 2>&1 &
	loads+=($!)
	eval "pid_$1=$!"
}
# stop NAME: ends the load (SIGTERM: a background job ignores SIGINT; the clients' current statements are rolled back)
stop() {
	local v="pid_$1"
	kill "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null
}
# end_load NAME CHECK: stops the load; CHECK passes when its clients ran every statement without an
# error
end_load() {
	stop "$1"
	if grep -qE 'ERROR|aborted|FATAL' "$work/$1.log"; then
		grep -E 'ERROR|aborted|FATAL' "$work/$1.log" | head -5 | sed 's/^/#   /'
		sm_check_fail "$2"
	else
		sm_check_pass "$2"
	fi
}
# seq_now SEQ: how many values the load took from SEQ so far
seq_now() { P -c "SELECT last_value FROM $1"; }
# load_writes CHECK: passes once the load has made 200 more updates (upd_seq)
load_writes() {
	wait_for 30 "SELECT (SELECT last_value FROM upd_seq) > $(seq_now upd_seq) + 200"
	sm_check "$1" $?
}

createdb "$DB"
P -q <<'EOF'
CREATE EXTENSION pg_safemigrate;
-- the small tables here are judged like big ones
ALTER DATABASE stress_test SET safemigrate.small_table_rows = 0;
CREATE SEQUENCE ins_seq START 1000001;   -- ids of the rows the load inserts, and a count of its inserts
CREATE SEQUENCE upd_seq;                 -- a count of the load's updates
CREATE SEQUENCE new_seq;                 -- a count of the new application's writes
EOF

# --- rename: the old application writes "name", then the new one writes "full_name" too ------------
P -q <<'EOF'
CREATE TABLE acct (id bigint PRIMARY KEY, name text, n int NOT NULL DEFAULT 0);
INSERT INTO acct SELECT g, 'name ' || g, 0 FROM generate_series(1, 200000) g;
VACUUM ANALYZE acct;
EOF
cat >"$work/old_rename.sql" <<'EOF'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE acct SET name = 'old ' || nextval('upd_seq'), n = n + 1 WHERE id = :id AND :op <= 6;
INSERT INTO acct (id, name) SELECT nextval('ins_seq'), 'ins ' || :id WHERE :op BETWEEN 7 AND 8;
DELETE FROM acct WHERE id = :id AND :op = 9;
UPDATE acct SET name = NULL WHERE id = :id AND :op = 10;
EOF
cat >"$work/new_rename.sql" <<'EOF'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE acct SET full_name = 'new ' || nextval('new_seq') WHERE id = :id AND :op <= 6;
INSERT INTO acct (id, full_name) SELECT nextval('ins_seq'), 'new ins ' || nextval('new_seq') WHERE :op BETWEEN 7 AND 8;
UPDATE acct SET full_name = 'both ' || nextval('new_seq'), name = 'ignored' WHERE id = :id AND :op = 9;
UPDATE acct SET full_name = NULL WHERE id = :id AND :op = 10;
EOF
load old_rename old_rename.sql
load_writes "rename: the old application writes before the expand"
u0=$(seq_now upd_seq) i0=$(seq_now ins_seq)
P -c "CALL safemigrate.expand_rename_column('acct', 'name', 'full_name', batch_size => 500)" >"$work/rename_expand.out" 2>&1
sm_check "rename: expand_rename_column under the load" $?
u1=$(seq_now upd_seq) i1=$(seq_now ins_seq)
[ "$u1" -gt "$u0" ] && [ "$i1" -gt "$i0" ]
sm_check "rename: the load updated and inserted while the expand ran ($((u1 - u0)) updates, $((i1 - i0)) inserts)" $?
load new_rename new_rename.sql
wait_for 30 "SELECT (SELECT last_value FROM new_seq) > 2000"
sm_check "rename: the new application writes alongside the old one" $?
end_load new_rename "rename: no statement of the new application failed"
end_load old_rename "rename: no statement of the old application failed"
sm_check_eq "rename: every row has full_name equal to name" 0 \
	"$(P -c "SELECT count(*) FROM acct WHERE full_name IS DISTINCT FROM name")"
# The application switched (it reads and writes full_name only, no deletes): contract() while it runs.
cat >"$work/switched_rename.sql" <<'EOF'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE acct SET full_name = 'sw ' || nextval('new_seq') WHERE id = :id AND :op <= 6;
INSERT INTO acct (id, full_name) SELECT nextval('ins_seq'), 'sw ins ' || nextval('new_seq') WHERE :op BETWEEN 7 AND 8;
SELECT full_name FROM acct WHERE id = :id;
EOF
rows=$(P -c "SELECT count(*) FROM acct WHERE id <= 200000")
e=$(P -c "SELECT expansion_id FROM safemigrate.expansions WHERE table_name = 'acct' AND status = 'expanded'")
n0=$(seq_now new_seq)
# (prepared statements, as drivers and ORMs use them: their plans are invalidated by the DDL)
load switched_rename switched_rename.sql -M prepared
wait_for 30 "SELECT (SELECT last_value FROM new_seq) > $n0 + 500"
sm_check "rename: the switched application writes before contract()" $?
P -c "CALL safemigrate.contract($e)" >"$work/rename_contract.out" 2>&1
sm_check "rename: contract() succeeds under the switched application's writes" $?
n1=$(seq_now new_seq)
wait_for 30 "SELECT (SELECT last_value FROM new_seq) > $n1 + 500"
sm_check "rename: the switched application writes after contract()" $?
end_load switched_rename "rename: no statement of the switched application failed across contract()"
sm_check_eq "rename: the new shape, every row kept" "full_name,id,n $rows" \
	"$(P -c "SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute WHERE attrelid = 'acct'::regclass AND attnum > 0 AND NOT attisdropped") $(P -c "SELECT count(*) FROM acct WHERE id <= 200000")"

# --- type: text codes become int, two-way ---------------------------------------------------------
P -q <<'EOF'
CREATE TABLE item (id bigint PRIMARY KEY, code text, qty int NOT NULL DEFAULT 0);
INSERT INTO item SELECT g, (g * 7)::text, 0 FROM generate_series(1, 200000) g;
VACUUM ANALYZE item;
EOF
cat >"$work/old_type.sql" <<'EOF'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE item SET code = (nextval('upd_seq') % 1000000)::text, qty = qty + 1 WHERE id = :id AND :op <= 6;
INSERT INTO item (id, code) SELECT nextval('ins_seq'), (:id * 3)::text WHERE :op BETWEEN 7 AND 8;
DELETE FROM item WHERE id = :id AND :op = 9;
UPDATE item SET code = NULL WHERE id = :id AND :op = 10;
EOF
cat >"$work/new_type.sql" <<'EOF'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE item SET code_new = nextval('new_seq') % 1000000 WHERE id = :id AND :op <= 6;
INSERT INTO item (id, code_new) SELECT nextval('ins_seq'), nextval('new_seq') % 1000 WHERE :op BETWEEN 7 AND 8;
UPDATE item SET qty = qty + 1 WHERE id = :id AND :op = 9;
UPDATE item SET code_new = NULL WHERE id = :id AND :op = 10;
EOF
load old_type old_type.sql
load_writes "type: the old application writes before the expand"
u0=$(seq_now upd_seq)
P -c "CALL safemigrate.expand_alter_column_type('item', 'code', 'int', using_expr => 'code::int',
	reverse_using => 'code_new::text', batch_size => 500)" >"$work/type_expand.out" 2>&1
sm_check "type: expand_alter_column_type under the load" $?
[ "$(seq_now upd_seq)" -gt "$u0" ]
sm_check "type: the load updated while the expand ran ($(($(seq_now upd_seq) - u0)) updates so far)" $?
n0=$(seq_now new_seq)
load new_type new_type.sql
wait_for 30 "SELECT (SELECT last_value FROM new_seq) > $n0 + 2000"
sm_check "type: the new application writes alongside the old one" $?
end_load new_type "type: no statement of the new application failed"
end_load old_type "type: no statement of the old application failed"
sm_check_eq "type: every row has code_new = code::int" 0 \
	"$(P -c "SELECT count(*) FROM item WHERE code_new IS DISTINCT FROM code::int")"
rows=$(P -c "SELECT count(*) FROM item")
e=$(P -c "SELECT expansion_id FROM safemigrate.expansions WHERE table_name = 'item' AND status = 'expanded'")
P -c "CALL safemigrate.contract($e)" >"$work/type_contract.out" 2>&1
sm_check "type: contract() succeeds" $?
sm_check_eq "type: code is an int column, every row kept" "integer $rows" \
	"$(P -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'item'::regclass AND attname = 'code'") $(P -c "SELECT count(*) FROM item")"

# --- backfill: terminated half-way under the load, resumed ---------------------------------------
# hits counts the backfill's updates of each row (the load never writes it); the trigger keeps b for
# the load's writes, as the dual-write trigger of a real migration would.
P -q <<'EOF'
CREATE TABLE bf (id bigint PRIMARY KEY, a int NOT NULL, b int, hits int NOT NULL DEFAULT 0);
CREATE FUNCTION bf_dual() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN IF TG_OP = 'INSERT' OR NEW.a IS DISTINCT FROM OLD.a THEN NEW.b := NEW.a * 2; END IF; RETURN NEW; END $$;
INSERT INTO bf SELECT g, g FROM generate_series(1, 200000) g;
CREATE TRIGGER bf_dual BEFORE INSERT OR UPDATE ON bf FOR EACH ROW EXECUTE FUNCTION bf_dual();
VACUUM ANALYZE bf;
EOF
cat >"$work/bf.sql" <<'EOF'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE bf SET a = a + 1 + (nextval('upd_seq') % 2) WHERE id = :id AND :op <= 6;
INSERT INTO bf (id, a) SELECT nextval('ins_seq'), :id WHERE :op BETWEEN 7 AND 8;
DELETE FROM bf WHERE id = :id AND :op = 9;
SELECT count(*) FROM bf WHERE id BETWEEN :id AND :id + 10;
EOF
load bf bf.sql
load_writes "backfill: the load writes before the backfill"
P -c "CALL safemigrate.backfill('bf', 'b = a * 2, hits = hits + 1', batch_size => 500, min_batch_size => 500,
	max_batch_size => 500, pause_ms => 10)" >"$work/bf_run.out" 2>&1 &
bf_pid=$!
wait_for 60 "SELECT EXISTS (SELECT FROM safemigrate.backfill_jobs WHERE table_name = 'public.bf' AND rows_done >= 50000)"
sm_check "backfill: the job is a quarter through" $?
job=$(P -c "SELECT job_id FROM safemigrate.backfill_jobs WHERE table_name = 'public.bf'")
P -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CALL safemigrate.backfill(''bf''%' AND pid <> pg_backend_pid()" >/dev/null
wait "$bf_pid"
[ "$?" -ne 0 ] && grep -q 'terminating connection' "$work/bf_run.out"
sm_check "backfill: its backend is terminated half-way" $?
sm_check_eq "backfill: the job is left not done, resumable" "t" \
	"$(P -c "SELECT status <> 'done' AND rows_done < 200000 FROM safemigrate.backfill_jobs WHERE job_id = $job")"
u0=$(seq_now upd_seq)
P -c "CALL safemigrate.backfill_resume($job)" >"$work/bf_resume.out" 2>&1
sm_check "backfill: backfill_resume() finishes it" $?
[ "$(seq_now upd_seq)" -gt "$u0" ]
sm_check "backfill: the load updated while the resumed job ran" $?
end_load bf "backfill: no statement of the load failed"
sm_check_eq "backfill: the job is done" done "$(P -c "SELECT status FROM safemigrate.backfill_jobs WHERE job_id = $job")"
# The job's rows: those up to the last key it saw when it started (key_upper), the load's inserts
# before that included.
upper=$(P -c "SELECT key_upper[1] FROM safemigrate.backfill_jobs WHERE job_id = $job")
sm_check_eq "backfill: every row it had to do was updated exactly once (none missed, none twice)" 0 \
	"$(P -c "SELECT count(*) FROM bf WHERE id <= $upper AND hits <> 1")"
sm_check_eq "backfill: the rows inserted after it started were left to the trigger" 0 \
	"$(P -c "SELECT count(*) FROM bf WHERE id > $upper AND hits <> 0")"
sm_check_eq "backfill: b = a * 2 on every row" 0 "$(P -c "SELECT count(*) FROM bf WHERE b IS DISTINCT FROM a * 2")"

# --- a table without a primary key, by pages, with a marking where_clause -------------------------
# The load's updates move rows between pages (to pages done and not done yet); the job passes over
# the table again until a pass updates nothing (at most 3 more passes).  A row is never updated
# twice (the where_clause marks it done); every original row is done, after a second job when the
# first said its last pass still updated rows (as its NOTICE advises).
P -q <<'EOF2'
CREATE TABLE nk (id bigint NOT NULL, a int NOT NULL, b int, hits int NOT NULL DEFAULT 0);
INSERT INTO nk SELECT g, g FROM generate_series(1, 200000) g;
CREATE FUNCTION nk_dual() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN IF TG_OP = 'INSERT' OR NEW.a IS DISTINCT FROM OLD.a THEN NEW.b := NEW.a * 2; END IF; RETURN NEW; END $$;
CREATE TRIGGER nk_dual BEFORE INSERT OR UPDATE ON nk FOR EACH ROW EXECUTE FUNCTION nk_dual();
VACUUM ANALYZE nk;
EOF2
cat >"$work/nk.sql" <<'EOF2'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE nk SET a = a + 1 + (nextval('upd_seq') % 2) WHERE id = :id AND :op <= 6;
INSERT INTO nk (id, a) SELECT nextval('ins_seq'), :id WHERE :op BETWEEN 7 AND 8;
DELETE FROM nk WHERE id = :id AND :op = 9;
EOF2
load nk nk.sql
load_writes "no key: the load writes before the backfill"
u0=$(seq_now upd_seq)
P -c "CALL safemigrate.backfill('nk', 'b = a * 2, hits = hits + 1', 'hits = 0 AND id <= 200000', batch_size => 1000,
	min_batch_size => 1000, max_batch_size => 1000, pause_ms => 5)" >"$work/nk.out" 2>&1
sm_check "no key: the backfill by pages under the load" $?
[ "$(seq_now upd_seq)" -gt "$u0" ]
sm_check "no key: the load updated while it ran" $?
end_load nk "no key: no statement of the load failed"
sm_check_eq "no key: no row updated twice" 0 "$(P -c "SELECT count(*) FROM nk WHERE hits > 1")"
if grep -q 'the last pass over the table still updated' "$work/nk.out"; then
	# rows the load kept moving: the NOTICE's hint says to run a new job with the same where_clause
	echo "# no key: the last pass still updated rows the load moved; a second job, as the NOTICE says"
	P -c "CALL safemigrate.backfill('nk', 'b = a * 2, hits = hits + 1', 'hits = 0 AND id <= 200000')" >>"$work/nk.out" 2>&1
	sm_check "no key: the second job" $?
fi
sm_check_eq "no key: every original row done exactly once" 0 "$(P -c "SELECT count(*) FROM nk WHERE id <= 200000 AND hits <> 1")"
sm_check_eq "no key: b = a * 2 on every row" 0 "$(P -c "SELECT count(*) FROM nk WHERE b IS DISTINCT FROM a * 2")"

# --- a partitioned table: rename expanded under the load, then aborted under it ------------------
P -q <<'EOF2'
CREATE TABLE ev (id bigint NOT NULL, day int NOT NULL, kind text, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM (0) TO (50);
CREATE TABLE ev_2 PARTITION OF ev FOR VALUES FROM (50) TO (100);
INSERT INTO ev SELECT g, g % 100, 'k' || (g % 7) FROM generate_series(1, 200000) g;
VACUUM ANALYZE ev;
EOF2
cat >"$work/ev.sql" <<'EOF2'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE ev SET kind = 'u' || nextval('upd_seq') WHERE id = :id AND day = :id % 100 AND :op <= 6;
UPDATE ev SET day = (day + 50) % 100 WHERE id = :id AND day = :id % 100 AND :op = 7;
INSERT INTO ev (id, day, kind) SELECT nextval('ins_seq'), :id % 100, 'i' WHERE :op = 8;
DELETE FROM ev WHERE id = :id AND day = :id % 100 AND :op = 9;
EOF2
load ev ev.sql
load_writes "partitioned: the load writes before the expand"
u0=$(seq_now upd_seq)
P -c "CALL safemigrate.expand_rename_column('ev', 'kind', 'category', batch_size => 1000)" >"$work/ev_expand.out" 2>&1
sm_check "partitioned: expand_rename_column under the load" $?
[ "$(seq_now upd_seq)" -gt "$u0" ]
sm_check "partitioned: the load updated while the expand ran" $?
sm_check_eq "partitioned: every row has category equal to kind, in both partitions" "0 2" \
	"$(P -c "SELECT count(*) FROM ev WHERE category IS DISTINCT FROM kind") $(P -c "SELECT count(DISTINCT tableoid) FROM ev")"
e=$(P -c "SELECT expansion_id FROM safemigrate.expansions WHERE table_name = 'ev' AND status = 'expanded'")
rows=$(P -c "SELECT count(*) FROM ev")
P -c "CALL safemigrate.expand_abort($e)" >"$work/ev_abort.out" 2>&1
sm_check "partitioned: expand_abort() under the load" $?
end_load ev "partitioned: no statement of the load failed"
sm_check_eq "partitioned: back to the original shape, no trigger of the expansion left" "day,id,kind 0" \
	"$(P -c "SELECT string_agg(attname, ',' ORDER BY attname) FROM pg_attribute WHERE attrelid = 'ev'::regclass AND attnum > 0 AND NOT attisdropped") $(P -c "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '~safemigrate%'")"

# --- set_not_null under inserts and updates -------------------------------------------------------
P -q -c "UPDATE bf SET b = 0 WHERE b IS NULL" -c "VACUUM ANALYZE bf"
cat >"$work/nn.sql" <<'EOF'
\set id random(1, 240000)
\set op random(1, 10)
UPDATE bf SET a = a + 1 + (nextval('upd_seq') % 2) WHERE id = :id AND :op <= 6;
INSERT INTO bf (id, a) SELECT nextval('ins_seq'), :id WHERE :op BETWEEN 7 AND 9;
DELETE FROM bf WHERE id = :id AND :op = 10;
EOF
load nn nn.sql
load_writes "not null: the load writes before set_not_null"
u0=$(seq_now upd_seq)
P -c "CALL safemigrate.set_not_null('bf', 'b')" >"$work/nn.out" 2>&1
sm_check "not null: set_not_null() under the load" $?
# (its steps are short scans: how much the load wrote meanwhile is printed, not checked)
echo "# not null: the load made $(($(seq_now upd_seq) - u0)) updates while set_not_null() ran"
end_load nn "not null: no statement of the load failed"
sm_check_eq "not null: b is NOT NULL, no helper CHECK left" "t 0" \
	"$(P -c "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'bf'::regclass AND attname = 'b'") $(P -c "SELECT count(*) FROM pg_constraint WHERE conrelid = 'bf'::regclass AND contype = 'c'")"
