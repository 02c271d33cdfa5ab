#!/usr/bin/env bash
# test/cli/run.sh [DBNAME]: tests of the command-line tool tools/pg_safemigrate, for real,
# against a running server.
#
# Expects PGHOST/PGPORT/PGUSER to point at a running cluster that preloads pg_safemigrate,
# and a database (DBNAME, or $PGDATABASE) in which it may create objects: it creates the
# extension there if safemigrate.check(text) is missing, and the schema safemigrate_cli with
# a populated table (dropped again at the end).  It never loads test/cli/dev_stub.sql.
#
# PG_SAFEMIGRATE=/path/to/pg_safemigrate tests another copy of the tool (e.g. the installed
# one); PSQL names the psql binary.  Prints "ok - ..." / "not ok - ..." per check, then
# "cli: N passed, M failed", and exits non-zero when a check failed.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
db=${1:-${PGDATABASE:-}}
if [ -z "$db" ]; then
	echo "usage: $0 DBNAME   (or set PGDATABASE)" >&2
	exit 2
fi
export PGDATABASE=$db
PSQL=${PSQL:-psql}
export PSQL
tool=${PG_SAFEMIGRATE:-$root/tools/pg_safemigrate}

work=$(mktemp -d "${TMPDIR:-/tmp}/pg_safemigrate_cli.XXXXXX")
passed=0
failed=0

# sql: run SQL from stdin in $db, stop at the first error; prints unaligned tuples.
sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# The fixtures' DDL should not itself be judged: switch the policy off for this session
# when we may (superuser); harmless without it, the DDL below is new objects only.
POLICY_OFF="DO \$\$ BEGIN
	IF current_setting('safemigrate.mode', true) IS NOT NULL THEN
		PERFORM set_config('safemigrate.mode', 'off', false);
	END IF;
EXCEPTION WHEN insufficient_privilege THEN NULL;
END \$\$;"

cleanup() {
	printf '%s\nDROP SCHEMA IF EXISTS safemigrate_cli CASCADE;\n' "$POLICY_OFF" | sql >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

pass() {
	passed=$((passed + 1))
	echo "ok - $1"
}
fail() {
	failed=$((failed + 1))
	echo "not ok - $1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/    # /'; fi
}
show() { # the last run, for a failure message
	printf 'exit status %s\n--- stdout:\n%s\n--- stderr:\n%s' "$rc" "$(head -c 3000 "$work/out")" "$(head -c 3000 "$work/err")"
}

# t ARGS...: run the tool; sets rc, $work/out, $work/err.
t() {
	"$tool" "$@" >"$work/out" 2>"$work/err"
	rc=$?
}
expect_rc() { # DESCRIPTION WANTED
	if [ "$rc" -eq "$2" ]; then pass "$1: exit $2"; else fail "$1: exit $2" "$(show)"; fi
}
expect_out() { # DESCRIPTION FIXED-STRING: stdout contains it
	if grep -qF -- "$2" "$work/out"; then pass "$1"; else fail "$1" "stdout lacks: $2"$'\n'"$(show)"; fi
}
expect_out_re() { # DESCRIPTION ERE: some stdout line matches
	if grep -qE -- "$2" "$work/out"; then pass "$1"; else fail "$1" "no stdout line matches: $2"$'\n'"$(show)"; fi
}
expect_err() { # DESCRIPTION FIXED-STRING: stderr contains it
	if grep -qF -- "$2" "$work/err"; then pass "$1"; else fail "$1" "stderr lacks: $2"$'\n'"$(show)"; fi
}
expect_no_out() { # DESCRIPTION FIXED-STRING: stdout does not contain it
	if ! grep -qF -- "$2" "$work/out"; then pass "$1"; else fail "$1" "stdout has: $2"$'\n'"$(show)"; fi
}
# json_true DESCRIPTION JSONFILE SQL: SQL is a boolean expression over j (the document as
# jsonb), evaluated by the server; src (text) is the content of $work/src when it exists.
json_true() {
	local got
	touch "$work/src"
	got=$(printf '%s\n' "WITH d AS (SELECT convert_from(decode(:'doc', 'base64'), 'UTF8')::jsonb AS j,
	                    convert_from(decode(:'src', 'base64'), 'UTF8') AS src)
SELECT coalesce(($3)::boolean, false) FROM d;" |
		sql -v doc="$(base64 -w0 <"$2")" -v src="$(base64 -w0 <"$work/src")" 2>&1)
	if [ "$got" = t ]; then pass "$1"; else fail "$1" "SQL: $3"$'\n'"got: $got"$'\n'"JSON: $(head -c 2000 "$2")"; fi
}

