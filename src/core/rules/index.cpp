/*-------------------------------------------------------------------------
 *
 * index.cpp
 *	  Rules for index DDL: CREATE INDEX, DROP INDEX, REINDEX.
 *
 *	  create-index-blocking: CREATE INDEX without CONCURRENTLY takes a
 *	  ShareLock on the table (utility.c, case T_IndexStmt: "lockmode =
 *	  stmt->concurrent ? ShareUpdateExclusiveLock : ShareLock"), which
 *	  conflicts with RowExclusiveLock: every INSERT, UPDATE and DELETE waits
 *	  until the whole table has been read and the index built.  On a
 *	  partitioned table every partition is locked the same way, and PostgreSQL
 *	  15 cannot build the parent index concurrently.
 *
 *	  drop-index-blocking: DROP INDEX takes an AccessExclusiveLock on the
 *	  index and its table (tablecmds.c RangeVarCallbackForDropRelation,
 *	  heap_lockmode); CONCURRENTLY takes ShareUpdateExclusiveLock.
 *
 *	  reindex-blocking: REINDEX takes a ShareLock on the table and an
 *	  AccessExclusiveLock on each index (index.c reindex_index), so writes
 *	  and every query that plans on the table wait; CONCURRENTLY (PG12+)
 *	  takes ShareUpdateExclusiveLock.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/rules/common.hpp"

#include <algorithm>
#include <cstdint>

namespace safemigrate::core {

using namespace detail;

namespace {

/* How many partitions the hint lists the steps of (safemigrate.check() gives every step). */
constexpr int kHintPartitions = 20;

/*
 * The steps of a partitioned CREATE INDEX, one partition after the other
 * (stmt.create_index.plan): the parent's index ON ONLY under the name it has
 * or PostgreSQL would give it; for each partition without a matching index,
 * its index built CONCURRENTLY (a partitioned partition's ON ONLY, its own
 * partitions' next) and attached; a matching index a partition has already,
 * attached as it is.  The last attachment makes the parent's index valid.
 * With a foreign partition (no index; an index created ON ONLY would never
 * become valid): each index built first, then the statement itself, which
 * attaches them.  *listed: how many steps the first kHintPartitions
 * partitions take.  False when the plan is not known or does not hold
 * together.
 */
bool
partition_steps(const Statement &stmt, SafeSteps &steps, std::size_t *listed)
{
	const CreateIndexFacts &ci = stmt.create_index;
	if (ci.nplan <= 0 || ci.plan == nullptr || ci.qualified_index_name.empty() ||
		(ci.index_name.empty() && ci.chosen_name.empty()))
		return false;
	std::optional<std::string> tail = create_index_tail(stmt.text);
	std::optional<std::string> named =
		create_index_named(stmt.text, ci.index_name.empty() ? ci.chosen_name : ci.index_name);
	std::optional<std::string> only = named ? create_index_on_only(*named) : std::nullopt;
	if (!tail || !only)
		return false;
	std::string create = ci.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
	bool foreign = false;
	for (int i = 0; i < ci.nplan; ++i)
	{
		const IndexPartition &e = ci.plan[i];
		/* each entry after its parent, which is a partitioned partition whose index is new */
		bool parent_ok = e.parent < i && (e.parent < 0 || (ci.plan[e.parent].partitioned &&
														   ci.plan[e.parent].existing.empty()));
		bool index_ok = !e.existing.empty() || e.foreign || (!e.index_name.empty() && !e.qualified_index.empty());
		if (!parent_ok || !index_ok || e.table.empty())
			return false;
		foreign |= e.foreign;
	}
	*listed = 0;
	if (foreign)
	{
		/* DefineIndex() skips a foreign partition; validatePartitionedIndex() counts every partition. */
		for (int i = 0; i < ci.nplan; ++i)
		{
			const IndexPartition &e = ci.plan[i];
			if (!e.foreign && !e.partitioned && e.existing.empty())
				steps.push_back(create + "CONCURRENTLY " + quote_ident(e.index_name) + " ON " + std::string(e.table) +
								" " + *tail + ";");
			if (i + 1 == kHintPartitions)
				*listed = steps.size();
		}
		if (ci.nplan <= kHintPartitions)
			*listed = steps.size() + 1;
		steps.push_back(*named + ";");
		return true;
	}
	steps.push_back(*only + ";");
	/* The partitioned partitions whose own partitions come next: attached once those are listed. */
	std::vector<int> open;
	auto index_of = [&](int entry) {
		return entry < 0 ? std::string(ci.qualified_index_name) : std::string(ci.plan[entry].qualified_index);
	};
	auto close = [&](int entry) {
		steps.push_back("ALTER INDEX " + index_of(ci.plan[entry].parent) + " ATTACH PARTITION " +
						std::string(ci.plan[entry].qualified_index) + ";");
	};
	for (int i = 0; i < ci.nplan; ++i)
	{
		const IndexPartition &e = ci.plan[i];
		while (!open.empty() && open.back() != e.parent)
		{
			close(open.back());
			open.pop_back();
		}
		if (i == kHintPartitions)
			*listed = steps.size();
		if (!e.existing.empty())
			steps.push_back("ALTER INDEX " + index_of(e.parent) + " ATTACH PARTITION " + std::string(e.existing) + ";");
		else if (e.partitioned)
		{
			steps.push_back(create + quote_ident(e.index_name) + " ON ONLY " + std::string(e.table) + " " + *tail +
							";");
			open.push_back(i);
		}
		else
		{
			steps.push_back(create + "CONCURRENTLY " + quote_ident(e.index_name) + " ON " + std::string(e.table) + " " +
							*tail + ";");
			steps.push_back("ALTER INDEX " + index_of(e.parent) + " ATTACH PARTITION " +
							std::string(e.qualified_index) + ";");
		}
	}
	while (!open.empty())
	{
		close(open.back());
		open.pop_back();
	}
	if (ci.nplan <= kHintPartitions)
		*listed = steps.size();
	return true;
}

