/*-------------------------------------------------------------------------
 *
 * index.cpp
 *	  Rules for index DDL.
 *
 *	  create-index-blocking: CREATE INDEX without CONCURRENTLY takes a
 *	  ShareLock on the table (utility.c, case T_IndexStmt: "lockmode =
 *	  stmt->concurrent ? ShareUpdateExclusiveLock : ShareLock"), which
 *	  conflicts with RowExclusiveLock: every INSERT, UPDATE and DELETE waits
 *	  until the whole table has been read and the index built.  On a
 *	  partitioned table every partition is locked the same way, and PostgreSQL
 *	  15 cannot build the parent index concurrently.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/policy.hpp"
#include "core/rules.hpp"
#include "core/sql_text.hpp"

namespace safemigrate::core {

namespace {

void
fill_partitioned_hint(const Statement &stmt, Verdict &v)
{
	const CreateIndexFacts &ci = stmt.create_index;
	std::string name = ci.index_name.empty() ? std::string("<index name>") : std::string(ci.index_name);
	std::optional<std::string> only = create_index_on_only(stmt.text);

	v.hint = "CREATE INDEX CONCURRENTLY cannot build an index on a partitioned table.  Create "
			 "the parent index on the parent alone (it is invalid until every partition has its "
			 "index), then build each partition's index concurrently and attach it: ";
	if (only)
	{
		v.safe_steps.push_back(*only + ";");
		v.hint += *only + ";";
	}
	else
		v.hint += "CREATE INDEX " + name + " ON ONLY " + std::string(stmt.relation.qualified_name) +
				  " (...);";
	std::string per_partition = "CREATE INDEX CONCURRENTLY <partition index> ON <partition> (...); "
								"ALTER INDEX " + name + " ATTACH PARTITION <partition index>;";
	v.safe_steps.push_back(per_partition);
	v.hint += " then, for each of the " + std::to_string(stmt.relation.partitions) +
			  " partitions: " + per_partition;
	if (ci.index_name.empty())
		v.hint += "  Give the index a name so that the partition indexes can be attached to it.";
}

} // namespace

Verdict
evaluate_create_index(const Statement &stmt)
{
	const CreateIndexFacts &ci = stmt.create_index;
	const RelationFacts &rel = stmt.relation;
	Verdict v;

	if (ci.concurrent)
	{
		v.lock = LockMode::ShareUpdateExclusive;
		v.reason = "CREATE INDEX CONCURRENTLY does not block reads or writes";
		return v;
	}
	v.lock = LockMode::Share;
	if (ci.if_not_exists && ci.already_exists)
	{
		v.reason = "the index already exists; IF NOT EXISTS makes the statement a no-op";
		return v;
	}
	if (exempt_from_blocking_rules(rel, v))
		return v;
	if (rel.kind == RelationKind::Other)
	{
		v.reason = "indexes can only be built on tables and materialized views; PostgreSQL reports "
				   "the error";
		return v;
	}

	const RuleInfo *info = find_rule(rule::create_index_blocking);
	v.action = Action::Reject;
	v.rule_id = info->id;
	v.sqlstate = info->sqlstate;

	const char *command = ci.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
	const char *kind = relation_kind_word(rel.kind);
	bool partitioned = rel.kind == RelationKind::PartitionedTable;

	const std::string relname(rel.qualified_name);
	v.message = std::string(info->id) + ": " + command + " on " + kind + " \"" + relname +
				"\" would block writes";

	std::string writers = rel.kind == RelationKind::MaterializedView
							  ? "REFRESH MATERIALIZED VIEW waits"
							  : "INSERT, UPDATE and DELETE wait";
	v.detail = std::string(command) + " without CONCURRENTLY takes a " +
			   lock_mode_name(LockMode::Share) + " on \"" + relname + "\"" +
			   (partitioned ? " and each of its " + std::to_string(rel.partitions) + " partitions"
							: std::string()) +
			   " (" + describe_size(rel) + "): " + writers +
			   (partitioned ? std::string(" until every partition has been read and its index built.")
							: " until the whole " + std::string(kind) +
								  " has been read and the index built.") +
			   "  Reads are not blocked.";

	if (partitioned)
	{
		fill_partitioned_hint(stmt, v);
		return v;
	}

	std::optional<std::string> safe = create_index_concurrently(stmt.text);
	if (safe)
	{
		v.safe_steps.push_back(*safe + ";");
		v.hint = "Run instead: " + *safe + ";";
	}
	else
		v.hint = "Run the same statement as CREATE " + std::string(ci.unique ? "UNIQUE " : "") +
				 "INDEX CONCURRENTLY.";
	if (!stmt.top_level || stmt.in_transaction_block)
		v.hint += "  CREATE INDEX CONCURRENTLY cannot run inside a transaction block or a "
				  "function: send it as a statement of its own.";
	return v;
}

} // namespace safemigrate::core