# --- the database -------------------------------------------------------------------
echo "# pg_safemigrate CLI tests: $tool against database $db"
has_check="SELECT to_regprocedure('safemigrate.check(text)') IS NOT NULL AND to_regprocedure('safemigrate.check_header(text)') IS NOT NULL"
if [ "$(echo "$has_check" | sql 2>&1)" != t ]; then
	echo 'CREATE EXTENSION IF NOT EXISTS pg_safemigrate;' | sql || true
fi
if [ "$(echo "$has_check" | sql 2>&1)" != t ]; then
	fail "safemigrate.check(text) and safemigrate.check_header(text) exist in database $db" \
		"the installed pg_safemigrate does not provide them (or CREATE EXTENSION failed above)"
	echo "cli: $passed passed, $failed failed"
	exit 1
fi
if ! sql >/dev/null <<SQL; then
SET client_min_messages = warning;
$POLICY_OFF
DROP SCHEMA IF EXISTS safemigrate_cli CASCADE;
CREATE SCHEMA safemigrate_cli;
CREATE TABLE safemigrate_cli.visits AS
	SELECT g AS id, g % 100 AS patient_id, date '2024-01-01' + g % 365 AS day
	FROM generate_series(1, 5000) AS g;
CREATE TABLE safemigrate_cli.patients (id int PRIMARY KEY);
INSERT INTO safemigrate_cli.patients SELECT g FROM generate_series(0, 99) AS g;
ANALYZE safemigrate_cli.visits, safemigrate_cli.patients;
SQL
	fail "fixtures created in database $db"
	echo "cli: $passed passed, $failed failed"
	exit 1
fi

cd "$work" || exit 1

# --- the migration files -----------------------------------------------------------------
cat >safe.sql <<'EOF'
-- only statements that take no long lock
CREATE TABLE safemigrate_cli.visit_notes (id bigint PRIMARY KEY, visit_id bigint, body text);
CREATE INDEX CONCURRENTLY visits_day_idx
    ON safemigrate_cli.visits (day);
ALTER TABLE safemigrate_cli.visits ADD COLUMN note text;
EOF
# statements that may lock several relations: one row each
cat >fk.sql <<'EOF'
ALTER TABLE safemigrate_cli.visits
    ADD CONSTRAINT visits_patient_fk FOREIGN KEY (patient_id) REFERENCES safemigrate_cli.patients (id);
CREATE TABLE safemigrate_cli.visit_items (id int, visit_id int);
EOF
cat >reject.sql <<'EOF'
CREATE INDEX visits_patient_idx ON safemigrate_cli.visits (patient_id);
EOF
# a syntax error on line 3, column 11 (after a comment with multi-byte characters)
printf '%s\n' \
	"-- migration: café ☃ 🐘" \
	"CREATE TABLE safemigrate_cli.t1 (id int, label text DEFAULT 'é');" \
	"/* é ☃ */ CREAT TABLE safemigrate_cli.t3 (id int);" \
	"CREATE TABLE safemigrate_cli.t4 (id int);" >malformed.sql
