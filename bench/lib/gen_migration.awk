# bench/lib/gen_migration.awk: deterministic generator of a fixture schema and
# a long, realistic migration script against it.  Run through bench/gen_migration.sh.
#
#   awk -v N=10000 -v SEED=42 -v OUT=dir -f gen_migration.awk
#
# writes
#   OUT/fixture.sql    50 tables with data, foreign keys and indexes: what exists
#                      before the migration (the benchmark loads it into the database)
#   OUT/migration.sql  exactly N statements (a statement ends with ';'), as a series
#                      of migration files would be concatenated, against those tables
#                      and against tables the migration creates itself
#
# The generator keeps a model of the schema (tables, columns with types, whether their
# data has NULLs, indexes, constraints, pending NOT VALID constraints), so the script
# is not only parseable but also runs without error, statement by statement, on a
# database loaded with fixture.sql (bench/check_vs_squawk.sh --verify checks that).
# Portable awk (mawk, gawk): the pseudo-random numbers are a Park-Miller generator
# computed exactly in doubles, so the output depends only on N and SEED.

BEGIN {
	if (N == "") N = 10000
	if (SEED == "") SEED = 20240615
	if (OUT == "") OUT = "."
	FIX = OUT "/fixture.sql"
	MIG = OUT "/migration.sql"
	rs = SEED % 2147483647
	if (rs <= 0) rs += 2147483646
	nstmt = 0; done = 0
	colmark = 1e9     # pickcol ignores columns above it (those added by the statement being built)
	ntab = 0; ncol = 0; nidx = 0; ncon = 0; npend = 0; nmig = 0
	vocab()
	fixture()
	migration()
	close(FIX); close(MIG)
	printf "generated %s (%d tables, %d rows) and %s (%d statements)\n", FIX, NFIX, fixrows, MIG, nstmt > "/dev/stderr"
}

# ---------------------------------------------------------------- randomness
function rnd(n) { rs = (rs * 48271) % 2147483647; return int(rs / 2147483647 * n) }
function chance(pct) { return rnd(100) < pct }
function pick(list,    a, n) { n = split(list, a, "|"); return a[1 + rnd(n)] }

# ---------------------------------------------------------------- vocabulary
function vocab(    i, n, a) {
	n = split("accounts:account users:user organizations:organization teams:team memberships:membership " \
		"projects:project tasks:task comments:comment attachments:attachment tags:tag products:product " \
		"categories:category suppliers:supplier warehouses:warehouse inventory_items:inventory_item " \
		"orders:order order_items:order_item carts:cart cart_items:cart_item invoices:invoice " \
		"invoice_lines:invoice_line payments:payment refunds:refund subscriptions:subscription plans:plan " \
		"coupons:coupon shipments:shipment addresses:address customers:customer contacts:contact leads:lead " \
		"campaigns:campaign emails:email notifications:notification sessions:session api_keys:api_key " \
		"webhooks:webhook webhook_deliveries:webhook_delivery audit_logs:audit_log events:event " \
		"feature_flags:feature_flag settings:setting documents:document document_versions:document_version " \
		"reviews:review ratings:rating tickets:ticket ticket_replies:ticket_reply LegacyImports:legacy_import " \
		"ReportCache:report_cache", a, " ")
	NFIX = n
	for (i = 1; i <= n; i++) { split(a[i], pair, ":"); fixname[i] = pair[1]; fixsing[i] = pair[2] }
	# rows per table by (index % 10): empty tables, small ones and live-sized ones
	split("200 1000 5000 20000 50000 100000 2000 10000 500 0", rowsby, " ")
	# added-column vocabulary by type family
	colv["text"] = "nickname description source channel locale timezone external_ref slug title summary reason label region display_name"
	colv["varchar"] = "short_code country_code currency sku phone postal_code vat_number"
	colv["int"] = "priority position retry_count score version sort_order rank attempts"
	colv["bigint"] = "external_id legacy_id size_bytes"
	colv["numeric"] = "discount tax_rate balance weight"
	colv["ts"] = "archived_at deleted_at processed_at expires_at synced_at last_seen_at approved_at"
	colv["bool"] = "is_archived is_verified is_public is_default needs_review"
	colv["jsonb"] = "metadata extra attributes preferences"
	colv["uuid"] = "public_id tracking_uuid"
	FAMILIES = "text|text|text|varchar|varchar|int|int|bigint|numeric|ts|ts|bool|bool|jsonb|uuid"
	SUFFIXES = "events|history|snapshots|tags|notes|exports|imports|links|audits|stats|rules|templates"
	PHRASES = "Owned by the billing team.|Set by the nightly sync job; do not write from the app.|" \
		"Deprecated: use the new column instead.|Customer''s preferred value, shown in the UI.|" \
		"Nullable until the backfill has finished.|Kept for the legacy importer (see ticket OPS-1234).|" \
		"In cents, never negative.|UTC; written by the API only.|Free text, max 1000 characters.|" \
		"One row per tenant and day; partition candidate."
	RENAMES = "note:notes status:state code:reference amount:total quantity:qty updated_at:modified_at " \
		"description:details title:headline label:caption region:area priority:urgency"
	n = split(RENAMES, a, " ")
	for (i = 1; i <= n; i++) { split(a[i], pair, ":"); renameto[pair[1]] = pair[2] }
}

