/*-------------------------------------------------------------------------
 *
 * relation.cpp
 *	  Rules for the other relation-level DDL: renames, drops, TRUNCATE,
 *	  CLUSTER, VACUUM, REFRESH MATERIALIZED VIEW, triggers, partitions,
 *	  LOCK TABLE, enums, and statements that only create new objects.
 *
 *	  Locks (PostgreSQL 15, see ../shared/pg-facts.md 2.2): RenameRelation
 *	  AccessExclusiveLock (ALTER INDEX RENAME: ShareUpdateExclusiveLock);
 *	  renameatt / RenameConstraint / SET SCHEMA / DROP / TRUNCATE / CLUSTER /
 *	  VACUUM FULL / REFRESH: AccessExclusiveLock (REFRESH CONCURRENTLY:
 *	  ExclusiveLock); plain VACUUM, ANALYZE, COMMENT, CREATE STATISTICS:
 *	  ShareUpdateExclusiveLock; CREATE TRIGGER: ShareRowExclusiveLock; DROP
 *	  TRIGGER, CREATE RULE: AccessExclusiveLock; CREATE TABLE ... PARTITION
 *	  OF: AccessExclusiveLock on the parent (DefineRelation); ALTER TYPE ...
 *	  ADD VALUE and GRANT: no lock on any table.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/rules/common.hpp"

namespace safemigrate::core {

using namespace detail;

namespace {



const RelationFacts kNoRelation{};

/* Rows for every target of a multi-relation statement (DROP, TRUNCATE, LOCK). */
template <typename F>
void
for_each_target(const Statement &stmt, F &&f)
{
	if (stmt.nrelations == 0)
		f(stmt.relation);
	for (int i = 0; i < stmt.nrelations; ++i)
		f(stmt.relations[i]);
}

void
breaking_rule(Assessment &a, const Statement &stmt, const RelationFacts &rel, std::string_view id,
			  const std::string &what, const std::string &breaks, const std::string &steps)
{
	if (!apply_rule(a, id, rel, Danger::Breaking))
		return;
	a.reason = breaks;
	a.message = std::string(id) + ": " + what + " would break running clients of " + quoted(rel);
	a.detail = breaks + ".  The change itself is instant, but application code deployed before it "
						"fails as soon as it commits.";
	a.hint = "Expand-contract: " + steps +
			 "  Once the application no longer uses the old shape, declare it: start the statement "
			 "with /* safemigrate: expand-contract */.";
	(void) stmt;
}

void
rewrite_rule(Assessment &a, const RelationFacts &rel, std::string_view id, const std::string &what,
			 const std::string &hint)
{
	a.rewrites = true;
	a.scans = true;
	if (!apply_rule(a, id, rel, Danger::Blocking))
		return;
	std::string target = rel.qualified_name.empty() ? std::string("every table it processes") : quoted(rel);
	a.reason = "the whole table and its indexes are rewritten while every query waits";
	a.message = std::string(id) + ": " + what + " on " + target + " would block reads and writes";
	a.detail = (rel.qualified_name.empty()
					? what + " takes an AccessExclusiveLock on every table it processes"
					: takes_lock(what, LockMode::AccessExclusive, rel)) +
			   ": every query, reads included, waits until the whole table and all its indexes have "
			   "been rewritten.";
	a.hint = hint;
}

} // namespace

