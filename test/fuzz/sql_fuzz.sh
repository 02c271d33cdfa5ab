#!/usr/bin/env bash
# test/fuzz/sql_fuzz.sh [N]: the SQL-level fuzz.  N (default 3000) mutants of
# the DDL statements of our regression tests and, when its source has been
# fetched (scripts/pg_core_regress.sh), PostgreSQL's own, run through
# safemigrate.check() and through the hook on the cluster in PGHOST/PGPORT,
# in a database of their own with the fixtures of sql/ loaded.  Every error
# must be a proper PostgreSQL error with a SQLSTATE other than XX000
# (internal error), and no backend may crash or lose its connection.  Prints
# "sql-fuzz: N passed, M failed" (three checks).
set -uo pipefail
cd "$(dirname "$0")/../.."
n=${1:-3000}
out=build/fuzz
mkdir -p "$out"
db=safemigrate_fuzz
files=(sql/*.sql)
src=$(ls -d /var/tmp/pg_safemigrate-pgsrc/postgresql-15-*/src/test/regress/sql 2>/dev/null | head -1)
[ -n "$src" ] && files+=("$src"/alter_table.sql "$src"/create_index.sql "$src"/foreign_key.sql "$src"/constraints.sql "$src"/partition_*.sql "$src"/indexing.sql)
perl test/fuzz/sql_fuzz.pl "$n" "${files[@]}" >"$out/sql_fuzz.sql"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || exit 1
psql -X -q -d "$db" -v ON_ERROR_STOP=1 <<'SQL' || exit 1
CREATE EXTENSION pg_safemigrate;
SET safemigrate.mode = off;
CREATE TABLE t (id int PRIMARY KEY, a int, b text, c int);
INSERT INTO t SELECT g, g, 'x' || g, g FROM generate_series(1, 20000) g;
CREATE TABLE parent (id int PRIMARY KEY);
INSERT INTO parent SELECT generate_series(1, 100);
CREATE TABLE p (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100);
CREATE VIEW v AS SELECT * FROM t;
CREATE MATERIALIZED VIEW mv AS SELECT id, a FROM t;
ANALYZE;
SQL
start=$(date +%s)
psql -X -d "$db" -f "$out/sql_fuzz.sql" >"$out/sql_fuzz.out" 2>&1
rc=$?
mutants=$(grep -c '^BEGIN;$' "$out/sql_fuzz.sql")
errors=$(grep -cE '^(psql:[^ ]* )?ERROR:  [0-9A-Z]{5}:' "$out/sql_fuzz.out")
internal=$(grep -E '^(psql:[^ ]* )?ERROR:  XX000:' "$out/sql_fuzz.out" | sort | uniq -c | sort -rn)
lost=$(grep -cE 'server closed the connection|connection to server was lost|terminated abnormally' "$out/sql_fuzz.out")
echo "$mutants mutants in $(($(date +%s) - start)) s; $errors errors, each with its SQLSTATE (psql exit $rc)"
passed=0 failed=0
if [ "$lost" -eq 0 ]; then passed=$((passed + 1)); echo "ok - no backend crashed or lost its connection"; else failed=$((failed + 1)); echo "not ok - $lost lost connections"; fi
if [ -z "$internal" ]; then passed=$((passed + 1)); echo "ok - no internal error (XX000)"; else failed=$((failed + 1)); echo "not ok - internal errors:"; echo "$internal" | head -20; fi
if [ "$mutants" -ge $((n / 2)) ] && [ "$errors" -gt 0 ]; then passed=$((passed + 1)); echo "ok - the mutants ran"; else failed=$((failed + 1)); echo "not ok - only $mutants mutants / $errors errors"; fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
echo "sql-fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