# one statement full of quoting traps: '' and \ in standard strings, E'' escapes,
# dollar quotes holding ; $$ and psql :variables and \commands, a quoted identifier with
# "" and ;, U&'' escapes, a tab, a CRLF line end, non-ASCII, and no final newline
printf '%s' "CREATE TABLE safemigrate_cli.\"tricky \"\"quoted\"\" table\" (
    a text DEFAULT 'it''s a \"test\"; with \\ one and \\\\ two backslashes',
    b text DEFAULT E'tab\\t, quote \\' and backslash \\\\ ;',
    c text DEFAULT \$body\$ dollar 'quoted' ; \$\$ nested \$x\$ \\n :var :'var' :\"var\" \\gset \\q \$body\$,
	d text DEFAULT 'ünïcödé ☃ 日本語 🐘 — ∑ ;'," >tricky.sql
printf '\r\n%s' "    e text DEFAULT U&'\\0041\\00e9' /* block ; comment with 'quote' and \$\$ */,
    \"we\"\"ird; col\" int DEFAULT 1
);" >>tricky.sql
: >empty.sql
printf 'SELECT 1;\nSELECT \xff\xfe;\n' >latin.sql
mkdir adir

# --- --help, --version, usage errors -----------------------------------------------------------
t --help
expect_rc "--help" 0
expect_out "--help shows the usage" "Usage:"
expect_out "--help documents the exit status" "Exit status:"
t --version
expect_rc "--version" 0
control_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$root/pg_safemigrate.control")
expect_out "--version prints pg_safemigrate $control_version (pg_safemigrate.control)" "pg_safemigrate $control_version"
t
expect_rc "no command" 2
t check
expect_rc "check without a file" 2
expect_err "check without a file says so" "no migration file given"
t frobnicate safe.sql
expect_rc "unknown command" 2
t check --no-such-option safe.sql
expect_rc "unknown option" 2
t check safe.sql -d
expect_rc "-d without its argument" 2

# --- exit 0: only safe statements ---------------------------------------------------------------
t check safe.sql
expect_rc "safe.sql" 0
expect_out_re "safe.sql: report starts with the file name" '^== safe\.sql$'
expect_out_re "safe.sql: header comment line" '^-- safemigrate: (instant-safe|concurrent|expand-contract)$'
expect_out_re "safe.sql: one block per statement (#1, #2, #3)" '^#3  ALTER TABLE safemigrate_cli\.visits ADD COLUMN note text;?$'
expect_out_re "safe.sql: a statement's first line skips its leading comment" '^#1  CREATE TABLE safemigrate_cli\.visit_notes '
expect_out "safe.sql: a multi-line statement shows its first line and ..." "#2  CREATE INDEX CONCURRENTLY visits_day_idx ..."
expect_out_re "safe.sql: summary line" '^safe\.sql: 3 statements \(.*\): ok$'
expect_no_out "safe.sql: no REJECT" "REJECT"

# the same with the connection given as options instead of PGDATABASE
(unset PGDATABASE; t check -d "$db" safe.sql; exit "$rc") && rc=0 || rc=$?
expect_rc "safe.sql with -d DBNAME" 0
(unset PGDATABASE; t check safe.sql --dbname="$db"; exit "$rc") && rc=0 || rc=$?
expect_rc "safe.sql with --dbname=DBNAME after the file" 0

# --- exit 1: CREATE INDEX on a populated table ------------------------------------------------
t check reject.sql
expect_rc "reject.sql (CREATE INDEX on a populated table)" 1
expect_out "reject.sql: header" "-- safemigrate: concurrent"
expect_out_re "reject.sql: verdict, category and rule" '^    verdict: +REJECT \(concurrent, rule create-index-blocking\)$'
expect_out_re "reject.sql: relation" '^    relation: +.*visits'
expect_out_re "reject.sql: lock mode" '^    lock: +ShareLock$'
expect_out_re "reject.sql: flags" '^    effects: +rewrites (yes|no), scans (yes|no), breaks clients (yes|no)$'
expect_out_re "reject.sql: reason" '^    reason: +.+'
expect_out_re "reject.sql: safe SQL with CONCURRENTLY" '^    safe SQL: +CREATE INDEX CONCURRENTLY visits_patient_idx'
expect_out_re "reject.sql: summary line" '^reject\.sql: 1 statement \(1 reject\): REJECTED$'

