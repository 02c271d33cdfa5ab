/*-------------------------------------------------------------------------
 *
 * audit.cpp
 *	  Condensed classification and log-line texts of the audit.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/audit.hpp"

#include <cstdio>

namespace safemigrate::core {

const char *
audit_action_name(AuditAction action) noexcept
{
	switch (action)
	{
		case AuditAction::Allowed:
			return "allowed";
		case AuditAction::Rewritten:
			return "rewritten";
		case AuditAction::Warned:
			return "warned";
		case AuditAction::Rejected:
			return "rejected";
		case AuditAction::Overridden:
			return "overridden";
		case AuditAction::Failed:
			return "failed";
	}
	return "unknown";
}

const char *
audit_outcome_name(AuditOutcome outcome) noexcept
{
	switch (outcome)
	{
		case AuditOutcome::Committed:
			return "committed";
		case AuditOutcome::Aborted:
			return "aborted";
		case AuditOutcome::Prepared:
			return "prepared";
	}
	return "unknown";
}

namespace {

/* Append item to a comma-separated list unless it is already in it. */
void
add_once(std::string &list, std::string_view item)
{
	if (item.empty())
		return;
	std::size_t pos = 0;
	while (pos <= list.size())
	{
		std::size_t end = list.find(", ", pos);
		if (end == std::string::npos)
			end = list.size();
		if (std::string_view(list).substr(pos, end - pos) == item)
			return;
		pos = end + 2;
	}
	if (!list.empty())
		list += ", ";
	list += item;
}

} // namespace

AuditSummary
summarize(const Assessments &rows)
{
	AuditSummary s;
	s.classified = true;
	s.category = strongest_category(rows);
	for (const Assessment &row : rows)
	{
		s.rewrites |= row.rewrites;
		s.overridden |= row.overridden;
		/* Rules that applied: not those a small table or safemigrate.allow exempted. */
		if (row.rule != nullptr && (row.violates() || row.overridden))
			add_once(s.rules, row.rule->id);
		if (row.relation.empty())
			continue;
		if (s.estimated_rows < 0 && row.rows >= 0)
			s.estimated_rows = row.rows;
		add_once(s.objects, row.relation);
		if (row.lock != LockMode::None)
			add_once(s.lock_modes, row.relation + ": " + lock_mode_name(row.lock));
	}
	return s;
}

namespace {

void
add_field(std::string &out, const char *key, std::string_view value)
{
	out += ' ';
	out += key;
	out += '=';
	bool quote = value.empty() || value.find_first_of(" \t\n\r\"=") != std::string_view::npos;
	if (!quote)
	{
		out += value;
		return;
	}
	out += '"';
	for (char c : value)
	{
		if (c == '"')
			out += "\"\"";
		else if (c == '\n' || c == '\r')
			out += ' ';
		else
			out += c;
	}
	out += '"';
}

std::string
number(double v, int decimals)
{
	char buf[64];
	std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
	return buf;
}

} // namespace

std::string
format_audit_log_line(const AuditLogFields &f)
{
	std::string out = "pg_safemigrate audit:";
	add_field(out, "id", std::to_string(f.id));
	if (f.attempt_id != 0)
	{
		add_field(out, "attempt_id", std::to_string(f.attempt_id));
		add_field(out, "step", std::to_string(f.step));
	}
	add_field(out, "action", f.action);
	add_field(out, "outcome", f.outcome);
	add_field(out, "duration_ms", number(f.duration_ms, 3));
	add_field(out, "lock_wait_ms", number(f.lock_wait_ms, 3));
	add_field(out, "retries", std::to_string(f.retries));
	add_field(out, "database", f.database);
	add_field(out, "user", f.user);
	add_field(out, "command", f.command_tag);
	if (!f.objects.empty())
		add_field(out, "objects", f.objects);
	if (!f.rules.empty())
		add_field(out, "rules", f.rules);
	if (!f.sqlstate.empty())
		add_field(out, "sqlstate", f.sqlstate);
	if (!f.migration_id.empty())
		add_field(out, "migration_id", f.migration_id);
	add_field(out, "statement", f.statement);
	return out;
}

} // namespace safemigrate::core