# ---------------------------------------------------------------- names
function qid(name) { return (name ~ /[A-Z]/) ? "\"" name "\"" : name }
function qt(t) { return (chance(15) ? "public." : "") qid(tname[t]) }
# a new relation/constraint name, globally unique (conservative: PostgreSQL only
# needs relation names unique per schema and constraint names unique per table)
function uniq(base,    name, i) {
	base = tolower(base)
	if (length(base) > 55) base = substr(base, 1, 55)
	name = base; i = 1
	while (name in used) name = base "_" (++i)
	used[name] = 1
	return name
}
function colfree(t, name) { return !((t SUBSEP name) in colname) }
function uniqcol(t, base,    name, i) {
	name = base; i = 1
	while (!colfree(t, name)) name = base "_" (++i)
	return name
}

# ---------------------------------------------------------------- schema model
function addtable(name, sing, rows, fixed,    t) {
	t = ++ntab
	tname[t] = name; tsing[t] = sing; trows[t] = rows; tfix[t] = fixed; talive[t] = 1
	tcols[t] = ""; tidx[t] = ""; tcon[t] = ""; tinref[t] = 0
	used[tolower(name)] = 1
	if (!fixed) created[++ncreated] = t
	return t
}
# family: text varchar int bigint numeric ts bool jsonb uuid; tm: typmod
function addcol(t, name, fam, tm, notnull, nonull, key, parent,    c) {
	c = ++ncol
	ct[c] = t; cn[c] = name; cfam[c] = fam; ctm[c] = tm; cnn[c] = notnull; cnonull[c] = nonull
	ckey[c] = key; cparent[c] = parent; callnull[c] = 0; calive[c] = 1; cfk[c] = 0; cdef[c] = 0
	colname[t, name] = c
	tcols[t] = tcols[t] " " c
	return c
}
function typesql(c,    f) {
	f = cfam[c]
	if (f == "int") return "integer"
	if (f == "ts") return "timestamptz"
	if (f == "bool") return "boolean"
	if (f == "varchar") return "varchar(" ctm[c] ")"
	if (f == "numeric") return "numeric(" ctm[c] ")"
	return f
}
function addindex(t, name, cols, own,    i) {
	i = ++nidx
	iname[i] = name; itab[i] = t; icols[i] = " " cols " "; iown[i] = own; ialive[i] = 1
	tidx[t] = tidx[t] " " i
	return i
}
# kind: fk check nncheck unique; col: the column it is about; ref: referenced table
function addcon(t, name, kind, col, ref, valid,    k) {
	k = ++ncon
	kname[k] = name; ktab[k] = t; kkind[k] = kind; kcol[k] = col; kref[k] = ref; kvalid[k] = valid; kalive[k] = 1
	tcon[t] = tcon[t] " " k
	if (kind == "fk") { tinref[ref]++; cfk[col] = k }
	if (!valid) pend[++npend] = k
	return k
}
function killcon(k) {
	if (!kalive[k]) return
	kalive[k] = 0
	if (kkind[k] == "fk") { tinref[kref[k]]--; cfk[kcol[k]] = 0 }
}
function killcol(c,    t, a, n, i) {
	t = ct[c]; calive[c] = 0
	delete colname[t, cn[c]]
	n = split(tidx[t], a, " ")
	for (i = 1; i <= n; i++) if (ialive[a[i]] && index(icols[a[i]], " " c " ")) ialive[a[i]] = 0
	n = split(tcon[t], a, " ")
	for (i = 1; i <= n; i++) if (kalive[a[i]] && kcol[a[i]] == c) killcon(a[i])
}
function livecols(t, out,    a, n, i, m) {
	n = split(tcols[t], a, " "); m = 0
	for (i = 1; i <= n; i++) if (calive[a[i]]) out[++m] = a[i]
	return m
}
# a random live column of table t that passes filter f (0 if none)
function pickcol(t, f,    a, n, i, c, m, cand) {
	n = livecols(t, a); m = 0
	for (i = 1; i <= n; i++) { c = a[i]; if (cn[c] != "id" && c <= colmark && colok(c, f)) cand[++m] = c }
	return m ? cand[1 + rnd(m)] : 0
}
function colok(c, f) {
	if (f == "any") return 1
	if (f == "plain") return !ckey[c]
	if (f == "hasnulls") return !ckey[c] && !cnonull[c]
	if (f == "nonull") return cnonull[c] && !cnn[c]
	if (f == "notnull") return cnn[c]
	if (f == "check") return !ckey[c] && (cfam[c] ~ /^(int|bigint|numeric|text|varchar|ts)$/)
	if (f == "retype") return !ckey[c] && (cfam[c] ~ /^(int|text|varchar|numeric)$/)
	if (f == "fkable") return ckey[c] && cfam[c] == "bigint" && !cfk[c] && talive[cparent[c]] && (callnull[c] || tfix[cparent[c]])
	if (f == "index") return cfam[c] != "jsonb"
	return 0
}
function pickidx(t, droppable,    a, n, i, m, cand) {
	n = split(tidx[t], a, " "); m = 0
	for (i = 1; i <= n; i++) if (ialive[a[i]] && (!droppable || !iown[a[i]])) cand[++m] = a[i]
	return m ? cand[1 + rnd(m)] : 0
}
function pickcon(t, kinds,    a, n, i, m, cand) {
	n = split(tcon[t], a, " "); m = 0
	for (i = 1; i <= n; i++) if (kalive[a[i]] && index(kinds, kkind[a[i]])) cand[++m] = a[i]
	return m ? cand[1 + rnd(m)] : 0
}
# a live table: mostly the pre-existing ones, sometimes one the migration created
function picktable(    t, tries) {
	for (tries = 0; tries < 30; tries++) {
		if (ncreated > 0 && chance(30)) t = created[1 + rnd(ncreated)]
		else t = 1 + rnd(NFIX)
		if (talive[t]) return t
	}
	return 1 + rnd(NFIX)
}

