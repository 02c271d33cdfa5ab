/*-------------------------------------------------------------------------
 *
 * module.cpp
 *	  Module entry points: magic block, _PG_init (settings, audit, hook), and
 *	  the install-time check that the library was preloaded.
 *
 * A policy that a session escapes by not loading the library is no policy:
 * the hook must be in every backend, so pg_safemigrate only works from
 * shared_preload_libraries.  Loaded any other way (CREATE EXTENSION loading it
 * on demand, LOAD), _PG_init installs nothing, and the install script's call
 * of safemigrate_assert_preloaded() makes CREATE EXTENSION fail with a hint.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "pg/audit.hpp"
#include "pg/guc.hpp"
#include "pg/utility_hook.hpp"

#include "pg/postgres.hpp"

extern "C" {
PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void) noexcept;

PG_FUNCTION_INFO_V1(safemigrate_assert_preloaded);
}

namespace {

/* True when _PG_init ran while shared_preload_libraries was being processed. */
bool sm_preloaded = false;

} // namespace

/*
 * Module load: define the settings and install the hook, when preloaded.
 *
 * C-style frame; may ereport.
 */
extern "C" void
_PG_init(void) noexcept
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	sm_preloaded = true;
	safemigrate::pg::sm_define_gucs();
	safemigrate::pg::sm_audit_init();
	safemigrate::pg::sm_install_utility_hook();
}

/*
 * safemigrate.assert_preloaded(): error unless the library was preloaded.
 * Called by the install script, so CREATE EXTENSION fails without it.
 *
 * C-style frame; may ereport.  (PG_FUNCTION_INFO_V1 declares it without
 * noexcept, and nothing in it can throw.)
 */
extern "C" Datum
safemigrate_assert_preloaded(PG_FUNCTION_ARGS)
{
	if (!sm_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_safemigrate must be loaded via shared_preload_libraries"),
				 errdetail("The DDL policy has to be active in every session, so the library cannot be "
						   "loaded on demand."),
				 errhint("Add pg_safemigrate to shared_preload_libraries in postgresql.conf (or with "
						 "ALTER SYSTEM SET shared_preload_libraries), restart the server, then run "
						 "CREATE EXTENSION pg_safemigrate again.")));
	PG_RETURN_VOID();
}
