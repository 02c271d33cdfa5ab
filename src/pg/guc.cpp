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
#include "core/settings.hpp"
#include "pg/guc.hpp"

#include "pg/postgres.hpp"
#include "pg/compat.hpp"

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

	SM_RESERVE_GUC_PREFIX("safemigrate");
}

core::Settings
sm_current_settings()
{
	core::Settings s;
	s.mode = static_cast<core::Mode>(sm_mode);
	return s;
}

} // namespace safemigrate::pg
