/*-------------------------------------------------------------------------
 *
 * settings.hpp
 *	  Plain mirror of the safemigrate.* settings the core decides with.
 *
 * The boundary copies the GUC values into this struct for each decision; the
 * core never reads GUCs itself, so every decision is a pure function of its
 * inputs and can be unit-tested.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"

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
};

} // namespace safemigrate::core
