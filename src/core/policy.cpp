/*-------------------------------------------------------------------------
 *
 * policy.cpp
 *	  Dispatch to the rule families, then apply safemigrate.mode.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/policy.hpp"

#include <cmath>
#include <cstdio>

namespace safemigrate::core {

const char *
action_name(Action action) noexcept
{
	switch (action)
	{
		case Action::Allow:
			return "allow";
		case Action::Warn:
			return "warn";
		case Action::Reject:
			return "reject";
	}
	return "";
}

std::string
format_size(std::int64_t bytes)
{
	static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
	/* Like pg_size_pretty: switch unit once the value reaches 10240 of the smaller one. */
	double v = static_cast<double>(bytes);
	std::size_t u = 0;
	while (std::fabs(v) >= 10240.0 && u + 1 < std::size(units))
	{
		v /= 1024.0;
		++u;
	}
	char buf[64];
	std::snprintf(buf, sizeof buf, "%.0f %s", std::round(v), units[u]);
	return buf;
}

std::string
describe_size(const RelationFacts &rel)
{
	std::string out;
	if (rel.estimated_rows >= 0)
	{
		char buf[64];
		std::snprintf(buf, sizeof buf, "about %.0f rows", rel.estimated_rows);
		out = buf;
	}
	if (rel.size_known)
	{
		if (!out.empty())
			out += ", ";
		out += format_size(rel.bytes);
	}
	return out.empty() ? "size unknown" : out;
}

const char *
relation_kind_word(RelationKind kind) noexcept
{
	switch (kind)
	{
		case RelationKind::Table:
			return "table";
		case RelationKind::PartitionedTable:
			return "partitioned table";
		case RelationKind::MaterializedView:
			return "materialized view";
		case RelationKind::Other:
			return "relation";
	}
	return "relation";
}

bool
exempt_from_blocking_rules(const RelationFacts &rel, Verdict &verdict)
{
	if (!rel.exists)
		verdict.reason = "the relation does not exist; PostgreSQL reports the error";
	else if (rel.temporary)
		verdict.reason = "temporary relations are invisible to other sessions";
	else if (rel.created_in_transaction)
		verdict.reason = "the relation was created in this transaction; no other session can use it yet";
	else if (rel.size_known && rel.bytes == 0)
		verdict.reason = "the relation is empty";
	else
		return false;
	return true;
}

Verdict
evaluate(const Statement &stmt, const Settings &settings)
{
	Verdict v;
	if (settings.mode == Mode::Off)
	{
		v.reason = "safemigrate.mode is off";
		return v;
	}
	switch (stmt.kind)
	{
		case StatementKind::CreateIndex:
			v = evaluate_create_index(stmt);
			break;
		case StatementKind::Other:
			v.reason = "no rule applies to this statement";
			break;
	}
	if (v.action == Action::Reject && settings.mode == Mode::Warn)
		v.action = Action::Warn;
	return v;
}

} // namespace safemigrate::core
