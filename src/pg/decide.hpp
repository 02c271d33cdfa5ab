/*-------------------------------------------------------------------------
 *
 * decide.hpp
 *	  Bridge from the boundary to the core: facts in, a POD verdict out.
 *
 * sm_decide() runs core::evaluate() inside a fence and copies the verdict's
 * texts into palloc'd memory of the given context, so that when it returns
 * no C++ object is alive and the caller may ereport freely.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/settings.hpp"
#include "core/statement.hpp"
#include "core/verdict.hpp"
#include "pg/fence.hpp"

struct MemoryContextData;
struct List;

namespace safemigrate::pg {

/* Plain-data copy of core::Verdict; strings live in the caller's memory context. */
struct SmVerdict
{
	core::Action action;
	const char *rule_id;  /* static storage */
	const char *sqlstate; /* static storage */
	core::LockMode lock;
	core::LockMode main_lock;
	char *reason;
	char *message;
	char *detail;
	char *hint;
	int nsteps;
	char **steps;
	/* Relations the statement locks more strongly than ShareUpdateExclusiveLock, in order. */
	int nlocks;
	char **lock_relations;
	core::LockMode *lock_modes;
	/* For the audit (core::summarize). */
	const char *category; /* static storage */
	bool rewrites;
	bool overridden;
	double estimated_rows;
	char *rules;
	char *objects;
	char *lock_summary;
	/*
	 * (set by the hook) A CREATE INDEX allowed on what it was judged to
	 * build: an index it builds on a table not in build_leaves (OIDs) is
	 * refused, a partition attached or an index dropped between the
	 * judgement and the locks.  build_noop: judged a no-op (IF NOT EXISTS,
	 * the name was taken), so any build is refused (the name was freed).
	 */
	bool build_guard;
	bool build_noop;
	List *build_leaves;
};

/* Plain-data copy of one core::Assessment plus the action the policy takes on it. */
struct SmRow
{
	char *command;
	char *relation; /* NULL when the statement locks no existing relation */
	core::LockMode lock;
	bool rewrites;
	bool scans;
	bool breaks_clients;
	const char *category; /* static storage */
	const char *rule_id;  /* static storage; NULL when no rule matches */
	const char *action;	  /* "allow" / "warn" / "reject"; static storage */
	char *reason;
	char *safe_sql; /* the steps, one per line; NULL when there are none */
};

/* noexcept fence: the rows of a statement; false and *err when the core failed. */
bool sm_classify(const core::Statement &stmt, const core::Settings &settings, MemoryContextData *cxt,
				 SmRow **rows, int *nrows, FenceError *err) noexcept;

/* Plain-data copy of one rule of the catalogue. */
struct SmRule
{
	const char *id;
	const char *sqlstate;
	const char *category;
	const char *description;
};

/* The rule catalogue (static storage, cannot fail). */
const SmRule *sm_rule_catalogue(int *count) noexcept;

/* noexcept fence; returns false and fills *err when the core failed. */
/*
 * Does the statement (or the header of its query string) declare
 * expand-contract?  noexcept fence around the core's comment parser; false
 * if it cannot tell (out of memory).
 */
bool sm_declares_expand_contract(const char *statement, const char *query_string) noexcept;

/*
 * Does the statement's break-glass override comment, /\* safemigrate:allow
 * rule *\/, name rule_id?  noexcept fence around the core's comment parser;
 * false if it cannot tell (out of memory).
 */
bool sm_override_names(const char *statement, const char *rule_id) noexcept;

/*
 * Another session's query with its string constants masked and comments
 * dropped (core mask_literals), palloc'd in CurrentMemoryContext; NULL if it
 * cannot be made (out of memory).  noexcept fence.
 */
char *sm_masked_query(const char *query) noexcept;

/*
 * The safemigrate comments that hold for statement (core
 * directive_comments), palloc'd; "" when none or out of memory.  noexcept
 * fence.
 */
const char *sm_directive_comments(const char *statement, const char *header) noexcept;

bool sm_decide(const core::Statement &stmt, const core::Settings &settings, MemoryContextData *cxt,
			   SmVerdict *out, FenceError *err) noexcept;

} // namespace safemigrate::pg
