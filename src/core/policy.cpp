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
#include <optional>
#include "core/sql_text.hpp"

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
		case Action::Rewrite:
			return "rewrite";
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

namespace {

bool
can_rewrite(const Statement &stmt, const Assessment &row, const Settings &settings)
{
	/* CONCURRENTLY forms cannot run in a transaction block or from a function. */
	/* warn mode runs statements as written, with a warning: no rewrites there. */
	return settings.mode == Mode::Enforce && settings.rewrite && row.rewritable && stmt.top_level &&
		   !stmt.in_transaction_block;
}

const char *const kCategoryNames[] = {"instant-safe", "concurrent", "expand-contract"};

/*
 * A drop (DROP CONSTRAINT, DROP COLUMN, DROP NOT NULL, DROP DEFAULT, DROP
 * EXPRESSION, DROP IDENTITY) runs in PostgreSQL's first pass, before the
 * steps that may fail (a CONCURRENTLY build, a VALIDATE): split, a failure
 * would leave it committed without what was to replace it (a primary key, a
 * CHECK), where PostgreSQL would have changed nothing.
 */
bool
drop_before_failing_step(const Assessments &rows)
{
	bool drops = false, may_fail = false;
	for (const Assessment &row : rows)
		if (row.subcommand >= 0)
		{
			drops = drops || (row.drops && !row.violates());
			may_fail = may_fail || row.violates();
		}
	return drops && may_fail;
}

std::string
join_steps(const SafeSteps &steps)
{
	std::string out;
	for (const std::string &step : steps)
		out += (out.empty() ? "" : " ") + step;
	return out;
}

/*
 * The subcommands that break no rule, each as a statement of its own (those
 * the rules' steps already have left out), for a statement that is not split
 * into steps (an expand-contract subcommand): "" when one of them has no
 * statement of its own.
 */
std::string
other_subcommands(const Assessments &rows, const SafeSteps &steps)
{
	std::string out;
	for (const Assessment &row : rows)
	{
		if (row.subcommand < 0 || row.violates())
			continue;
		if (row.own_step.empty())
			return std::string();
		if (std::find(steps.begin(), steps.end(), row.own_step) == steps.end())
			out += (out.empty() ? "" : " ") + row.own_step;
	}
	return out;
}

} // namespace

std::optional<SafeSteps>
split_plan(const Assessments &rows)
{
	/* Each subcommand's steps as a group, the groups in PostgreSQL's pass order (stable within a pass). */
	std::vector<std::pair<int, SafeSteps>> groups;
	bool any_main = false;
	for (const Assessment &row : rows)
	{
		if (row.subcommand < 0)
		{
			/* A partition's or partner's row: covered by the steps of its subcommand, if those are steps. */
			if (row.violates() && !row.steps_ok)
				return std::nullopt;
			continue;
		}
		any_main = true;
		if (row.violates())
		{
			if (!row.steps_ok)
				return std::nullopt;
			groups.emplace_back(row.pass, row.safe_sql);
		}
		else
		{
			if (row.own_step.empty())
				return std::nullopt;
			groups.emplace_back(row.pass, SafeSteps{row.own_step});
		}
	}
	if (!any_main)
		return std::nullopt;
	/* A drop before steps that may fail: not split. */
	if (drop_before_failing_step(rows))
		return std::nullopt;
	std::stable_sort(groups.begin(), groups.end(),
					 [](const auto &a, const auto &b) { return a.first < b.first; });
	SafeSteps plan;
	for (const auto &g : groups)
		plan.insert(plan.end(), g.second.begin(), g.second.end());
	return plan;
}

Action
row_action(const Statement &stmt, const Assessment &row, const Settings &settings)
{
	if (settings.mode == Mode::Off || !row.violates())
		return Action::Allow;
	if (can_rewrite(stmt, row, settings))
		return Action::Rewrite;
	return settings.mode == Mode::Warn ? Action::Warn : Action::Reject;
}

