/*-------------------------------------------------------------------------
 *
 * alter_table.cpp
 *	  ALTER TABLE: the lock of every subcommand, rewrites, scans, and the
 *	  rules about them.
 *
 *	  Locks follow PostgreSQL 15's tablecmds.c AlterTableGetLockLevel(): the
 *	  whole statement takes the strongest lock of its subcommands on the
 *	  table, so every row of the main table carries that lock.  Other
 *	  relations: the referenced table of a FOREIGN KEY (ShareRowExclusiveLock,
 *	  ATAddForeignKeyConstraint; RowShareLock for VALIDATE; AccessExclusiveLock
 *	  when the FK is dropped, RemoveTriggerById), the partition of ATTACH
 *	  (AccessExclusiveLock, ATExecAttachPartition) and DETACH, and the default
 *	  partition (AccessExclusiveLock).  Rewrites and scans follow
 *	  ATRewriteTables() and ATExecAddColumn() (see ../shared/pg-facts.md 3).
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/rules/common.hpp"

#include <algorithm>
#include <cctype>

namespace safemigrate::core {

using namespace detail;

namespace {

/* tablecmds.c AlterTableGetLockLevel(), per subcommand. */
LockMode
subcommand_lock(const Subcommand &c)
{
	switch (c.kind)
	{
		case AlterKind::SetStatistics:
		case AlterKind::SetOptions:
		case AlterKind::ResetOptions:
		case AlterKind::ClusterOn:
		case AlterKind::DropCluster:
		case AlterKind::ValidateConstraint:
		case AlterKind::AttachPartition:
		case AlterKind::DetachPartitionFinalize:
			return LockMode::ShareUpdateExclusive;
		case AlterKind::EnableDisableTrigger:
			return LockMode::ShareRowExclusive;
		case AlterKind::AddConstraint:
			return c.constraint == ConstraintKind::ForeignKey ? LockMode::ShareRowExclusive
															  : LockMode::AccessExclusive;
		case AlterKind::DetachPartition:
			return c.concurrent ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive;
		case AlterKind::SetRelOptions:
		case AlterKind::ResetRelOptions:
			return c.reloptions_lock;
		default:
			return LockMode::AccessExclusive;
	}
}

const char *
subcommand_command(const Subcommand &c)
{
	switch (c.kind)
	{
		case AlterKind::AddColumn: return "ALTER TABLE ADD COLUMN";
		case AlterKind::ColumnDefault: return "ALTER TABLE ALTER COLUMN SET/DROP DEFAULT";
		case AlterKind::DropNotNull: return "ALTER TABLE ALTER COLUMN DROP NOT NULL";
		case AlterKind::SetNotNull: return "ALTER TABLE ALTER COLUMN SET NOT NULL";
		case AlterKind::DropExpression: return "ALTER TABLE ALTER COLUMN DROP EXPRESSION";
		case AlterKind::SetStatistics: return "ALTER TABLE ALTER COLUMN SET STATISTICS";
		case AlterKind::SetOptions: return "ALTER TABLE ALTER COLUMN SET (...)";
		case AlterKind::ResetOptions: return "ALTER TABLE ALTER COLUMN RESET (...)";
		case AlterKind::SetStorage: return "ALTER TABLE ALTER COLUMN SET STORAGE";
		case AlterKind::SetCompression: return "ALTER TABLE ALTER COLUMN SET COMPRESSION";
		case AlterKind::DropColumn: return "ALTER TABLE DROP COLUMN";
		case AlterKind::AddConstraint:
			switch (c.constraint)
			{
				case ConstraintKind::Check: return "ALTER TABLE ADD CHECK";
				case ConstraintKind::ForeignKey: return "ALTER TABLE ADD FOREIGN KEY";
				case ConstraintKind::PrimaryKey: return "ALTER TABLE ADD PRIMARY KEY";
				case ConstraintKind::Unique: return "ALTER TABLE ADD UNIQUE";
				case ConstraintKind::Exclusion: return "ALTER TABLE ADD EXCLUDE";
				case ConstraintKind::None: break;
			}
			return "ALTER TABLE ADD CONSTRAINT";
		case AlterKind::AlterConstraint: return "ALTER TABLE ALTER CONSTRAINT";
		case AlterKind::ValidateConstraint: return "ALTER TABLE VALIDATE CONSTRAINT";
		case AlterKind::DropConstraint: return "ALTER TABLE DROP CONSTRAINT";
		case AlterKind::AlterColumnType: return "ALTER TABLE ALTER COLUMN TYPE";
		case AlterKind::AlterColumnGenericOptions: return "ALTER TABLE ALTER COLUMN OPTIONS";
		case AlterKind::ChangeOwner: return "ALTER TABLE OWNER TO";
		case AlterKind::ClusterOn: return "ALTER TABLE CLUSTER ON";
		case AlterKind::DropCluster: return "ALTER TABLE SET WITHOUT CLUSTER";
		case AlterKind::SetLogged: return "ALTER TABLE SET LOGGED";
		case AlterKind::SetUnLogged: return "ALTER TABLE SET UNLOGGED";
		case AlterKind::SetAccessMethod: return "ALTER TABLE SET ACCESS METHOD";
		case AlterKind::SetTableSpace: return "ALTER TABLE SET TABLESPACE";
		case AlterKind::SetRelOptions: return "ALTER TABLE SET (...)";
		case AlterKind::ResetRelOptions: return "ALTER TABLE RESET (...)";
		case AlterKind::EnableDisableTrigger: return "ALTER TABLE ENABLE/DISABLE TRIGGER";
		case AlterKind::EnableDisableRule: return "ALTER TABLE ENABLE/DISABLE RULE";
		case AlterKind::AddInherit: return "ALTER TABLE INHERIT";
		case AlterKind::DropInherit: return "ALTER TABLE NO INHERIT";
		case AlterKind::AddOf: return "ALTER TABLE OF";
		case AlterKind::DropOf: return "ALTER TABLE NOT OF";
		case AlterKind::ReplicaIdentity: return "ALTER TABLE REPLICA IDENTITY";
		case AlterKind::RowSecurity: return "ALTER TABLE ROW LEVEL SECURITY";
		case AlterKind::GenericOptions: return "ALTER TABLE OPTIONS";
		case AlterKind::AttachPartition: return "ALTER TABLE ATTACH PARTITION";
		case AlterKind::DetachPartition:
			return c.concurrent ? "ALTER TABLE DETACH PARTITION CONCURRENTLY" : "ALTER TABLE DETACH PARTITION";
		case AlterKind::DetachPartitionFinalize: return "ALTER TABLE DETACH PARTITION FINALIZE";
		case AlterKind::AddIdentity: return "ALTER TABLE ALTER COLUMN ADD GENERATED AS IDENTITY";
		case AlterKind::SetIdentity: return "ALTER TABLE ALTER COLUMN SET GENERATED";
		case AlterKind::DropIdentity: return "ALTER TABLE ALTER COLUMN DROP IDENTITY";
		case AlterKind::Other: break;
	}
	return "ALTER TABLE";
}

/* What one subcommand needs to build its texts. */
struct Ctx
{
	const Statement &stmt;
	const Subcommand &c;
	const RelationFacts &rel;
	LockMode lock;		/* the statement's lock on rel */
	std::string prefix; /* "ALTER TABLE t" as written, or built from the name */
	std::string part;	/* the subcommand as written, "" when unknown */
	std::vector<std::string> *chosen = nullptr; /* constraint names earlier subcommands of the statement chose */
	const std::vector<std::string> *inline_names = nullptr; /* ADD COLUMN: its inline constraints' names, unquoted */
};

std::string
col(const Ctx &x)
{
	return quote_ident(x.c.column);
}

/* "column \"name\"" for messages. */
std::string
column_word(const Ctx &x)
{
	return "column \"" + std::string(x.c.column) + "\"";
}

/* Texts for the rules whose danger is a table rewrite under AccessExclusiveLock. */
void
rewrite_texts(Assessment &a, const Ctx &x, std::string_view id, const std::string &what,
			  const std::string &why)
{
	a.reason = why;
	a.message = std::string(id) + ": " + what + " would rewrite " + kind_word(x.rel) + " " + quoted(x.rel);
	a.detail = takes_lock("ALTER TABLE", x.lock, x.rel) + ": " + who_waits(x.lock) +
			   " until the whole table and all its indexes have been rewritten, because " + why + ".";
}

/* Texts for the rules whose danger is a full scan while the lock is held. */
void
scan_texts(Assessment &a, const Ctx &x, std::string_view id, const std::string &what,
		   const std::string &scan)
{
	a.reason = scan + " while holding " + a_lock(x.lock);
	a.message = std::string(id) + ": " + what + " on " + kind_word(x.rel) + " " + quoted(x.rel) + " " +
				would_block(x.lock);
	a.detail = takes_lock("ALTER TABLE", x.lock, x.rel) + ": " + who_waits(x.lock) + " until " + scan + ".";
}

/* Texts for the rules about running clients breaking. */
void
breaking_texts(Assessment &a, const Ctx &x, std::string_view id, const std::string &what,
			   const std::string &breaks)
{
	a.reason = breaks;
	a.message = std::string(id) + ": " + what + " would break running clients of " + quoted(x.rel);
	a.detail = breaks + ".  The change itself is instant, but application code deployed before it "
						"fails as soon as it commits.";
}

void
expand_contract_hint(Assessment &a, const std::string &steps)
{
	a.hint = "Expand-contract: " + steps;
	if (a.rule != nullptr && a.rule->breaking)
		a.hint += "  Once the application no longer uses the old shape, declare it: start the statement "
				  "with /* safemigrate: expand-contract */.";
	a.safe_sql.push_back("-- " + steps);
}

/*
 * The name an identifier as written stands for: a quoted one without its
 * quotes, an unquoted one folded to lower case (ASCII, as PostgreSQL's
 * downcase_identifier), both cut to 63 bytes.
 */
std::string
unquoted(std::string name)
{
	std::string out;
	if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
	{
		for (std::size_t i = 1; i + 1 < name.size(); ++i)
		{
			out += name[i];
			if (name[i] == '"' && name[i + 1] == '"')
				++i;
		}
	}
	else
		for (char c : name)
			out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
	out.resize(truncate_utf8(out, 63));
	return out;
}

bool
constraint_name_taken(const Statement &stmt, std::string_view name)
{
	for (int i = 0; i < stmt.nconstraint_names; ++i)
		if (stmt.constraint_names[i] == name)
			return true;
	return false;
}

/*
 * The name a constraint the statement does not name gets: name1_name2_label,
 * or with 1, 2, ... after the label when that is taken (ChooseConstraintName).
 * Unquoted.
 */
