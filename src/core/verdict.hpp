/*-------------------------------------------------------------------------
 *
 * verdict.hpp
 *	  The core's decision about one statement, as a value.
 *
 * A policy violation is a Verdict with action Reject or Warn, never an
 * exception: exceptions in the core mean bugs or out-of-memory only.  The
 * texts follow PostgreSQL's error message style guide (primary message
 * lower-case without a period; detail and hint complete sentences).
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"
#include "core/lock_mode.hpp"

#include <boost/container/small_vector.hpp>
#include <string>

namespace safemigrate::core {

enum class Action
{
	Allow,	/* run unchanged */
	Warn,	/* run, with a WARNING naming the rule */
	Reject, /* raise an ERROR naming the rule */
	Rewrite, /* run the safe form instead (safe_steps[0]), with a NOTICE */
};

const char *action_name(Action action) noexcept;

/*
 * The statements to run instead, in order.  Most safe alternatives are one to
 * four statements, so the common case never allocates.
 */
using SafeSteps = boost::container::small_vector<std::string, 4>;

struct Verdict
{
	Action action = Action::Allow;
	const char *rule_id = "";  /* kebab-case id from the rule catalogue; "" when no rule applies */
	const char *sqlstate = ""; /* five characters, from the rule catalogue */
	LockMode lock = LockMode::None;		 /* strongest lock the statement takes on any relation */
	LockMode main_lock = LockMode::None; /* the lock it takes on its own relation (pre-locked) */
	std::string reason;		   /* why the statement is allowed, for allowed statements */
	std::string message;	   /* primary message */
	std::string detail;
	std::string hint;
	SafeSteps safe_steps;
};

} // namespace safemigrate::core