# ---------------------------------------------------------------- SQL fragments
function constdefault(c,    f) {
	f = cfam[c]
	if (f == "text") return pick("'unknown'|''|'web'|'n/a'")
	if (f == "varchar") return pick("'XX'|'EUR'|'none'")
	if (f == "int" || f == "bigint") return pick("0|1|10|100")
	if (f == "numeric") return pick("0|0.00|1.5")
	if (f == "ts") return pick("now()|CURRENT_TIMESTAMP|'2024-01-01 00:00:00+00'")
	if (f == "bool") return pick("false|true|FALSE")
	if (f == "jsonb") return pick("'{}'::jsonb|'[]'::jsonb|'{\"v\": 1}'")
	return "'00000000-0000-0000-0000-000000000000'"
}
function volatiledefault(c,    f) {
	f = cfam[c]
	if (f == "ts") return pick("clock_timestamp()|timeofday()::timestamptz")
	if (f == "uuid") return "gen_random_uuid()"
	if (f == "int") return "(random() * 100)::integer"
	if (f == "bigint") return "(random() * 1e9)::bigint"
	if (f == "numeric") return "round((random() * 100)::numeric, 2)"
	if (f == "text") return "md5(random()::text)"
	if (f == "varchar") return "left(md5(random()::text), 8)"
	if (f == "bool") return "(random() < 0.5)"
	return "jsonb_build_object('seed', random())"
}
function backfillexpr(c,    f) {
	f = cfam[c]
	if (f == "text") return pick("'n/a'|md5(id::text)|concat('legacy-', id)")
	if (f == "varchar") return pick("'XX'|'EUR'|left(md5(id::text), 8)")
	if (f == "int") return pick("(id % 100)::integer|0")
	if (f == "bigint") return pick("id|0")
	if (f == "numeric") return "(id % 1000) / 10.0"
	if (f == "ts") return pick("now()|'2024-01-01'::timestamptz")
	if (f == "bool") return pick("false|(id % 2 = 0)")
	if (f == "jsonb") return "'{}'::jsonb"
	return "gen_random_uuid()"
}
function checkexpr(c,    f, q) {
	f = cfam[c]; q = qid(cn[c])
	if (f == "int" || f == "bigint" || f == "numeric") return q " >= 0"
	if (f == "text" || f == "varchar") return "char_length(" q ") <= 1000"
	return q " >= '2000-01-01'"
}
function newtm(fam) {
	if (fam == "varchar") return pick("8|16|64|100")
	if (fam == "numeric") return pick("10,2|12,4|8,3")
	return ""
}
# new column of table t: returns its id; the column exists in the model from now on
function newcol(t, fam,    c, base, a, n) {
	n = split(colv[fam], a, " "); base = a[1 + rnd(n)]
	return addcol(t, uniqcol(t, base), fam, newtm(fam), 0, trows[t] == 0, 0, 0)
}
# "ADD COLUMN ..." for a new column; deftype: none const volatile notnull
function addcolfrag(t, deftype,    c, fam, sql) {
	if (deftype == "serial") {
		c = addcol(t, uniqcol(t, pick("seq_no|import_seq|row_no")), "bigint", "", 1, 1, 0, 0)
		used[tolower(tname[t] "_" cn[c] "_seq")] = 1
		return "ADD COLUMN " cn[c] " bigserial"
	}
	fam = pick(FAMILIES)
	if (deftype == "volatile" && fam ~ /^(jsonb)$/) fam = "ts"
	c = newcol(t, fam)
	sql = "ADD COLUMN " (chance(10) ? "IF NOT EXISTS " : "") qid(cn[c]) " " typesql(c)
	if (deftype == "const") { sql = sql " DEFAULT " constdefault(c); cnonull[c] = 1; cdef[c] = 1 }
	else if (deftype == "notnull") { sql = sql " NOT NULL DEFAULT " constdefault(c); cnonull[c] = 1; cnn[c] = 1; cdef[c] = 1 }
	else if (deftype == "volatile") { sql = sql " DEFAULT " volatiledefault(c); cnonull[c] = 1; cdef[c] = 1 }
	return sql
}
function setdefaultfrag(t,    c) {
	c = pickcol(t, "plain")
	if (!c) return ""
	if (cdef[c] && chance(40)) { cdef[c] = 0; return "ALTER COLUMN " qid(cn[c]) " DROP DEFAULT" }
	cdef[c] = 1
	return "ALTER COLUMN " qid(cn[c]) " SET DEFAULT " constdefault(c)
}
function statsfrag(t,    c) {
	c = pickcol(t, "index")
	if (!c) return ""
	return "ALTER COLUMN " qid(cn[c]) " SET STATISTICS " pick("200|500|1000")
}

