/*-------------------------------------------------------------------------
 *
 * backfill_fence.hpp
 *	  Bridge from backfill.cpp to the core's backfill texts: plain C strings
 *	  in, palloc'd strings out, every C++ exception caught in a fence.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include <cstddef>

#include "pg/fence.hpp"

struct MemoryContextData;

namespace safemigrate::pg {

/* core::KeysetSql, copied into the caller's memory context. */
struct SmKeysetSql
{
	char *upper;
	char *next_first;
	char *next_after;
	char *update_first;
	char *update_after;
	char *update_first_checked;
	char *update_after_checked;
};

/* names: quoted key columns; types: their SQL type names; where may be NULL. */
bool sm_backfill_keyset_sql(const char *table, int nkeys, char *const *names, char *const *types, const char *set,
							const char *where, char *const *ops, MemoryContextData *cxt, SmKeysetSql *out,
							FenceError *err) noexcept;

bool sm_backfill_tid_sql(const char *table, const char *set, const char *where, MemoryContextData *cxt, char **out,
						 FenceError *err) noexcept;

/* Why the SET list (is_set) or WHERE condition cannot be used, into buf; "" when it can. */
bool sm_backfill_clause_problem(const char *text, bool is_set, char *buf, std::size_t buflen,
								FenceError *err) noexcept;

/* core::set_clause_has_time_literal; false on an (impossible) exception. */
bool sm_backfill_time_literal(const char *set) noexcept;

/* core::adapt_batch_size; returns current on an (impossible) exception. */
int sm_backfill_adapt(int current, double elapsed_ms, int min_rows, int max_rows, double target_ms) noexcept;

/* core::pages_for_rows */
long sm_backfill_pages(long rows, double rows_per_page) noexcept;

/* core::format_ms into buf */
void sm_backfill_format_ms(double ms, char *buf, std::size_t buflen) noexcept;

} // namespace safemigrate::pg
