/*-------------------------------------------------------------------------
 *
 * guc.cpp
 *	  Definition of the safemigrate.* settings.
 *
 * Every setting that can weaken enforcement is PGC_SUSET: a role that could
 * switch the policy off could bypass it.  Superusers may still set these per
 * database or per role (ALTER DATABASE/ROLE ... SET), e.g. mode = off for the
 * role that runs pg_restore.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <new>
#include <string_view>

#include "core/settings.hpp"
#include "pg/audit.hpp"
#include "pg/decide.hpp"
#include "pg/guc.hpp"

#include "pg/postgres.hpp"
#include "pg/compat.hpp"

extern "C" {
#include "utils/acl.h"
}

namespace safemigrate::pg {

/*
 * safemigrate.mode
 *
 * What the hook does with a statement that breaks a rule:
 *	enforce - reject it with an ERROR naming the rule and the safe SQL;
 *	warn	- run it, after a WARNING with the same text (for a trial period);
 *	off		- no checks at all.
 */
int sm_mode = static_cast<int>(core::Mode::Enforce);

/*
 * safemigrate.rewrite
 *
 * When a rejected statement has a CONCURRENTLY form that PostgreSQL can run
 * in its place (CREATE INDEX, DROP INDEX, REINDEX, REFRESH MATERIALIZED VIEW,
 * DETACH PARTITION), run that form instead, with a NOTICE, rather than
 * reject.  Only at top level, outside a transaction block.  Turning it off
 * makes the policy stricter, so any role may.
 */
bool sm_rewrite = true;

/*
 * safemigrate.small_table_rows / safemigrate.small_table_size
 *
 * Tables with fewer estimated rows than small_table_rows AND smaller than
 * small_table_size are exempt from the rules about blocking locks, scans and
 * rewrites (not from those about breaking clients): on them the lock is held
 * for a moment.  A table never analyzed has no row estimate and is not exempt.
 */
int sm_small_table_rows = 10000;
int sm_small_table_size_kb = 100 * 1024;

/*
 * safemigrate.allow
 *
 * Comma-separated rule ids the policy lets through, e.g. for a database where
 * long locks at night are acceptable.  Unknown ids are an error.
 */
char *sm_allow = NULL;

/*
 * safemigrate.require_declaration
 *
 * When on, DDL on an existing table must declare its category in a comment
 * (the seed's migration header), "safemigrate: instant-safe | concurrent |
 * expand-contract" in a block or line comment.
 */
bool sm_require_declaration = false;

/*
 * safemigrate.lock_timeout
 *
 * The longest a DDL statement that takes a lock stronger than
 * ShareUpdateExclusiveLock may wait for its locks, in total (the session's own
 * lock_timeout wins when it is shorter and not zero).  It never stands in the
 * lock queue for more than safemigrate.lock_wait at a time: between short
 * waits it steps out of the queue and backs off, so the sessions behind it
 * are never held up for long.
 */
int sm_lock_timeout_ms = 2000;

/* safemigrate.lock_wait: one queued wait of the lock protocol. */
int sm_lock_wait_ms = 100;

/* safemigrate.lock_retries: the most short waits before giving up (within lock_timeout; 0 counts as 1). */
int sm_lock_retries = 30;

/* safemigrate.backfill_prepare_wal: a backfill creates the WAL segments its next batches fill (backfill.cpp). */
bool sm_backfill_prepare_wal = true;

/*
 * safemigrate.statement_timeout
 *
 * The longest a blocking DDL statement (lock stronger than
 * ShareUpdateExclusiveLock) may run: a scan or rewrite that would hold its
 * lock for longer is cancelled (SQLSTATE 57014).  The session's own
 * statement_timeout wins when it ends earlier.
 */
int sm_statement_timeout_ms = 30000;

/*
 * safemigrate.online_statement_timeout
 *
 * The same for online steps that block nobody (CONCURRENTLY builds, VALIDATE
 * CONSTRAINT): 0, the default, leaves them to the session's statement_timeout.
 */
int sm_online_statement_timeout_ms = 0;