# ---------------------------------------------------------------- output
function emit(sql) {
	if (done) return
	print sql ";" > MIG
	if (++nstmt >= N) done = 1
}
function say(line) { if (!done) print line > MIG }

# ---------------------------------------------------------------- fixture.sql
function fixture(    t, i, p, r, pc, sql, name, c) {
	print "-- bench fixture: the schema that exists before the migration, with data." > FIX
	print "-- Generated by bench/gen_migration.sh (seed " SEED "); do not edit." > FIX
	print "SET client_min_messages = warning;" > FIX
	fixrows = 0
	for (i = 1; i <= NFIX; i++) {
		r = rowsby[1 + i % 10] + 0
		t = addtable(fixname[i], fixsing[i], r, 1)
		fixrows += r
		addcol(t, "id", "bigint", "", 1, 1, 1, 0)
		p = (t > 1) ? 1 + (t * 7) % (t - 1) : 0
		if (p) {
			# the parent column: values point at existing parent rows, NULL when the parent is empty
			pc = addcol(t, tsing[p] "_id", "bigint", "", 0, trows[p] > 0, 1, p)
			if (trows[p] == 0) callnull[pc] = 1
		}
		addcol(t, "created_at", "ts", "", 1, 1, 0, 0)
		addcol(t, "updated_at", "ts", "", 0, 1, 0, 0)
		addcol(t, "status", "text", "", 1, 1, 0, 0)
		addcol(t, "amount", "numeric", "12,2", 0, 1, 0, 0)
		addcol(t, "quantity", "int", "", 0, 1, 0, 0)
		addcol(t, "code", "varchar", "32", 0, 1, 0, 0)
		c = addcol(t, "note", "text", "", 0, trows[t] == 0, 0, 0)
		addcol(t, "is_active", "bool", "", 1, 1, 0, 0)
		used[tolower(tname[t]) "_pkey"] = 1
		addindex(t, tolower(tname[t]) "_pkey", colname[t, "id"], 1)
		print "" > FIX
		print "CREATE TABLE " qid(tname[t]) " (" > FIX
		print "    id bigint PRIMARY KEY," > FIX
		if (p) print "    " tsing[p] "_id bigint," > FIX
		print "    created_at timestamptz NOT NULL DEFAULT now()," > FIX
		print "    updated_at timestamptz," > FIX
		print "    status text NOT NULL DEFAULT 'new'," > FIX
		print "    amount numeric(12,2)," > FIX
		print "    quantity integer," > FIX
		print "    code varchar(32)," > FIX
		print "    note text," > FIX
		print "    is_active boolean NOT NULL DEFAULT true" > FIX
		print ");" > FIX
		if (r > 0) {
			sql = "INSERT INTO " qid(tname[t]) " SELECT g"
			if (p) sql = sql ", " (trows[p] > 0 ? "1 + (g * 7919) % " trows[p] : "NULL")
			sql = sql ", timestamptz '2020-01-01 00:00:00+00' + g * interval '37 seconds'" \
				", timestamptz '2021-01-01 00:00:00+00' + g * interval '11 seconds'" \
				", (ARRAY['new','active','paid','shipped','archived'])[1 + g % 5]" \
				", (g % 100000) / 100.0, g % 50, 'C-' || g" \
				", CASE WHEN g % 7 = 0 THEN NULL ELSE 'note ' || g END, g % 3 <> 0" \
				" FROM generate_series(1, " r ") AS g;"
			print sql > FIX
		}
	}
	print "" > FIX
	# foreign keys after the data (one validating scan each instead of a trigger per row)
	for (t = 2; t <= NFIX; t++) {
		if (t % 2 == 0) continue
		p = (t * 7) % (t - 1) + 1
		c = colname[t, tsing[p] "_id"]
		name = uniq(tolower(tname[t]) "_" cn[c] "_fkey")
		print "ALTER TABLE " qid(tname[t]) " ADD CONSTRAINT " name " FOREIGN KEY (" cn[c] ") REFERENCES " qid(tname[p]) " (id);" > FIX
		addcon(t, name, "fk", c, p, 1)
	}
	for (t = 1; t <= NFIX; t++) {
		if (t % 3 == 0 && t > 1) {
			p = (t * 7) % (t - 1) + 1
			c = colname[t, tsing[p] "_id"]
			name = uniq(tolower(tname[t]) "_" cn[c] "_idx")
			print "CREATE INDEX " name " ON " qid(tname[t]) " (" cn[c] ");" > FIX
			addindex(t, name, c, 0)
		}
		if (t % 4 == 0) {
			c = colname[t, "created_at"]
			name = uniq(tolower(tname[t]) "_created_at_idx")
			print "CREATE INDEX " name " ON " qid(tname[t]) " (created_at);" > FIX
			addindex(t, name, c, 0)
		}
	}
}