# -1 / --single-transaction: each file as a tool that wraps it in one transaction runs it
cat >two.sql <<'EOF'
ALTER TABLE safemigrate_cli.visits ADD COLUMN note2 text;
CREATE INDEX visits_day2_idx ON safemigrate_cli.visits (day);
EOF
# (with safemigrate.rewrite on: alone, the CREATE INDEX would be rewritten)
PGOPTIONS="${PGOPTIONS:-} -c safemigrate.rewrite=on" t check two.sql
expect_rc "two.sql with rewrite on (each statement alone: the CREATE INDEX is rewritten)" 0
expect_out_re "two.sql with rewrite on: verdict REWRITE" '^    verdict: +REWRITE \(concurrent, rule create-index-blocking\)$'
PGOPTIONS="${PGOPTIONS:-} -c safemigrate.rewrite=on" t check -1 two.sql
expect_rc "-1 two.sql (CREATE INDEX inside the file's transaction)" 1
expect_out_re "-1 two.sql: the CREATE INDEX is rejected, never rewritten" '^    verdict: +REJECT \(concurrent, rule create-index-blocking\)$'
t check --single-transaction safe.sql
expect_rc "--single-transaction safe.sql (CREATE INDEX CONCURRENTLY cannot run in a transaction block)" 1
expect_out_re "--single-transaction safe.sql: its CREATE INDEX CONCURRENTLY is an error" '^    verdict: +ERROR'

t check safe.sql reject.sql
expect_rc "safe.sql + reject.sql" 1
expect_out "safe.sql + reject.sql: report of safe.sql" "safe.sql: 3 statements"
expect_out "safe.sql + reject.sql: report of reject.sql" "reject.sql: 1 statement"

# --- --json --------------------------------------------------------------------------------------
t check --json safe.sql reject.sql
expect_rc "--json safe.sql reject.sql" 1
cp "$work/out" both.json
if command -v jq >/dev/null 2>&1; then
	if jq -e . both.json >/dev/null 2>&1; then pass "--json: jq parses it"; else fail "--json: jq parses it" "$(show)"; fi
fi
if command -v python3 >/dev/null 2>&1; then
	if python3 -m json.tool both.json >/dev/null 2>&1; then pass "--json: python3 -m json.tool parses it"; else fail "--json: python3 -m json.tool parses it" "$(show)"; fi
fi
json_true "--json: an array of 2 elements, in the order of the files" both.json \
	"jsonb_typeof(j) = 'array' AND jsonb_array_length(j) = 2 AND j->0->>'file' = 'safe.sql' AND j->1->>'file' = 'reject.sql'"
json_true "--json: each element has file, header, rows, error" both.json \
	"(SELECT bool_and(e ?& ARRAY['file', 'header', 'rows', 'error'] AND jsonb_typeof(e->'rows') = 'array' AND e->'error' = 'null') FROM jsonb_array_elements(j) e)"
json_true "--json: header is the comment line" both.json \
	"j->0->>'header' ~ '^-- safemigrate: (instant-safe|concurrent|expand-contract)$' AND j->1->>'header' = '-- safemigrate: concurrent'"
json_true "--json: rows carry all columns of safemigrate.check()" both.json \
	"(SELECT bool_and(r ?& ARRAY['stmt_no', 'statement', 'command', 'relation', 'lock_mode', 'rewrites', 'scans', 'breaks_clients', 'category', 'rule', 'verdict', 'reason', 'safe_sql']) FROM jsonb_array_elements(j) e, jsonb_array_elements(e->'rows') r)"
json_true "--json: safe.sql has statements 1, 2, 3 and no reject" both.json \
	"(SELECT array_agg(DISTINCT (r->>'stmt_no')::int ORDER BY (r->>'stmt_no')::int) = '{1,2,3}' AND bool_and(r->>'verdict' IN ('allow', 'warn', 'rewrite')) FROM jsonb_array_elements(j->0->'rows') r)"