void
fill_partitioned_hint(const Statement &stmt, Assessment &a)
{
	const CreateIndexFacts &ci = stmt.create_index;
	SafeSteps steps;
	std::size_t listed = 0;
	if (partition_steps(stmt, steps, &listed))
	{
		bool foreign = false;
		for (int i = 0; i < ci.nplan; ++i)
			foreign |= ci.plan[i].foreign;
		a.hint = foreign ? "CREATE INDEX CONCURRENTLY cannot build an index on a partitioned table, and one created "
						   "ON ONLY the parent would never become valid with a foreign partition: build each "
						   "partition's index concurrently first, then run the statement, which attaches them and "
						   "builds none, each statement in its own transaction:"
						 : "CREATE INDEX CONCURRENTLY cannot build an index on a partitioned table.  Create the parent "
						   "index on the parent alone (it is invalid until every partition has its index), then "
						   "build each partition's index concurrently and attach it, each statement in its own "
						   "transaction:";
		for (std::size_t i = 0; i < steps.size() && i < listed; ++i)
			a.hint += " " + steps[i];
		if (listed < steps.size())
		{
			int more = ci.nplan - kHintPartitions;
			a.hint += " ... and " + std::to_string(more) + (more == 1 ? " more partition" : " more partitions") +
					  " (safemigrate.check() gives every step)" + (foreign ? ", then the statement itself." : ".");
		}
		if (ci.plan_unmatched)
			a.hint += "  (An index on expressions or with a predicate: whether a partition has a matching index "
					  "already is not known here, so each gets one.)";
		if (!foreign)
			a.hint += "  Or build each partition's index CONCURRENTLY first, with the same definition: this "
					  "statement then attaches them and builds nothing.";
		a.hint += outside_transaction_note(stmt, "CREATE INDEX CONCURRENTLY");
		a.safe_sql.insert(a.safe_sql.end(), steps.begin(), steps.end());
		return;
	}

	/* The partitions are not known here (one is locked by another session): the steps as a pattern. */
	std::string name = ci.index_name.empty() ? std::string("<index name>") : std::string(ci.index_name);
	std::optional<std::string> only = create_index_on_only(stmt.text);

	a.hint = "CREATE INDEX CONCURRENTLY cannot build an index on a partitioned table.  Create "
			 "the parent index on the parent alone (it is invalid until every partition has its "
			 "index), then build each partition's index concurrently and attach it: ";
	if (only)
	{
		a.safe_sql.push_back(*only + ";");
		a.hint += *only + ";";
	}
	else
		a.hint += "CREATE INDEX " + name + " ON ONLY " + std::string(stmt.relation.qualified_name) +
				  " (...);";
	std::string per_partition = "CREATE INDEX CONCURRENTLY <partition index> ON <partition> (...); "
								"ALTER INDEX " + name + " ATTACH PARTITION <partition index>;";
	a.safe_sql.push_back(per_partition);
	a.hint += " then, for each of the " + std::to_string(stmt.relation.partitions) +
			  " partitions: " + per_partition;
	if (ci.index_name.empty())
		a.hint += "  Give the index a name so that the partition indexes can be attached to it.";
	a.hint += "  Or build each partition's index CONCURRENTLY first, with the same definition: this statement "
			  "then attaches them and builds nothing.";
}