void
apply_policy(const Statement &stmt, const Settings &settings, Assessments &rows)
{
	std::vector<std::string> overrides = override_rules(stmt.text);
	if (!stmt.parent_text.empty())
	{
		std::vector<std::string> inherited = override_rules(stmt.parent_text);
		overrides.insert(overrides.end(), inherited.begin(), inherited.end());
	}
	Category computed = strongest_category(rows);
	const Assessment *strongest = nullptr;
	for (const Assessment &row : rows)
		if (row.category == computed)
		{
			strongest = &row;
			break;
		}

	for (Assessment &row : rows)
	{
		if (!row.violates())
			continue;
		std::string id(row.rule->id);
		/*
		 * Never analyzed: no row estimate, but a heap page holds at most 291
		 * tuples (MaxHeapTuplesPerPage for 8 kB pages), which bounds it.
		 */
		double pages = row.bytes > 0 ? std::ceil(static_cast<double>(row.bytes) / 8192.0) : 0.0; /* no int64 overflow */
		double nrows = row.rows >= 0 ? row.rows : pages * 291.0;
		bool small = row.size_known && nrows < settings.small_table_rows && row.bytes < settings.small_table_bytes;
		if (!row.rule->breaking && small)
		{
			row.exempt = true;
			row.reason = "small table: fewer rows than safemigrate.small_table_rows and smaller than "
						 "safemigrate.small_table_size, so the lock is held only briefly";
		}
		else if (settings.allows(id))
		{
			row.exempt = true;
			row.reason = "rule allowed by safemigrate.allow";
		}
		else if (std::find(overrides.begin(), overrides.end(), id) != overrides.end())
		{
			if (settings.may_override)
			{
				row.exempt = true;
				row.overridden = true;
				row.reason = "overridden by /* safemigrate:allow " + id + " */ (member of safemigrate_override)";
			}
			else
				row.detail += "  The override comment /* safemigrate:allow " + id +
							  " */ is honoured only for members of role safemigrate_override.";
		}
	}

	/* Declared classification: the seed's header comment, made binding. */
	std::optional<int> declared = declared_category(stmt.text);
	if (!declared && !stmt.parent_text.empty())
		declared = declared_category(stmt.parent_text);
	if (!declared && !stmt.query_text.empty())
		declared = declared_header_category(stmt.query_text);
	bool ddl_on_existing = false;
	for (const Assessment &row : rows)
		ddl_on_existing |= !row.relation.empty() && row.lock != LockMode::None;
	if (stmt.kind == StatementKind::NotDdl || rows.empty())
		return;

	if (declared && *declared < static_cast<int>(computed) && strongest != nullptr)
	{
		const RuleInfo *info = find_rule(rule::declared_category_mismatch);
		Assessment m = *strongest;
		m.rule = info;
		m.exempt = false;
		m.rewritable = false;
		m.category = computed;
		m.reason = std::string("declared ") + kCategoryNames[*declared] + ", but the statement is " +
				   category_name(computed);
		m.message = std::string(info->id) + ": declared " + kCategoryNames[*declared] + ", but " +
					m.command + (m.relation.empty() ? std::string() : " on \"" + m.relation + "\"") +
					" is " + category_name(computed) +
					(strongest->rule ? std::string(" (rule ") + strongest->rule->id + ")" : std::string());
		m.detail = strongest->detail.empty() ? strongest->reason + "." : strongest->detail;
		m.hint = "Declare /* safemigrate: " + std::string(category_name(computed)) + " */" +
				 (strongest->hint.empty() || strongest->violates()
					  ? std::string(".")
					  : " and follow the rule's advice: " + strongest->hint);
		rows.push_back(std::move(m));
	}
	else if (!declared && settings.require_declaration && ddl_on_existing)
	{
		const RuleInfo *info = find_rule(rule::declaration_required);
		Assessment m = rows.front();
		m.rule = info;
		m.exempt = false;
		m.rewritable = false;
		m.safe_sql.clear();
		m.reason = "safemigrate.require_declaration is on and the statement declares no category";
		m.message = std::string(info->id) + ": " + m.command + " declares no category";
		m.detail = "safemigrate.require_declaration is on: DDL on an existing table must say what kind of "
				   "change it is.  This statement is " + std::string(category_name(computed)) + ".";
		m.hint = "Start the statement with /* safemigrate: " + std::string(category_name(computed)) + " */.";
		rows.push_back(std::move(m));
	}
}

Assessments
assess(const Statement &stmt, const Settings &settings)
{
	Assessments rows = classify(stmt);
	apply_policy(stmt, settings, rows);
	return rows;
}

Verdict
decide(const Statement &stmt, const Assessments &rows, const Settings &settings)
{
	Verdict v;
	for (const Assessment &row : rows)
	{
		if (row.lock > v.lock)
			v.lock = row.lock;
		if (!row.relation.empty() && row.relation == stmt.relation.qualified_name && row.lock > v.main_lock)
			v.main_lock = row.lock;
	}
	if (settings.mode == Mode::Off)
	{
		v.reason = "safemigrate.mode is off";
		return v;
	}
	const Assessment *first = nullptr;
	bool all_rewritable = true;
	boost::container::small_vector<const RuleInfo *, 4> named; /* each rule is named once */
	for (const Assessment &row : rows)
	{
		if (!row.violates())
			continue;
		all_rewritable &= can_rewrite(stmt, row, settings);
		if (std::find(named.begin(), named.end(), row.rule) != named.end())
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
	/*
	 * An ALTER TABLE with several subcommands: split into steps, in order,
	 * each subcommand alone or, where it breaks a rule, its safe steps.
	 */
	if (stmt.kind == StatementKind::AlterTable && stmt.nsubcommands > 1)
	{
		std::optional<SafeSteps> plan = split_plan(rows);
		if (plan)
		{
			v.safe_steps = std::move(*plan);
			v.hint += "  The whole statement, split into steps each in its own transaction: " +
					  join_steps(v.safe_steps) +
					  "  A step that fails leaves the steps before it committed (PostgreSQL's pass order: a new "
					  "column or a type change before a validation).";
			all_rewritable = settings.mode == Mode::Enforce && settings.rewrite && stmt.top_level &&
							 !stmt.in_transaction_block;
		}
		else
		{
			all_rewritable = false;
			/* (said when the drop is why: every rule broken has steps) */
			if (drop_before_failing_step(rows) &&
				std::all_of(rows.begin(), rows.end(), [](const Assessment &r) { return !r.violates() || r.steps_ok; }))
				v.hint += "  The statement is not split into steps: its drop would be committed before a step that "
						  "may fail.  Run the drop as a statement of its own.";
			else if (std::string others = other_subcommands(rows, v.safe_steps); !others.empty())
				v.hint += "  The statement's other subcommands are not in these steps; run them as statements of "
						  "their own: " + others;
		}
	}
	v.action = all_rewritable && !v.safe_steps.empty() ? Action::Rewrite
			   : settings.mode == Mode::Warn			? Action::Warn
														: Action::Reject;
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
	return decide(stmt, assess(stmt, settings), settings);
}

} // namespace safemigrate::core