std::string
free_constraint_name(const Ctx &x, std::string_view name1, std::string_view name2, std::string_view label)
{
	/* ChooseConstraintName(): also not a name an earlier subcommand of the same statement chose. */
	auto taken = [&](const std::string &n) {
		if (constraint_name_taken(x.stmt, n))
			return true;
		return x.chosen != nullptr && std::find(x.chosen->begin(), x.chosen->end(), n) != x.chosen->end();
	};
	std::string name = default_name(name1, name2, label);
	for (int i = 1; taken(name) && i < 1000; ++i)
		name = default_name(name1, name2, std::string(label) + std::to_string(i));
	if (x.chosen != nullptr)
		x.chosen->push_back(name);
	return name;
}

/*
 * The name of a UNIQUE / PRIMARY KEY constraint the statement does not name:
 * PostgreSQL's choice in the schema (catalog_free, ChooseRelationName()),
 * numbered on past the names earlier subcommands of the statement chose.
 * Unquoted.
 */
std::string
free_index_name(const Ctx &x, std::string_view catalog_free, std::string_view name2, bool pk)
{
	std::string_view label = pk ? "pkey" : "key";
	if (pk)
		name2 = std::string_view();
	std::string name = !catalog_free.empty() ? std::string(catalog_free) : default_name(x.rel.name, name2, label);
	for (int i = 1; x.chosen != nullptr && std::find(x.chosen->begin(), x.chosen->end(), name) != x.chosen->end() &&
					i < 1000;
		 ++i)
		name = default_name(x.rel.name, name2, std::string(label) + std::to_string(i));
	if (x.chosen != nullptr)
		x.chosen->push_back(name);
	return name;
}

/*
 * What PostgreSQL refuses when it names the statement's constraints, before
 * it builds anything: a second primary key, a name given twice, a name
 * given that an earlier constraint of the statement was given or chose, an
 * index name a relation of the schema has (not when the statement drops a
 * constraint or a column, which may free it).  Split into steps, the first
 * part would be committed before the step that fails.  The names are
 * followed in the order PostgreSQL 15 chooses them (ATParseTransformCmd):
 * USING INDEX constraints; then the index-backed ones, those of each ADD
 * COLUMN first (queued in its pass), then the table constraints in the
 * statement's order; then the CHECKs and FOREIGN KEYs the same way (an ADD
 * COLUMN's CHECKs before its REFERENCES).  Returns the subcommand and
 * PostgreSQL's message, or -1.
 */
int
names_refused(const Statement &stmt, bool drops, std::string &error)
{
	std::vector<std::string> names; /* the names the statement's constraints got so far */
	auto seen = [&](const std::string &n) { return std::find(names.begin(), names.end(), n) != names.end(); };
	auto generated = [&](std::string_view name2, const std::string &label) {
		std::string n = default_name(stmt.relation.name, name2, label);
		for (int i = 1; (seen(n) || constraint_name_taken(stmt, n)) && i < 1000; ++i)
			n = default_name(stmt.relation.name, name2, label + std::to_string(i));
		return n;
	};
	std::string rel(stmt.relation.name);
	int pks = 0;
	for (int i = 0; i < stmt.nsubcommands; ++i)
	{
		const Subcommand &c = stmt.subcommands[i];
		if (c.kind == AlterKind::AddConstraint && c.constraint == ConstraintKind::PrimaryKey)
			++pks;
		for (int k = 0; c.kind == AlterKind::AddColumn && k < c.ninline_constraints; ++k)
			pks += c.inline_constraints[k].kind == ConstraintKind::PrimaryKey;
		if (pks > 1)
		{
			error = "multiple primary keys for table \"" + rel + "\" are not allowed";
			return i;
		}
	}
	/* One name: false (and the error) when PostgreSQL refuses it. */
	auto take = [&](std::string_view explicit_name, const std::string &chosen, bool index) {
		std::string n = explicit_name.empty() ? chosen : std::string(explicit_name);
		if (!explicit_name.empty() && seen(n))
		{
			error = index ? "relation \"" + n + "\" already exists"
						  : "constraint \"" + n + "\" for relation \"" + rel + "\" already exists";
			return false;
		}
		/* (a drop may free a name: what PostgreSQL chooses then is not known here, only names given count) */
		if (!explicit_name.empty() || !drops)
			names.push_back(n);
		return true;
	};
	auto index_backed = [](ConstraintKind k) {
		return k == ConstraintKind::PrimaryKey || k == ConstraintKind::Unique || k == ConstraintKind::Exclusion;
	};
	/* Pass by pass: 7 USING INDEX, 8 index-backed, 9 CHECK and FOREIGN KEY. */
	for (int pass = 7; pass <= 9; ++pass)
	{
		for (int i = 0; pass != 7 && i < stmt.nsubcommands; ++i)
		{
			const Subcommand &c = stmt.subcommands[i];
			if (c.kind != AlterKind::AddColumn)
				continue;
			/* transformAlterTableStmt(): its CHECKs, then its FOREIGN KEYs */
			for (ConstraintKind want : {ConstraintKind::Check, ConstraintKind::ForeignKey, ConstraintKind::None})
				for (int k = 0; k < c.ninline_constraints; ++k)
				{
					const InlineConstraint &ic = c.inline_constraints[k];
					bool here = pass == 8 ? index_backed(ic.kind) && want == ConstraintKind::None : ic.kind == want;
					if (!here || ic.kind == ConstraintKind::None)
						continue;
					std::string label = ic.kind == ConstraintKind::Check		 ? "check"
										: ic.kind == ConstraintKind::ForeignKey ? "fkey"
										: ic.kind == ConstraintKind::PrimaryKey ? "pkey"
										: ic.kind == ConstraintKind::Unique		 ? "key"
																				 : "excl";
					if (!take(ic.name, ic.name.empty() ? generated(ic.kind == ConstraintKind::PrimaryKey ? "" : ic.middle, label) : "",
							  index_backed(ic.kind)))
						return i;
				}
		}
		for (int i = 0; i < stmt.nsubcommands; ++i)
		{
			const Subcommand &c = stmt.subcommands[i];
			if (c.kind != AlterKind::AddConstraint || !c.pg_error.empty())
				continue;
			bool pk = c.constraint == ConstraintKind::PrimaryKey;
			int p = c.using_index ? 7 : index_backed(c.constraint) ? 8 : 9;
			if (p != pass || c.constraint == ConstraintKind::None)
				continue;
			if (c.using_index)
			{
				/* (an unnamed one takes the index's name) */
				std::string_view name = !c.name.empty() ? c.name : c.using_index_name;
				if (!name.empty() && !take(name, "", false))
					return i;
				continue;
			}
			if (index_backed(c.constraint) && !c.name.empty() && c.index_name_taken && !drops)
			{
				error = "relation \"" + std::string(c.name) + "\" already exists";
				return i;
			}
			std::string chosen;
			if (c.name.empty() && index_backed(c.constraint))
			{
				/* ChooseIndexName(): free in the schema, then numbered on past the statement's own names */
				chosen = !c.free_index_name.empty() ? std::string(c.free_index_name)
													: default_name(stmt.relation.name, pk ? "" : c.name_columns, pk ? "pkey" : "key");
				for (int k = 1; seen(chosen) && k < 1000; ++k)
					chosen = default_name(stmt.relation.name, pk ? "" : c.name_columns,
										  (pk ? "pkey" : "key") + std::to_string(k));
			}
			else if (c.name.empty())
				chosen = generated(c.name_columns_known ? c.name_columns : c.first_column,
								   c.constraint == ConstraintKind::Check ? "check" : "fkey");
			if (!take(c.name, chosen, index_backed(c.constraint)))
				return i;
		}
	}
	return -1;
}

/*
 * A NOT VALID constraint with the subcommand's definition that an earlier,
 * interrupted run of the same statement left: the one named as the statement
 * names it, or (the statement names none) one named as PostgreSQL would have
 * named it then, name1_name2_label with or without digits.  Unquoted; empty
 * when there is none, and then the constraint is added again (PostgreSQL
 * reports a name that is taken).
 */
std::string
left_not_valid(const Ctx &x, const std::string &explicit_name, std::string_view name1, std::string_view name2,
			   std::string_view label)
{
	std::string base = default_name(name1, name2, label);
	for (int i = 0; i < x.c.nsame_not_valid; ++i)
	{
		std::string_view found = x.c.same_not_valid[i];
		if (!explicit_name.empty())
		{
			if (found == explicit_name)
				return std::string(found);
			continue;
		}
		if (found == base)
			return std::string(found);
		for (int k = 1; k < 1000; ++k)
			if (found == default_name(name1, name2, std::string(label) + std::to_string(k)))
				return std::string(found);
	}
	return "";
}

/* A step with a part the user must fill in ("<type>"): not SQL to run as it is. */
bool
has_placeholder(const std::string &step)
{
	for (const char *p : {"<type>", "<int>", "<expansion_id>", "<index name>", "<partition>", "<partition index>"})
		if (step.find(p) != std::string::npos)
			return true;
	return false;
}

/*
 * The hook can run the safe steps itself, each in its own transaction, when
 * every step is SQL: at once when the statement is this single subcommand,
 * as part of the whole statement's plan when there are several.
 */
void
mark_steps_rewritable(Assessment &a, const Ctx &x)
{
	if (a.safe_sql.empty())
		return;
	/* On a view (or anything but a table) PostgreSQL rejects the statement and the steps alike: no rewrite. */
	if (x.rel.kind != RelationKind::Table && x.rel.kind != RelationKind::PartitionedTable)
		return;
	for (const std::string &step : a.safe_sql)
		if (step.rfind("--", 0) == 0 || has_placeholder(step))
			return;
	a.steps_ok = true;
	/* Several subcommands: the policy plans the whole statement (policy.cpp split_plan). */
	a.rewritable = x.stmt.nsubcommands == 1;
}

/*
 * The steps ADD ... NOT VALID, then VALIDATE CONSTRAINT (in another
 * transaction).  label names the constraint when the statement does not
 * ("fkey", "check", as PostgreSQL's ChooseConstraintName).  False when the
 * subcommand's text is unknown (only a hint then).
 */
