/*-------------------------------------------------------------------------
 *
 * statement.hpp
 *	  Value model of one utility statement: the plain facts the boundary
 *	  gathers from the parse tree and the catalog.
 *
 * Nothing here refers to PostgreSQL types.  Every field is something the
 * boundary (src/pg/extract.cpp) can establish exactly; the core decides only
 * from these facts, which is what makes the rules testable without a server.
 *
 * Strings are views into memory the caller owns (palloc'd facts that outlive
 * the decision).  That keeps Statement trivially destructible, so the C-style
 * boundary may fill one in a frame that can ereport (no destructor is skipped
 * by a longjmp); the static_assert below holds that line.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace safemigrate::core {

enum class RelationKind
{
	Table,
	PartitionedTable,
	MaterializedView,
	Other,
};

/* What the catalog says about a relation the statement touches. */
struct RelationFacts
{
	std::string_view qualified_name; /* "schema.name", quoted as needed */
	RelationKind kind = RelationKind::Table;
	bool exists = true;			  /* false: PostgreSQL will raise its own error */
	bool temporary = false;		  /* invisible to other sessions */
	bool created_in_transaction = false; /* invisible to other sessions until commit */
	bool size_known = false;	  /* bytes is the real on-disk size */
	std::int64_t bytes = 0;		  /* main fork size; for a partitioned table, of all leaves */
	double estimated_rows = -1;	  /* < 0: never analyzed, unknown */
	int partitions = 0;			  /* leaf partitions of a partitioned table */
};

enum class StatementKind
{
	CreateIndex,
	Other,
};

/* Facts specific to CREATE INDEX. */
struct CreateIndexFacts
{
	bool concurrent = false;
	bool unique = false;
	bool if_not_exists = false;
	bool already_exists = false; /* IF NOT EXISTS and the name is taken: a no-op */
	std::string_view index_name; /* empty when PostgreSQL chooses the name */
};

struct Statement
{
	StatementKind kind = StatementKind::Other;
	std::string_view text;			 /* this statement's own SQL text */
	bool top_level = true;			 /* sent by the client, not from a function */
	bool in_transaction_block = false; /* explicit or implicit transaction block */
	RelationFacts relation;			 /* the relation the statement acts on */
	CreateIndexFacts create_index;
};

static_assert(std::is_trivially_destructible_v<Statement>,
			  "Statement is filled in C-style frames that may longjmp; keep it trivially destructible");

} // namespace safemigrate::core