/*
 * safemigrate.cancel_blockers_after
 *
 * A superuser policy for migrations that must get through: sessions whose
 * transaction has been open longer than this and that hold a lock the
 * migration waits for are cancelled (a running query) or terminated (idle in
 * transaction) between two short waits, with a WARNING naming them.  0, the
 * default, never touches other sessions.
 */
int sm_cancel_blockers_after_ms = 0;

namespace {

/*
 * The next id of a list like "a, b,c" from *p: its start, and its length (0
 * at the end of the list); *p moves past it.  Allocates nothing, so it also
 * serves the check hook, which runs outside a transaction.
 */
int
next_id(const char **p, const char **start)
{
	while (**p == ',' || **p == ' ' || **p == '\t')
		(*p)++;
	*start = *p;
	while (**p && **p != ',' && **p != ' ' && **p != '\t')
		(*p)++;
	return (int) (*p - *start);
}

/* Split "a, b,c" into palloc'd ids (lower-cased); returns the count. */
int
split_ids(const char *list, char ***ids)
{
	int n = 0;
	int cap = 8;
	*ids = (char **) palloc(sizeof(char *) * cap);
	const char *p = list ? list : "";
	const char *start;
	int len;
	while ((len = next_id(&p, &start)) > 0)
	{
		if (n == cap)
		{
			cap *= 2;
			*ids = (char **) repalloc(*ids, sizeof(char *) * cap);
		}
		char *id = pnstrdup(start, len);
		for (char *c = id; *c; c++)
			*c = pg_tolower((unsigned char) *c);
		(*ids)[n++] = id;
	}
	return n;
}

bool
known_rule(const char *id)
{
	int n = 0;
	const SmRule *rules = sm_rule_catalogue(&n);
	for (int i = 0; i < n; ++i)
		if (strcmp(rules[i].id, id) == 0)
			return true;
	return false;
}

/* GUC check hook for safemigrate.allow: every id must be a rule of the catalogue. */
extern "C" bool
check_allow(char **newval, void **extra, GucSource source) noexcept
{
	/* Runs outside a transaction too (postgresql.conf): parse without palloc'd state. */
	const char *p = *newval ? *newval : "";
	const char *start;
	int len;
	while ((len = next_id(&p, &start)) > 0)
	{
		char id[128];
		int n = Min(len, (int) sizeof(id) - 1);
		for (int i = 0; i < n; ++i)
			id[i] = pg_tolower((unsigned char) start[i]);
		id[n] = '\0';
		if (!known_rule(id))
		{
			GUC_check_errmsg("unknown rule \"%s\"", id);
			GUC_check_errhint("SELECT rule FROM safemigrate.rules lists the rule ids.");
			return false;
		}
	}
	return true;
}

} // namespace

static const struct config_enum_entry sm_mode_options[] = {
	{"enforce", static_cast<int>(core::Mode::Enforce), false},
	{"warn", static_cast<int>(core::Mode::Warn), false},
	{"off", static_cast<int>(core::Mode::Off), false},
	{NULL, 0, false},
};