/* Is child one of the partitions a partitioned CREATE INDEX builds an index on? */
bool
builds_on(const CreateIndexFacts &ci, const RelationFacts &child)
{
	if (ci.partition_builds < 0)
		return true; /* not known: each may be built */
	for (int i = 0; i < ci.nbuilt_partitions; ++i)
		if (ci.built_partitions[i] == child.qualified_name)
			return true;
	return false;
}

/*
 * The partitions a partitioned CREATE INDEX builds an index on, judged as
 * one relation: their size, and new or temporary only when each of them is.
 * The parent itself when they are not known by name.
 */
RelationFacts
built_partitions(const RelationFacts &rel, const CreateIndexFacts &ci, bool *partial)
{
	*partial = false;
	if (ci.partition_builds <= 0 || ci.nbuilt_partitions != ci.partition_builds)
		return rel;
	RelationFacts out = rel;
	out.bytes = 0;
	out.estimated_rows = 0;
	out.size_known = true;
	out.temporary = out.created_in_transaction = out.created_in_script = true;
	int found = 0;
	for (int i = 0; i < rel.nchildren; ++i)
	{
		const RelationFacts &c = rel.children[i];
		if (!c.has_storage || !builds_on(ci, c))
			continue;
		++found;
		out.bytes = c.bytes > 0 && out.bytes > INT64_MAX - c.bytes ? INT64_MAX : out.bytes + std::max<std::int64_t>(c.bytes, 0);
		out.size_known = out.size_known && c.size_known;
		out.estimated_rows = out.estimated_rows >= 0 && c.estimated_rows >= 0 ? out.estimated_rows + c.estimated_rows : -1;
		out.temporary = out.temporary && c.temporary;
		out.created_in_transaction = out.created_in_transaction && c.created_in_transaction;
		out.created_in_script = out.created_in_script && c.created_in_script;
	}
	*partial = found == ci.partition_builds;
	return *partial ? out : rel;
}

/* One row per partition or child of a partitioned CREATE INDEX: each locked, read only where an index is built. */
void
add_partition_rows(Assessments &out, const char *command, const RelationFacts &rel, const CreateIndexFacts &ci)
{
	add_children(out, command, rel, LockMode::Share, false, true);
	for (std::size_t i = out.size() - static_cast<std::size_t>(rel.nchildren), k = 0; i < out.size(); ++i, ++k)
		out[i].scans = out[i].scans && builds_on(ci, rel.children[k]);
}

