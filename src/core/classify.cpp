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

	/*
	 * A statement declared expand-contract is the user saying the expand
	 * phases are done: rules that exist only because running clients break
	 * let it through.  Rules about locks, scans and rewrites still apply.
	 */
	std::optional<int> declared = declared_category(stmt.text);
	if (!declared && !stmt.query_text.empty())
		declared = declared_category(stmt.query_text);
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
