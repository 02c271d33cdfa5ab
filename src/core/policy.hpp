/*-------------------------------------------------------------------------
 *
 * policy.hpp
 *	  evaluate(): Statement + Settings -> Verdict.
 *
 * The single entry point of the core.  No I/O, no globals, no PostgreSQL:
 * the same facts and settings always give the same verdict.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"
#include "core/settings.hpp"
#include "core/statement.hpp"
#include "core/verdict.hpp"

#include <cstdint>
#include <string>

namespace safemigrate::core {

Verdict evaluate(const Statement &stmt, const Settings &settings);

/* Helpers shared by the rule families (src/core/rules/). */

/* "12 kB", "180 MB", "2.1 GB": size in binary units, as pg_size_pretty rounds. */
std::string format_size(std::int64_t bytes);

/* "about 2000000 rows, 180 MB", "180 MB" when rows are unknown. */
std::string describe_size(const RelationFacts &rel);

/* "table", "partitioned table", "materialized view", "relation". */
const char *relation_kind_word(RelationKind kind) noexcept;

/*
 * Common exemptions from rules about blocking locks: the relation is invisible
 * to other sessions or holds no data.  Returns true and sets verdict.reason
 * when one applies.
 */
bool exempt_from_blocking_rules(const RelationFacts &rel, Verdict &verdict);

/* Rule families; each returns the verdict for the statements it owns. */
Verdict evaluate_create_index(const Statement &stmt);

} // namespace safemigrate::core