# ---------------------------------------------------------------- migration.sql
function migration(    r, w, i, total) {
	# recipe weights (percent of recipes, roughly; multi-statement recipes emit more)
	nrec = split("create_table:3 create_index:8 create_index_conc:9 unique_index_conc:2 " \
		"add_col:10 add_col_default:7 add_col_volatile:3 add_col_notnull:3 add_col_serial:0.3 " \
		"add_fk:3 add_fk_not_valid:4 add_col_fk:2 validate:6 add_check:2 add_check_not_valid:3 " \
		"set_not_null:2 not_null_safe:2 drop_not_null:1 alter_type:4 set_default:3 rename_column:3 " \
		"rename_table:0.4 drop_column:4 drop_index:4 drop_constraint:1 comment:8 set_timeout:3 " \
		"backfill:3 expand_contract:1.5 multi_alter:3 unique_using_index:1 storage_params:1 " \
		"analyze:1 drop_table:0.4", recs, " ")
	total = 0
	for (i = 1; i <= nrec; i++) {
		split(recs[i], w, ":"); recname[i] = w[1]; total += w[2] * 10; reccum[i] = total
	}
	print "-- bench migration: " N " statements, as a series of migration files run one after another." > MIG
	print "-- Generated by bench/gen_migration.sh (seed " SEED "); do not edit." > MIG
	while (!done) {
		if (chance(12)) {
			nmig++
			say("")
			say(sprintf("-- ===== migrations/%04d_%s.sql =====", nmig, pick("add_columns|indexes|constraints|cleanup|backfill|billing|search|reporting|auth|tenancy|audit|perf")))
		}
		r = rnd(total)
		for (i = 1; i <= nrec; i++) if (r < reccum[i]) break
		recipe(recname[i])
	}
}

function recipe(name,    t) {
	t = picktable()
	if (name == "create_table") return r_create_table()
	if (name == "create_index") return r_create_index(t, 0, 0)
	if (name == "create_index_conc") return r_create_index(t, 1, 0)
	if (name == "unique_index_conc") return r_create_index(t, 1, 1)
	if (name == "add_col") return emit("ALTER TABLE " qt(t) " " addcolfrag(t, "none"))
	if (name == "add_col_default") return emit("ALTER TABLE " qt(t) " " addcolfrag(t, "const"))
	if (name == "add_col_volatile") return emit("ALTER TABLE " qt(t) " " addcolfrag(t, "volatile"))
	if (name == "add_col_notnull") return emit("ALTER TABLE " qt(t) " " addcolfrag(t, "notnull"))
	if (name == "add_col_serial") return emit("ALTER TABLE " qt(t) " " addcolfrag(t, "serial"))
	if (name == "add_fk") return r_add_fk(t, 1)
	if (name == "add_fk_not_valid") return r_add_fk(t, 0)
	if (name == "add_col_fk") return r_add_col_fk(t)
	if (name == "validate") return r_validate()
	if (name == "add_check") return r_add_check(t, 1)
	if (name == "add_check_not_valid") return r_add_check(t, 0)
	if (name == "set_not_null") return r_set_not_null(t)
	if (name == "not_null_safe") return r_not_null_safe(t, 0)
	if (name == "drop_not_null") return r_drop_not_null(t)
	if (name == "alter_type") return r_alter_type(t)
	if (name == "set_default") return r_alter_frag(t, setdefaultfrag(t))
	if (name == "rename_column") return r_rename_column(t)
	if (name == "rename_table") return r_rename_table()
	if (name == "drop_column") return r_drop_column(t)
	if (name == "drop_index") return r_drop_index(t)
	if (name == "drop_constraint") return r_drop_constraint(t)
	if (name == "comment") return r_comment(t)
	if (name == "set_timeout") return r_set_timeout()
	if (name == "backfill") return r_backfill(t, 0)
	if (name == "expand_contract") return r_expand_contract(t)
	if (name == "multi_alter") return r_multi_alter(t)
	if (name == "unique_using_index") return r_unique_using_index(t)
	if (name == "storage_params") return emit("ALTER TABLE " qt(t) " SET (" pick("fillfactor = 90|autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01|autovacuum_enabled = true|toast_tuple_target = 256") ")")
	if (name == "analyze") return emit("ANALYZE " qt(t))
	if (name == "drop_table") return r_drop_table()
}

function r_alter_frag(t, frag) { if (frag != "") emit("ALTER TABLE " qt(t) " " frag) }