bool
not_valid_then_validate(Assessment &a, const Ctx &x, std::string_view label)
{
	/* The name from the parse tree when there is one: the text may spell it U&"..." (UESCAPE ...). */
	std::string explicit_name =
		!x.c.name.empty() ? std::string(x.c.name) : unquoted(constraint_name_of(x.part));
	/* The name's middle part as PostgreSQL makes it: every FK column, a CHECK's only column (else none). */
	std::string_view middle = x.c.name_columns_known ? x.c.name_columns : x.c.first_column;
	std::string left = left_not_valid(x, explicit_name, x.rel.name, middle, label);
	std::string chosen = !left.empty()			 ? left
						 : !explicit_name.empty() ? explicit_name
												  : free_constraint_name(x, x.rel.name, middle, label);
	if (x.chosen != nullptr && (!left.empty() || !explicit_name.empty()))
		x.chosen->push_back(chosen);
	a.constraint_name = chosen;
	std::string name = quote_ident(chosen);
	if (x.part.empty())
	{
		a.hint = "Add the constraint with NOT VALID, then run " + x.prefix + " VALIDATE CONSTRAINT " + name +
				 "; in a separate transaction.";
		return false;
	}
	/* An interrupted earlier run left it NOT VALID: only the validation is left to do. */
	if (left.empty())
		a.safe_sql.push_back(x.prefix + " " + with_not_valid(with_constraint_name(x.part, chosen)) + ";");
	a.safe_sql.push_back(x.prefix + " VALIDATE CONSTRAINT " + name + ";");
	a.hint = run_instead(a.safe_sql) +
			 "  NOT VALID is instant and already checks new rows; VALIDATE scans under a "
			 "ShareUpdateExclusiveLock, which blocks neither reads nor writes.";
	mark_steps_rewritable(a, x);
	return true;
}

void
add_foreign_key(Assessment &a, const Ctx &x)
{
	scan_texts(a, x, rule::add_foreign_key_validating, "ADD FOREIGN KEY",
			   "every row has been checked against " + quoted(x.c.other));
	a.detail += "  The referenced table " + quoted(x.c.other) + " is locked the same way.";
	if (x.rel.kind == RelationKind::PartitionedTable)
	{
		/* ATExecAddConstraint: "cannot add NOT VALID foreign key on partitioned table". */
		a.hint = "PostgreSQL 15 cannot add a NOT VALID foreign key to a partitioned table, so this statement has no "
				 "form without the scan: add the foreign key to each partition instead (NOT VALID, then VALIDATE "
				 "CONSTRAINT in a separate transaction), or run this statement when the table may be blocked.";
		return;
	}
	if (!x.part.empty() && constraint_name_of(x.part).empty() && x.c.first_column.empty())
	{
		a.hint = "Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a separate transaction.";
		return;
	}
	if (!not_valid_then_validate(a, x, "fkey"))
		return;
	if (!x.c.fk_columns_indexed)
		a.hint += "  No index leads with the referencing columns: consider CREATE INDEX CONCURRENTLY on "
				  "them first, or every DELETE/UPDATE of the referenced table scans " + quoted(x.rel) + ".";
}

void
add_check(Assessment &a, const Ctx &x)
{
	scan_texts(a, x, rule::add_check_validating, "ADD CHECK", "the whole table has been scanned");
	(void) not_valid_then_validate(a, x, "check");
}

void
set_not_null(Assessment &a, const Ctx &x)
{
	scan_texts(a, x, rule::set_not_null_scan, "SET NOT NULL on " + column_word(x),
			   "the whole table has been scanned for NULLs");
	if (x.c.column_composite)
	{
		/* col IS NOT NULL of a row value tests every field: no CHECK can stand for the column's NOT NULL. */
		a.hint = "The column is of a composite type, whose IS NOT NULL tests every field: no CHECK proves the "
				 "column NOT NULL for PostgreSQL, so the scan cannot be avoided.  Run SET NOT NULL when the table "
				 "can be locked for the scan (a small table, a quiet moment), or let it through with "
				 "safemigrate.allow.";
		return;
	}
	std::string left = left_not_valid(x, "", x.rel.name, x.c.column, "not_null");
	std::string name = quote_ident(!left.empty() ? left : free_constraint_name(x, x.rel.name, x.c.column, "not_null"));
	/* ALTER TABLE ONLY: the children keep their NULLs, so the helper CHECK must not reach them. */
	if (left.empty())
		a.safe_sql.push_back(x.prefix + " ADD CONSTRAINT " + name + " CHECK (" + col(x) + " IS NOT NULL)" +
							 (x.stmt.only ? " NO INHERIT" : "") + " NOT VALID;");
	a.safe_sql.push_back(x.prefix + " VALIDATE CONSTRAINT " + name + ";");
	a.safe_sql.push_back(x.prefix + " ALTER COLUMN " + col(x) + " SET NOT NULL;");
	a.safe_sql.push_back(x.prefix + " DROP CONSTRAINT " + name + ";");
	a.hint = run_instead(a.safe_sql) +
			 "  Each in its own transaction: the validated CHECK lets SET NOT NULL skip the scan "
			 "(PostgreSQL 12 and later).";
	mark_steps_rewritable(a, x);
}

/* CALL safemigrate.set_not_null('schema.t', 'col'); for each key column of the subcommand not NOT NULL yet. */
SafeSteps
set_not_null_calls(const Ctx &x)
{
	SafeSteps calls;
	for (int i = 0; i < x.c.nnullable_keys; ++i)
		calls.push_back("CALL safemigrate.set_not_null(" + sql_literal(x.rel.qualified_name) + ", " +
						sql_literal(x.c.nullable_keys[i]) + ");");
	return calls;
}

std::string
join_calls(const SafeSteps &calls)
{
	std::string out;
	for (const std::string &c : calls)
		out += (out.empty() ? "" : " ") + c;
	return out;
}

void
add_unique_or_pk(Assessment &a, const Ctx &x)
{
	bool pk = x.c.constraint == ConstraintKind::PrimaryKey;
	std::string_view id = pk ? rule::add_primary_key_blocking : rule::add_unique_blocking;
	scan_texts(a, x, id, pk ? "ADD PRIMARY KEY" : "ADD UNIQUE",
			   "the whole table has been read and the unique index built");
	std::string name = !x.c.name.empty() ? quote_ident(x.c.name) : constraint_name_of(x.part);
	if (name.empty() && !x.c.free_index_name.empty())
	{
		/* Not a name an earlier subcommand of the statement chose: ChooseRelationName() numbers on. */
		std::string free(x.c.free_index_name);
		for (int i = 1; x.chosen != nullptr && std::find(x.chosen->begin(), x.chosen->end(), free) != x.chosen->end() &&
						i < 1000;
			 ++i)
			free = pk ? default_name(x.rel.name, "", "pkey" + std::to_string(i))
					  : default_name(x.rel.name, x.c.name_columns, "key" + std::to_string(i));
		if (x.chosen != nullptr)
			x.chosen->push_back(free);
		name = quote_ident(free);
	}
	if (name.empty())
	{
		std::string cols(x.c.name_columns);
		if (cols.empty())
		{
			for (char ch : x.c.columns)
				cols += (ch == ',' ? '_' : ch);
			cols.erase(std::remove(cols.begin(), cols.end(), ' '), cols.end());
		}
		name = quote_ident(pk ? default_name(x.rel.name, "", "pkey") : default_name(x.rel.name, cols, "key"));
	}
	const char *kind = pk ? "PRIMARY KEY" : "UNIQUE";
	if (x.rel.kind == RelationKind::PartitionedTable)
	{
		a.hint = "PostgreSQL 15 cannot build a unique index concurrently on a partitioned table: build "
				 "each partition's unique index with CREATE UNIQUE INDEX CONCURRENTLY and add the constraint "
				 "to each partition with USING INDEX; the parent's constraint then only attaches them.";
		return;
	}
	if (!x.c.existing_unique_index.empty())
		a.safe_sql.push_back(x.prefix + " ADD CONSTRAINT " + name + " " + kind + " USING INDEX " +
							 std::string(x.c.existing_unique_index) + std::string(x.c.constraint_clauses) + ";");
	else if (!x.c.columns.empty())
	{
		a.safe_sql.push_back("CREATE UNIQUE INDEX CONCURRENTLY " + name + " ON " +
							 std::string(x.rel.qualified_name) + " (" + std::string(x.c.columns) + ")" +
							 std::string(x.c.index_clauses) + ";");
		a.safe_sql.push_back(x.prefix + " ADD CONSTRAINT " + name + " " + kind + " USING INDEX " + name +
							 std::string(x.c.constraint_clauses) + ";");
	}
	a.hint = a.safe_sql.empty()
				 ? std::string("Build a unique index with CREATE UNIQUE INDEX CONCURRENTLY, then ADD "
							   "CONSTRAINT ... USING INDEX.")
				 : run_instead(a.safe_sql);
	if (!x.c.existing_unique_index.empty() && !a.safe_sql.empty())
		a.hint += "  USING INDEX takes the existing index " + std::string(x.c.existing_unique_index) +
				  " and renames it to the constraint's name (instead of building a second one).";
	if (pk && x.c.pk_columns_nullable)
	{
		/* safemigrate.set_not_null() for each key column that is not NOT NULL yet, before the other steps. */
		SafeSteps calls = set_not_null_calls(x);
		a.hint = "First make the key columns NOT NULL (they are not all yet, and ADD PRIMARY KEY would scan for "
				 "NULLs under its lock), each call in its own transaction: " +
				 (calls.empty() ? std::string("CALL safemigrate.set_not_null(table, column) for each, or the steps of "
											  "rule set-not-null-scan.")
								: join_calls(calls)) +
				 "  Then: " + a.hint;
		if (!calls.empty() && !a.safe_sql.empty())
			a.safe_sql.insert(a.safe_sql.begin(), calls.begin(), calls.end());
	}
	else
		mark_steps_rewritable(a, x);
	a.hint += outside_transaction_note(x.stmt, "CREATE UNIQUE INDEX CONCURRENTLY");
}

/*
 * ADD COLUMN with inline constraints that scan or build an index, as steps:
 * the column first, its definition as written less those constraints (its
 * type, COLLATE, DEFAULT and NOT NULL stay: a non-volatile default is stored
 * once and makes NOT NULL instant; a REFERENCES on a column without a
 * default is not validated and stays too), then each constraint as its own
 * rule adds it: UNIQUE / PRIMARY KEY through CREATE UNIQUE INDEX
 * CONCURRENTLY and ADD CONSTRAINT ... USING INDEX (a PRIMARY KEY's column
 * NOT NULL in the first step, as the key makes it), CHECK and FOREIGN KEY
 * NOT VALID, then VALIDATE CONSTRAINT; each under the name PostgreSQL would
 * give it.  Not steps the hook runs itself: the column would be committed
 * before a validation that may fail on its values.  False when the texts
 * cannot be cut out of the statement.
 */
