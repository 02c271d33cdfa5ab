/*-------------------------------------------------------------------------
 *
 * fence.hpp
 *	  Run C++ that may throw, and report failure as a plain value.
 *
 * Boundary rule B2 (../shared/CONVENTIONS.md): no C++ exception ever crosses
 * into PostgreSQL.  Everything that can throw (std, Boost, new) runs inside
 * fence(), which catches every exception and fills a POD FenceError.  The
 * fence itself never calls ereport: the C-style caller raises the error after
 * fence() has returned, when no C++ object is alive any more (rule B3), so no
 * longjmp can skip a destructor.
 *
 * Inside a fence: no ereport/elog at any level, no palloc (it may ERROR), no
 * catalog access, no CHECK_FOR_INTERRUPTS.  The only PostgreSQL calls allowed
 * are MemoryContextAllocExtended(..., MCXT_ALLOC_NO_OOM) and pfree.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include <cstdio>
#include <exception>
#include <new>
#include <string>

struct MemoryContextData;

namespace safemigrate::pg {

enum class FenceFailure
{
	None,
	OutOfMemory,
	Exception,
};

struct FenceError
{
	FenceFailure kind = FenceFailure::None;
	char message[256] = {0};
};

/* noexcept fence; must not call PostgreSQL except the allocator (see above). */
template <typename F>
bool
fence(F &&body, FenceError *err) noexcept
{
	try
	{
		body();
		return true;
	}
	catch (const std::bad_alloc &)
	{
		err->kind = FenceFailure::OutOfMemory;
		std::snprintf(err->message, sizeof err->message, "out of memory");
	}
	catch (const std::exception &e)
	{
		err->kind = FenceFailure::Exception;
		std::snprintf(err->message, sizeof err->message, "%s", e.what());
	}
	catch (...)
	{
		err->kind = FenceFailure::Exception;
		std::snprintf(err->message, sizeof err->message, "unknown C++ exception");
	}
	return false;
}

/*
 * Copy s into cxt with the allocator that does not ereport; throws
 * std::bad_alloc when memory runs out.  For use inside a fence only
 * (defined in decide.cpp).
 */
char *sm_copy_out(MemoryContextData *cxt, const std::string &s);

} // namespace safemigrate::pg