function r_create_table(    p, t, name, sing, base, fkc, fkname, c, i, n, sql, uk) {
	p = picktable()
	for (i = 0; i < 50; i++) {
		base = tsing[p] "_" pick(SUFFIXES)
		name = base; n = 1
		while ((name in used) || ((name "_pkey") in used) || ((name "_id_seq") in used)) name = base "_" (++n)
		if (length(name) <= 40) break
		p = 1 + rnd(NFIX)
	}
	sing = name
	t = addtable(name, sing, 0, 0)
	used[name "_pkey"] = 1; used[name "_id_seq"] = 1
	addcol(t, "id", "bigint", "", 1, 1, 1, 0)
	addindex(t, name "_pkey", colname[t, "id"], 1)
	fkc = addcol(t, tsing[p] "_id", "bigint", "", 1, 1, 1, p)
	callnull[fkc] = 1
	addcol(t, "name", "text", "", 1, 1, 0, 0)
	addcol(t, "created_at", "ts", "", 1, 1, 0, 0)
	sql = "CREATE TABLE " (chance(20) ? "IF NOT EXISTS " : "") qid(name) " (\n" \
		"    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
	if (!((name "_" cn[fkc] "_fkey") in used) && length(name "_" cn[fkc] "_fkey") <= 63 && chance(60)) {
		fkname = name "_" cn[fkc] "_fkey"     # PostgreSQL's own name for it
		used[fkname] = 1
		sql = sql "    " cn[fkc] " bigint NOT NULL REFERENCES " qt(p) " (id)" pick("| ON DELETE CASCADE|| ON DELETE RESTRICT") ",\n"
	} else {
		fkname = uniq(name "_" tsing[p] "_fk")
		sql = sql "    " cn[fkc] " bigint NOT NULL CONSTRAINT " fkname " REFERENCES " qt(p) " (id),\n"
	}
	addcon(t, fkname, "fk", fkc, p, 1)
	sql = sql "    name text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()"
	n = rnd(4)
	for (i = 0; i < n; i++) {
		c = newcol(t, pick(FAMILIES))
		sql = sql ",\n    " qid(cn[c]) " " typesql(c)
		if (chance(30)) { sql = sql " NOT NULL DEFAULT " constdefault(c); cnn[c] = 1; cdef[c] = 1 }
	}
	if (chance(35)) {
		uk = uniq(name "_" cn[fkc] "_name_key")
		sql = sql ",\n    CONSTRAINT " uk " UNIQUE (" cn[fkc] ", name)"
		addindex(t, uk, fkc " " colname[t, "name"], 1)
	}
	emit(sql "\n)")
	if (chance(50)) emit("CREATE INDEX " uniq(name "_created_at_idx") " ON " qid(name) " (created_at)")
}

function r_create_index(t, conc, unique,    c, c2, cols, name, sql, expr, where, idxcols, method) {
	c = pickcol(t, "index")
	if (!c) return
	idxcols = c
	expr = qid(cn[c])
	if (unique) {
		expr = expr ", id"; idxcols = c " " colname[t, "id"]
	} else if ((cfam[c] == "text" || cfam[c] == "varchar") && chance(20)) {
		expr = "lower(" qid(cn[c]) ")"
	} else if (chance(25)) {
		c2 = pickcol(t, "index")
		if (c2 && c2 != c) { expr = expr ", " qid(cn[c2]) (chance(30) ? " DESC" : ""); idxcols = idxcols " " c2 }
	}
	name = uniq(tname[t] "_" cn[c] (unique ? "_uidx" : "_idx"))
	method = (chance(10) && !unique) ? "USING btree " : ""
	sql = "CREATE " (unique ? "UNIQUE " : "") "INDEX " (conc ? "CONCURRENTLY " : "") (chance(10) ? "IF NOT EXISTS " : "") \
		name " ON " qt(t) " " method "(" expr ")"
	if (!unique && chance(5)) sql = sql " WITH (fillfactor = 80)"
	if (!unique && chance(15)) sql = sql " WHERE " qid(cn[c]) " IS NOT NULL"
	addindex(t, name, idxcols, 0)
	emit(sql)
}

function fkname(t, c) { return uniq(tname[t] "_" cn[c] "_fkey") }
function ondelete() { return pick("||| ON DELETE CASCADE| ON DELETE SET NULL| ON UPDATE CASCADE") }

function r_add_fk(t, valid,    c, k, name, p) {
	c = pickcol(t, "fkable")
	if (!c) return r_add_col_fk(t)
	p = cparent[c]
	name = fkname(t, c)
	addcon(t, name, "fk", c, p, valid)
	emit("ALTER TABLE " qt(t) " ADD CONSTRAINT " name " FOREIGN KEY (" qid(cn[c]) ") REFERENCES " qt(p) " (id)" \
		ondelete() (valid ? "" : " NOT VALID"))
}

# a new reference column and its foreign key, in one or in two statements
function r_add_col_fk(t,    p, c, name) {
	p = picktable()
	if (p == t) return
	c = addcol(t, uniqcol(t, tsing[p] "_id"), "bigint", "", 0, trows[t] == 0, 1, p)
	callnull[c] = 1
	if (chance(50)) {
		# inline REFERENCES: PostgreSQL names it <table>_<column>_fkey
		name = tname[t] "_" cn[c] "_fkey"
		if ((name in used) || name ~ /[A-Z]/ || length(name) > 63) return emit("ALTER TABLE " qt(t) " ADD COLUMN " qid(cn[c]) " bigint")
		used[name] = 1
		addcon(t, name, "fk", c, p, 1)
		return emit("ALTER TABLE " qt(t) " ADD COLUMN " qid(cn[c]) " bigint REFERENCES " qt(p) " (id)" ondelete())
	}
	emit("ALTER TABLE " qt(t) " ADD COLUMN " qid(cn[c]) " bigint")
	name = fkname(t, c)
	addcon(t, name, "fk", c, p, 0)
	emit("ALTER TABLE " qt(t) " ADD CONSTRAINT " name " FOREIGN KEY (" qid(cn[c]) ") REFERENCES " qt(p) " (id) NOT VALID")
	if (chance(60)) r_validate_k(npend)
}

