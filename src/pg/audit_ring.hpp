/*-------------------------------------------------------------------------
 *
 * audit_ring.hpp
 *	  The shared-memory ring buffer between the backends (audit.cpp) and the
 *	  audit writer (audit_worker.cpp).
 *
 * Variable-length records (SmAuditRecord and its strings) at monotonically
 * growing byte positions: backends append at head under the lock; the single
 * worker copies [tail, head) out, inserts the rows, commits, and only then
 * advances tail, so an event leaves the ring only once its row is durable.
 *
 * Include after pg/postgres.hpp.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

extern "C" {
#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"
}

namespace safemigrate::pg {

/* The strings of a record, in this order after its header. */
enum SmAuditString
{
	SM_S_DATABASE,
	SM_S_SESSION_USER,
	SM_S_CURRENT_USER,
	SM_S_APP,
	SM_S_CLIENT,
	SM_S_TAG,
	SM_S_OBJECTS,
	SM_S_STATEMENT,
	SM_S_CATEGORY,
	SM_S_RULES,
	SM_S_EXECUTED,
	SM_S_LOCKS,
	SM_S_BLOCKERS,
	SM_S_MESSAGE,
	SM_S_MIGRATION,
	SM_S_COUNT
};

struct SmAuditRecord
{
	uint32 total; /* bytes of header and strings, MAXALIGNed */
	int32 encoding;
	int64 id;
	int64 attempt_id;
	int32 step;
	int32 pid;
	int32 retries;
	char action;  /* core::AuditAction */
	char outcome; /* core::AuditOutcome */
	bool classified;
	bool rewrites;
	TimestampTz started;
	TimestampTz finished;
	int64 lock_wait_us;
	uint64 xid; /* full transaction id, 0 when none was assigned */
	double estimated_rows;
	char sqlstate[6];
	uint32 len[SM_S_COUNT];
};

struct SmAuditShared
{
	LWLock *lock;
	/* Protected by lock. */
	uint64 head;
	uint64 tail;
	uint64 events_queued;
	uint64 events_written;
	uint64 events_failed; /* rows the worker could not insert (logged instead) */
	int worker_pid;
	Latch *worker_latch;
	bool writer_stalled; /* the writer cannot write now (extension missing): do not wait for room */
	/* Set once at startup. */
	uint64 capacity;
	pg_atomic_uint64 next_id;
	pg_atomic_uint64 events_logged; /* ring full: written to the server log only */
	char ring[FLEXIBLE_ARRAY_MEMBER];
};

extern SmAuditShared *sm_audit_shared;

/* The event as a server log line (palloc'd in the current context); NULL when out of memory.  Cannot ereport. */
char *sm_audit_event_line(const SmAuditRecord *r) noexcept;

} // namespace safemigrate::pg
