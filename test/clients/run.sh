#!/usr/bin/env bash
# test/clients/run.sh: pg_safemigrate seen through real migration tools.
#
# Installs the clients when missing (Debian: python3-django, python3-psycopg2, sqitch, libdbd-pg-perl,
# nodejs/npm; npm: node-pg-migrate and pg at pinned versions into test/clients/.cache, git-ignored),
# starts its own throwaway cluster that preloads the library (the installed build: it neither builds
# nor installs), creates the extension in `postgres` (the audit database) and in one database per
# client (the policy applies only where the extension exists; checked below), and runs each client's
# scenario from its folder:
#
#   psql/             psql -v ON_ERROR_STOP=1 -f: the error with DETAIL and HINT, exit status 3, the
#                     statements before the failure applied and the ones after it not; the fix
#   node-pg-migrate/  a rejected createIndex (single transaction: nothing applied; --no-single-transaction:
#                     the migration before it applied), then pgm.noTransaction() versions applied
#   django/           makemigrations' AddIndex rejected through `manage.py migrate` (text and SQLSTATE
#                     reaching Django), then atomic = False with AddIndexConcurrently / a rewritten AddIndex
#   sqitch/           a rejected deploy (sqitch reverts the run), a safe plan deployed, verified and
#                     reverted; a revert rejected by drop-column, then its declared form
#
# Every check reads what the client printed and its bookkeeping table (psql: the catalog; pgmigrations,
# django_migrations, sqitch.changes / sqitch.events) and the catalog, and the audit rows of rejected
# statements (application_name per client).  Prints `ok - ...` / `not ok - ...` per check and finally
# `clients: N passed, M failed`.  Work files go to a temporary directory; nothing is written into the
# source tree except the npm cache.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

CLIENTS_DIR=$SM_ROOT/test/clients
CLIENTS_CACHE=$CLIENTS_DIR/.cache
# node-pg-migrate 7.x runs on Node >= 18.19 (Debian 12's nodejs is 18.19, NodeSource's 20 works too);
# 8.x needs Node 20.11.  pg: the client node-pg-migrate drives (peer dependency, < 9).
NODE_PG_MIGRATE_VERSION=${NODE_PG_MIGRATE_VERSION:-7.9.1}
NODE_PG_VERSION=${NODE_PG_VERSION:-8.13.1}
CLIENT_PACKAGES=(python3-django python3-psycopg2 sqitch libdbd-pg-perl)
PYTHON=/usr/bin/python3 # Debian's, which sees python3-django; not a pyenv python on PATH

passed=0
failed=0
finished=no
work=""
summary() {
	sm_cluster_stop
	[ -z "$work" ] || rm -rf "$work"
	if [ "$finished" != yes ]; then
		echo "not ok - the run stopped before its last check"
		failed=$((failed + 1))
	fi
	echo "clients: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
}
trap summary EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
# check NAME COMMAND...: ok when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# has FILE TEXT: FILE contains TEXT (fixed string).
has() { grep -qF -- "$2" "$1"; }
# lacks FILE TEXT
lacks() { ! grep -qF -- "$2" "$1"; }
# is ACTUAL EXPECTED: equal strings; prints both when not.
is() {
	[ "$1" = "$2" ] && return 0
	printf '    got:      %s\n    expected: %s\n' "$(tr '\n' '|' <<<"$1")" "$(tr '\n' '|' <<<"$2")"
	return 1
}
# show FILE: the output a failed check was about, indented.
show() { sed 's/^/    | /' "$1" | head -n 60; }

# q DB SQL: one value (or rows joined by |), from psql without headers.
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# audit_rejected DB APP SQLSTATE STATEMENT-PREFIX: the number of audit rows of rejected attempts.
audit_rejected() {
	q postgres "SELECT count(*) FROM safemigrate.ddl_audit
		WHERE database_name = '$1' AND application_name = '$2' AND action = 'rejected' AND outcome = 'aborted'
		  AND sqlstate = '$3' AND statement LIKE '$4%' AND message LIKE (SELECT rule FROM safemigrate.rules WHERE sqlstate = '$3') || ':%'"
}
# audit_rewritten DB APP STATEMENT-PREFIX: executed_sql of the rewritten attempts.
audit_rewritten() {
	q postgres "SELECT executed_sql FROM safemigrate.ddl_audit
		WHERE database_name = '$1' AND application_name = '$2' AND action = 'rewritten' AND outcome = 'committed'
		  AND step = 0 AND statement LIKE '$3%' ORDER BY id"
}
audit_sync() { is "$(q postgres "SELECT safemigrate.audit_wait(5000)")" t; }
# index_valid DB INDEX: t when the index exists and is valid.
index_valid() { q "$1" "SELECT coalesce((SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('$2')), false)"; }
has_column() { q "$1" "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = '$2'::regclass AND attname = '$3' AND NOT attisdropped)"; }

