/*-------------------------------------------------------------------------
 *
 * rules.hpp
 *	  The rule catalogue: every rule id with its SQLSTATE, category and
 *	  one-line description.
 *
 * Rule ids are stable, kebab-case and documented in README.md; so are the
 * SQLSTATEs (class "SM", which no PostgreSQL release uses: classes starting
 * with S are implementation-defined).  A unit test checks that ids are unique,
 * SQLSTATEs well-formed and descriptions in message style.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"

#include <cstddef>
#include <string_view>

namespace safemigrate::core {

/* How a statement can be made safe. */
enum class Category
{
	InstantSafe,	/* catalog-only, brief lock: run as is */
	Concurrent,		/* a CONCURRENTLY / NOT VALID + VALIDATE / USING INDEX form exists */
	ExpandContract, /* needs new objects, a backfill and a switch-over */
};

/* "instant-safe", "concurrent" or "expand-contract". */
const char *category_name(Category category) noexcept;

struct RuleInfo
{
	const char *id;			 /* e.g. "create-index-blocking" */
	const char *sqlstate;	 /* e.g. "SM001" */
	Category category;		 /* category of the statements the rule matches */
	const char *description; /* one sentence, for safemigrate.rules and the docs */
};

/* All rules, sorted by id. */
const RuleInfo *rule_catalogue(std::size_t *count) noexcept;

/* The rule with this id, or nullptr. */
const RuleInfo *find_rule(std::string_view id);

/* Rule ids, as constants so a typo is a compile error. */
namespace rule {
inline constexpr std::string_view create_index_blocking = "create-index-blocking";
} // namespace rule

} // namespace safemigrate::core
