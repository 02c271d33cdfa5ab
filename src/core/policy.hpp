/*-------------------------------------------------------------------------
 *
 * policy.hpp
 *	  evaluate(): Statement + Settings -> Verdict, for the hook.
 *
 * The entry point of the core for one statement about to run.  No I/O, no
 * globals, no PostgreSQL: the same facts and settings always give the same
 * verdict.  classify() (classify.hpp) gives the per-relation detail that
 * safemigrate.check() shows; decide() folds it into one verdict.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"
#include "core/classify.hpp"
#include "core/settings.hpp"
#include "core/statement.hpp"
#include "core/verdict.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace safemigrate::core {

Verdict evaluate(const Statement &stmt, const Settings &settings);

/*
 * An ALTER TABLE with several subcommands as steps, in order: each
 * subcommand alone, or its safe steps where it breaks a rule (after the
 * policy's exemptions).  nullopt when some subcommand that breaks a rule has
 * no executable steps, or a subcommand's text is unknown.
 */
std::optional<SafeSteps> split_plan(const Assessments &rows);

/*
 * The policy's own exemptions and rules, on top of the classification:
 * small tables, safemigrate.allow, the break-glass override comment, declared
 * categories (declared-category-mismatch, declaration-required).
 */
void apply_policy(const Statement &stmt, const Settings &settings, Assessments &rows);

/* classify() then apply_policy(): what check() shows. */
Assessments assess(const Statement &stmt, const Settings &settings);

/* One verdict from a statement's assessments under the settings. */
Verdict decide(const Statement &stmt, const Assessments &rows, const Settings &settings);

/* What the policy does with one assessment: allow, warn, reject or rewrite. */
Action row_action(const Statement &stmt, const Assessment &row, const Settings &settings);

/* "12 kB", "180 MB", "20 GB": size in binary units, rounded like pg_size_pretty. */
std::string format_size(std::int64_t bytes);

/* "about 2000000 rows, 180 MB", "180 MB" when rows are unknown. */
std::string describe_size(const RelationFacts &rel);

/* "table", "partitioned table", "materialized view", "view", "index", "relation". */
const char *relation_kind_word(RelationKind kind) noexcept;

} // namespace safemigrate::core
