/*-------------------------------------------------------------------------
 *
 * decide.cpp
 *	  Run the core's decision inside a fence and copy it out as plain data.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <cstring>
#include <string>

#include "core/policy.hpp"
#include "pg/decide.hpp"

#include "pg/postgres.hpp"

namespace safemigrate::pg {

namespace {

/*
 * Copy s into cxt without the possibility of an ereport: allocation failure
 * becomes std::bad_alloc, which the surrounding fence catches.
 */
char *
copy_out(MemoryContext cxt, const std::string &s)
{
	if (s.size() + 1 > MaxAllocSize)
		throw std::bad_array_new_length();
	char *p = static_cast<char *>(MemoryContextAllocExtended(cxt, s.size() + 1, MCXT_ALLOC_NO_OOM));
	if (p == nullptr)
		throw std::bad_alloc();
	std::memcpy(p, s.data(), s.size() + 1);
	return p;
}

} // namespace

/* noexcept fence; must not call PostgreSQL except the no-OOM allocator. */
bool
sm_decide(const core::Statement &stmt, const core::Settings &settings, MemoryContextData *cxt,
		  SmVerdict *out, FenceError *err) noexcept
{
	return fence(
		[&] {
			core::Verdict v = core::evaluate(stmt, settings);
			out->action = v.action;
			out->rule_id = v.rule_id;
			out->sqlstate = v.sqlstate;
			out->lock = v.lock;
			out->reason = copy_out(cxt, v.reason);
			out->message = copy_out(cxt, v.message);
			out->detail = copy_out(cxt, v.detail);
			out->hint = copy_out(cxt, v.hint);
			out->nsteps = static_cast<int>(v.safe_steps.size());
			out->steps = static_cast<char **>(MemoryContextAllocExtended(
				cxt, sizeof(char *) * (v.safe_steps.size() + 1), MCXT_ALLOC_NO_OOM));
			if (out->steps == nullptr)
				throw std::bad_alloc();
			for (std::size_t i = 0; i < v.safe_steps.size(); ++i)
				out->steps[i] = copy_out(cxt, v.safe_steps[i]);
		},
		err);
}

} // namespace safemigrate::pg