void
classify_create_index(const Statement &stmt, Assessments &out)
{
	const CreateIndexFacts &ci = stmt.create_index;
	const RelationFacts &rel = stmt.relation;
	const char *command = ci.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX";

	if (ci.concurrent)
	{
		Assessment &a = add_row(out, std::string(command) + " CONCURRENTLY", rel,
								LockMode::ShareUpdateExclusive);
		a.scans = true;
		a.category = Category::Concurrent;
		a.reason = "CREATE INDEX CONCURRENTLY does not block reads or writes";
		return;
	}
	Assessment &a = add_row(out, command, rel, LockMode::Share);
	a.scans = true;
	if (ci.if_not_exists && ci.already_exists)
	{
		a.scans = false;
		a.reason = "the index already exists; IF NOT EXISTS makes the statement a no-op";
		return;
	}
	if (rel.exists && rel.kind != RelationKind::Table && rel.kind != RelationKind::PartitionedTable &&
		rel.kind != RelationKind::MaterializedView)
	{
		a.reason = "indexes can only be built on tables and materialized views; PostgreSQL reports "
				   "the error";
		return;
	}
	bool partitioned = rel.kind == RelationKind::PartitionedTable;
	if (partitioned && stmt.only)
	{
		a.scans = false;
		a.reason = "ON ONLY: the parent's index is created invalid and no partition is built; attach each "
				   "partition's index (built CONCURRENTLY) to it";
		return;
	}
	/* On a partitioned table, what counts is the partitions an index is built on. */
	bool partial = false;
	const RelationFacts judged = partitioned ? built_partitions(rel, ci, &partial) : rel;
	a.bytes = judged.bytes;
	a.rows = judged.estimated_rows;
	a.size_known = judged.size_known;
	if (!apply_rule(a, rule::create_index_blocking, judged, Danger::Blocking))
	{
		if (partial)
		{
			std::string names;
			for (int i = 0; i < ci.nbuilt_partitions; ++i)
				names += (i > 0 ? ", " : "") + std::string(ci.built_partitions[i]);
			a.reason = "only the partitions without a matching index of their own get one built (" + names +
					   "); for them: " + a.reason;
			add_partition_rows(out, command, rel, ci);
		}
		return;
	}
	if (partitioned && ci.partition_builds == 0)
	{
		/* DefineIndex attaches each partition's matching index: nothing is read or built. */
		a.rule = nullptr;
		a.category = Category::InstantSafe;
		a.scans = false;
		a.reason = "every partition already has a matching index of its own: PostgreSQL attaches them and "
				   "builds none (a brief " +
				   std::string(lock_mode_name(LockMode::Share)) + " on each partition)";
		add_children(out, command, rel, LockMode::Share, false, false);
		return;
	}

	const char *kind = relation_kind_word(rel.kind);
	a.reason = "the build blocks writes until the whole table has been read";
	a.message = std::string(rule::create_index_blocking) + ": " + command + " on " + kind + " " +
				quoted(rel) + " would block writes";
	std::string writers = rel.kind == RelationKind::MaterializedView
							  ? "REFRESH MATERIALIZED VIEW waits"
							  : "INSERT, UPDATE and DELETE wait";
	a.detail = std::string(command) + " without CONCURRENTLY takes a " +
			   lock_mode_name(LockMode::Share) + " on " + quoted(rel) +
			   (partitioned ? " and each of its " + std::to_string(rel.partitions) + " partitions"
							: std::string()) +
			   " (" + describe_size(judged) + "): " + writers +
			   (partitioned ? ci.partition_builds > 0
								  ? " until the " + std::to_string(ci.partition_builds) +
										" partitions without a matching index of their own have been read and "
										"their indexes built."
								  : std::string(" until every partition has been read and its index built.")
							: " until the whole " + std::string(kind) +
								  " has been read and the index built.") +
			   "  Reads are not blocked.";

	if (partitioned)
	{
		fill_partitioned_hint(stmt, a);
		if (!stmt.only)
			add_partition_rows(out, command, rel, ci);
		return;
	}
	std::optional<std::string> safe = create_index_concurrently(stmt.text);
	if (safe)
	{
		a.safe_sql.push_back(*safe + ";");
		a.hint = "Run instead: " + *safe + ";";
		a.rewritable = true;
	}
	else
		a.hint = "Run the same statement as CREATE " + std::string(ci.unique ? "UNIQUE " : "") +
				 "INDEX CONCURRENTLY.";
	a.hint += outside_transaction_note(stmt, "CREATE INDEX CONCURRENTLY");
}

void
classify_drop_index(const Statement &stmt, Assessments &out)
{
	std::optional<std::string> safe;
	bool cascade = false;
	std::vector<std::string> names = drop_index_names(stmt.text, &cascade);
	for (int i = 0; i < stmt.nrelations; ++i)
	{
		const RelationFacts &table = stmt.relations[i];
		if (stmt.concurrent)
		{
			Assessment &a = add_row(out, "DROP INDEX CONCURRENTLY", table, LockMode::ShareUpdateExclusive);
			a.category = Category::Concurrent;
			a.reason = "DROP INDEX CONCURRENTLY waits for running queries instead of blocking them";
			continue;
		}
		Assessment &a = add_row(out, "DROP INDEX", table, LockMode::AccessExclusive);
		if (!apply_rule(a, rule::drop_index_blocking, table, Danger::Blocking))
			continue;
		a.reason = "DROP INDEX waits for every running query on the table, and every query queues "
				   "behind it";
		a.message = std::string(rule::drop_index_blocking) + ": DROP INDEX on " + kind_word(table) +
					" " + quoted(table) + " would block reads and writes";
		a.detail = takes_lock("DROP INDEX", LockMode::AccessExclusive, table) +
				   ": it waits for every transaction that uses the table, and every query behind it "
				   "waits too, reads included.";
		if (table.kind == RelationKind::PartitionedTable)
		{
			a.hint = "PostgreSQL 15 cannot drop an index of a partitioned table concurrently: run the "
					 "statement when the table is quiet, with a short lock_timeout so that it gives up "
					 "instead of queueing.";
			continue;
		}
		if (out.size() == 1)
		{
			for (const std::string &n : names)
				a.safe_sql.push_back("DROP INDEX CONCURRENTLY " + n + ";");
		}
		/* DROP INDEX CONCURRENTLY takes one index and no CASCADE. */
		a.rewritable = stmt.nrelations == 1 && names.size() == 1 && !cascade;
		if (!a.safe_sql.empty())
			a.hint = run_instead(a.safe_sql);
		else
			a.hint = "Drop each index with DROP INDEX CONCURRENTLY, one statement per index.";
		if (cascade)
			a.hint += "  CONCURRENTLY does not support CASCADE: drop the dependent objects first.";
		a.hint += outside_transaction_note(stmt, "DROP INDEX CONCURRENTLY");
	}
	/* A partitioned index is dropped with every partition's index: their tables are locked too. */
	for (int i = 0; i < stmt.nrelations; ++i)
		add_children(out, stmt.concurrent ? "DROP INDEX CONCURRENTLY" : "DROP INDEX", stmt.relations[i],
					 stmt.concurrent ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive, false, false);
}

