/*-------------------------------------------------------------------------
 *
 * locking.hpp
 *	  The lock protocol of blocking DDL: short queued waits with backoff, and
 *	  the timeouts the statement runs under.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

namespace safemigrate::pg {

/*
 * Take the locks of a statement (lockmodes[i] on relids[i]) before it runs,
 * never standing in the lock queue for more than safemigrate.lock_wait at a
 * time, and all or nothing: while it waits out of the queue for one it holds
 * none of the others.  Gives up after safemigrate.lock_timeout (or
 * lock_retries waits) with SQLSTATE 55P03 naming the sessions that hold
 * conflicting locks.  The statement then finds the locks already held.
 * C-style frame; may ereport.
 */
void sm_prelock_all(const unsigned int *relids, const int *lockmodes, int n);

/* The lock_timeout (ms) a blocking DDL statement runs with: ours, or the session's if shorter. */
int sm_effective_lock_timeout();

} // namespace safemigrate::pg