# --- clients -------------------------------------------------------------------
install_clients() {
	local missing=() p have_mig have_pg
	for p in "${CLIENT_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
	if [ ${#missing[@]} -gt 0 ]; then
		sm_say "installing ${missing[*]}"
		"${SUDO[@]}" apt-get update -q
		DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
	mkdir -p "$CLIENTS_CACHE/npm"
	have_mig=$(node -p 'require(process.argv[1]).version' "$CLIENTS_CACHE/npm/node_modules/node-pg-migrate/package.json" 2>/dev/null || true)
	have_pg=$(node -p 'require(process.argv[1]).version' "$CLIENTS_CACHE/npm/node_modules/pg/package.json" 2>/dev/null || true)
	if [ "$have_mig" != "$NODE_PG_MIGRATE_VERSION" ] || [ "$have_pg" != "$NODE_PG_VERSION" ]; then
		sm_say "installing node-pg-migrate@$NODE_PG_MIGRATE_VERSION pg@$NODE_PG_VERSION from npm into ${CLIENTS_CACHE#"$SM_ROOT/"}/npm"
		npm install --prefix "$CLIENTS_CACHE/npm" --no-audit --no-fund --no-save \
			"node-pg-migrate@$NODE_PG_MIGRATE_VERSION" "pg@$NODE_PG_VERSION" >"$CLIENTS_CACHE/npm-install.log" 2>&1 ||
			{ cat "$CLIENTS_CACHE/npm-install.log"; return 1; }
	fi
	NODE_PG_MIGRATE=$CLIENTS_CACHE/npm/node_modules/.bin/node-pg-migrate
	echo "clients: psql $(psql --version | awk '{print $3}'), node $(node --version), node-pg-migrate $("$NODE_PG_MIGRATE" --version 2>/dev/null | tail -1)," \
		"pg $NODE_PG_VERSION, Django $("$PYTHON" -c 'import django; print(django.get_version())')," \
		"psycopg2 $("$PYTHON" -c 'import psycopg2; print(psycopg2.__version__.split()[0])'), $(sqitch --version)"
}

sm_install_deps # PATH and PG_CONFIG; installs nothing when the project's packages are there
install_clients
start=$SECONDS
sm_cluster_start clients preload
work=$(mktemp -d /tmp/pg_safemigrate_clients_work.XXXXXX)
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION pg_safemigrate"
for db in app_psql app_node app_django app_sqitch; do
	createdb "$db"
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION pg_safemigrate"
done

# --- 0. the policy applies only in databases that have the extension (README) ---------
sm_say "a database without the extension"
createdb app_plain
out=$work/plain.out
psql -X -v ON_ERROR_STOP=1 -d app_plain -f "$CLIENTS_DIR/psql/fixture.sql" >/dev/null
psql -X -v ON_ERROR_STOP=1 -d app_plain -c "BEGIN" -c "CREATE INDEX plain_idx ON orders (customer_id)" -c "COMMIT" >"$out" 2>&1 && rc=0 || rc=$?
check "without the extension in the database, CREATE INDEX in a transaction runs as written (no rule, no rewrite)" \
	is "$rc/$(index_valid app_plain plain_idx)/$(grep -c 'pg_safemigrate\|ERROR' "$out" || true)" "0/t/0"

# --- 1. psql ------------------------------------------------------------------------
sm_say "psql"
psql -X -q -v ON_ERROR_STOP=1 -d app_psql -f "$CLIENTS_DIR/psql/fixture.sql"
(cd "$CLIENTS_DIR/psql" && psql -X -v ON_ERROR_STOP=1 -d app_psql -f migration_unsafe.sql) >"$work/psql.out" 2>"$work/psql.err" && rc=0 || rc=$?
check "psql: ON_ERROR_STOP exits with status 3 on the rejected statement" is "$rc" 3
fk_line=$(grep -n 'ADD CONSTRAINT orders_customer_fk' "$CLIENTS_DIR/psql/migration_unsafe.sql" | cut -d: -f1)
if has "$work/psql.err" "psql:migration_unsafe.sql:$fk_line: ERROR:  add-foreign-key-validating: " &&
	has "$work/psql.err" 'DETAIL:  ' &&
	has "$work/psql.err" 'HINT:  Run instead: ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;'; then
	ok "psql: the user sees the error naming the rule, at file and line, with DETAIL and the HINT's safe SQL"
else
	not_ok "psql: the user sees the error naming the rule, at file and line, with DETAIL and the HINT's safe SQL"
	show "$work/psql.err"
fi
check "psql: the rewrite of the plain CREATE INDEX is announced in a NOTICE naming the statement run" \
	has "$work/psql.err" 'NOTICE:  pg_safemigrate rewrote the statement (rule create-index-blocking): CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);'
check "psql: psql printed the statements before the failure as done (ALTER TABLE, CREATE INDEX, BEGIN) and nothing after" \
	is "$(tr '\n' ' ' <"$work/psql.out")" "ALTER TABLE CREATE INDEX BEGIN "
check "psql: the statements before the failure are applied (column note, valid index orders_customer_idx)" \
	is "$(has_column app_psql orders note)/$(index_valid app_psql orders_customer_idx)" "t/t"
check "psql: the rejected transaction left nothing (no constraint orders_customer_fk, no column shipped_at)" \
	is "$(q app_psql "SELECT count(*) FROM pg_constraint WHERE conname = 'orders_customer_fk'")/$(has_column app_psql orders shipped_at)" "0/f"
# What a user gets with \set VERBOSITY verbose: the SQLSTATE in front of the message.
psql -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d app_psql \
	-c "BEGIN; ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id); COMMIT;" \
	>"$work/psql-verbose.out" 2>&1 && rc=0 || rc=$?
check "psql: with VERBOSITY verbose the user sees SQLSTATE SM004 (exit status 1 for -c)" \
	is "$rc/$(grep -c '^ERROR:  SM004: add-foreign-key-validating: ' "$work/psql-verbose.out" || true)" "1/1"
(cd "$CLIENTS_DIR/psql" && psql -X -q -v ON_ERROR_STOP=1 -d app_psql -f migration_safe.sql) >"$work/psql-safe.out" 2>&1 && rc=0 || rc=$?
check "psql: the fix (NOT VALID, then VALIDATE) runs without an error" is "$rc/$(grep -c ERROR "$work/psql-safe.out" || true)" "0/0"
check "psql: after the fix the constraint is validated and column shipped_at exists" \
	is "$(q app_psql "SELECT convalidated FROM pg_constraint WHERE conname = 'orders_customer_fk'")/$(has_column app_psql orders shipped_at)" "t/t"

# --- 2. node-pg-migrate --------------------------------------------------------------
sm_say "node-pg-migrate $NODE_PG_MIGRATE_VERSION"
psql -X -q -v ON_ERROR_STOP=1 -d app_node -f "$CLIENTS_DIR/node-pg-migrate/fixture.sql"
nodedir=$work/node-pg-migrate
mkdir -p "$nodedir/migrations"
cp "$CLIENTS_DIR/node-pg-migrate/migrations/1764126000001_invoices_status.js" "$CLIENTS_DIR/node-pg-migrate/unsafe/"*.js "$nodedir/migrations/"
npm_migrate() { # npm_migrate OUT ARGS...: node-pg-migrate against app_node, from the work directory
	local out=$1
	shift
	(cd "$nodedir" && PGAPPNAME=sm-clients-node-pg-migrate DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/app_node" \
		"$NODE_PG_MIGRATE" "$@") >"$out" 2>&1
}
pgmigrations() { q app_node "SELECT string_agg(name, ',' ORDER BY id) FROM pgmigrations"; }

# 2a. default options: all pending migrations in one transaction.
npm_migrate "$work/node-a.out" up -m migrations && rc=0 || rc=$?
if [ "$rc" -ne 0 ] && has "$work/node-a.out" 'error: create-index-blocking: CREATE INDEX on table "public.invoices" would block writes' &&
	has "$work/node-a.out" "code: 'SM001'" &&
	has "$work/node-a.out" "schema: 'public'" && has "$work/node-a.out" "table: 'invoices'" &&
	has "$work/node-a.out" "hint: 'Run instead: CREATE INDEX CONCURRENTLY \"invoices_customer_id_index\" ON \"invoices\" (\"customer_id\");" &&
	has "$work/node-a.out" '> Rolling back attempted migration ...'; then
	ok "node-pg-migrate: the rejection reaches the user with the rule's message, code 'SM001', schema and table fields and the hint, and the run is rolled back"
else
	not_ok "node-pg-migrate: the rejection reaches the user with the rule's message, code 'SM001', schema and table fields and the hint, and the run is rolled back (exit $rc)"
	show "$work/node-a.out"
fi
check "node-pg-migrate: in the single transaction (default) nothing is applied: pgmigrations is empty, no column status" \
	is "$(pgmigrations)/$(has_column app_node invoices status)" "/f"

# 2b. --no-single-transaction: one transaction per migration.
npm_migrate "$work/node-b.out" up -m migrations --no-single-transaction && rc=0 || rc=$?
check "node-pg-migrate --no-single-transaction: fails on migration 2 with SQLSTATE SM001" \
	is "$rc/$(grep -c "code: 'SM001'" "$work/node-b.out" || true)" "1/1"
check "node-pg-migrate --no-single-transaction: migration 1 is applied (pgmigrations, column status), migration 2 is not (no index)" \
	is "$(pgmigrations)/$(has_column app_node invoices status)/$(index_valid app_node invoices_customer_id_index)" "1764126000001_invoices_status/t/f"

# 2c. the fix: migration 2 without a transaction and CONCURRENTLY; migration 3 a plain createIndex without a transaction.
rm "$nodedir/migrations/1764126000002_invoices_customer_idx.js"
cp "$CLIENTS_DIR/node-pg-migrate/migrations/"*.js "$nodedir/migrations/"
npm_migrate "$work/node-c.out" up -m migrations && rc=0 || rc=$?
if [ "$rc" -eq 0 ] && has "$work/node-c.out" 'Migrations complete!' &&
	has "$work/node-c.out" 'CREATE INDEX CONCURRENTLY "invoices_customer_id_index" ON "invoices" ("customer_id");' &&
	lacks "$work/node-c.out" 'error:'; then
	ok "node-pg-migrate: the fixed migrations (pgm.noTransaction()) run: 'Migrations complete!'"
else
	not_ok "node-pg-migrate: the fixed migrations (pgm.noTransaction()) run: 'Migrations complete!' (exit $rc)"
	show "$work/node-c.out"
fi
check "node-pg-migrate: pgmigrations lists all three migrations, and both indexes are valid" \
	is "$(pgmigrations)/$(index_valid app_node invoices_customer_id_index)/$(index_valid app_node invoices_amount_index)" \
	"1764126000001_invoices_status,1764126000002_invoices_customer_idx,1764126000003_invoices_amount_idx/t/t"

# --- 3. Django -------------------------------------------------------------------------
sm_say "Django $("$PYTHON" -c 'import django; print(django.get_version())')"
djdir=$work/django
cp -r "$CLIENTS_DIR/django" "$djdir"
rm -f "$djdir"/shop/migrations/0002_*.py "$djdir"/shop/migrations/0003_*.py
export DJANGO_DB_NAME=app_django PYTHONDONTWRITEBYTECODE=1
manage() { (cd "$djdir" && "$PYTHON" manage.py "$@"); }
django_migrations() { q app_django "SELECT string_agg(name, ',' ORDER BY id) FROM django_migrations WHERE app = 'shop'"; }
manage migrate shop 0001 >"$work/django-0001.out" 2>&1 || { show "$work/django-0001.out"; }
psql -X -q -v ON_ERROR_STOP=1 -d app_django -f "$CLIENTS_DIR/django/fixture.sql"
# The model already has its two indexes: makemigrations writes what a developer would commit.
manage makemigrations shop -n product_indexes >"$work/django-make.out" 2>&1 && rc=0 || rc=$?
check "Django: makemigrations turns the model's new indexes into two AddIndex operations" \
	is "$rc/$(grep -c 'migrations.AddIndex(' "$djdir/shop/migrations/0002_product_indexes.py" 2>/dev/null || true)" "0/2"
manage migrate >"$work/django-a.out" 2>&1 && rc=0 || rc=$?
if [ "$rc" -eq 1 ] && has "$work/django-a.out" 'django.db.utils.DatabaseError: create-index-blocking: CREATE INDEX on table "public.shop_product" would block writes' &&
	has "$work/django-a.out" 'HINT:  Run instead: CREATE INDEX CONCURRENTLY "shop_product_sku_idx" ON "shop_product" ("sku");' &&
	has "$work/django-a.out" 'DETAIL:  CREATE INDEX without CONCURRENTLY takes a ShareLock on "public.shop_product"'; then
	ok "Django: manage.py migrate fails with DatabaseError carrying the rule's message, DETAIL and HINT"
else
	not_ok "Django: manage.py migrate fails with DatabaseError carrying the rule's message, DETAIL and HINT (exit $rc)"
	show "$work/django-a.out"
fi
(cd "$djdir" && "$PYTHON" migrate_sqlstate.py) >"$work/django-b.out" 2>&1 && rc=0 || rc=$?
check "Django: the SQLSTATE reaches Django (psycopg2 pgcode SM001, diag hint with the safe SQL, diag schema and table)" \
	is "$rc/$(grep -c '^sqlstate: SM001$' "$work/django-b.out" || true)/$(grep -c '^message_hint: Run instead: CREATE INDEX CONCURRENTLY "shop_product_sku_idx"' "$work/django-b.out" || true)/$(grep -c -e '^schema_name: public$' -e '^table_name: shop_product$' "$work/django-b.out" || true)" "1/1/1/2"
check "Django: django_migrations has only 0001_initial, and neither index exists" \
	is "$(django_migrations)/$(index_valid app_django shop_product_sku_idx)/$(index_valid app_django shop_product_name_idx)" "0001_initial/f/f"
# The fix: the committed 0002 (atomic = False, AddIndexConcurrently) and 0003 (atomic = False, plain AddIndex).
rm "$djdir/shop/migrations/0002_product_indexes.py"
cp "$CLIENTS_DIR"/django/shop/migrations/000[23]_*.py "$djdir/shop/migrations/"
manage makemigrations --check --dry-run shop >"$work/django-check.out" 2>&1 && rc=0 || rc=$?
check "Django: the fixed migrations match the model (makemigrations --check: No changes detected)" \
	is "$rc/$(grep -c "No changes detected in app 'shop'" "$work/django-check.out" || true)" "0/1"
manage migrate >"$work/django-c.out" 2>&1 && rc=0 || rc=$?
if [ "$rc" -eq 0 ] && has "$work/django-c.out" 'Applying shop.0002_product_sku_idx... OK' &&
	has "$work/django-c.out" 'Applying shop.0003_product_name_idx... OK'; then
	ok "Django: migrate applies 0002 (AddIndexConcurrently) and 0003 (AddIndex, atomic = False)"
else
	not_ok "Django: migrate applies 0002 (AddIndexConcurrently) and 0003 (AddIndex, atomic = False) (exit $rc)"
	show "$work/django-c.out"
fi
check "Django: django_migrations lists 0001-0003 and both indexes are valid" \
	is "$(django_migrations)/$(index_valid app_django shop_product_sku_idx)/$(index_valid app_django shop_product_name_idx)" \
	"0001_initial,0002_product_sku_idx,0003_product_name_idx/t/t"

# --- 4. sqitch -----------------------------------------------------------------------------
sm_say "$(sqitch --version)"
psql -X -q -v ON_ERROR_STOP=1 -d app_sqitch -f "$CLIENTS_DIR/sqitch/fixture.sql"
sqdir=$work/sqitch
cp -r "$CLIENTS_DIR/sqitch" "$sqdir"
cp "$CLIENTS_DIR/sqitch/unsafe/deploy/accounts_email_idx.sql" "$sqdir/deploy/"
sq() { # sq OUT ARGS...: sqitch in the work copy of the project, against app_sqitch
	local out=$1
	shift
	(cd "$sqdir" && SQITCH_FULLNAME="pg_safemigrate tests" SQITCH_EMAIL=tests@example.invalid \
		SQITCH_USER_CONFIG=/dev/null SQITCH_SYSTEM_CONFIG=/dev/null PGAPPNAME=sm-clients-sqitch \
		SQITCH_TARGET="db:pg://postgres@127.0.0.1:$PGPORT/app_sqitch" sqitch "$@") >"$out" 2>"$out.err"
	local rc=$?
	cat "$out.err" >>"$out" # stdout first, then stderr: sqitch's progress lines stay whole
	return $rc
}
sqitch_changes() { q app_sqitch "SELECT string_agg(change, ',' ORDER BY committed_at, change) FROM sqitch.changes"; }
sqitch_events() { q app_sqitch "SELECT string_agg(event || ' ' || change, ',' ORDER BY committed_at) FROM sqitch.events"; }

idx_line=$(grep -n '^CREATE INDEX' "$CLIENTS_DIR/sqitch/unsafe/deploy/accounts_email_idx.sql" | cut -d: -f1)
sq "$work/sqitch-a.out" deploy --verify && rc=0 || rc=$?
if [ "$rc" -ne 0 ] && has "$work/sqitch-a.out" '+ accounts_email_idx ........ not ok' &&
	has "$work/sqitch-a.out" "psql:deploy/accounts_email_idx.sql:$idx_line: ERROR:  create-index-blocking: CREATE INDEX on table \"public.accounts\" would block writes" &&
	has "$work/sqitch-a.out" 'HINT:  Run instead: CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);' &&
	has "$work/sqitch-a.out" '"psql" unexpectedly returned exit value 3' &&
	has "$work/sqitch-a.out" 'Deploy failed'; then
	ok "sqitch: the rejected deploy shows psql's error with the rule, the HINT, psql's exit value 3 and 'Deploy failed'"
else
	not_ok "sqitch: the rejected deploy shows psql's error with the rule, the HINT, psql's exit value 3 and 'Deploy failed' (exit $rc)"
	show "$work/sqitch-a.out"
fi
check "sqitch: it reverted the change deployed before the failure (- accounts_status ok; no column status; no index)" \
	is "$(grep -c -- '- accounts_status ........... ok' "$work/sqitch-a.out" || true)/$(has_column app_sqitch accounts status)/$(index_valid app_sqitch accounts_email_idx)" "1/f/f"
check "sqitch: sqitch.changes is empty; sqitch.events has deploy, fail, revert" \
	is "$(sqitch_changes)/$(sqitch_events)" "/deploy accounts_status,fail accounts_email_idx,revert accounts_status"

cp "$CLIENTS_DIR/sqitch/deploy/accounts_email_idx.sql" "$sqdir/deploy/"
sq "$work/sqitch-b.out" deploy --verify && rc=0 || rc=$?
if [ "$rc" -eq 0 ] && has "$work/sqitch-b.out" '+ accounts_email_idx ........ ok' &&
	has "$work/sqitch-b.out" '+ accounts_lower_email_idx .. ok' &&
	has "$work/sqitch-b.out" 'NOTICE:  pg_safemigrate rewrote the statement (rule create-index-blocking): CREATE INDEX CONCURRENTLY accounts_lower_email_idx ON accounts (lower(email));'; then
	ok "sqitch: the safe plan deploys (CONCURRENTLY without BEGIN; a plain CREATE INDEX outside a transaction rewritten, with the NOTICE)"
else
	not_ok "sqitch: the safe plan deploys (CONCURRENTLY without BEGIN; a plain CREATE INDEX outside a transaction rewritten, with the NOTICE) (exit $rc)"
	show "$work/sqitch-b.out"
fi
check "sqitch: sqitch.changes lists the three changes; column and both indexes exist and are valid" \
	is "$(sqitch_changes)/$(has_column app_sqitch accounts status)/$(index_valid app_sqitch accounts_email_idx)/$(index_valid app_sqitch accounts_lower_email_idx)" \
	"accounts_status,accounts_email_idx,accounts_lower_email_idx/t/t/t"
sq "$work/sqitch-v.out" verify && rc=0 || rc=$?
check "sqitch: verify succeeds on every change" \
	is "$rc/$(grep -c ' \.* ok$' "$work/sqitch-v.out" || true)/$(grep -c '^Verify successful$' "$work/sqitch-v.out" || true)" "0/3/1"

# Revert with the undeclared DROP COLUMN: the two index reverts run, then drop-column stops it.
cp "$CLIENTS_DIR/sqitch/unsafe/revert/accounts_status.sql" "$sqdir/revert/"
sq "$work/sqitch-r1.out" revert -y && rc=0 || rc=$?
if [ "$rc" -ne 0 ] && has "$work/sqitch-r1.out" 'ERROR:  drop-column: ' && has "$work/sqitch-r1.out" '- accounts_status ........... not ok' &&
	has "$work/sqitch-r1.out" 'HINT:  '; then
	ok "sqitch: a revert script with an undeclared DROP COLUMN is rejected (drop-column, with its HINT)"
else
	not_ok "sqitch: a revert script with an undeclared DROP COLUMN is rejected (drop-column, with its HINT) (exit $rc)"
	show "$work/sqitch-r1.out"
fi
check "sqitch: the changes reverted before it are gone, accounts_status stays deployed with its column" \
	is "$(sqitch_changes)/$(has_column app_sqitch accounts status)/$(index_valid app_sqitch accounts_email_idx)" "accounts_status/t/f"
cp "$CLIENTS_DIR/sqitch/revert/accounts_status.sql" "$sqdir/revert/"
sq "$work/sqitch-r2.out" revert -y && rc=0 || rc=$?
check "sqitch: the declared revert (/* safemigrate: expand-contract */) runs: sqitch.changes empty, column gone" \
	is "$rc/$(sqitch_changes)/$(has_column app_sqitch accounts status)" "0//f"

# --- 5. the audit: rejected statements of each client, told apart by application_name -------
sm_say "audit rows (safemigrate.ddl_audit in postgres)"
check "audit: audit_wait(5000) returns true" audit_sync
check "audit: psql's rejected ADD FOREIGN KEY, twice (file and VERBOSITY run), application_name psql, SQLSTATE SM004" \
	is "$(audit_rejected app_psql psql SM004 'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY')" 2
check "audit: psql's rewritten CREATE INDEX ran CONCURRENTLY" \
	is "$(audit_rewritten app_psql psql 'CREATE INDEX orders_customer_idx')" "CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);"
check "audit: node-pg-migrate's rejected CREATE INDEX, twice (both runs), application_name sm-clients-node-pg-migrate, SM001" \
	is "$(audit_rejected app_node sm-clients-node-pg-migrate SM001 'CREATE INDEX "invoices_customer_id_index"')" 2
check "audit: node-pg-migrate's createIndex without a transaction was rewritten to CONCURRENTLY" \
	is "$(audit_rewritten app_node sm-clients-node-pg-migrate 'CREATE INDEX "invoices_amount_index"')" \
	'CREATE INDEX CONCURRENTLY "invoices_amount_index" ON "invoices" ("amount");'
check "audit: Django's rejected AddIndex, twice (manage.py and call_command), application_name sm-clients-django, SM001" \
	is "$(audit_rejected app_django sm-clients-django SM001 'CREATE INDEX "shop_product_sku_idx"')" 2
check "audit: Django's AddIndex in a non-atomic migration was rewritten to CONCURRENTLY" \
	is "$(audit_rewritten app_django sm-clients-django 'CREATE INDEX "shop_product_name_idx"')" \
	'CREATE INDEX CONCURRENTLY "shop_product_name_idx" ON "shop_product" ("name");'
check "audit: sqitch's rejected CREATE INDEX (SM001) and DROP COLUMN (SM017), application_name sm-clients-sqitch" \
	is "$(audit_rejected app_sqitch sm-clients-sqitch SM001 'CREATE INDEX accounts_email_idx')/$(audit_rejected app_sqitch sm-clients-sqitch SM017 'ALTER TABLE accounts DROP COLUMN status')" "1/1"
check "audit: the statement in the database without the extension is recorded as allowed, with the rule it would break" \
	is "$(q postgres "SELECT action || ' ' || outcome || ' ' || array_to_string(rules, ',') FROM safemigrate.ddl_audit WHERE database_name = 'app_plain' AND statement = 'CREATE INDEX plain_idx ON orders (customer_id)'")" \
	"allowed committed create-index-blocking"

if grep -E 'terminated by signal|was terminated by exception|PANIC:|TRAP:' "$SM_DIR_clients/server.log"; then
	not_ok "server log: a backend crashed"
else
	ok "server log: no backend crashed"
fi
echo "elapsed: $((SECONDS - start)) s (after the clients were installed)"
finished=yes