bool
add_column_steps(Assessment &a, const Ctx &x)
{
	const Subcommand &c = x.c;
	if (x.part.empty() || x.inline_names == nullptr ||
		static_cast<int>(x.inline_names->size()) != c.ninline_constraints || c.ninline_constraints <= 0)
		return false;
	std::string_view part = x.part;
	std::size_t base = add_column_name_offset(part);
	if (base == std::string_view::npos)
		return false;
	bool partitioned = x.rel.kind == RelationKind::PartitionedTable;
	std::vector<std::pair<std::size_t, std::size_t>> cut;
	SafeSteps index_steps, add_steps, validate_steps;
	std::string later; /* a partitioned table: what PostgreSQL 15 has no form without the scan for */
	bool key = false;
	for (int k = 0; k < c.ninline_constraints; ++k)
	{
		const InlineConstraint &ic = c.inline_constraints[k];
		bool index = ic.kind == ConstraintKind::PrimaryKey || ic.kind == ConstraintKind::Unique;
		bool validated = ic.kind == ConstraintKind::Check || (ic.kind == ConstraintKind::ForeignKey && c.has_default);
		if (ic.kind == ConstraintKind::Exclusion)
			return false;
		if (!index && !validated)
			continue;
		if (ic.begin < 0 || (*x.inline_names)[k].empty())
			return false;
		std::size_t b = base + static_cast<std::size_t>(ic.begin);
		std::size_t e = ic.end < 0 ? part.size() : base + static_cast<std::size_t>(ic.end);
		if (b >= e || e > part.size() || (!cut.empty() && b < cut.back().second))
			return false;
		std::string body = constraint_body(part.substr(b, e - b));
		std::string_view keyword = ic.kind == ConstraintKind::Check		 ? "CHECK"
								   : ic.kind == ConstraintKind::ForeignKey ? "REFERENCES"
								   : ic.kind == ConstraintKind::PrimaryKey ? "PRIMARY"
																		   : "UNIQUE";
		bool starts = body.size() >= keyword.size();
		for (std::size_t i = 0; starts && i < keyword.size(); ++i)
			starts = std::toupper(static_cast<unsigned char>(body[i])) == keyword[i];
		if (!starts)
			return false;
		cut.emplace_back(b, e);
		std::string name = quote_ident((*x.inline_names)[k]);
		if (index)
		{
			key |= ic.kind == ConstraintKind::PrimaryKey;
			if (partitioned)
			{
				later += "  PostgreSQL 15 cannot build a unique index concurrently on a partitioned table: build each "
						 "partition's unique index with CREATE UNIQUE INDEX CONCURRENTLY and add the constraint to "
						 "each partition with USING INDEX; then " + x.prefix + " ADD CONSTRAINT " + name +
						 (ic.kind == ConstraintKind::PrimaryKey ? " PRIMARY KEY (" : " UNIQUE (") + col(x) +
						 ") only attaches them.";
				continue;
			}
			index_steps.push_back("CREATE UNIQUE INDEX CONCURRENTLY " + name + " ON " +
								  std::string(x.rel.qualified_name) + " (" + col(x) + ")" +
								  std::string(ic.index_clauses) + ";");
			index_steps.push_back(x.prefix + " ADD CONSTRAINT " + name +
								  (ic.kind == ConstraintKind::PrimaryKey ? " PRIMARY KEY" : " UNIQUE") +
								  " USING INDEX " + name + std::string(ic.constraint_clauses) + ";");
			continue;
		}
		if (ic.kind == ConstraintKind::ForeignKey && partitioned)
		{
			/* ATExecAddConstraint: "cannot add NOT VALID foreign key on partitioned table" */
			later += "  PostgreSQL 15 cannot add a NOT VALID foreign key to a partitioned table: add the foreign key "
					 "to each partition instead (NOT VALID, then VALIDATE CONSTRAINT in a separate transaction).";
			continue;
		}
		add_steps.push_back(x.prefix + " ADD CONSTRAINT " + name + " " +
							(ic.kind == ConstraintKind::ForeignKey ? "FOREIGN KEY (" + col(x) + ") " : std::string()) +
							with_not_valid(body) + ";");
		validate_steps.push_back(x.prefix + " VALIDATE CONSTRAINT " + name + ";");
	}
	if (cut.empty())
		return false;
	/*
	 * A PRIMARY KEY makes its column NOT NULL: in the first step, instant with
	 * a default (without one the table's rows fail it, as they fail the statement).
	 */
	a.safe_sql.push_back(x.prefix + " " + without_ranges(part, cut) + (key && !c.written_not_null ? " NOT NULL" : "") +
						 ";");
	a.safe_sql.insert(a.safe_sql.end(), index_steps.begin(), index_steps.end());
	a.safe_sql.insert(a.safe_sql.end(), add_steps.begin(), add_steps.end());
	a.safe_sql.insert(a.safe_sql.end(), validate_steps.begin(), validate_steps.end());
	a.hint = run_instead(a.safe_sql) + "  Each in its own transaction: the column without " +
			 (cut.size() == 1 ? "the constraint" : "the constraints") + " is a catalog-only change" +
			 (index_steps.empty() ? "" : ", CREATE UNIQUE INDEX CONCURRENTLY blocks no writes") +
			 (add_steps.empty() ? ""
								: ", NOT VALID is instant and already checks new rows, VALIDATE scans under a "
								  "ShareUpdateExclusiveLock, which blocks neither reads nor writes") +
			 ".";
	if (!later.empty())
	{
		a.safe_sql.push_back("--" + later);
		a.hint += later;
	}
	if (!index_steps.empty())
		a.hint += outside_transaction_note(x.stmt, "CREATE UNIQUE INDEX CONCURRENTLY");
	return true;
}

/*
 * The inline constraint of ADD COLUMN whose rule applies: the strongest, but
 * a REFERENCES on a column without a default is not validated (every row is
 * NULL), so a CHECK beside it still is.
 */
ConstraintKind
checked_inline_constraint(const Subcommand &c)
{
	if (c.inline_constraint != ConstraintKind::ForeignKey || c.has_default)
		return c.inline_constraint;
	for (int k = 0; k < c.ninline_constraints; ++k)
		if (c.inline_constraints[k].kind == ConstraintKind::Check)
			return ConstraintKind::Check;
	return c.inline_constraint;
}

void
add_column(Assessment &a, const Ctx &x)
{
	const Subcommand &c = x.c;
	std::string what = "ADD COLUMN \"" + std::string(c.column) + "\"";
	std::string type = c.type_text.empty() ? std::string("<type>") : std::string(c.type_text);
	if (c.serial || (c.has_default && c.default_volatile))
	{
		if (!apply_rule(a, rule::add_column_volatile_default, x.rel, Danger::Blocking))
			return;
		std::string expr = c.serial ? std::string("nextval(...)") : std::string(c.default_text);
		rewrite_texts(a, x, rule::add_column_volatile_default, what,
					  "the default " + expr + " is volatile and is evaluated for every row");
		a.detail += "  A non-volatile default (a constant, now(), current_user) would be instant.";
		/* (a domain's own default would come back with the column: DEFAULT NULL keeps it out) */
		SafeSteps steps;
		steps.push_back(x.prefix + " ADD COLUMN " + col(x) + " " + type +
						(c.collate_text.empty() ? "" : " COLLATE " + std::string(c.collate_text)) +
						(c.default_from_domain || c.type_has_default ? " DEFAULT NULL" : "") + ";");
		if (!c.serial)
			steps.push_back(x.prefix + " ALTER COLUMN " + col(x) + " SET DEFAULT " + expr + ";");
		a.safe_sql.insert(a.safe_sql.end(), steps.begin(), steps.end());
		expand_contract_hint(a, "add the column without the default (instant)" +
									std::string(c.serial ? ", attach a sequence as its default"
														 : ", then SET DEFAULT for new rows") +
									", then fill the existing rows in batches of a few thousand, "
									"committing between batches.");
		/* What the definition also has is not in the steps: said, with how to add it after the fill. */
		std::string rest;
		if (c.not_null || c.serial)
			rest += "NOT NULL (rule set-not-null-scan), ";
		bool validated = false, indexed = false;
		for (int i = 0; i < c.ninline_constraints; ++i)
		{
			ConstraintKind k = c.inline_constraints[i].kind;
			validated |= k == ConstraintKind::Check || k == ConstraintKind::ForeignKey;
			indexed |= k == ConstraintKind::Unique || k == ConstraintKind::PrimaryKey || k == ConstraintKind::Exclusion;
		}
		if (validated)
			rest += "its CHECK / FOREIGN KEY constraints (NOT VALID, then VALIDATE), ";
		if (indexed)
			rest += "its UNIQUE / PRIMARY KEY (CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX), ";
		if (!rest.empty())
		{
			rest.resize(rest.size() - 2);
			a.safe_sql.push_back("-- after the fill, add what the column's definition also has: " + rest + ".");
			a.hint += "  After the fill, add what the column's definition also has: " + rest + ".";
		}
		a.hint = run_instead(steps) + "  " + a.hint;
		return;
	}
	if (c.identity || c.generated_stored || c.domain_constraints)
	{
		if (!apply_rule(a, rule::add_column_rewrite, x.rel, Danger::Blocking))
			return;
		std::string why = c.identity ? "an identity column gets a new value for every row"
					   : c.generated_stored ? "a stored generated column is computed for every row"
											: "the domain's constraints are checked for every row";
		rewrite_texts(a, x, rule::add_column_rewrite, what, why);
		expand_contract_hint(
			a, c.identity ? "add a plain nullable column, fill it in batches from a sequence, make it NOT "
							"NULL through a validated CHECK (see rule set-not-null-scan), then ALTER COLUMN "
							"... ADD GENERATED BY DEFAULT AS IDENTITY and setval() the sequence."
			: c.generated_stored
				? "add a plain column, keep it up to date with a trigger, fill the existing rows in "
				  "batches."
				: "add the column with the domain's base type, fill it in batches, add the domain's "
				  "checks as NOT VALID constraints and validate them.");
		return;
	}
	/* Inline constraints of the new column are checked like ADD CONSTRAINT. */
	switch (checked_inline_constraint(c))
	{
		case ConstraintKind::Check:
			if (apply_rule(a, rule::add_check_validating, x.rel, Danger::Blocking))
			{
				scan_texts(a, x, rule::add_check_validating, what + " with a CHECK constraint",
						   "the whole table has been scanned");
				if (!add_column_steps(a, x))
					a.hint = "Add the column without the constraint, then add the CHECK with NOT VALID and "
							 "VALIDATE CONSTRAINT in a separate transaction.";
			}
			return;
		case ConstraintKind::ForeignKey:
			if (!c.has_default)
				break;			/* all NULL: nothing to validate */
			if (apply_rule(a, rule::add_foreign_key_validating, x.rel, Danger::Blocking))
			{
				scan_texts(a, x, rule::add_foreign_key_validating, what + " with REFERENCES",
						   "every row has been checked against " + quoted(c.other));
				if (!add_column_steps(a, x))
					a.hint = "Add the column without REFERENCES, then ADD CONSTRAINT ... FOREIGN KEY ... NOT "
							 "VALID and VALIDATE CONSTRAINT in a separate transaction.";
			}
			return;
		case ConstraintKind::PrimaryKey:
		case ConstraintKind::Unique:
		case ConstraintKind::Exclusion:
		{
			std::string_view id = c.inline_constraint == ConstraintKind::PrimaryKey ? rule::add_primary_key_blocking
								  : c.inline_constraint == ConstraintKind::Unique  ? rule::add_unique_blocking
																				  : rule::add_exclusion_blocking;
			if (apply_rule(a, id, x.rel, Danger::Blocking))
			{
				scan_texts(a, x, id, what + " with an index-backed constraint",
						   "the whole table has been read and the index built");
				if (!add_column_steps(a, x))
					a.hint = "Add the column without the constraint, build the unique index with CREATE UNIQUE "
							 "INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX.";
			}
			return;
		}
		case ConstraintKind::None:
			break;
	}
	if (c.not_null && !c.has_default)
		a.reason = "the column has no default: the table must be empty or PostgreSQL reports an error";
	else
		a.reason = c.has_default ? "a non-volatile default is stored once in the catalog (PostgreSQL 11 "
								   "and later): no rewrite"
								 : "catalog-only change";
}


