/*-------------------------------------------------------------------------
 *
 * backfill_fence.cpp
 *	  Run the core's backfill functions inside fences (see backfill_fence.hpp).
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/backfill.hpp"
#include "pg/backfill_fence.hpp"

#include "pg/postgres.hpp"

namespace safemigrate::pg {

/* noexcept fence; must not call PostgreSQL except the no-OOM allocator. */
bool
sm_backfill_keyset_sql(const char *table, int nkeys, char *const *names, char *const *types, const char *set,
					   const char *where, char *const *ops, MemoryContextData *cxt, SmKeysetSql *out,
					   FenceError *err) noexcept
{
	return fence(
		[&] {
			std::vector<core::BackfillKey> keys;
			for (int i = 0; i < nkeys; ++i)
			{
				core::BackfillKey k{names[i], types[i]};
				if (ops != nullptr) /* lt, le, eq, ge, gt of each key */
				{
					k.lt = ops[5 * i];
					k.le = ops[5 * i + 1];
					k.eq = ops[5 * i + 2];
					k.ge = ops[5 * i + 3];
					k.gt = ops[5 * i + 4];
				}
				keys.push_back(k);
			}
			core::KeysetSql s = core::keyset_sql(table, keys, set, where ? where : "");
			out->upper = sm_copy_out(cxt, s.upper);
			out->next_first = sm_copy_out(cxt, s.next_first);
			out->next_after = sm_copy_out(cxt, s.next_after);
			out->update_first = sm_copy_out(cxt, s.update_first);
			out->update_after = sm_copy_out(cxt, s.update_after);
			out->update_first_checked = sm_copy_out(cxt, s.update_first_checked);
			out->update_after_checked = sm_copy_out(cxt, s.update_after_checked);
		},
		err);
}

/* noexcept fence; must not call PostgreSQL except the no-OOM allocator. */
bool
sm_backfill_tid_sql(const char *table, const char *set, const char *where, MemoryContextData *cxt, char **out,
					FenceError *err) noexcept
{
	return fence([&] { *out = sm_copy_out(cxt, core::tid_update_sql(table, set, where ? where : "")); }, err);
}

/* noexcept fence; no PostgreSQL call at all. */
bool
sm_backfill_clause_problem(const char *text, bool is_set, char *buf, std::size_t buflen, FenceError *err) noexcept
{
	return fence(
		[&] {
			std::string p = is_set ? core::set_clause_problem(text) : core::where_clause_problem(text);
			snprintf(buf, buflen, "%s", p.c_str());
		},
		err);
}

/* noexcept fence; no PostgreSQL call at all. */
bool
sm_backfill_time_literal(const char *set) noexcept
{
	bool found = false;
	FenceError err;
	(void) fence([&] { found = core::set_clause_has_time_literal(set); }, &err);
	return found;
}

int
sm_backfill_adapt(int current, double elapsed_ms, int min_rows, int max_rows, double target_ms) noexcept
{
	int next = current;
	FenceError err;
	(void) fence([&] { next = core::adapt_batch_size(current, elapsed_ms, core::BatchSizing{min_rows, max_rows, target_ms}); },
				 &err);
	return next;
}

long
sm_backfill_pages(long rows, double rows_per_page) noexcept
{
	return core::pages_for_rows(rows, rows_per_page);
}

void
sm_backfill_format_ms(double ms, char *buf, std::size_t buflen) noexcept
{
	FenceError err;
	if (!fence([&] { snprintf(buf, buflen, "%s", core::format_ms(ms).c_str()); }, &err))
		snprintf(buf, buflen, "%.0f ms", ms);
}

} // namespace safemigrate::pg
