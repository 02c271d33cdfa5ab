/*-------------------------------------------------------------------------
 *
 * utility_hook.hpp
 *	  The ProcessUtility hook.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

namespace safemigrate::pg {

/* Chain the hook in front of any earlier one.  Called once, from _PG_init. */
void sm_install_utility_hook();

} // namespace safemigrate::pg