void
alter_column_type(Assessment &a, const Ctx &x)
{
	if (x.stmt.composite_type)
	{
		/*
		 * ALTER TYPE ... ALTER ATTRIBUTE: the type itself has no rows; its
		 * typed tables (CASCADE) are altered as if ALTER TABLE had run.
		 */
		bool work = x.c.type_rewrites || x.c.indexes_rebuilt > 0 || x.c.checks_revalidated > 0;
		if (x.stmt.npartners == 0 || !work)
		{
			a.reason = x.stmt.npartners == 0 ? "a composite type no table is of: catalog-only change"
											 : "the new type is binary-coercible: its typed tables are not rewritten";
			return;
		}
		a.rewrites = x.c.type_rewrites;
		if (!apply_rule(a, rule::alter_column_type_rewrite, x.rel, Danger::Blocking))
			return;
		std::string type = x.c.type_text.empty() ? std::string("<type>") : std::string(x.c.type_text);
		std::string tables = std::to_string(x.stmt.npartners) + " table(s) of that type";
		std::string what = x.c.type_rewrites ? "rewrite the " + tables
											 : "rebuild " + std::to_string(x.c.indexes_rebuilt) +
												   " index(es) and re-check " + std::to_string(x.c.checks_revalidated) +
												   " CHECK constraint(s) of the " + tables;
		a.reason = x.c.type_rewrites ? std::string("every table of the type is rewritten")
									 : "every table of the type is read: " + what;
		a.message = std::string(rule::alter_column_type_rewrite) + ": ALTER ATTRIBUTE \"" + std::string(x.c.column) +
					"\" TYPE " + type + " of type " + quoted(x.rel) + " would " + what;
		a.detail = "Each table of the type is locked AccessExclusive while PostgreSQL does it: every query on it "
				   "waits until then.";
		a.hint = "Take the tables off the type first (ALTER TABLE ... NOT OF, catalog-only), change their column "
				 "with expand-contract (safemigrate.expand_alter_column_type), and then the type alone, which no "
				 "table uses any more (catalog-only).";
		return;
	}
	if (!x.c.type_rewrites && x.c.indexes_rebuilt == 0 && x.c.checks_revalidated == 0)
	{
		a.reason = "the new type is binary-coercible: no rewrite, and the indexes and constraints on the column "
				   "are kept";
		return;
	}
	if (!x.c.type_rewrites)
	{
		/*
		 * No table rewrite, but what depends on the column is re-created
		 * (ATPostAlterTypeCleanup): an index that cannot keep its storage is
		 * built again (TryReuseIndex / CheckIndexCompatible fail), a
		 * validated CHECK is validated again; either reads the whole table
		 * while the AccessExclusiveLock is held.
		 */
		if (!apply_rule(a, rule::alter_column_type_rewrite, x.rel, Danger::Blocking))
			return;
		std::string type = x.c.type_text.empty() ? std::string("<type>") : std::string(x.c.type_text);
		std::string work;
		if (x.c.indexes_rebuilt > 0)
			work = "rebuild " + std::to_string(x.c.indexes_rebuilt) + " index(es)";
		if (x.c.checks_revalidated > 0)
			work += (work.empty() ? "" : " and ") + std::string("re-check ") +
					std::to_string(x.c.checks_revalidated) + " CHECK constraint(s) on every row";
		a.reason = "no rewrite, but it would " + work;
		a.message = std::string(rule::alter_column_type_rewrite) + ": ALTER COLUMN \"" +
					std::string(x.c.column) + "\" TYPE " + type + " would " + work + " of " + kind_word(x.rel) +
					" " + quoted(x.rel);
		a.detail = takes_lock("ALTER TABLE", x.lock, x.rel) + ": " + who_waits(x.lock) +
				   " until the table has been read to " + work +
				   " (PostgreSQL re-creates what depends on the column: an index whose definition changes with "
				   "the type, collation or operator class, an expression, partial or partition index, a "
				   "validated CHECK); the table itself is not rewritten.";
		if (x.c.indexes_rebuilt == 0 && x.c.ncheck_defs == x.c.checks_revalidated)
		{
			/* Only CHECKs: take them off for the change, put them back NOT VALID, validate after. */
			std::string change = x.part.empty() ? "ALTER COLUMN " + col(x) + " TYPE " + type : x.part;
			a.safe_sql.push_back("BEGIN;");
			for (int i = 0; i < x.c.ncheck_defs; ++i)
				a.safe_sql.push_back(x.prefix + " DROP CONSTRAINT " + quote_ident(x.c.check_names[i]) + ";");
			a.safe_sql.push_back(x.prefix + " " + change + ";");
			for (int i = 0; i < x.c.ncheck_defs; ++i)
				a.safe_sql.push_back(x.prefix + " ADD CONSTRAINT " + quote_ident(x.c.check_names[i]) + " " +
									 std::string(x.c.check_defs[i]) + " NOT VALID;");
			a.safe_sql.push_back("COMMIT;");
			for (int i = 0; i < x.c.ncheck_defs; ++i)
				a.safe_sql.push_back(x.prefix + " VALIDATE CONSTRAINT " + quote_ident(x.c.check_names[i]) + ";");
			a.hint = run_instead(a.safe_sql) +
					 "  The CHECK constraint(s) come off for the type change and back NOT VALID in one short "
					 "transaction (new rows are checked all along); VALIDATE scans under a "
					 "ShareUpdateExclusiveLock, which blocks neither reads nor writes.";
			return;
		}
		std::string tmp = quote_ident(std::string(x.c.column) + "_new");
		a.safe_sql.push_back(x.prefix + " ADD COLUMN " + tmp + " " + type + ";");
		expand_contract_hint(a, "add " + tmp + " " + type +
									" (instant), keep it in sync with a trigger, fill it in batches, build its "
									"indexes with CREATE INDEX CONCURRENTLY, then swap the names in one short "
									"transaction.");
		return;
	}
	if (!apply_rule(a, rule::alter_column_type_rewrite, x.rel, Danger::Blocking))
		return;
	std::string type = x.c.type_text.empty() ? std::string("<type>") : std::string(x.c.type_text);
	rewrite_texts(a, x, rule::alter_column_type_rewrite, "ALTER COLUMN \"" + std::string(x.c.column) + "\" TYPE " + type,
				  "the new type is not binary-coercible from the old one");
	std::string tmp = quote_ident(std::string(x.c.column) + "_new");
	std::string helper = "CALL safemigrate.expand_alter_column_type(" + sql_literal(x.rel.qualified_name) + ", " +
						 sql_literal(x.c.column) + ", " + sql_literal(type);
	/* The statement's own USING expression, passed on as written; a placeholder when it cannot be cut out. */
	std::optional<std::string> using_expr = x.c.type_using ? using_expression(x.part) : std::nullopt;
	if (using_expr)
		helper += ", using_expr => " + sql_literal(*using_expr);
	helper += ")";
	std::string using_note = using_expr	   ? ""
							 : x.c.type_using ? " (add using_expr => '...' with the USING expression)"
											  : " (add using_expr => '...' for a USING expression)";
	/* The helper adds the column itself (an ADD COLUMN first would make it refuse): its call is the step. */
	if (x.c.type_using && !using_expr)
		a.safe_sql.push_back("-- " + helper.substr(0, helper.size() - 1) +
							 ", using_expr => '<the USING expression>');");
	else
		a.safe_sql.push_back(helper + ";");
	expand_contract_hint(a, "add " + tmp + " " + type +
								" (instant), keep it in sync with a trigger on INSERT and UPDATE, fill "
								"the existing rows in batches, move readers to it, then in one short "
								"transaction drop the trigger and swap the names; drop the old column "
								"once nothing uses it.  " + helper + " does the expand steps" + using_note +
								", CALL safemigrate.contract(<expansion_id>) the swap.");
}

