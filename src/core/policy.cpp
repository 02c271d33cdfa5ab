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

#include <algorithm>
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
		case RelationKind::View:
			return "view";
		case RelationKind::Index:
			return "index";
		case RelationKind::Other:
			return "relation";
	}
	return "relation";
}

Action
row_action(const Assessment &row, const Settings &settings)
{
	if (settings.mode == Mode::Off || !row.violates())
		return Action::Allow;
	return settings.mode == Mode::Warn ? Action::Warn : Action::Reject;
}

Verdict
decide(const Assessments &rows, const Settings &settings)
{
	Verdict v;
	for (const Assessment &row : rows)
	{
		if (row.lock > v.lock)
			v.lock = row.lock;
	}
	if (settings.mode == Mode::Off)
	{
		v.reason = "safemigrate.mode is off";
		return v;
	}
	const Assessment *first = nullptr;
	boost::container::small_vector<const RuleInfo *, 4> named; /* each rule is named once */
	for (const Assessment &row : rows)
	{
		if (!row.violates() || std::find(named.begin(), named.end(), row.rule) != named.end())
			continue;
		named.push_back(row.rule);
		if (first == nullptr)
		{
			first = &row;
			v.rule_id = row.rule->id;
			v.sqlstate = row.rule->sqlstate;
			v.message = row.message;
			v.detail = row.detail;
			v.hint = row.hint;
			v.safe_steps.assign(row.safe_sql.begin(), row.safe_sql.end());
		}
		else
		{
			/* One error for the statement; every other rule it breaks is named too. */
			v.detail += "  The statement also breaks rule " + std::string(row.rule->id) + ": " +
						row.message.substr(row.message.find(": ") + 2) + ".";
			v.hint += "  For " + std::string(row.rule->id) + ": " + row.hint;
			v.safe_steps.insert(v.safe_steps.end(), row.safe_sql.begin(), row.safe_sql.end());
		}
	}
	if (first == nullptr)
	{
		v.reason = rows.empty() ? "no rule applies to this statement" : rows.front().reason;
		return v;
	}
	v.action = row_action(*first, settings);
	return v;
}

Verdict
evaluate(const Statement &stmt, const Settings &settings)
{
	if (settings.mode == Mode::Off)
	{
		Verdict v;
		v.reason = "safemigrate.mode is off";
		return v;
	}
	return decide(classify(stmt), settings);
}

} // namespace safemigrate::core
