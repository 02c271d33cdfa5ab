/*-------------------------------------------------------------------------
 *
 * classify.hpp
 *	  classify(): Statement -> one Assessment per (subcommand, relation).
 *
 * An Assessment says what PostgreSQL 15 really does to one relation: the
 * lock it takes (AlterTableGetLockLevel() and friends), whether it rewrites
 * or fully scans the table, whether running clients break, the category, the
 * rule that matches (if any) with its texts and the safe SQL.  The hook turns
 * the assessments into one Verdict (policy.hpp); safemigrate.check() shows
 * them row by row.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"
#include "core/lock_mode.hpp"
#include "core/rules.hpp"
#include "core/statement.hpp"
#include "core/verdict.hpp"

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <string>

namespace safemigrate::core {

struct Assessment
{
	std::string command;  /* "ALTER TABLE ADD COLUMN", "CREATE INDEX", ... */
	std::string relation; /* qualified name; "" when the statement locks no existing relation */
	LockMode lock = LockMode::None;
	bool rewrites = false;		 /* the table (and its indexes) is rewritten or copied */
	bool scans = false;			 /* the whole table is read (validation, index build) */
	bool breaks_clients = false; /* running application code that uses the old shape fails */
	Category category = Category::InstantSafe;
	const RuleInfo *rule = nullptr; /* the rule that matches, even when exempt */
	bool exempt = false;			/* the rule matches, but the relation is invisible/empty */
	bool overridden = false;		/* exempt through a safemigrate:allow override comment */
	bool rewritable = false;		/* the hook can run the CONCURRENTLY form of the statement itself */
	/*
	 * ALTER TABLE: the index of the subcommand this row is the main row of
	 * (-1 for rows of partitions, partners and other statements), the
	 * subcommand alone as a statement, and whether safe_sql are steps the
	 * hook can run (SQL only, on a table).
	 */
	int subcommand = -1;
	int pass = 10; /* PostgreSQL's pass for the subcommand (tablecmds.c AT_PASS_*): the order its steps run in */
	bool drops = false; /* a first-pass drop (DROP CONSTRAINT / COLUMN / NOT NULL / DEFAULT / EXPRESSION /
						   IDENTITY): split, never before steps that may fail */
	std::string own_step;
	std::string constraint_name; /* ADD CHECK / FOREIGN KEY: the name its steps give the constraint */
	bool steps_ok = false;

	/* Size of the relation, for the small-table exemption of the policy. */
	bool size_known = false;
	std::int64_t bytes = 0;
	double rows = -1;
	std::string reason;				/* why it is allowed, exempt, or dangerous (one sentence) */
	std::string message;			/* primary message when the rule applies */
	std::string detail;
	std::string hint;
	SafeSteps safe_sql; /* statements to run instead, in order */

	bool violates() const { return rule != nullptr && !exempt; }
};

/* Most statements touch one to four relations: no allocation for the list. */
using Assessments = boost::container::small_vector<Assessment, 4>;

Assessments classify(const Statement &stmt);

/* The strongest category of a list of assessments (instant-safe < concurrent < expand-contract). */
Category strongest_category(const Assessments &rows);

/* Rule families (src/core/rules/). */
void classify_index_ddl(const Statement &stmt, Assessments &out);
void classify_alter_table(const Statement &stmt, Assessments &out);
void classify_relation_ddl(const Statement &stmt, Assessments &out);

} // namespace safemigrate::core