/* One row per subcommand on the main table, plus rows for other relations. */
void
classify_subcommand(const Ctx &x, Assessments &out)
{
	const Subcommand &c = x.c;
	Assessment &a = add_row(out, subcommand_command(c), x.rel, x.lock);
	if (c.missing_noop)
	{
		a.reason = "the column does not exist: IF EXISTS makes the subcommand a no-op";
		return;
	}

	switch (c.kind)
	{
		case AlterKind::AddColumn:
			a.rewrites = c.serial || (c.has_default && c.default_volatile) || c.identity ||
						 c.generated_stored || c.domain_constraints;
			/*
			 * A new column without a default is all NULL: a REFERENCES on it
			 * is not validated (transformAlterTableStmt skips it), other
			 * inline constraints are checked by a scan or an index build.
			 */
			a.scans = a.rewrites || (c.not_null && !c.has_default) ||
					  (checked_inline_constraint(c) != ConstraintKind::None &&
					   !(checked_inline_constraint(c) == ConstraintKind::ForeignKey && !c.has_default));
			add_column(a, x);
			if (c.inline_constraint == ConstraintKind::ForeignKey && c.other.exists &&
				!c.other.qualified_name.empty())
				add_row(out, subcommand_command(c), c.other, LockMode::ShareRowExclusive).reason =
					"the referenced table of the new foreign key";
			return;

		case AlterKind::SetNotNull:
			a.breaks_clients = !c.has_default && !c.already_not_null;
			if (c.already_not_null)
			{
				a.reason = "the column is already NOT NULL: nothing to do";
				return;
			}
			if (c.not_null_implied)
			{
				a.reason = "a valid CHECK constraint proves the column is not null: no scan (PostgreSQL "
						   "12 and later)";
				return;
			}
			a.scans = true;
			if (apply_rule(a, rule::set_not_null_scan, x.rel, Danger::Blocking))
				set_not_null(a, x);
			return;

		case AlterKind::DropColumn:
			a.breaks_clients = true;
			if (apply_rule(a, rule::drop_column, x.rel, Danger::Breaking))
			{
				breaking_texts(a, x, rule::drop_column, "DROP COLUMN \"" + std::string(c.column) + "\"",
							   "Queries, inserts and ORM models that still name column " + col(x) +
								   " fail");
				expand_contract_hint(a, "stop reading and writing the column in the application (ORMs: "
										"mark it ignored), deploy, then drop it.");
			}
			return;

		case AlterKind::AlterColumnType:
			a.rewrites = c.type_rewrites;
			a.scans = c.type_rewrites || c.indexes_rebuilt > 0 || c.checks_revalidated > 0;
			a.breaks_clients = c.type_rewrites;
			alter_column_type(a, x);
			return;

		case AlterKind::AddConstraint:
			switch (c.constraint)
			{
				case ConstraintKind::Check:
					if (c.not_valid)
					{
						a.reason = "NOT VALID: only new rows are checked, no scan";
						return;
					}
					a.scans = true;
					if (apply_rule(a, rule::add_check_validating, x.rel, Danger::Blocking))
						add_check(a, x);
					return;
				case ConstraintKind::ForeignKey:
				{
					bool validate = !c.not_valid;
					a.scans = validate;
					if (!validate)
						a.reason = "NOT VALID: only new rows are checked, no scan";
					else if (apply_rule(a, rule::add_foreign_key_validating, x.rel, Danger::Blocking))
						add_foreign_key(a, x);
					if (c.other.exists && !c.other.qualified_name.empty())
					{
						Assessment &r = add_row(out, subcommand_command(c), c.other, LockMode::ShareRowExclusive);
						r.scans = validate;
						r.reason = "the referenced table: its writes wait while the constraint is added";
					}
					return;
				}
				case ConstraintKind::PrimaryKey:
				case ConstraintKind::Unique:
					if (c.using_index)
					{
						a.scans = c.constraint == ConstraintKind::PrimaryKey && c.pk_columns_nullable;
						a.reason = "USING INDEX reuses an existing index: catalog-only";
						if (a.scans && apply_rule(a, rule::set_not_null_scan, x.rel, Danger::Blocking))
						{
							scan_texts(a, x, rule::set_not_null_scan, "ADD PRIMARY KEY ... USING INDEX",
									   "the whole table has been scanned for NULLs in the key columns");
							SafeSteps calls = set_not_null_calls(x);
							if (!calls.empty() && !x.part.empty())
							{
								/* each key column NOT NULL through safemigrate.set_not_null(), then the statement */
								a.safe_sql = calls;
								a.safe_sql.push_back(x.prefix + " " + x.part + ";");
								a.hint = "First make every key column NOT NULL without a scan, each call in its own "
										 "transaction; then ADD PRIMARY KEY ... USING INDEX is catalog-only.  " +
										 run_instead(a.safe_sql);
							}
							else
								a.hint = "First make every key column NOT NULL without a scan: ADD CONSTRAINT ... "
										 "CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, ALTER COLUMN col "
										 "SET NOT NULL, DROP CONSTRAINT; then ADD PRIMARY KEY ... USING INDEX is "
										 "catalog-only.";
						}
						return;
					}
					a.scans = true;
					if (apply_rule(a,
								   c.constraint == ConstraintKind::PrimaryKey ? rule::add_primary_key_blocking
																			  : rule::add_unique_blocking,
								   x.rel, Danger::Blocking))
						add_unique_or_pk(a, x);
					return;
				case ConstraintKind::Exclusion:
					a.scans = true;
					if (apply_rule(a, rule::add_exclusion_blocking, x.rel, Danger::Blocking))
					{
						scan_texts(a, x, rule::add_exclusion_blocking, "ADD EXCLUDE",
								   "the whole table has been read and the exclusion index built");
						expand_contract_hint(a, "PostgreSQL has no concurrent form of an exclusion "
												"constraint: build it on a new table and move the data "
												"in batches, or schedule the statement when the table can "
												"be locked for the whole build.");
					}
					return;
				case ConstraintKind::None:
					return;
			}
			return;

		case AlterKind::ValidateConstraint:
			a.scans = true;
			/*
			 * With another subcommand that takes a stronger lock (ADD ... NOT
			 * VALID in the same statement), the scan runs under that lock.
			 */
			if (x.lock > LockMode::ShareUpdateExclusive)
			{
				std::string_view id = c.constraint == ConstraintKind::ForeignKey ? rule::add_foreign_key_validating
																				  : rule::add_check_validating;
				if (apply_rule(a, id, x.rel, Danger::Blocking))
				{
					scan_texts(a, x, id, "VALIDATE CONSTRAINT", "the whole table has been scanned");
					a.detail += "  Alone, VALIDATE CONSTRAINT takes a ShareUpdateExclusiveLock, which blocks neither "
								"reads nor writes; here another subcommand of the statement takes the stronger lock.";
					if (!x.part.empty())
						a.safe_sql.push_back(x.prefix + " " + x.part + ";");
					a.hint = a.safe_sql.empty() ? std::string("Run VALIDATE CONSTRAINT as a statement of its own.")
												: "Run VALIDATE CONSTRAINT as a statement of its own, after the "
												  "others: " + run_instead(a.safe_sql);
					mark_steps_rewritable(a, x);
				}
			}
			else
			{
				a.category = Category::Concurrent;
				a.reason = "VALIDATE CONSTRAINT scans under a ShareUpdateExclusiveLock, which blocks neither "
						   "reads nor writes";
			}
			if (c.constraint == ConstraintKind::ForeignKey && c.other.exists &&
				!c.other.qualified_name.empty())
				add_row(out, subcommand_command(c), c.other, LockMode::RowShare).reason =
					"the referenced table, read during validation";
			return;

		case AlterKind::DropConstraint:
			a.reason = "catalog-only change";
			if (c.constraint == ConstraintKind::ForeignKey && c.other.exists &&
				!c.other.qualified_name.empty())
				add_row(out, subcommand_command(c), c.other, LockMode::AccessExclusive).reason =
					"dropping a foreign key removes its triggers from the referenced table";
			return;

		case AlterKind::SetLogged:
		case AlterKind::SetUnLogged:
		case AlterKind::SetAccessMethod:
		case AlterKind::SetTableSpace:
		{
			if (!c.changes_storage)
			{
				a.reason = "the table already has this property: nothing to do";
				return;
			}
			if (x.rel.kind == RelationKind::PartitionedTable)
			{
				a.reason = "a partitioned table has no storage of its own: only partitions created later "
						   "get the new property";
				return;
			}
			a.rewrites = true;
			a.scans = true;
			std::string_view id = c.kind == AlterKind::SetAccessMethod ? rule::set_access_method_rewrite
								  : c.kind == AlterKind::SetTableSpace ? rule::set_tablespace_copy
																	   : rule::set_logged_rewrite;
			if (!apply_rule(a, id, x.rel, Danger::Blocking))
				return;
			std::string what = subcommand_command(c) + 12; /* without "ALTER TABLE " */
			rewrite_texts(a, x, id, what,
						  c.kind == AlterKind::SetTableSpace ? "every block of it is copied to the new tablespace"
						  : c.kind == AlterKind::SetAccessMethod
							  ? "every row is rewritten by the new access method"
							  : "the table's persistence changes, which writes a new copy of it");
			if (c.kind == AlterKind::SetTableSpace)
				a.detail = takes_lock("ALTER TABLE", x.lock, x.rel) + ": " + who_waits(x.lock) +
						   " until every block of the table (not its indexes) has been copied to the new "
						   "tablespace.";
			expand_contract_hint(a, "create a new table with the new property, copy the rows in batches "
									"while a trigger mirrors new writes, then swap the names in one short "
									"transaction.");
			return;
		}

		case AlterKind::AttachPartition:
		{
			a.reason = "the parent is only locked with a ShareUpdateExclusiveLock";
			if (c.other.qualified_name.empty())
				return;
			Assessment &p = add_row(out, subcommand_command(c), c.other, LockMode::AccessExclusive);
			bool scan = !c.partition_constraint_implied;
			bool build = c.indexes_built > 0;
			bool fks = c.fks_validated > 0;
			if (!scan && !build && !fks)
			{
				p.reason = "a valid CHECK constraint implies the partition bound: no scan";
			}
			else if (!scan && !build)
			{
				/* Only the parent's foreign keys it lacks: added to it and validated on every row. */
				p.scans = true;
				if (apply_rule(p, rule::attach_partition_scan, c.other, Danger::Blocking))
				{
					Ctx px{x.stmt, c, c.other, LockMode::AccessExclusive, x.prefix, x.part};
					std::string n = std::to_string(c.fks_validated);
					scan_texts(p, px, rule::attach_partition_scan, "ATTACH PARTITION",
							   "every row has been checked against the " + n +
								   " foreign key(s) of the parent it lacks");
					p.hint = "First add to " + quoted(c.other) +
							 " (a partitioned table: to each of its partitions) each foreign key of the parent it "
							 "lacks (the same columns, referenced table and actions), NOT VALID, then VALIDATE "
							 "CONSTRAINT (no blocking): ATTACH PARTITION then takes them over instead of validating "
							 "copies under its lock.";
				}
			}
			else
			{
				p.scans = true;
				if (apply_rule(p, rule::attach_partition_scan, c.other, Danger::Blocking))
				{
					Ctx px{x.stmt, c, c.other, LockMode::AccessExclusive, x.prefix, x.part};
					std::string indexes = std::to_string(c.indexes_built) +
										  (c.indexes_built == 1 ? " index of the parent it lacks has"
																: " indexes of the parent it lacks have");
					scan_texts(p, px, rule::attach_partition_scan, "ATTACH PARTITION",
							   scan && build ? "every row has been checked against the partition bound and the " +
												   indexes + " been built"
							   : scan		 ? std::string("every row has been checked against the partition bound")
											 : "the " + indexes + " been built");
					if (scan)
						p.hint = "First add a CHECK constraint on " + quoted(c.other) +
								 " that matches the partition bound, NOT VALID, and VALIDATE it (no "
								 "blocking); ATTACH PARTITION then skips the scan; drop the CHECK afterwards.";
					if (build)
						p.hint += std::string(scan ? "  " : "") + "First build on " + quoted(c.other) +
								  " each index of the parent it lacks with CREATE INDEX CONCURRENTLY (the same "
								  "columns, operator classes and predicate): ATTACH PARTITION then attaches "
								  "them instead of building them under its lock.";
					if (fks)
						p.hint += "  Add to it each foreign key of the parent it lacks NOT VALID and VALIDATE "
								  "it first: ATTACH PARTITION then takes them over instead of validating copies.";
				}
			}
			/* A partitioned table attached: its partitions are locked (and checked, built) too. */
			add_children(out, subcommand_command(c), c.other, LockMode::AccessExclusive, false, false);
			if (c.has_default_partition)
			{
				add_children(out, subcommand_command(c), c.default_partition, LockMode::AccessExclusive, false, false);
				Assessment &d = add_row(out, subcommand_command(c), c.default_partition, LockMode::AccessExclusive);
				if (c.default_partition_implied)
					d.reason = "the default partition's CHECK constraints keep out the new partition's rows: no scan";
				else
				{
					d.scans = true;
					d.reason = "the default partition is scanned for rows that belong to the new partition";
					if (apply_rule(d, rule::attach_partition_scan, c.default_partition, Danger::Blocking))
					{
						Ctx dx{x.stmt, c, c.default_partition, LockMode::AccessExclusive, x.prefix, x.part};
						scan_texts(d, dx, rule::attach_partition_scan, "ATTACH PARTITION",
								   "every row of the default partition has been checked for rows of the new "
								   "partition's bound");
						d.hint = "First add to the default partition " + quoted(c.default_partition) +
								 " a CHECK constraint that keeps out the new partition's bound (NOT (bound "
								 "condition)), NOT VALID, then VALIDATE it (no blocking): ATTACH PARTITION then "
								 "skips the scan.  Rows of that range must move out of the default partition "
								 "first.";
					}
				}
			}
			/* The tables the parent's foreign keys reference: the copies' triggers are created there. */
			for (int i = 0; i < c.nfk_referenced; ++i)
			{
				bool takeover = c.fk_referenced_locks != nullptr &&
								c.fk_referenced_locks[i] == LockMode::AccessExclusive;
				LockMode mode = takeover ? LockMode::AccessExclusive : LockMode::ShareRowExclusive;
				add_row(out, subcommand_command(c), c.fk_referenced[i], mode)
					.reason = takeover ? "referenced by a foreign key of the parent that takes over the table's own: "
										 "its triggers here are dropped (brief, no scan)"
									   : "referenced by a foreign key of the parent: ATTACH PARTITION locks it";
				add_children(out, subcommand_command(c), c.fk_referenced[i], mode, false, false);
			}
			for (int i = 0; i < c.nfk_referencing; ++i)
				add_row(out, subcommand_command(c), c.fk_referencing[i], LockMode::ShareRowExclusive).reason =
					"its foreign key references the parent: ATTACH PARTITION locks it";
			return;
		}

		case AlterKind::DetachPartition:
			if (c.concurrent)
			{
				a.category = Category::Concurrent;
				a.reason = "DETACH CONCURRENTLY waits for running queries instead of blocking them";
			}
			else if (apply_rule(a, rule::detach_partition_blocking, x.rel, Danger::Blocking))
			{
				a.reason = "every query on the partitioned table waits for the lock";
				a.message = std::string(rule::detach_partition_blocking) + ": DETACH PARTITION on " +
							kind_word(x.rel) + " " + quoted(x.rel) + " would block reads and writes";
				a.detail = takes_lock("DETACH PARTITION", LockMode::AccessExclusive, x.rel) +
						   ": every query on the table and all its partitions waits for the lock, and "
						   "every query behind it waits too.";
				if (c.has_default_partition)
					a.hint = "DETACH CONCURRENTLY is not possible while the table has a default partition "
							 "(PostgreSQL refuses it): detach the default partition first, at a quiet time, "
							 "or run the statement when the table can be locked.";
				else
				{
					if (!x.part.empty())
					{
						a.safe_sql.push_back(x.prefix + " " + x.part + " CONCURRENTLY;");
						a.rewritable = x.stmt.nsubcommands == 1;
					}
					a.hint = a.safe_sql.empty() ? std::string("Use DETACH PARTITION ... CONCURRENTLY.")
												: run_instead(a.safe_sql);
					a.hint += outside_transaction_note(x.stmt, "DETACH PARTITION CONCURRENTLY");
				}
			}
			/*
			 * The partition itself is locked AccessExclusive even by DETACH
			 * CONCURRENTLY (its second transaction reopens it so,
			 * ATExecDetachPartition), and so is the default partition.
			 */
			if (!c.other.qualified_name.empty())
				add_row(out, subcommand_command(c), c.other, LockMode::AccessExclusive).reason =
					"the partition being detached";
			if (c.has_default_partition)
				add_row(out, subcommand_command(c), c.default_partition, LockMode::AccessExclusive).reason =
					"the default partition";
			for (int i = 0; i < c.nfk_referencing; ++i)
			{
				Assessment &r = add_row(out, subcommand_command(c), c.fk_referencing[i], LockMode::Share);
				r.scans = true;
				r.reason = "its foreign key references the partitioned table: DETACH (also CONCURRENTLY) reads it "
						   "under a ShareLock to check that none of its rows points into the partition; writes wait "
						   "for that";
			}
			for (int i = 0; i < c.nfk_referenced; ++i)
				add_row(out, subcommand_command(c), c.fk_referenced[i], LockMode::ShareRowExclusive).reason =
					"referenced by a foreign key of the partition";
			return;

		case AlterKind::AddInherit:
		case AlterKind::DropInherit:
			a.reason = "catalog-only change";
			/* The parent: ShareUpdateExclusiveLock to attach (ATExecAddInherit), AccessShareLock to detach. */
			if (!c.other.qualified_name.empty())
				add_row(out, subcommand_command(c), c.other,
						c.kind == AlterKind::AddInherit ? LockMode::ShareUpdateExclusive : LockMode::AccessShare)
					.reason = "the parent table";
			return;

		case AlterKind::DetachPartitionFinalize:
			a.category = Category::Concurrent;
			a.reason = "finishes an interrupted DETACH CONCURRENTLY";
			if (!c.other.qualified_name.empty())
				add_row(out, subcommand_command(c), c.other, LockMode::AccessExclusive).reason =
					"the partition being detached";
			return;

		default:
			a.reason = lock_blocks_reads(x.lock) ? "catalog-only change; the lock is held only briefly"
												 : "catalog-only change";
			return;
	}
}