void
classify_relation_ddl(const Statement &stmt, Assessments &out)
{
	const RelationFacts &rel = stmt.relation;
	std::string command(stmt.command);

	switch (stmt.kind)
	{
		case StatementKind::NotDdl:
			add_row(out, command, kNoRelation, LockMode::None).reason =
				"not DDL: queries and data changes are not judged";
			return;

		case StatementKind::Other:
			add_row(out, command, kNoRelation, LockMode::None).reason =
				"no lock on an existing table";
			return;

		case StatementKind::CreateTable:
			add_row(out, command, kNoRelation, LockMode::None).reason = "creates a new object";
			for (int i = 0; i < stmt.nrelations; ++i)
				add_row(out, command, stmt.relations[i],
						stmt.relations[i].created_in_script ? LockMode::None
						: stmt.relations[i].lock != LockMode::None ? stmt.relations[i].lock
																	: stmt.lock_mode)
					.reason = "a table the new object refers to (a foreign key, or its query): locked "
							  "briefly";
			return;

		case StatementKind::CreatePartitionOf:
		{
			Assessment &a = add_row(out, command, stmt.other, LockMode::AccessExclusive);
			if (!apply_rule(a, rule::create_partition_locks_parent, stmt.other, Danger::Blocking))
				return;
			a.reason = "every query on the partitioned table waits for the lock";
			a.message = std::string(rule::create_partition_locks_parent) + ": CREATE TABLE ... PARTITION OF " +
						quoted(stmt.other) + " would block reads and writes";
			a.detail = takes_lock("CREATE TABLE ... PARTITION OF", LockMode::AccessExclusive, stmt.other) +
					   ": every query on the table and all its partitions waits for the lock, and every "
					   "query behind it waits too.";
			a.hint = "Create the table on its own (CREATE TABLE " + std::string(rel.qualified_name) +
					 " (LIKE " + std::string(stmt.other.qualified_name) +
					 " INCLUDING ALL)), add a CHECK constraint matching the partition bound, then ALTER "
					 "TABLE " + std::string(stmt.other.qualified_name) + " ATTACH PARTITION " +
					 std::string(rel.qualified_name) +
					 " FOR VALUES ...: ATTACH takes only a ShareUpdateExclusiveLock on the parent.";
			return;
		}

		case StatementKind::RenameTable:
		{
			Assessment &a = add_row(out, command + " RENAME TO", rel, LockMode::AccessExclusive);
			a.breaks_clients = true;
			std::string old_name(rel.qualified_name);
			breaking_rule(a, stmt, rel, rule::rename_table,
						  "RENAME TO " + quote_ident(stmt.new_name),
						  "Queries that still name " + quoted(rel) + " fail",
						  "rename the table and, in the same transaction, create a view with the old "
						  "name (simple views are updatable), deploy the application with the new name, "
						  "then drop the view.");
			if (a.violates() && rel.kind == RelationKind::Table)
			{
				std::string schema = old_name.substr(0, old_name.find('.'));
				a.safe_sql.push_back("BEGIN;");
				a.safe_sql.push_back("/* safemigrate: expand-contract */ " +
									 std::string(trim_statement(stmt.text)) + ";");
				a.safe_sql.push_back("CREATE VIEW " + old_name + " AS SELECT * FROM " + schema + "." +
									 quote_ident(stmt.new_name) + ";");
				a.safe_sql.push_back("COMMIT;");
				a.hint += "  " + run_instead(a.safe_sql);
			}
			return;
		}

		case StatementKind::RenameIndex:
			add_row(out, command + " RENAME TO", rel, LockMode::ShareUpdateExclusive).reason =
				"renaming an index is catalog-only and takes a ShareUpdateExclusiveLock";
			return;

		case StatementKind::RenameColumn:
		{
			Assessment &a = add_row(out, command + " RENAME COLUMN", rel, LockMode::AccessExclusive);
			a.breaks_clients = rel.kind != RelationKind::Index;
			if (!a.breaks_clients)
				return;
			std::string helper = "CALL safemigrate.expand_rename_column(" + sql_literal(rel.qualified_name) + ", " +
								 sql_literal(stmt.old_name) + ", " + sql_literal(stmt.new_name) + ")";
			breaking_rule(a, stmt, rel, rule::rename_column,
						  "RENAME COLUMN " + quote_ident(stmt.old_name) + " TO " + quote_ident(stmt.new_name),
						  "Queries, inserts and ORM models that still name column " +
							  quote_ident(stmt.old_name) + " fail",
						  "add the new column, keep both in sync with a trigger, fill it in batches, move "
						  "the application to the new name, then drop the old column.  " + helper +
							  " does the first three steps, CALL safemigrate.contract(<expansion_id>) the last.");
			if (a.violates())
			{
				a.safe_sql.push_back("-- add " + quote_ident(stmt.new_name) +
									 ", sync both columns with a trigger, backfill in batches, switch the "
									 "application, drop " + quote_ident(stmt.old_name));
				a.safe_sql.push_back(helper + ";");
				a.safe_sql.push_back("-- once the application uses " + quote_ident(stmt.new_name) +
									 ": CALL safemigrate.contract(<expansion_id>);");
			}
			if (!stmt.only)
				add_children(out, out.back().command, rel, LockMode::AccessExclusive, false, false);
			return;
		}

		case StatementKind::RenameConstraint:
			add_row(out, command + " RENAME", rel, LockMode::AccessExclusive).reason = "catalog-only change";
			return;

		case StatementKind::SetSchema:
		{
			Assessment &a = add_row(out, command + " SET SCHEMA", rel, LockMode::AccessExclusive);
			a.breaks_clients = true;
			breaking_rule(a, stmt, rel, rule::set_schema, "SET SCHEMA " + quote_ident(stmt.new_name),
						  "Queries that name " + quoted(rel) + " with its schema, or find it through "
						  "search_path, fail",
						  "move the table, and in the same transaction create a view with the old "
						  "qualified name; move the application, then drop the view.");
			return;
		}

		case StatementKind::DropTable:
		case StatementKind::DropView:
			for_each_target(stmt, [&](const RelationFacts &r) {
				Assessment &a = add_row(out, command, r, LockMode::AccessExclusive);
				a.breaks_clients = true;
				/* By the relation's kind: DROP SCHEMA ... CASCADE and DROP OWNED drop tables and views alike. */
				bool view = stmt.kind == StatementKind::DropView || r.kind == RelationKind::View;
				breaking_rule(a, stmt, r, view ? rule::drop_view : rule::drop_table,
							  view										   ? "DROP VIEW"
							  : r.kind == RelationKind::MaterializedView ? "DROP MATERIALIZED VIEW"
																		   : "DROP TABLE",
							  "Application code that still uses " + quoted(r) + " fails",
							  "remove every use from the application, deploy, then drop it.");
			});
			for_each_target(stmt, [&](const RelationFacts &r) {
				if (r.kind == RelationKind::PartitionedTable || stmt.cascade)
					add_children(out, command, r, LockMode::AccessExclusive, false, false);
			});
			return;

		case StatementKind::Truncate:
			for_each_target(stmt, [&](const RelationFacts &target) {
				/* Without ONLY the children are emptied too: an inheritance parent is judged with them. */
				const RelationFacts r = !stmt.only && target.kind == RelationKind::Table && target.nchildren > 0
											? with_children(target)
											: target;
				Assessment &a = add_row(out, command, r, LockMode::AccessExclusive);
				a.rewrites = true; /* new, empty relfilenode */
				if (!apply_rule(a, rule::truncate_table, r, Danger::Blocking))
					return;
				a.reason = "every row is removed under an AccessExclusiveLock";
				a.message = std::string(rule::truncate_table) + ": TRUNCATE on " + quoted(r) +
							" would block reads and writes and remove every row";
				a.detail = takes_lock("TRUNCATE", LockMode::AccessExclusive, r) +
						   ": it waits for every transaction that uses the table, every query behind "
						   "it waits too, and then every row is gone.";
				a.hint = "Delete in batches of a few thousand rows (DELETE ... WHERE key IN (SELECT key "
						 "... LIMIT n)), committing between batches, or make sure nothing uses the table "
						 "any more.";
			});
			if (!stmt.only)
				for_each_target(stmt, [&](const RelationFacts &r) {
					add_children(out, command, r, LockMode::AccessExclusive, true, false);
				});
			return;

		case StatementKind::Cluster:
		{
			Assessment &a = add_row(out, command, rel, LockMode::AccessExclusive);
			rewrite_rule(a, rel, rule::cluster_rewrite, "CLUSTER",
						 "Expand-contract: reorder the data into a new table in batches and swap names, or "
						 "use an online repacking tool; plain VACUUM (no lock on reads or writes) "
						 "reclaims space without reordering.");
			if (rel.kind == RelationKind::PartitionedTable)
				add_children(out, command, rel, LockMode::AccessExclusive, true, true);
			return;
		}

		case StatementKind::VacuumFull:
			for_each_target(stmt, [&](const RelationFacts &r) {
				Assessment &a = add_row(out, command, r, LockMode::AccessExclusive);
				rewrite_rule(a, r, rule::vacuum_full_rewrite, "VACUUM FULL",
							 "Run plain VACUUM instead: it makes the space reusable under a "
							 "ShareUpdateExclusiveLock, which blocks neither reads nor writes.  To "
							 "return space to the operating system, rebuild the table online (a new "
							 "table filled in batches, or an online repacking tool).");
			});
			for_each_target(stmt, [&](const RelationFacts &r) {
				if (r.kind == RelationKind::PartitionedTable)
					add_children(out, command, r, LockMode::AccessExclusive, true, true);
			});
			return;

		case StatementKind::Vacuum:
			for_each_target(stmt, [&](const RelationFacts &r) {
				add_row(out, command, r, LockMode::ShareUpdateExclusive).reason =
					"VACUUM and ANALYZE take a ShareUpdateExclusiveLock: reads and writes go on";
				if (r.kind == RelationKind::PartitionedTable)
					add_children(out, command, r, LockMode::ShareUpdateExclusive, false, false);
			});
			return;

		case StatementKind::RefreshMatView:
		{
			if (stmt.concurrent)
			{
				Assessment &a = add_row(out, command, rel, LockMode::Exclusive);
				a.scans = true;
				a.category = Category::Concurrent;
				a.reason = "REFRESH ... CONCURRENTLY lets reads of the view go on";
				return;
			}
			Assessment &a = add_row(out, command, rel, LockMode::AccessExclusive);
			if (stmt.no_data)
			{
				/* A new empty heap, no query: instant (and CONCURRENTLY cannot be used with it). */
				a.rewrites = true;
				a.reason = "WITH NO DATA runs no query: the view is emptied at once and cannot be queried "
						   "until the next REFRESH";
				return;
			}
			a.rewrites = true;
			a.scans = true;
			if (!apply_rule(a, rule::refresh_matview_blocking, rel, Danger::Blocking))
				return;
			a.reason = "reads of the view wait for the whole refresh";
			a.message = std::string(rule::refresh_matview_blocking) + ": REFRESH MATERIALIZED VIEW " +
						quoted(rel) + " would block reads";
			a.detail = takes_lock("REFRESH MATERIALIZED VIEW", LockMode::AccessExclusive, rel) +
					   ": every query on the view waits until its query has run again and the result "
					   "has been written.";
			std::optional<std::string> safe = refresh_concurrently(stmt.text);
			if (stmt.has_unique_index && safe)
			{
				a.safe_sql.push_back(*safe + ";");
				a.hint = run_instead(a.safe_sql);
				a.rewritable = true;
			}
			else
				a.hint = "Create a unique index on the view with CREATE UNIQUE INDEX CONCURRENTLY, then "
						 "use REFRESH MATERIALIZED VIEW CONCURRENTLY, which lets reads go on.";
			return;
		}

		case StatementKind::CreateTrigger:
			add_row(out, command, rel, LockMode::ShareRowExclusive).reason =
				"catalog-only; writes wait only for the brief ShareRowExclusiveLock";
			if (stmt.row_trigger && rel.kind == RelationKind::PartitionedTable)
				add_children(out, command, rel, LockMode::ShareRowExclusive, false, false);
			return;

		case StatementKind::CatalogChange:
		case StatementKind::CreateRule:
			add_row(out, command, rel, LockMode::AccessExclusive).reason =
				"catalog-only change; the lock is held only briefly";
			return;

		case StatementKind::LockTable:
			for_each_target(stmt, [&](const RelationFacts &r) {
				Assessment &a = add_row(out, command, r, stmt.lock_mode);
				if (!lock_blocks_writes(stmt.lock_mode))
				{
					a.reason = "this lock mode lets reads and writes go on";
					return;
				}
				if (!apply_rule(a, rule::lock_table_blocking, r, Danger::Blocking))
					return;
				a.reason = "the lock is held until the transaction ends";
				static const char *const sql_names[] = {"",
														"ACCESS SHARE",
														"ROW SHARE",
														"ROW EXCLUSIVE",
														"SHARE UPDATE EXCLUSIVE",
														"SHARE",
														"SHARE ROW EXCLUSIVE",
														"EXCLUSIVE",
														"ACCESS EXCLUSIVE"};
				a.message = std::string(rule::lock_table_blocking) + ": LOCK TABLE " + quoted(r) + " IN " +
							sql_names[static_cast<int>(stmt.lock_mode)] + " MODE " + would_block(stmt.lock_mode);
				a.detail = takes_lock("LOCK TABLE", stmt.lock_mode, r) + ": " + who_waits(stmt.lock_mode) +
						   " until this transaction ends.";
				a.hint = "Take the weakest lock the migration needs, keep the transaction short, and set "
						 "lock_timeout so that the statement gives up instead of queueing.";
			});
			if (!stmt.only)
				for_each_target(stmt, [&](const RelationFacts &r) {
					add_children(out, command, r, stmt.lock_mode, false, false);
				});
			return;

		case StatementKind::Comment:
		case StatementKind::CreateStatistics:
			add_row(out, command, rel,
					stmt.lock_mode != LockMode::None ? stmt.lock_mode : LockMode::ShareUpdateExclusive)
				.reason = "catalog-only change";
			return;

		case StatementKind::Grant:
			add_row(out, command, kNoRelation, LockMode::None).reason =
				"privileges change without a lock on the table";
			return;

		case StatementKind::AlterEnumAddValue:
			add_row(out, command, kNoRelation, LockMode::None).reason =
				"a new enum value is added without a lock on any table";
			return;

		case StatementKind::AlterEnumRenameValue:
		{
			Assessment &a = add_row(out, command, kNoRelation, LockMode::None);
			a.breaks_clients = true;
			RelationFacts type = rel;
			breaking_rule(a, stmt, type, rule::rename_enum_value,
						  "RENAME VALUE " + quote_ident(stmt.old_name),
						  "Application code that still writes or compares the value '" +
							  std::string(stmt.old_name) + "' fails",
						  "add the new value with ADD VALUE, move the application and the data to it, "
						  "then stop using the old value.");
			return;
		}

		case StatementKind::AlterDomainConstraint:
		{
			/* The lock and scan are on the tables using the domain: the partners. */
			Assessment &a = add_row(out, command, kNoRelation, LockMode::None);
			a.reason = "the domain's constraint is checked against every column of this type";
			bool any_data = false;
			for (int i = 0; i < stmt.npartners; ++i)
				any_data |= !invisible_to_others(stmt.partners[i]) &&
							!(stmt.partners[i].size_known && stmt.partners[i].bytes == 0);
			if (!any_data || stmt.concurrent /* NOT VALID */)
			{
				a.reason = stmt.concurrent ? "NOT VALID: existing values are not checked"
										   : "no table with data uses the domain";
				return;
			}
			RelationFacts domain = rel;
			domain.size_known = false;
			if (!apply_rule(a, rule::alter_domain_validating, domain, Danger::Blocking))
				return;
			a.scans = true;
			a.message = std::string(rule::alter_domain_validating) + ": " + command + " on domain \"" +
						std::string(rel.qualified_name) + "\" would block writes to " +
						std::to_string(stmt.npartners) + " table(s)";
			a.detail = "Checking a domain constraint takes a ShareLock on every table with a column of "
					   "the domain: INSERT, UPDATE and DELETE on them wait until all their rows have been "
					   "checked.  VALIDATE CONSTRAINT on a domain takes the same ShareLock.";
			a.hint = "Replace the domain's check by a CHECK constraint on each column that uses it: ADD "
					 "CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT, which blocks neither reads nor "
					 "writes.  A domain constraint added NOT VALID is instant, but validating it always "
					 "blocks writes.";
			return;
		}

		case StatementKind::MoveAllTablespace:
			for (int i = 0; i < stmt.nrelations; ++i)
			{
				const RelationFacts &r = stmt.relations[i];
				Assessment &a = add_row(out, command, r, LockMode::AccessExclusive);
				rewrite_rule(a, r, rule::set_tablespace_copy, "SET TABLESPACE",
							 "Move the tables one at a time by copying them into a new table in the "
							 "target tablespace in batches, then swap names.");
				if (a.violates())
					a.detail = takes_lock("ALTER TABLE ALL IN TABLESPACE", LockMode::AccessExclusive, r) +
							   ", held until every table has been moved: every query on it waits until "
							   "every block of the table (not its indexes) has been copied.";
			}
			if (stmt.nrelations == 0)
				add_row(out, command, kNoRelation, LockMode::None).reason = "no table to move";
			return;

		default:
			add_row(out, command, rel, LockMode::None).reason = "no rule applies to this statement";
			return;
	}
}

} // namespace safemigrate::core
