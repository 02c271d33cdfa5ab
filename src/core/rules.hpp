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
	bool breaking;			 /* about breaking running clients, not about locks: a declared
							  * expand-contract statement lets it through */
};

/* Upper bound of the catalogue's size (the boundary keeps a fixed array of it). */
inline constexpr std::size_t kMaxRules = 64;

/* All rules, sorted by id. */
const RuleInfo *rule_catalogue(std::size_t *count) noexcept;

/* The rule with this id, or nullptr. */
const RuleInfo *find_rule(std::string_view id);

/* Rule ids, as constants so a typo is a compile error. */
namespace rule {
inline constexpr std::string_view add_check_validating = "add-check-validating";
inline constexpr std::string_view add_column_rewrite = "add-column-rewrite";
inline constexpr std::string_view add_column_volatile_default = "add-column-volatile-default";
inline constexpr std::string_view add_exclusion_blocking = "add-exclusion-blocking";
inline constexpr std::string_view add_foreign_key_validating = "add-foreign-key-validating";
inline constexpr std::string_view add_primary_key_blocking = "add-primary-key-blocking";
inline constexpr std::string_view add_unique_blocking = "add-unique-blocking";
inline constexpr std::string_view alter_column_type_rewrite = "alter-column-type-rewrite";
inline constexpr std::string_view alter_domain_validating = "alter-domain-validating";
inline constexpr std::string_view attach_partition_scan = "attach-partition-scan";
inline constexpr std::string_view cluster_rewrite = "cluster-rewrite";
inline constexpr std::string_view create_index_blocking = "create-index-blocking";
inline constexpr std::string_view create_partition_locks_parent = "create-partition-locks-parent";
inline constexpr std::string_view declaration_required = "declaration-required";
inline constexpr std::string_view declared_category_mismatch = "declared-category-mismatch";
inline constexpr std::string_view detach_partition_blocking = "detach-partition-blocking";
inline constexpr std::string_view drop_column = "drop-column";
inline constexpr std::string_view drop_index_blocking = "drop-index-blocking";
inline constexpr std::string_view drop_table = "drop-table";
inline constexpr std::string_view drop_view = "drop-view";
inline constexpr std::string_view lock_table_blocking = "lock-table-blocking";
inline constexpr std::string_view refresh_matview_blocking = "refresh-matview-blocking";
inline constexpr std::string_view reindex_blocking = "reindex-blocking";
inline constexpr std::string_view rename_column = "rename-column";
inline constexpr std::string_view rename_enum_value = "rename-enum-value";
inline constexpr std::string_view rename_table = "rename-table";
inline constexpr std::string_view set_access_method_rewrite = "set-access-method-rewrite";
inline constexpr std::string_view set_logged_rewrite = "set-logged-rewrite";
inline constexpr std::string_view set_not_null_scan = "set-not-null-scan";
inline constexpr std::string_view set_schema = "set-schema";
inline constexpr std::string_view set_tablespace_copy = "set-tablespace-copy";
inline constexpr std::string_view truncate_table = "truncate-table";
inline constexpr std::string_view vacuum_full_rewrite = "vacuum-full-rewrite";
} // namespace rule

} // namespace safemigrate::core
