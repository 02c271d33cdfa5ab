/*-------------------------------------------------------------------------
 *
 * guc.hpp
 *	  The safemigrate.* settings.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/settings.hpp"

namespace safemigrate::pg {

/* Backing variable of safemigrate.mode (a core::Mode value). */
extern int sm_mode;

/* Lock and time limits for DDL (milliseconds; 0 = none). */
extern int sm_lock_timeout_ms;
extern int sm_statement_timeout_ms;
extern int sm_online_statement_timeout_ms;
extern int sm_lock_wait_ms;
extern int sm_lock_retries;
extern int sm_cancel_blockers_after_ms;

/* safemigrate.backfill_prepare_wal: a backfill creates the WAL segments it is about to fill. */
extern bool sm_backfill_prepare_wal;

/* Define every safemigrate.* GUC and reserve the prefix.  Called from _PG_init. */
void sm_define_gucs();

/*
 * The current values, as the core's plain struct.  The allow list lives in
 * the current memory context.
 *
 * C-style frame; may ereport.
 */
core::Settings sm_current_settings();

} // namespace safemigrate::pg
