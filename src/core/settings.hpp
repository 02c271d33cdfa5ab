/*-------------------------------------------------------------------------
 *
 * settings.hpp
 *	  Plain mirror of the safemigrate.* settings the core decides with.
 *
 * The boundary copies the GUC values into this struct for each decision; the
 * core never reads GUCs itself, so every decision is a pure function of its
 * inputs and can be unit-tested.  Trivially destructible: lists are pointer +
 * count into memory the boundary owns.
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

/* safemigrate.mode; the numeric values are the GUC's enum values. */
enum class Mode : int
{
	Off = 0,	 /* no checks at all */
	Warn = 1,	 /* report violations as WARNING, run the statement */
	Enforce = 2, /* reject violations with an ERROR */
};

struct Settings
{
	Mode mode = Mode::Enforce;
	bool rewrite = true;					   /* safemigrate.rewrite: run the CONCURRENTLY form instead */
	double small_table_rows = 10000;		   /* safemigrate.small_table_rows */
	std::int64_t small_table_bytes = 100LL << 20; /* safemigrate.small_table_size */
	const std::string_view *allow = nullptr;   /* safemigrate.allow: rule ids */
	int nallow = 0;
	bool may_override = false;		   /* session and current user are members of safemigrate_override */
	bool require_declaration = false;  /* safemigrate.require_declaration */

	/* Does safemigrate.allow list the rule? */
	bool allows(std::string_view id) const noexcept
	{
		for (int i = 0; i < nallow; ++i)
			if (allow[i] == id)
				return true;
		return false;
	}
};

static_assert(std::is_trivially_destructible_v<Settings>);

} // namespace safemigrate::core