/* C-style frame; may ereport. */
void
sm_define_gucs()
{
	DefineCustomEnumVariable("safemigrate.mode",
							 gettext_noop("Sets what pg_safemigrate does with lock-heavy DDL: enforce, warn or off."),
							 gettext_noop("enforce rejects a statement that breaks a rule, warn runs it after a "
										  "warning, off disables the checks."),
							 &sm_mode,
							 static_cast<int>(core::Mode::Enforce),
							 sm_mode_options,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomBoolVariable("safemigrate.rewrite",
							 gettext_noop("Runs the CONCURRENTLY form of a rejected statement instead, when one exists."),
							 gettext_noop("Applies to CREATE INDEX, DROP INDEX, REINDEX, REFRESH MATERIALIZED VIEW and "
										  "DETACH PARTITION sent at top level, outside a transaction block."),
							 &sm_rewrite, true, PGC_USERSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("safemigrate.small_table_rows",
							gettext_noop("Tables with fewer estimated rows (and below small_table_size) are exempt from lock rules."),
							NULL, &sm_small_table_rows, 10000, 0, INT_MAX, PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("safemigrate.small_table_size",
							gettext_noop("Tables smaller than this (and below small_table_rows) are exempt from lock rules."),
							NULL, &sm_small_table_size_kb, 100 * 1024, 0, INT_MAX, PGC_SUSET, GUC_UNIT_KB, NULL,
							NULL, NULL);

	DefineCustomStringVariable("safemigrate.allow",
							   gettext_noop("Comma-separated rule ids that the policy lets through."),
							   NULL, &sm_allow, "", PGC_SUSET, GUC_LIST_INPUT, check_allow, NULL, NULL);

	DefineCustomBoolVariable("safemigrate.require_declaration",
							 gettext_noop("Requires DDL on existing tables to declare its category in a comment."),
							 NULL, &sm_require_declaration, false, PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("safemigrate.lock_timeout",
							gettext_noop("The longest a blocking DDL statement waits for its locks, in total."),
							NULL, &sm_lock_timeout_ms, 2000, 1, INT_MAX, PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("safemigrate.lock_wait",
							gettext_noop("The longest a blocking DDL statement stands in a lock queue at a time."),
							NULL, &sm_lock_wait_ms, 100, 1, INT_MAX, PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("safemigrate.lock_retries",
							gettext_noop("The most short lock waits of a blocking DDL statement before it gives up."),
							NULL, &sm_lock_retries, 30, 0, 10000, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("safemigrate.statement_timeout",
							gettext_noop("The longest a blocking DDL statement may run."),
							NULL, &sm_statement_timeout_ms, 30000, 0, INT_MAX, PGC_SUSET, GUC_UNIT_MS, NULL, NULL,
							NULL);
	DefineCustomIntVariable("safemigrate.online_statement_timeout",
							gettext_noop("The longest an online DDL step (CONCURRENTLY, VALIDATE) may run; 0 means no limit."),
							NULL, &sm_online_statement_timeout_ms, 0, 0, INT_MAX, PGC_SUSET, GUC_UNIT_MS, NULL, NULL,
							NULL);

	DefineCustomIntVariable("safemigrate.cancel_blockers_after",
							gettext_noop("Cancels or terminates sessions that block a migration's lock for longer than this; 0 never does."),
							NULL, &sm_cancel_blockers_after_ms, 0, 0, INT_MAX, PGC_SUSET, GUC_UNIT_MS, NULL, NULL,
							NULL);

	DefineCustomBoolVariable("safemigrate.backfill_prepare_wal",
							 gettext_noop("Lets a backfill create the WAL segments its next batches will fill, between batches."),
							 gettext_noop("Otherwise a committing transaction that reaches a segment nobody created yet "
										  "creates it (and zero-fills it) while holding WALWriteLock, and every other "
										  "commit waits."),
							 &sm_backfill_prepare_wal, true, PGC_USERSET, 0, NULL, NULL, NULL);

	sm_audit_define_gucs();

	SM_RESERVE_GUC_PREFIX("safemigrate");
}

/* C-style frame; may ereport. */
core::Settings
sm_current_settings()
{
	core::Settings s;
	s.mode = static_cast<core::Mode>(sm_mode);
	s.rewrite = sm_rewrite;
	s.small_table_rows = sm_small_table_rows;
	s.small_table_bytes = (int64) sm_small_table_size_kb * 1024;
	s.require_declaration = sm_require_declaration;

	char **ids;
	int n = split_ids(sm_allow, &ids);
	std::string_view *views = (std::string_view *) palloc(sizeof(std::string_view) * Max(n, 1));
	for (int i = 0; i < n; ++i)
		new (&views[i]) std::string_view(ids[i]);
	s.allow = views;
	s.nallow = n;

	/*
	 * The break-glass override needs membership in safemigrate_override for
	 * both the session user and the current user: SET ROLE or a SECURITY
	 * DEFINER function of a member is no way around it for a non-member.
	 */
	Oid role = get_role_oid("safemigrate_override", true);
	s.may_override = OidIsValid(role) && has_privs_of_role(GetSessionUserId(), role) &&
					 has_privs_of_role(GetUserId(), role);
	return s;
}

} // namespace safemigrate::pg