json_true "--json: reject.sql is rejected by create-index-blocking with the CONCURRENTLY form" both.json \
	"EXISTS (SELECT FROM jsonb_array_elements(j->1->'rows') r WHERE r->>'verdict' = 'reject' AND r->>'rule' = 'create-index-blocking' AND r->>'category' = 'concurrent' AND r->>'lock_mode' = 'ShareLock' AND r->>'safe_sql' LIKE 'CREATE INDEX CONCURRENTLY visits_patient_idx%')"
t check --json safe.sql
expect_rc "--json safe.sql" 0

# statements with several rows (one per relation): one block each, and the same counts as --json
t check fk.sql
text_rc=$rc
nheads=$(grep -cE '^#[0-9]+  ' "$work/out")
nverdicts=$(grep -cE '^    verdict: ' "$work/out")
t check --json fk.sql
if [ "$rc" = "$text_rc" ] && [ "$rc" -le 1 ]; then pass "fk.sql: text and --json agree on the exit status ($rc)"; else fail "fk.sql: text and --json agree on the exit status" "text: $text_rc"$'\n'"$(show)"; fi
cp "$work/out" fk.json
json_true "fk.sql: one text block per statement ($nheads), one verdict per row ($nverdicts)" fk.json \
	"$nheads = 2 AND (SELECT count(DISTINCT r->>'stmt_no') FROM jsonb_array_elements(j->0->'rows') r) = $nheads AND jsonb_array_length(j->0->'rows') = $nverdicts"

# --- exit 2: malformed, missing, unreadable files ---------------------------------------------
t check malformed.sql
expect_rc "malformed.sql" 2
expect_err "malformed.sql: the server's syntax error, with the file name" 'syntax error at or near "CREAT"'
expect_err "malformed.sql: SQLSTATE 42601" "42601"
expect_err "malformed.sql: the position as FILE:LINE:COLUMN" 'malformed.sql:3:11: ERROR:'
expect_err "malformed.sql: the line and a caret under its column" "$(printf '%14s^' '')"
expect_no_out "malformed.sql: no report" "== malformed.sql"

t check safe.sql malformed.sql reject.sql
expect_rc "safe.sql malformed.sql reject.sql (an error outranks a reject)" 2
expect_out "... the files after the malformed one are still checked" "reject.sql: 1 statement (1 reject): REJECTED"
expect_out "... and the one before" "safe.sql: 3 statements"

t check --json safe.sql malformed.sql
expect_rc "--json with a malformed file" 2
cp "$work/out" malformed.json
json_true "--json: the malformed file's element carries the error" malformed.json \
	"jsonb_array_length(j) = 2 AND j->1->>'file' = 'malformed.sql' AND j->1->'rows' = 'null' AND j->1->'error'->>'sqlstate' = '42601' AND j->1->'error'->>'message' LIKE 'syntax error at or near \"CREAT\"%' AND j->0->'error' = 'null'"

t check safe.sql no-such-file.sql
expect_rc "a missing file" 2
expect_err "a missing file is named" "no-such-file.sql: could not read file: No such file or directory"
expect_out "... the other file is still checked" "safe.sql: 3 statements"
t check reject.sql no-such-file.sql
expect_rc "a missing file and a rejected one" 2
t check adir
expect_rc "a directory" 2
expect_err "a directory is named" "adir: could not read file"
t check --json no-such-file.sql
expect_rc "--json with a missing file" 2
cp "$work/out" missing.json
json_true "--json: the missing file's element carries the error" missing.json \
	"j->0->>'file' = 'no-such-file.sql' AND j->0->'error'->>'message' LIKE 'could not read file%'"
t check latin.sql
expect_rc "a file that is not UTF-8" 2
expect_err "a file that is not UTF-8 is named with the server's error" "latin.sql: ERROR:  invalid byte sequence"

(unset PGDATABASE; t check -d safemigrate_cli_no_such_database safe.sql; exit "$rc") && rc=0 || rc=$?
expect_rc "a connection error" 2
expect_err "a connection error is reported" "safemigrate_cli_no_such_database"

