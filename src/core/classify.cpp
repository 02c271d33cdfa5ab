/*-------------------------------------------------------------------------
 *
 * classify.cpp
 *	  Dispatch a statement to its rule family.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/classify.hpp"
#include "core/sql_text.hpp"

namespace safemigrate::core {

namespace {

/* Is name one of the relations the statement names, and without storage / missing? */
void
fix_row(const RelationFacts &r, Assessment &a)
{
	if (a.relation != r.qualified_name)
		return;
	if (!r.has_storage)
	{
		a.rewrites = false;
		a.scans = false;
	}
	if (!r.exists)
		a.lock = LockMode::None; /* nothing to lock: PostgreSQL reports the error or IF EXISTS skips */
}

void
fix_storageless(const Statement &stmt, Assessments &out)
{
	for (Assessment &a : out)
	{
		fix_row(stmt.relation, a);
		fix_row(stmt.other, a);
		for (int i = 0; i < stmt.nrelations; ++i)
			fix_row(stmt.relations[i], a);
		for (int i = 0; i < stmt.nsubcommands; ++i)
		{
			fix_row(stmt.subcommands[i].other, a);
			fix_row(stmt.subcommands[i].default_partition, a);
		}
	}
}

} // namespace

Assessments
classify(const Statement &stmt)
{
	Assessments out;
	switch (stmt.kind)
	{
		case StatementKind::CreateIndex:
		case StatementKind::DropIndex:
		case StatementKind::Reindex:
			classify_index_ddl(stmt, out);
			break;
		case StatementKind::AlterTable:
			classify_alter_table(stmt, out);
			break;
		default:
			classify_relation_ddl(stmt, out);
			break;
	}

	/* Relations the statement locks because of dependent objects. */
	for (int i = 0; i < stmt.npartners; ++i)
	{
		const RelationFacts &p = stmt.partners[i];
		std::string command = out.empty() ? std::string(stmt.command) : out.front().command;
		Assessment &a = out.emplace_back();
		a.command = command;
		a.relation = std::string(p.qualified_name);
		a.lock = p.lock != LockMode::None ? p.lock : stmt.partner_lock;
		a.scans = stmt.partners_scanned && p.has_storage;
		a.reason = "locked for objects of the statement that depend on it";
	}

	/* A partitioned table or a view has no storage of its own to rewrite or scan. */
	fix_storageless(stmt, out);

	/*
	 * A statement declared expand-contract is the user saying the expand
	 * phases are done: rules that exist only because running clients break
	 * let it through.  Rules about locks, scans and rewrites still apply.
	 */
	std::optional<int> declared = declared_category(stmt.text);
	if (!declared && !stmt.parent_text.empty())
		declared = declared_category(stmt.parent_text);
	if (!declared && !stmt.query_text.empty())
		declared = declared_header_category(stmt.query_text);
	if (declared && *declared == static_cast<int>(Category::ExpandContract))
	{
		for (Assessment &a : out)
		{
			if (a.violates() && a.rule->breaking)
			{
				a.exempt = true;
				a.reason = "declared expand-contract: the application no longer uses the old shape";
			}
		}
	}
	return out;
}

Category
strongest_category(const Assessments &rows)
{
	Category c = Category::InstantSafe;
	for (const Assessment &row : rows)
	{
		if (static_cast<int>(row.category) > static_cast<int>(c))
			c = row.category;
	}
	return c;
}

} // namespace safemigrate::core