function r_validate(    i, tries, k) {
	for (tries = 0; tries < 10 && npend > 0; tries++) {
		i = npend - rnd(npend < 20 ? npend : 20)      # mostly recent ones, as migrations do
		k = pend[i]
		if (kalive[k] && !kvalid[k]) return r_validate_k(i)
		pend[i] = pend[npend--]
	}
}
function r_validate_k(i,    k) {
	k = pend[i]
	pend[i] = pend[npend--]
	if (!kalive[k] || kvalid[k]) return
	kvalid[k] = 1
	emit("ALTER TABLE " qt(ktab[k]) " VALIDATE CONSTRAINT " kname[k])
}

function r_add_check(t, valid,    c, name) {
	c = pickcol(t, "check")
	if (!c) return
	name = uniq(tname[t] "_" cn[c] "_check")
	addcon(t, name, "check", c, 0, valid)
	emit("ALTER TABLE " qt(t) " ADD CONSTRAINT " name " CHECK (" checkexpr(c) ")" (valid ? "" : " NOT VALID"))
}

function r_set_not_null(t,    c) {
	c = pickcol(t, "nonull")
	if (!c) return r_not_null_safe(t, 0)
	cnn[c] = 1
	emit("ALTER TABLE " qt(t) " ALTER COLUMN " qid(cn[c]) " SET NOT NULL")
}

# the lock-friendly NOT NULL: CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK
function r_not_null_safe(t, c,    name) {
	if (!c) c = pickcol(t, "nonull")
	if (!c) return
	name = uniq(tname[t] "_" cn[c] "_not_null")
	emit("ALTER TABLE " qt(t) " ADD CONSTRAINT " name " CHECK (" qid(cn[c]) " IS NOT NULL) NOT VALID")
	emit("ALTER TABLE " qt(t) " VALIDATE CONSTRAINT " name)
	emit("ALTER TABLE " qt(t) " ALTER COLUMN " qid(cn[c]) " SET NOT NULL")
	emit("ALTER TABLE " qt(t) " DROP CONSTRAINT " name)
	cnn[c] = 1
}

function r_drop_not_null(t,    c) {
	c = pickcol(t, "notnull")
	if (!c || cn[c] == "id") return
	cnn[c] = 0
	emit("ALTER TABLE " qt(t) " ALTER COLUMN " qid(cn[c]) " DROP NOT NULL")
}

function r_alter_type(t,    c, f, to, sql, n) {
	c = pickcol(t, "retype")
	if (!c) return
	f = cfam[c]
	sql = "ALTER TABLE " qt(t) " ALTER COLUMN " qid(cn[c]) " " (chance(30) ? "SET DATA " : "") "TYPE "
	if (f == "int") {
		cfam[c] = "bigint"; ckey[c] = 0
		sql = sql "bigint" (chance(30) ? " USING " qid(cn[c]) "::bigint" : "")
	} else if (f == "varchar") {
		if (chance(40)) { cfam[c] = "text"; ctm[c] = ""; sql = sql "text" }
		else { ctm[c] = ctm[c] * 2 + 32; sql = sql "varchar(" ctm[c] ")" }
	} else if (f == "text") {
		cfam[c] = "varchar"; ctm[c] = pick("255|1000")
		sql = sql "varchar(" ctm[c] ")"
	} else {
		split(ctm[c], n, ",")
		ctm[c] = (n[1] + 4) "," n[2]
		sql = sql "numeric(" ctm[c] ")"
	}
	emit(sql)
}

function r_rename_column(t,    c, to, old) {
	c = pickcol(t, "any")
	if (!c) return
	old = cn[c]
	to = (old in renameto) ? renameto[old] : old "_old"
	to = uniqcol(t, to)
	if (length(to) > 50) return
	delete colname[t, old]
	cn[c] = to; colname[t, to] = c
	emit("ALTER TABLE " qt(t) " RENAME " (chance(80) ? "COLUMN " : "") qid(old) " TO " qid(to))
}

function r_rename_table(    t, old, to, i) {
	if (!ncreated) return
	t = created[1 + rnd(ncreated)]
	if (!talive[t]) return
	old = tname[t]
	to = uniq(old "_v2")
	if (length(to) > 50) return
	tname[t] = to
	emit("ALTER TABLE " (chance(20) ? "IF EXISTS " : "") qid(old) " RENAME TO " qid(to))
}

function r_drop_column(t,    c) {
	c = pickcol(t, "any")
	if (!c) return
	killcol(c)
	emit("ALTER TABLE " qt(t) " DROP COLUMN " (chance(25) ? "IF EXISTS " : "") qid(cn[c]))
}

function r_drop_index(t,    i, conc) {
	i = pickidx(t, 1)
	if (!i) return
	ialive[i] = 0
	conc = chance(60)
	emit("DROP INDEX " (conc ? "CONCURRENTLY " : "") (chance(40) ? "IF EXISTS " : "") (chance(15) ? "public." : "") iname[i])
}