void
classify_reindex(const Statement &stmt, Assessments &out)
{
	RelationFacts whole; /* REINDEX SCHEMA / DATABASE: every table */
	whole.qualified_name = "";
	const RelationFacts *targets = stmt.relations;
	int n = stmt.nrelations;
	if (n == 0)
	{
		targets = &whole;
		n = 1;
	}
	for (int i = 0; i < n; ++i)
	{
		const RelationFacts &table = targets[i];
		if (stmt.concurrent)
		{
			Assessment &a = add_row(out, "REINDEX CONCURRENTLY", table, LockMode::ShareUpdateExclusive);
			a.scans = true;
			a.category = Category::Concurrent;
			a.reason = "REINDEX CONCURRENTLY builds the new index without blocking reads or writes";
			continue;
		}
		Assessment &a = add_row(out, "REINDEX", table, LockMode::Share);
		a.scans = true;
		if (!apply_rule(a, rule::reindex_blocking, table, Danger::Blocking))
			continue;
		std::string where = table.qualified_name.empty() ? std::string("every table it reindexes")
														 : quoted(table);
		a.reason = "the rebuild blocks writes, and every query that plans on the table";
		a.message = std::string(rule::reindex_blocking) + ": REINDEX on " + where +
					" would block writes and queries that use the index";
		a.detail = "REINDEX takes a ShareLock on " + where +
				   (table.qualified_name.empty() ? std::string() : " (" + describe_size(table) + ")") +
				   " and an AccessExclusiveLock on each index it rebuilds: INSERT, UPDATE and DELETE, "
				   "and every query whose planning opens the index, wait until the rebuild ends.";
		if (!stmt.reindex_not_concurrent.empty())
		{
			/* REINDEX ... CONCURRENTLY would report success and skip what it cannot rebuild (or fail). */
			a.hint = "REINDEX ... CONCURRENTLY would not do the same: " + std::string(stmt.reindex_not_concurrent) +
					 ".  Rebuild an invalid index with DROP INDEX CONCURRENTLY and CREATE INDEX CONCURRENTLY, the "
					 "others with REINDEX INDEX ... CONCURRENTLY one by one; what has no concurrent form (an "
					 "exclusion constraint's index, a system catalog) when the table can be locked (safemigrate.allow "
					 "= 'reindex-blocking' for that statement).";
			continue;
		}
		if (i == 0)
		{
			std::optional<std::string> safe = reindex_concurrently(stmt.text);
			if (safe)
			{
				a.safe_sql.push_back(*safe + ";");
				a.rewritable = true;
			}
		}
		a.hint = a.safe_sql.empty() ? std::string("Use REINDEX ... CONCURRENTLY.") : run_instead(a.safe_sql);
		a.hint += outside_transaction_note(stmt, "REINDEX CONCURRENTLY");
	}
	for (int i = 0; i < stmt.nrelations; ++i)
	{
		if (stmt.relations[i].kind == RelationKind::PartitionedTable)
			add_children(out, stmt.concurrent ? "REINDEX CONCURRENTLY" : "REINDEX", stmt.relations[i],
						 stmt.concurrent ? LockMode::ShareUpdateExclusive : LockMode::Share, false, true);
	}
}

} // namespace

void
classify_index_ddl(const Statement &stmt, Assessments &out)
{
	switch (stmt.kind)
	{
		case StatementKind::CreateIndex:
			classify_create_index(stmt, out);
			break;
		case StatementKind::DropIndex:
			classify_drop_index(stmt, out);
			break;
		case StatementKind::Reindex:
			classify_reindex(stmt, out);
			break;
		default:
			break;
	}
}

} // namespace safemigrate::core
