/*-------------------------------------------------------------------------
 *
 * backfill.hpp
 *	  Pure parts of safemigrate.backfill(): the SQL text of one batch, the
 *	  check of the caller's SET and WHERE texts, and the batch-size
 *	  adaptation.
 *
 * The boundary layer (src/pg/backfill.cpp) quotes identifiers with
 * PostgreSQL's quote_identifier() and formats types with format_type_be();
 * the texts here only assemble them.  Key values travel as text parameters
 * cast to the key column's type, so no value is ever spliced into SQL.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace safemigrate::core {

/* One column of the batching key: its quoted name and its type's SQL name. */
struct BackfillKey
{
	std::string name; /* already quoted */
	std::string type; /* e.g. "integer", "text" */
	/*
	 * The key type's btree comparison operators as the statements write them,
	 * e.g. "OPERATOR(pg_catalog.<)" (named by schema: no operator of the
	 * caller's search_path can stand in for them); empty: the plain <, <=,
	 * = and > of a row comparison.
	 */
	std::string lt = "", le = "", eq = "", gt = "", ge = "";
};

/*
 * The statements of a keyset backfill over a (possibly composite) primary key
 * k1..kn.  Parameters are text, cast to the key types:
 *   upper         no parameters; the last key of the table now (the job's bound)
 *   next_first    $1..$n upper bound, $n+1 offset: the last key of the first batch
 *   next_after    $1..$n lower bound (exclusive), $n+1..$2n upper, $2n+1 offset
 *   update_first  $1..$n upper bound (inclusive)
 *   update_after  $1..$n lower bound (exclusive), $n+1..$2n upper bound (inclusive)
 * next_* return the key columns as text; no row means "the rest up to upper".
 */
struct KeysetSql
{
	std::string upper;
	std::string next_first;
	std::string next_after;
	std::string update_first;
	std::string update_after;
	/*
	 * The same UPDATEs counting the rows whose key a trigger (or a generated
	 * key column) moved past the batch's upper bound but not past the job's
	 * last key: one row (updated, moved).  For tables with row triggers on
	 * UPDATE.  Their parameters: the UPDATE's, then the job's last key.
	 */
	std::string update_first_checked;
	std::string update_after_checked;
};

/* table: the quoted qualified name; where_clause empty: no condition. */
/*
 * The key comparisons: one row comparison with the keys' operators when
 * they are the same for every key column (or not given), else spelled out
 * column by column, each with its own operators.
 */
KeysetSql keyset_sql(std::string_view table, const std::vector<BackfillKey> &keys, std::string_view set_clause,
					 std::string_view where_clause);

/* TID-range batch: $1 first tid (inclusive), $2 end tid (exclusive), both of type tid. */
std::string tid_update_sql(std::string_view table, std::string_view set_clause, std::string_view where_clause);

/*
 * Why a SET list or WHERE condition cannot be used, or "" when it can.  The
 * texts are spliced into the batch statement, so they must stay one
 * expression list: no statement separator, no extra clause (WHERE, FROM,
 * RETURNING in the SET list), no parameter reference ($1), balanced
 * parentheses.  PostgreSQL's parser checks everything else when the batch
 * statement is prepared.
 */
std::string set_clause_problem(std::string_view set_clause);
std::string where_clause_problem(std::string_view where_clause);

/*
 * Does the SET list have a string constant PostgreSQL reads as a moment
 * that moves ('now', 'today', 'tomorrow', 'yesterday', in any case, also
 * with a time after it, E'...' and dollar-quoted)?  Converted to a date or
 * timestamp when the batch statement is planned, it differs between batches
 * like now().
 */
bool set_clause_has_time_literal(std::string_view set_clause);

/* Bounds and target of the adaptive batch size. */
struct BatchSizing
{
	int min_rows = 100;
	int max_rows = 5000;
	double target_ms = 200;
};

/*
 * The next batch size after a batch of `rows` rows that took `elapsed_ms`:
 * scaled towards the target duration, by a factor kept within [0.5, 2] so
 * that one odd batch (a checkpoint, a lock wait) does not swing it, and then
 * kept within the bounds.
 */
int adapt_batch_size(int current, double elapsed_ms, const BatchSizing &sizing);

/* Heap pages for a TID-range batch of about `rows` rows: at least 1. */
long pages_for_rows(long rows, double rows_per_page);

/* "1.5 s", "230 ms", "2 min 5 s": durations in NOTICE lines. */
std::string format_ms(double ms);

} // namespace safemigrate::core
