/*-------------------------------------------------------------------------
 *
 * audit.hpp
 *	  What the audit records about one statement, from its assessments, and
 *	  the texts of the audit: action and outcome names, the server log line.
 *
 * The boundary (src/pg/audit.cpp) copies these into a fixed-size record of
 * the shared-memory queue; the background worker turns records into rows of
 * safemigrate.ddl_audit.  Nothing here allocates in the shared memory or
 * knows about it.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"
#include "core/sql_text.hpp" /* truncate_utf8() */
#include "core/classify.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace safemigrate::core {

/* What the policy did with an attempt (the action column). */
enum class AuditAction : char
{
	Allowed = 'a',
	Rewritten = 'r',
	Warned = 'w',
	Rejected = 'x',
	Overridden = 'o',
	Failed = 'f',
};

/* How the transaction of the attempt ended (the outcome column). */
enum class AuditOutcome : char
{
	Committed = 'c',
	Aborted = 'a',
	Prepared = 'p',
};

const char *audit_action_name(AuditAction action) noexcept;
const char *audit_outcome_name(AuditOutcome outcome) noexcept;

/* The classification of a statement, condensed for its audit row. */
struct AuditSummary
{
	bool classified = false;
	Category category = Category::InstantSafe;
	bool rewrites = false;	  /* some relation is rewritten */
	bool overridden = false;  /* some rule was overridden by a comment */
	double estimated_rows = -1; /* of the statement's first relation; < 0 unknown */
	std::string rules;		  /* ids of the rules that applied (or were overridden), each once, comma-separated */
	std::string objects;	  /* relations, each once, comma-separated, qualified */
	std::string lock_modes;	  /* "relation: Mode" for each relation, comma-separated */
};

AuditSummary summarize(const Assessments &rows);

/* One audit event as it appears in the server log (safemigrate.log_level). */
struct AuditLogFields
{
	long long id = 0;
	long long attempt_id = 0; /* 0 for an attempt, the attempt's id for a step */
	int step = 0;
	const char *action = "";
	const char *outcome = "";
	double duration_ms = 0;
	double lock_wait_ms = 0;
	int retries = 0;
	std::string_view database;
	std::string_view user;
	std::string_view command_tag;
	std::string_view objects;
	std::string_view rules;
	std::string_view sqlstate;
	std::string_view migration_id;
	std::string_view statement;
};

/*
 * "pg_safemigrate audit: id=... action=rejected outcome=aborted ... statement=..."
 * Values with spaces or quotes are double-quoted with " doubled, so the line
 * splits unambiguously into key=value pairs.
 */
std::string format_audit_log_line(const AuditLogFields &f);

} // namespace safemigrate::core