/* Does the subcommand recurse to partitions / inheritance children (ATPrepCmd)? */
bool
recurses(const Subcommand &c, const RelationFacts &rel)
{
	switch (c.kind)
	{
		case AlterKind::AddColumn:
		case AlterKind::ColumnDefault:
		case AlterKind::DropNotNull:
		case AlterKind::SetNotNull:
		case AlterKind::DropExpression:
		case AlterKind::SetStatistics:
		case AlterKind::SetStorage:
		case AlterKind::SetCompression:
		case AlterKind::DropColumn:
		case AlterKind::AlterColumnType:
		case AlterKind::DropConstraint:
		case AlterKind::ValidateConstraint:
			return true;
		case AlterKind::AddConstraint:
			if (c.constraint == ConstraintKind::Check)
				return !c.no_inherit;
			return rel.kind == RelationKind::PartitionedTable;
		case AlterKind::EnableDisableTrigger:
			return rel.kind == RelationKind::PartitionedTable;
		default:
			return false;
	}
}

/* The lock a recursing subcommand takes on each child. */
LockMode
child_lock(const Subcommand &c, LockMode statement_lock)
{
	if (c.kind == AlterKind::AddConstraint &&
		(c.constraint == ConstraintKind::Unique || c.constraint == ConstraintKind::PrimaryKey ||
		 c.constraint == ConstraintKind::Exclusion))
		return LockMode::Share; /* each partition's index is built by DefineIndex */
	return statement_lock;
}

} // namespace


/*
 * The pass PostgreSQL 15 runs a subcommand in (tablecmds.c ATPrepCmd(),
 * AT_PASS_*): drops first, then type changes, new columns, constraints,
 * column attributes, index constraints, indexes, defaults, the rest.  A
 * statement's steps run in this order, as PostgreSQL would run its
 * subcommands (a CHECK on a column added later in the same statement).
 */
int
alter_pass(const Subcommand &c)
{
	switch (c.kind)
	{
		case AlterKind::DropColumn:
		case AlterKind::DropConstraint:
		case AlterKind::DropNotNull:
		case AlterKind::DropExpression:
		case AlterKind::DropIdentity:
			return 0;
		case AlterKind::ColumnDefault:
			return c.has_default ? 9 : 0;
		case AlterKind::AlterColumnType:
			return 1;
		case AlterKind::AddColumn:
			return 4;
		case AlterKind::AddConstraint:
			/* transformAlterTableStmt(): PRIMARY KEY / UNIQUE / EXCLUDE become index commands */
			if (c.using_index)
				return 7;
			if (c.constraint == ConstraintKind::PrimaryKey || c.constraint == ConstraintKind::Unique ||
				c.constraint == ConstraintKind::Exclusion)
				return 8;
			/* ATParseTransformCmd(): CHECK and FOREIGN KEY are rescheduled to AT_PASS_ADD_OTHERCONSTR */
			return 9;
		case AlterKind::SetNotNull:
			return 6;
		case AlterKind::AddIdentity:
			return 9;
		default:
			return 10;
	}
}

