/*-------------------------------------------------------------------------
 *
 * common.hpp
 *	  Helpers shared by the rule families: rows, exemptions, message parts.
 *	  Internal to src/core/rules.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/classify.hpp"
#include "core/policy.hpp"
#include "core/sql_text.hpp"

#include <string>
#include <string_view>

namespace safemigrate::core::detail {

/* What kind of danger a rule is about; decides which exemptions apply. */
enum class Danger
{
	Blocking, /* a lock held for a scan, build or rewrite: exempt when invisible or empty */
	Breaking, /* running clients break: exempt only when invisible to other sessions */
};

/* Append a row for rel with the given lock. */
Assessment &add_row(Assessments &out, std::string command, const RelationFacts &rel, LockMode lock);

/*
 * Attach rule id to row a.  Returns true when the rule applies (texts must
 * then be filled), false when the relation is exempt (a.reason says why).
 */
bool apply_rule(Assessment &a, std::string_view id, const RelationFacts &rel, Danger danger);

/*
 * Rows for every partition / inheritance child of rel, locked with lock.
 * rewrites and scans apply to children that have storage.
 */
/*
 * rel with its inheritance children's size added (a statement that recurses
 * to them): bytes summed; rows summed, or unknown (-1) when any part's are.
 */
RelationFacts with_children(const RelationFacts &rel);

void add_children(Assessments &out, const std::string &command, const RelationFacts &rel, LockMode lock,
				  bool rewrites, bool scans);

/* "\"schema.t\"" */
std::string quoted(const RelationFacts &rel);

/* "table", "partitioned table", ... */
std::string kind_word(const RelationFacts &rel);

/* "CREATE INDEX takes a ShareLock on "s.t" (about 5000 rows, 288 kB)" */
std::string takes_lock(std::string_view command, LockMode lock, const RelationFacts &rel);

/* "a ShareLock" / "an AccessExclusiveLock" */
std::string a_lock(LockMode lock);

/* "reads and writes wait" / "INSERT, UPDATE and DELETE wait" for what the lock blocks. */
std::string who_waits(LockMode lock);

/* "would block reads and writes" / "would block writes" */
std::string would_block(LockMode lock);

/* PostgreSQL's default object name: name1_name2_label, truncated to 63 bytes like makeObjectName(). */
std::string default_name(std::string_view name1, std::string_view name2, std::string_view label);

/*
 * A SQL string literal of s (for the helper calls the hints name): 'it''s', or
 * E'a\\b' when s has a backslash, read the same whatever
 * standard_conforming_strings is.
 */
std::string sql_literal(std::string_view s);

/* "Run instead: a;  b;" from the steps. */
std::string run_instead(const SafeSteps &steps);

/* A hint sentence when the first step must run outside a transaction block. */
std::string outside_transaction_note(const Statement &stmt, std::string_view what);

} // namespace safemigrate::core::detail