function r_drop_constraint(t,    k) {
	k = pickcon(t, "check fk")
	if (!k) return
	killcon(k)
	emit("ALTER TABLE " qt(t) " DROP CONSTRAINT " (chance(30) ? "IF EXISTS " : "") kname[k])
}

function r_comment(t,    c, i, k, text, r) {
	text = pick(PHRASES)
	text = chance(8) ? "$$" text "$$" : "'" text "'"
	gsub(/\$\$Customer''s/, "$$Customer's", text)
	if (chance(5)) text = "NULL"
	r = rnd(10)
	if (r < 3) return emit("COMMENT ON TABLE " qt(t) " IS " text)
	if (r < 8) {
		c = pickcol(t, "any")
		if (c) return emit("COMMENT ON COLUMN " qt(t) "." qid(cn[c]) " IS " text)
	}
	if (r < 9) {
		i = pickidx(t, 1)
		if (i) return emit("COMMENT ON INDEX " iname[i] " IS " text)
	}
	k = pickcon(t, "check fk")
	if (k) return emit("COMMENT ON CONSTRAINT " kname[k] " ON " qt(t) " IS " text)
	emit("COMMENT ON TABLE " qt(t) " IS " text)
}

function r_set_timeout() {
	emit(pick("SET lock_timeout = '5s'|SET lock_timeout TO '2s'|SET statement_timeout = 0|SET statement_timeout = '15min'|RESET lock_timeout|SET lock_timeout = 3000"))
}

# batched UPDATEs that fill a column's NULLs; afterwards the column has none
function r_backfill(t, c,    rows, nb, step, i, lo, e, q) {
	if (!c) c = pickcol(t, "hasnulls")
	if (!c) return
	rows = trows[t]; e = backfillexpr(c); q = qid(cn[c])
	if (rows == 0 || chance(20)) {
		emit("UPDATE " qt(t) " SET " q " = " e " WHERE " q " IS NULL")
	} else {
		nb = 1 + rnd(4); step = int(rows / nb) + 1; lo = 1
		for (i = 1; i < nb; i++) {
			emit("UPDATE " qt(t) " SET " q " = " e " WHERE id >= " lo " AND id < " (lo + step) " AND " q " IS NULL")
			lo += step
		}
		emit("UPDATE " qt(t) " SET " q " = " e " WHERE id >= " lo " AND " q " IS NULL")
	}
	cnonull[c] = 1
}

# expand/contract: add a column, backfill it, make it NOT NULL the safe way, comment it
function r_expand_contract(t,    c, frag) {
	say("-- expand: new column, backfilled in batches, then NOT NULL without a long lock")
	frag = addcolfrag(t, "none")
	c = ncol
	emit("ALTER TABLE " qt(t) " " frag)
	if (cfam[c] != "jsonb" && chance(50)) emit("ALTER TABLE " qt(t) " ALTER COLUMN " qid(cn[c]) " SET DEFAULT " constdefault(c))
	cnonull[c] = 0
	r_backfill(t, c)
	r_not_null_safe(t, c)
	emit("COMMENT ON COLUMN " qt(t) "." qid(cn[c]) " IS '" pick(PHRASES) "'")
}

function r_multi_alter(t,    n, i, frag, sql, r) {
	n = 2 + rnd(3); sql = ""
	colmark = ncol    # ALTER COLUMN only on columns that existed before this statement
	for (i = 0; i < n; i++) {
		r = rnd(10)
		if (r < 4) frag = addcolfrag(t, "none")
		else if (r < 6) frag = addcolfrag(t, "const")
		else if (r < 8) frag = setdefaultfrag(t)
		else frag = statsfrag(t)
		if (frag != "") sql = sql (sql == "" ? "" : ",\n    ") frag
	}
	colmark = 1e9
	if (sql != "") emit("ALTER TABLE " qt(t) "\n    " sql)
}

function r_unique_using_index(t,    c, idx, name, i) {
	c = pickcol(t, "index")
	if (!c) return
	idx = uniq(tname[t] "_" cn[c] "_id_uidx")
	emit("CREATE UNIQUE INDEX CONCURRENTLY " idx " ON " qt(t) " (" qid(cn[c]) ", id)")
	name = uniq(tname[t] "_" cn[c] "_id_key")
	i = addindex(t, name, c " " colname[t, "id"], 1)
	addcon(t, name, "unique", c, 0, 1)
	emit("ALTER TABLE " qt(t) " ADD CONSTRAINT " name " UNIQUE USING INDEX " idx)
}

function r_drop_table(    t, a, n, i) {
	if (!ncreated) return
	t = created[1 + rnd(ncreated)]
	if (!talive[t] || tinref[t] > 0) return
	talive[t] = 0
	n = split(tcon[t], a, " ")
	for (i = 1; i <= n; i++) killcon(a[i])
	n = split(tidx[t], a, " ")
	for (i = 1; i <= n; i++) ialive[a[i]] = 0
	n = split(tcols[t], a, " ")
	for (i = 1; i <= n; i++) calive[a[i]] = 0
	emit("DROP TABLE " (chance(50) ? "IF EXISTS " : "") qid(tname[t]))
}