void
classify_alter_table(const Statement &stmt, Assessments &out)
{
	const RelationFacts &rel = stmt.relation;
	LockMode lock = LockMode::ShareUpdateExclusive; /* AlterTableGetLockLevel() starts here */
	for (int i = 0; i < stmt.nsubcommands; ++i)
	{
		LockMode m = subcommand_lock(stmt.subcommands[i]);
		if (m > lock)
			lock = m;
	}

	if (!rel.exists)
	{
		add_row(out, "ALTER TABLE", rel, lock).reason =
			"the relation does not exist; PostgreSQL reports the error";
		return;
	}
	std::optional<AlterTableText> parts = split_alter_table(stmt.text);
	bool texts = parts && static_cast<int>(parts->parts.size()) == stmt.nsubcommands;
	std::string prefix = parts ? parts->prefix : "ALTER TABLE " + std::string(rel.qualified_name);

	/*
	 * PostgreSQL refuses a subcommand itself (a column or type that does not
	 * exist, as the catalog says): the statement is left to it, whole
	 * (ALTER TABLE is atomic).  What PostgreSQL would refuse by the names it
	 * chooses (a second primary key, a constraint name taken, by the table
	 * or by another subcommand) is a prediction: the statement is judged as
	 * usual but never rewritten or split (a step would commit before the
	 * one PostgreSQL refuses), so a wrong prediction is a refusal, never a
	 * blocking statement let through.  A statement that also drops a
	 * constraint or a column may free the key or the name: judged as usual.
	 */
	std::string predicted;
	bool drops = false;
	for (int i = 0; i < stmt.nsubcommands; ++i)
		drops |= stmt.subcommands[i].kind == AlterKind::DropConstraint ||
				 stmt.subcommands[i].kind == AlterKind::DropColumn;
	for (int i = 0; i < stmt.nsubcommands; ++i)
	{
		const Subcommand &c = stmt.subcommands[i];
		std::string error(c.pg_error);
		if (error.empty() && !drops && c.kind == AlterKind::AddConstraint)
		{
			std::string name = !c.name.empty()
								   ? std::string(c.name)
								   : texts ? unquoted(constraint_name_of(parts->parts[i])) : std::string();
			if (predicted.empty() && c.constraint == ConstraintKind::PrimaryKey && c.table_has_primary_key)
				predicted = "multiple primary keys for table \"" + std::string(rel.name) + "\" are not allowed";
			else if (predicted.empty() &&
					 (c.constraint == ConstraintKind::PrimaryKey || c.constraint == ConstraintKind::Unique) &&
					 c.name_taken && !name.empty())
				predicted = "constraint \"" + name + "\" for relation \"" + std::string(rel.name) + "\" already exists";
		}
		if (!error.empty())
		{
			Assessment &a = add_row(out, subcommand_command(c), rel, lock);
			a.subcommand = i;
			a.reason = "PostgreSQL rejects the statement: " + error;
			return;
		}
	}
	/* The subcommands against each other: what PostgreSQL refuses when it names their constraints. */
	if (stmt.nsubcommands > 1 || (stmt.nsubcommands == 1 && stmt.subcommands[0].ninline_constraints > 1))
	{
		std::string error;
		if (names_refused(stmt, drops, error) >= 0 && predicted.empty())
			predicted = error;
	}

	/* A subcommand that recurses to inheritance children is judged with their size too. */
	const RelationFacts family = with_children(rel);
	/*
	 * The subcommands in PostgreSQL's pass order (stable within a pass): the
	 * names of constraints the statement does not name are chosen in that
	 * order, as PostgreSQL chooses them.  The rows stay in the statement's
	 * order.
	 */
	std::vector<int> order(stmt.nsubcommands);
	for (int i = 0; i < stmt.nsubcommands; ++i)
		order[i] = i;
	std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
		return alter_pass(stmt.subcommands[a]) < alter_pass(stmt.subcommands[b]);
	});
	std::vector<Assessments> per(stmt.nsubcommands);
	std::vector<std::string> chosen;
	for (int i : order)
	{
		const Subcommand &c = stmt.subcommands[i];
		Assessments &rows = per[i];
		bool to_children = !stmt.only && rel.kind == RelationKind::Table && rel.nchildren > 0 && recurses(c, rel);
		Ctx x{stmt, c, to_children ? family : rel, lock, prefix, texts ? parts->parts[i] : std::string(), &chosen};
		/*
		 * An ADD COLUMN runs as it is, as a step before the constraints: its
		 * inline constraints get their names first (PostgreSQL queues them
		 * ahead of the statement's table constraints, CHECKs before
		 * REFERENCES, in their pass), the names the other steps must not choose.
		 */
		std::vector<std::string> inline_names;
		if (c.kind == AlterKind::AddColumn && c.ninline_constraints > 0)
		{
			inline_names.resize(static_cast<std::size_t>(c.ninline_constraints));
			for (ConstraintKind want : {ConstraintKind::PrimaryKey, ConstraintKind::Check, ConstraintKind::ForeignKey})
				for (int k = 0; k < c.ninline_constraints; ++k)
				{
					const InlineConstraint &ic = c.inline_constraints[k];
					bool index = ic.kind == ConstraintKind::PrimaryKey || ic.kind == ConstraintKind::Unique ||
								 ic.kind == ConstraintKind::Exclusion;
					if (!(want == ConstraintKind::PrimaryKey ? index : ic.kind == want))
						continue;
					if (!ic.name.empty())
					{
						chosen.emplace_back(ic.name);
						inline_names[k] = std::string(ic.name);
					}
					else if (ic.kind == ConstraintKind::PrimaryKey || ic.kind == ConstraintKind::Unique)
						/* ChooseIndexName(): free among the schema's relations and constraints */
						inline_names[k] = free_index_name(x, ic.free_index_name, ic.middle,
														  ic.kind == ConstraintKind::PrimaryKey);
					else
						inline_names[k] = free_constraint_name(x, rel.name, ic.middle,
															   ic.kind == ConstraintKind::Check		 ? "check"
															   : ic.kind == ConstraintKind::ForeignKey ? "fkey"
																									   : "excl");
				}
			x.inline_names = &inline_names;
		}
		classify_subcommand(x, rows);
		/* A name the statement gives: not one a later step may choose. */
		if (c.kind == AlterKind::AddConstraint && !c.name.empty())
			chosen.emplace_back(c.name);
		Assessment &main = rows.front();
		main.subcommand = i;
		main.pass = alter_pass(c);
		main.drops = main.pass == 0;
		if (texts)
			main.own_step = prefix + " " + parts->parts[i] + ";";
		/*
		 * A CHECK or FOREIGN KEY without a name that runs as it is (NOT VALID,
		 * or exempt) gets, as a step, the name PostgreSQL would give it, so
		 * that the names the other steps chose stay its.
		 */
		if (texts && c.kind == AlterKind::AddConstraint &&
			(c.constraint == ConstraintKind::Check || c.constraint == ConstraintKind::ForeignKey) &&
			c.name.empty() && constraint_name_of(x.part).empty() && main.constraint_name.empty())
		{
			std::string_view middle = c.name_columns_known ? c.name_columns : c.first_column;
			if (c.constraint == ConstraintKind::Check || !middle.empty())
			{
				main.constraint_name = free_constraint_name(
					x, rel.name, middle, c.constraint == ConstraintKind::Check ? "check" : "fkey");
				main.own_step = prefix + " " + with_constraint_name(x.part, main.constraint_name) + ";";
			}
		}
		bool rewrites = main.rewrites;
		bool scans = main.scans;
		std::string command = main.command;
		if (!stmt.only && recurses(c, rel))
			add_children(rows, command, rel, child_lock(c, lock), rewrites, scans);
		/* A referenced partitioned table is locked down to every partition. */
		if (c.kind == AlterKind::AddConstraint && c.constraint == ConstraintKind::ForeignKey)
			add_children(rows, command, c.other, LockMode::ShareRowExclusive, false, false);
		for (int k = 0; k < c.npartners; ++k)
			add_row(rows, command, c.partners[k], LockMode::AccessExclusive).reason =
				"its foreign key or view on the column is dropped or re-created";
	}

	/*
	 * A constraint or SET NOT NULL whose steps would use a column the same
	 * statement adds: split, the column would be committed before the
	 * validation, which may fail (the column's default breaks the
	 * constraint), and a NOT VALID constraint left on it may refuse every
	 * insert, where PostgreSQL would have changed nothing.  No split: the
	 * statement is judged as PostgreSQL runs it (the new column's values are
	 * checked under its lock), and the advice is to add the column first, as
	 * a statement of its own.  (Not for a UNIQUE or a one-column FOREIGN KEY
	 * on a new column that is all NULL: that cannot fail.)
	 */
	for (int i = 0; i < stmt.nsubcommands; ++i)
	{
		const Subcommand &c = stmt.subcommands[i];
		Assessment &main = per[i].front();
		if (!main.violates() || !main.steps_ok)
			continue;
		std::string_view column = c.kind == AlterKind::SetNotNull	 ? c.column
								  : c.kind == AlterKind::AddConstraint ? c.added_column
																	   : std::string_view();
		int added = -1;
		for (int k = 0; k < stmt.nsubcommands && !column.empty(); ++k)
			if (stmt.subcommands[k].kind == AlterKind::AddColumn && stmt.subcommands[k].column == column)
			{
				added = k;
				break;
			}
		if (added < 0)
			continue;
		/*
		 * A new column without a value is all NULL: a UNIQUE on it (NULLs
		 * distinct) or a one-column FOREIGN KEY of it cannot fail.
		 */
		const Subcommand &ac = stmt.subcommands[added];
		bool all_null = !ac.has_default && !ac.default_from_domain && !ac.not_null && !ac.identity && !ac.serial &&
						!ac.generated_stored;
		if (all_null && c.kind == AlterKind::AddConstraint &&
			((c.constraint == ConstraintKind::Unique &&
			  c.index_clauses.find("NULLS NOT DISTINCT") == std::string_view::npos) ||
			 (c.constraint == ConstraintKind::ForeignKey && !c.columns.empty() &&
			  c.columns.find(',') == std::string_view::npos)))
			continue;
		main.steps_ok = false;
		main.rewritable = false;
		const Assessment &column_row = per[added].front();
		if (texts && !column_row.violates())
			main.safe_sql.insert(main.safe_sql.begin(), column_row.own_step);
		main.hint = "The statement also adds column \"" + std::string(column) +
					"\": as steps, the column would be committed before the validation, which may fail on its "
					"values and leave it and the constraint behind.  Add the column first, as a statement of its "
					"own.  " + (column_row.violates() ? main.hint : run_instead(main.safe_sql) +
														 "  Each in its own transaction.");
	}
	/* PostgreSQL would refuse the statement (predicted above): no step of it is run on its own. */
	if (!predicted.empty())
		for (Assessments &rows : per)
		{
			Assessment &main = rows.front();
			if (!main.violates())
				continue;
			main.steps_ok = false;
			main.rewritable = false;
			main.safe_sql.clear();
			main.hint = "PostgreSQL would refuse the statement as written (" + predicted + "): fix it, then run it again.";
		}
	for (Assessments &rows : per)
		for (Assessment &row : rows)
			out.push_back(std::move(row));
}

} // namespace safemigrate::core