# --- text that must arrive byte for byte -------------------------------------------------------
t check --json tricky.sql
expect_rc "tricky.sql" 0
cp "$work/out" tricky.json
cp tricky.sql "$work/src"
json_true "tricky.sql: one statement" tricky.json \
	"(SELECT array_agg(DISTINCT (r->>'stmt_no')::int) = '{1}' FROM jsonb_array_elements(j->0->'rows') r)"
json_true "tricky.sql: check()'s statement is an exact substring of the file" tricky.json \
	"strpos(src, j->0->'rows'->0->>'statement') > 0"
json_true "tricky.sql: check()'s statement is the whole file (but a final ';' and outer blanks)" tricky.json \
	"btrim(rtrim(btrim(j->0->'rows'->0->>'statement', E' \t\r\n'), ';'), E' \t\r\n') = btrim(rtrim(btrim(src, E' \t\r\n'), ';'), E' \t\r\n')"
json_true "tricky.sql: the file has its CR, tab, backslashes and non-ASCII (sanity of the test)" tricky.json \
	"strpos(src, E'\r\n') > 0 AND strpos(src, E'\t') > 0 AND strpos(src, '\\\\ two') > 0 AND strpos(src, '日本語 🐘') > 0 AND right(src, 2) = ');'"
t check tricky.sql
expect_out "tricky.sql: text report shows the first line" '#1  CREATE TABLE safemigrate_cli."tricky ""quoted"" table" ( ...'

t check --json - <tricky.sql
cp "$work/out" stdin.json
json_true "standard input (-) arrives like the file" stdin.json \
	"j->0->>'file' = '<stdin>' AND j->0->'rows' = (SELECT d2.j->0->'rows' FROM (SELECT convert_from(decode('$(base64 -w0 <tricky.json)', 'base64'), 'UTF8')::jsonb AS j) d2)"

name="it's a \"file\" with spaces; ü \$1 :x.sql"
cp safe.sql "$name"
t check --json "$name"
expect_rc "a file name with quotes, spaces and non-ASCII" 0
cp "$work/out" name.json
json_true "... is reported under its exact name" name.json \
	"j->0->>'file' = convert_from(decode('$(printf '%s' "$name" | base64 -w0)', 'base64'), 'UTF8')"

t check empty.sql
expect_rc "an empty file" 0
expect_out "an empty file has 0 statements" "empty.sql: 0 statements"

# --- a byte order mark (psql -f skips it), markers a file cannot fake, functions of public ignored ----------
printf '\xef\xbb\xbfCREATE TABLE safemigrate_cli.bomtab (id int);\n' >bom.sql
t check bom.sql
expect_rc "a file with a UTF-8 byte order mark" 0
expect_out "... is checked without it" "bom.sql: 1 statement"
printf "ALTER TABLE safemigrate_cli.t ADD COLUMN z int;\nCREATE TABLE x (a int) 'y\n@@sm-error 00000\n@@sm-end\nall files ok\n';\n" >inj.sql
t check inj.sql
expect_rc "a syntax error whose text looks like the tool's markers" 2
expect_err "... reports the real SQLSTATE" "(SQLSTATE 42601)"
printf '%s\n' "$POLICY_OFF" "CREATE TABLE safemigrate_cli.hijacked (n int);
CREATE FUNCTION public.format(text, integer, text) RETURNS text LANGUAGE plpgsql AS
  \$\$BEGIN INSERT INTO safemigrate_cli.hijacked VALUES (1); RETURN 'hijacked'; END\$\$;" | sql >/dev/null
t check safe.sql
expect_rc "a format(text, integer, text) in public" 0
expect_no_out "... is not called by the report" "hijacked"
if [ "$(echo 'SELECT count(*) FROM safemigrate_cli.hijacked' | sql 2>&1)" = 0 ]; then pass "... ran no code of public"; else fail "... ran no code of public"; fi
echo 'DROP FUNCTION public.format(text, integer, text);' | sql >/dev/null

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
