/*-------------------------------------------------------------------------
 *
 * common.cpp
 *	  Helpers shared by the rule families.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/rules/common.hpp"

#include <cstdint>

namespace safemigrate::core::detail {

Assessment &
add_row(Assessments &out, std::string command, const RelationFacts &rel, LockMode lock)
{
	Assessment &a = out.emplace_back();
	a.command = std::move(command);
	a.relation = std::string(rel.qualified_name);
	a.lock = lock;
	a.size_known = rel.size_known;
	a.bytes = rel.bytes;
	a.rows = rel.estimated_rows;
	return a;
}

RelationFacts
with_children(const RelationFacts &rel)
{
	RelationFacts out = rel;
	for (int i = 0; i < rel.nchildren; ++i)
	{
		const RelationFacts &child = rel.children[i];
		if (!child.exists || !child.has_storage)
			continue;
		/* Saturating: sizes come from the catalog (and from the fuzzer), never overflow int64. */
		if (child.bytes > 0 && out.bytes > INT64_MAX - child.bytes)
			out.bytes = INT64_MAX;
		else if (child.bytes < 0 && out.bytes < INT64_MIN - child.bytes)
			out.bytes = INT64_MIN;
		else
			out.bytes += child.bytes;
		out.size_known = out.size_known && child.size_known;
		if (out.estimated_rows >= 0 && child.estimated_rows >= 0)
			out.estimated_rows += child.estimated_rows;
		else if (child.bytes > 0 || out.bytes > 0)
			out.estimated_rows = -1;
	}
	return out;
}

void
add_children(Assessments &out, const std::string &command, const RelationFacts &rel, LockMode lock,
			 bool rewrites, bool scans)
{
	for (int i = 0; i < rel.nchildren; ++i)
	{
		const RelationFacts &child = rel.children[i];
		Assessment &a = add_row(out, command, child, lock);
		a.rewrites = rewrites && child.has_storage;
		a.scans = scans && child.has_storage;
		a.reason = "a partition or inheritance child of " + quoted(rel) + ": the statement recurses to it";
	}
}

bool
apply_rule(Assessment &a, std::string_view id, const RelationFacts &rel, Danger danger)
{
	const RuleInfo *info = find_rule(id);
	a.rule = info;
	a.category = info->category;
	if (!rel.exists)
		a.reason = "the relation does not exist; PostgreSQL reports the error";
	else if (rel.temporary)
		a.reason = "temporary relations are invisible to other sessions";
	else if (rel.created_in_transaction)
		a.reason = "the relation was created in this transaction; no other session can use it yet";
	else if (rel.created_in_script)
		a.reason = "the relation is created earlier in this migration; no other session uses it yet";
	else if (danger == Danger::Blocking && rel.size_known && rel.bytes == 0)
		a.reason = "the relation is empty";
	else
		return true;
	a.exempt = true;
	a.category = Category::InstantSafe;
	return false;
}

std::string
sql_literal(std::string_view s)
{
	bool backslash = s.find('\\') != std::string_view::npos;
	std::string out = backslash ? "E'" : "'";
	for (char ch : s)
	{
		if (ch == '\'' || (backslash && ch == '\\'))
			out += ch;
		out += ch;
	}
	return out + "'";
}

std::string
quoted(const RelationFacts &rel)
{
	/*
	 * As PostgreSQL's own messages name a relation: "schema.name" in one pair
	 * of quotes, the parts without their identifier quotes ("My Schema.Mixed
	 * Table", not ""My Schema"."Mixed Table"").
	 */
	std::string_view q = rel.qualified_name;
	std::string out = "\"";
	bool in_quotes = false;
	for (std::size_t i = 0; i < q.size(); ++i)
	{
		char c = q[i];
		if (c == '"')
		{
			if (in_quotes && i + 1 < q.size() && q[i + 1] == '"')
			{
				out += '"';
				++i;
			}
			else
				in_quotes = !in_quotes;
			continue;
		}
		out += c;
	}
	return out + "\"";
}

std::string
kind_word(const RelationFacts &rel)
{
	return relation_kind_word(rel.kind);
}

std::string
takes_lock(std::string_view command, LockMode lock, const RelationFacts &rel)
{
	return std::string(command) + " takes " + a_lock(lock) + " on " + quoted(rel) + " (" +
		   describe_size(rel) + ")";
}

std::string
a_lock(LockMode lock)
{
	const char *name = lock_mode_name(lock);
	return std::string((name[0] == 'A' || name[0] == 'E') ? "an " : "a ") + name;
}

std::string
who_waits(LockMode lock)
{
	if (lock_blocks_reads(lock))
		return "every query, reads included, waits";
	if (lock == LockMode::Exclusive)
		return "every write and SELECT ... FOR UPDATE waits";
	return "INSERT, UPDATE and DELETE wait";
}

std::string
would_block(LockMode lock)
{
	return lock_blocks_reads(lock) ? "would block reads and writes" : "would block writes";
}

std::string
default_name(std::string_view name1, std::string_view name2, std::string_view label)
{
	/* makeObjectName(): shorten the longer of name1/name2 until it fits in 63 bytes. */
	constexpr std::size_t kMax = 63;
	std::string a(name1), b(name2);
	std::size_t overhead = label.size() + 1 + (b.empty() ? 0 : 1);
	while (a.size() + b.size() + overhead > kMax)
	{
		if (a.size() > b.size())
			a.pop_back();
		else
			b.pop_back();
	}
	/* ... between characters (pg_mbcliplen): a character that lost its last bytes goes too. */
	a.resize(truncate_utf8(name1, a.size()));
	b.resize(truncate_utf8(name2, b.size()));
	std::string out = a;
	if (!b.empty())
		out += "_" + b;
	out += "_";
	out += label;
	return out;
}

std::string
run_instead(const SafeSteps &steps)
{
	std::string out = "Run instead:";
	for (const std::string &s : steps)
		out += " " + s;
	return out;
}

std::string
outside_transaction_note(const Statement &stmt, std::string_view what)
{
	if (stmt.top_level && !stmt.in_transaction_block)
		return "";
	return "  " + std::string(what) +
		   " cannot run inside a transaction block or a function: send it as a statement of its own.";
}

} // namespace safemigrate::core::detail
