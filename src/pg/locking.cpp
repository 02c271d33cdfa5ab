/*-------------------------------------------------------------------------
 *
 * locking.cpp
 *	  Pre-locking with short waits and backoff, and naming the blockers.
 *
 * Why: a DDL statement that queues for AccessExclusiveLock behind a long
 * transaction blocks every later query on the table for as long as it waits
 * (lock.c: a waiting strong lock conflicts with every later request).  So the
 * lock is first tried without queueing (ConditionalLockRelationOid); failing
 * that, it is waited for in a subtransaction with lock_timeout =
 * safemigrate.lock_wait; on timeout the subtransaction is rolled back, which
 * takes the request out of the queue, and after a backoff with jitter the
 * next attempt starts.  A lock obtained in the subtransaction is reassigned
 * to the enclosing transaction when the subtransaction is released
 * (ReleaseCurrentSubTransaction), so the statement that follows re-requests a
 * lock its backend already holds and is granted at once.  Locks the
 * transaction held before are never given up.  ../shared/pg-facts.md 6.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <csignal>

#include "core/lock_mode.hpp"
#include "pg/audit.hpp"
#include "pg/decide.hpp"
#include "pg/extract.hpp"
#include "pg/guc.hpp"
#include "pg/locking.hpp"

#include "pg/postgres.hpp"

extern "C" {
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/sinvaladt.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/resowner.h"
}

namespace safemigrate::pg {

namespace {

/*
 * The other sessions of this database holding a lock on relation $1 in one of
 * the modes $2 (text[], from conflicting_modes).
 */
#define BLOCKER_PIDS_SQL                                                                                     \
	"(SELECT l.pid FROM pg_catalog.pg_locks l WHERE l.locktype = 'relation' "                                  \
	"AND l.relation = $1 AND l.granted AND l.mode = ANY ($2) AND l.pid <> pg_catalog.pg_backend_pid() "        \
	"AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database()))"

/* The pg_locks.mode names of the modes that conflict with lockmode, as a text[]. */
ArrayType *
conflicting_modes(int lockmode)
{
	Datum modes[8];
	int nmodes = 0;
	for (int m = 1; m <= 8; ++m)
		if (core::lock_conflicts(static_cast<core::LockMode>(lockmode), static_cast<core::LockMode>(m)))
			modes[nmodes++] = CStringGetTextDatum(core::lock_mode_name(static_cast<core::LockMode>(m)));
	return construct_array(modes, nmodes, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * "pid 4711 (role app, application "worker", idle in transaction, transaction
 * open for 00:00:12, query started 10:01:02: SELECT ...); pid ..." for the
 * sessions holding a lock on relid that conflicts with lockmode.
 *
 * C-style frame; may ereport.
 */
char *
describe_blockers(Oid relid, int lockmode, int *count)
{
	ArrayType *arr = conflicting_modes(lockmode);

	MemoryContext caller = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid argtypes[2] = {OIDOID, TEXTARRAYOID};
	Datum values[2] = {ObjectIdGetDatum(relid), PointerGetDatum(arr)};
	/*
	 * Sessions (a parallel worker counts as its leader; a process without a
	 * role, such as an autovacuum worker, is named by its kind), then
	 * prepared transactions, whose locks belong to no session: found by the
	 * transaction id lock they hold under the same virtual transaction.
	 */
	int rc = sm_spi_execute_pinned(
		"SELECT line, query FROM ("
		"SELECT a.xact_start AS t, a.pid, format('pid %s (%s, application %s, %s, transaction open for %s, "
		"query started %s', a.pid, coalesce('role ' || a.usename, a.backend_type), "
		"quote_literal(coalesce(a.application_name, '')), coalesce(a.state, 'unknown state'), "
		"date_trunc('second', clock_timestamp() - a.xact_start), to_char(a.query_start, 'HH24:MI:SS')) AS line, "
		"a.query "
		"FROM pg_catalog.pg_stat_activity a "
		"WHERE a.pid IN (SELECT coalesce(s.leader_pid, s.pid) FROM pg_catalog.pg_stat_activity s "
		"                WHERE s.pid IN " BLOCKER_PIDS_SQL ") "
		"UNION ALL "
		"SELECT p.prepared, 0, format('prepared transaction %s (owner %s, prepared at %s, open for %s', "
		"quote_literal(p.gid), p.owner, to_char(p.prepared, 'YYYY-MM-DD HH24:MI:SS'), "
		"date_trunc('second', clock_timestamp() - p.prepared)), NULL "
		"FROM pg_catalog.pg_prepared_xacts p "
		"WHERE p.transaction IN (SELECT x.transactionid FROM pg_catalog.pg_locks l "
		"  JOIN pg_catalog.pg_locks x ON x.virtualtransaction = l.virtualtransaction "
		"   AND x.locktype = 'transactionid' AND x.pid IS NULL "
		"  WHERE l.pid IS NULL AND l.locktype = 'relation' AND l.relation = $1 AND l.granted AND l.mode = ANY ($2) "
		"    AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database()))"
		") b ORDER BY t NULLS LAST, pid",
		2, argtypes, values, true);
	StringInfoData buf;
	MemoryContext spi = MemoryContextSwitchTo(caller);
	initStringInfo(&buf);
	*count = 0;
	if (rc == SPI_OK_SELECT)
	{
		for (uint64 i = 0; i < SPI_processed; ++i)
		{
			char *line = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			char *query = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
			/*
			 * The query without its string constants: a password or a key in
			 * another session's statement must not reach the audit or the
			 * log.  ("<insufficient privilege>" has none.)
			 */
			char *masked = query != NULL ? sm_masked_query(query) : NULL;
			if (masked != NULL)
			{
				char *start = masked;
				while (*start == ' ')
					++start;
				int len = (int) strlen(start);
				len = pg_mbcliplen(start, len, Min(len, 60));
				appendStringInfo(&buf, "%s%s: %.*s)", i > 0 ? "; " : "", line ? line : "?", len, start);
			}
			else
				appendStringInfo(&buf, "%s%s)", i > 0 ? "; " : "", line ? line : "?");
			(*count)++;
		}
	}
	MemoryContextSwitchTo(spi);
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return buf.data;
}

/*
 * One queued wait for the lock, at most wait_ms long, in a subtransaction.
 * Returns true when the lock was obtained (it then belongs to the enclosing
 * transaction), false on lock timeout; any other error propagates.
 *
 * C-style frame; may ereport.
 */
struct QueuedWait
{
	Oid relid;
	int lockmode;
	int wait_ms;
};

/* Inside the subtransaction: a GUC level there, so its release or abort pops it.  May ereport. */
void
queued_wait_step(void *arg)
{
	const QueuedWait *w = (const QueuedWait *) arg;
	char ms[32];
	snprintf(ms, sizeof ms, "%d", w->wait_ms);
	(void) NewGUCNestLevel();
	(void) set_config_option("lock_timeout", ms, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	LockRelationOid(w->relid, w->lockmode);
}

bool
queued_wait(Oid relid, int lockmode, int wait_ms)
{
	QueuedWait w = {relid, lockmode, wait_ms};
	ErrorData *edata = sm_try_in_subtransaction(queued_wait_step, &w);
	if (edata == NULL)
	{
		/*
		 * The subtransaction's commit gave the lock to the enclosing
		 * transaction's resource owner; move it to the current one (the
		 * statement's), where UnlockRelationOid() finds it when the protocol
		 * gives it back.  Already held: granted at once.
		 */
		if (ConditionalLockRelationOid(relid, lockmode))
		{
			ResourceOwner owner = CurrentResourceOwner;
			CurrentResourceOwner = CurTransactionResourceOwner;
			UnlockRelationOid(relid, lockmode);
			CurrentResourceOwner = owner;
		}
		return true;
	}
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		ReThrowError(edata);
	FreeErrorData(edata);
	return false;
}

/*
 * safemigrate.cancel_blockers_after: cancel (running query) or terminate
 * (idle in transaction) the sessions holding a conflicting lock whose
 * transaction is older than the bound.  Only sessions the current user may
 * signal, by the rule of pg_cancel_backend and pg_terminate_backend
 * (pg_signal_backend in signalfuncs.c): a superuser any; another role those
 * of non-superusers, when it has the privileges (not mere membership, which a
 * NOINHERIT role does not pass on) of pg_signal_backend or of the session's
 * role.  Anything else would fail with an error inside the protocol.
 *
 * C-style frame; may ereport.
 */
void
cancel_old_blockers(Oid relid, int lockmode)
{
	ArrayType *arr = conflicting_modes(lockmode);

	MemoryContext caller = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid argtypes[3] = {OIDOID, TEXTARRAYOID, INT4OID};
	Datum values[3] = {ObjectIdGetDatum(relid), PointerGetDatum(arr), Int32GetDatum(sm_cancel_blockers_after_ms)};
	int rc = sm_spi_execute_pinned(
		"SELECT format('pid %s (role %s, application %s, %s, transaction open for %s)', a.pid, a.usename, "
		"quote_literal(coalesce(a.application_name, '')), a.state, date_trunc('second', clock_timestamp() - a.xact_start)), "
		"CASE WHEN a.state = 'active' THEN pg_catalog.pg_cancel_backend(a.pid) "
		"ELSE pg_catalog.pg_terminate_backend(a.pid) END "
		"FROM pg_catalog.pg_stat_activity a JOIN pg_catalog.pg_roles r ON r.oid = a.usesysid "
		"WHERE a.pid IN " BLOCKER_PIDS_SQL " "
		"AND clock_timestamp() - a.xact_start > $3 * interval '1 millisecond' "
		"AND ((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) "
		"     OR (NOT r.rolsuper AND (pg_catalog.pg_has_role(current_user, 'pg_signal_backend', 'USAGE') "
		"                             OR pg_catalog.pg_has_role(current_user, r.oid, 'USAGE'))))",
		3, argtypes, values, false);
	StringInfoData buf;
	MemoryContext spi = MemoryContextSwitchTo(caller);
	initStringInfo(&buf);
	int n = 0;
	if (rc == SPI_OK_SELECT)
	{
		for (uint64 i = 0; i < SPI_processed; ++i)
		{
			char *who = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			appendStringInfo(&buf, "%s%s", n > 0 ? "; " : "", who ? who : "?");
			n++;
		}
	}
	MemoryContextSwitchTo(spi);
	SPI_finish();
	MemoryContextSwitchTo(caller);
	if (n > 0)
		ereport(WARNING,
				(errmsg("pg_safemigrate cancelled or terminated %d session(s) blocking the migration for longer than "
						"safemigrate.cancel_blockers_after",
						n),
				 errdetail("%s.", buf.data)));
}

/*
 * Cancel the autovacuum workers that hold a lock on relid conflicting with
 * lockmode, unless they vacuum to prevent wraparound, as ProcSleep() does
 * for a lock waiter (SIGINT to the worker; it logs "canceling autovacuum
 * task").  Reads the lock table without a snapshot.
 *
 * C-style frame; may ereport.
 */
void
cancel_autovacuum(Oid relid, int lockmode, const char *shown)
{
	LOCKTAG tag;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	int count = 0;
	VirtualTransactionId *vxids = GetLockConflicts(&tag, lockmode, &count);
	for (int i = 0; i < count; ++i)
	{
		PGPROC *proc = BackendIdGetProc(vxids[i].backendId);
		if (proc == NULL)
			continue;
		LWLockAcquire(ProcArrayLock, LW_SHARED);
		uint8 flags = ProcGlobal->statusFlags[proc->pgxactoff];
		int pid = proc->pid;
		bool same = proc->lxid == vxids[i].localTransactionId;
		LWLockRelease(ProcArrayLock);
		if (!same || pid == 0 || !(flags & PROC_IS_AUTOVACUUM) || (flags & PROC_VACUUM_FOR_WRAPAROUND))
			continue;
		ereport(LOG, (errmsg("pg_safemigrate: sending cancel to the autovacuum (pid %d) that blocks a migration on "
							 "\"%s\"",
							 pid, shown)));
		if (kill(pid, SIGINT) < 0)
			ereport(DEBUG1, (errmsg("could not send signal to process %d: %m", pid)));
	}
}

/* Give back the pre-locks taken so far among the first n. */
void
release_held(const Oid *relids, const int *modes, bool *held, int n)
{
	for (int j = n - 1; j >= 0; --j)
		if (held[j])
		{
			UnlockRelationOid(relids[j], modes[j]);
			held[j] = false;
		}
}

} // namespace

int
sm_effective_lock_timeout()
{
	if (LockTimeout > 0 && LockTimeout < sm_lock_timeout_ms)
		return LockTimeout;
	return sm_lock_timeout_ms;
}

/*
 * Only a user who could take this lock anyway may queue for it (for the
 * others PostgreSQL's own checks decide; it may wait for the lock under
 * lock_timeout before it reports the missing privilege).  The owner; a user
 * with UPDATE, DELETE or TRUNCATE (LOCK TABLE takes any mode with them); for
 * the table a foreign key references or a trigger is created on, a user with
 * REFERENCES or TRIGGER (ShareRowExclusiveLock).
 */
bool
may_queue(Oid relid, int lockmode)
{
	Oid user = GetUserId();
	return pg_class_ownercheck(relid, user) ||
		   pg_class_aclcheck(relid, user, ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE) == ACLCHECK_OK ||
		   (lockmode <= ShareRowExclusiveLock &&
			pg_class_aclcheck(relid, user, ACL_REFERENCES | ACL_TRIGGER) == ACLCHECK_OK);
}

/*
 * C-style frame; may ereport.
 *
 * All or nothing: the locks already taken are given back before the
 * protocol queues for the next one, and while it waits out of the queue, so
 * that no session waits behind a lock the migration holds while it is itself
 * held up elsewhere (a partitioned table and a busy partition, the two sides
 * of a foreign key); once it has that one, it takes them again at once.
 */
void
sm_prelock_all(const unsigned int *relids_in, const int *modes_in, int n_in)
{
	Oid *relids = (Oid *) palloc(sizeof(Oid) * Max(n_in, 1));
	int *modes = (int *) palloc(sizeof(int) * Max(n_in, 1));
	int n = 0;
	for (int i = 0; i < n_in; ++i)
		if (may_queue((Oid) relids_in[i], modes_in[i]))
		{
			relids[n] = (Oid) relids_in[i];
			modes[n++] = modes_in[i];
		}
	if (n == 0)
		return;
	int taken = 0;
	while (taken < n && ConditionalLockRelationOid(relids[taken], modes[taken]))
		++taken;
	if (taken == n)
		return;
	for (int j = taken - 1; j >= 0; --j)
		UnlockRelationOid(relids[j], modes[j]);

	bool *held = (bool *) palloc0(sizeof(bool) * n);
	/*
	 * The names the error gives, looked up now: by then another session may
	 * have dropped the relation (the blockers' query reads invalidations).
	 */
	const char **shown = (const char **) palloc(sizeof(char *) * n);   /* "schema.name" */
	const char **quoted = (const char **) palloc(sizeof(char *) * n);  /* for the hint's blockers() call */
	const char **kinds = (const char **) palloc(sizeof(char *) * n);
	for (int i = 0; i < n; ++i)
	{
		char *relname = get_rel_name(relids[i]);
		char *nsp = relname != NULL ? get_namespace_name(get_rel_namespace(relids[i])) : NULL;
		if (relname == NULL || nsp == NULL)
		{
			shown[i] = psprintf("%u", relids[i]);
			quoted[i] = psprintf("%u", relids[i]);
		}
		else
		{
			shown[i] = psprintf("%s.%s", nsp, relname);
			quoted[i] = quote_literal_cstr(quote_qualified_identifier(nsp, relname));
		}
		char kind = get_rel_relkind(relids[i]);
		kinds[i] = kind == RELKIND_INDEX || kind == RELKIND_PARTITIONED_INDEX ? "index"
				   : kind == RELKIND_SEQUENCE								  ? "sequence"
				   : kind == RELKIND_VIEW									  ? "view"
				   : kind == RELKIND_MATVIEW								  ? "materialized view"
																			  : "table";
	}
	int budget_ms = sm_effective_lock_timeout();
	TimestampTz start = GetCurrentTimestamp();
	/* Who blocked the first short wait, and how many waits: for the audit, also when a cancel, a timeout
	 * or a terminate ends the wait (PG_CATCH below). */
	char *volatile seen = NULL;
	volatile int waits = 0;
	volatile bool noted = false;
	/* What this call has added to the attempt's audit so far (the audit sums the calls of a statement). */
	volatile int64 noted_us = 0;
	volatile int noted_waits = 0;
#define NOTE_LOCK_WAIT(total_us, total_waits, blockers)                                       \
	do                                                                                         \
	{                                                                                          \
		int64 us_ = (total_us);                                                                \
		int waits_ = (total_waits);                                                            \
		sm_audit_note_lock_wait(us_ - noted_us, waits_ - noted_waits, (blockers));             \
		noted_us = us_;                                                                        \
		noted_waits = waits_;                                                                  \
	} while (0)
	PG_TRY();
	{
		for (int attempt = 0;; ++attempt)
		{
			waits = attempt;
			/*
			 * Every lock in turn: at once, or after one short wait in the
			 * queue.  Never in the queue while holding the others (a parent
			 * held across the wait for a busy partition would hold up every
			 * query of the parent): they are given back for the wait, then
			 * taken again at once, or the attempt fails on the first one that
			 * is not free.
			 */
			int blocked = -1;
			for (int i = 0; i < n; ++i)
				held[i] = false;
			for (int i = 0; i < n && blocked < 0; ++i)
			{
				if (ConditionalLockRelationOid(relids[i], modes[i]))
				{
					held[i] = true;
					continue;
				}
				release_held(relids, modes, held, i);
				long elapsed_ms = (long) ((GetCurrentTimestamp() - start) / 1000);
				int wait_ms = (int) Min((long) sm_lock_wait_ms, Max(1L, budget_ms - elapsed_ms));
				if (!queued_wait(relids[i], modes[i], wait_ms))
				{
					blocked = i;
					break;
				}
				held[i] = true;
				for (int j = 0; j < i; ++j)
				{
					if (!ConditionalLockRelationOid(relids[j], modes[j]))
					{
						blocked = j;
						break;
					}
					held[j] = true;
				}
			}
			if (blocked < 0)
			{
				noted = true;
				NOTE_LOCK_WAIT(GetCurrentTimestamp() - start, attempt, seen);
				break;
			}
			release_held(relids, modes, held, n);
			Oid relid = relids[blocked];
			int lockmode = modes[blocked];

			long elapsed_ms = (long) ((GetCurrentTimestamp() - start) / 1000);
			if (elapsed_ms >= budget_ms || attempt + 1 >= Max(sm_lock_retries, 1))
			{
				int nblockers = 0;
				/* Not while the query would fix a REPEATABLE READ snapshot before the lock (LOCK TABLE). */
				bool may_look = sm_may_take_snapshot();
				char *blockers = may_look ? describe_blockers(relid, lockmode, &nblockers) : NULL;
				noted = true;
				NOTE_LOCK_WAIT(GetCurrentTimestamp() - start, attempt + 1, nblockers > 0 ? blockers : seen);
				bool by_time = elapsed_ms >= budget_ms;
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 !may_look ? errmsg("could not lock %s \"%s\" with %s within %d ms: other sessions hold "
											"conflicting locks",
											kinds[blocked], shown[blocked],
											core::lock_mode_name(static_cast<core::LockMode>(lockmode)), budget_ms)
						 : by_time ? errmsg("could not lock %s \"%s\" with %s within %d ms: %d session(s) hold "
										  "conflicting locks",
										  kinds[blocked], shown[blocked],
										  core::lock_mode_name(static_cast<core::LockMode>(lockmode)), budget_ms, nblockers)
								 : errmsg("could not lock %s \"%s\" with %s in %d short waits "
										  "(safemigrate.lock_retries): %d session(s) hold conflicting locks",
										  kinds[blocked], shown[blocked],
										  core::lock_mode_name(static_cast<core::LockMode>(lockmode)), attempt + 1,
										  nblockers),
						 nblockers > 0 ? errdetail("Blocked by %s.", blockers)
						 : may_look	   ? errdetail("The blocking transactions ended meanwhile, or are waiting themselves.")
									   : errdetail("The blockers are not listed: reading pg_stat_activity here would take "
												   "the transaction's snapshot before its lock."),
						 errhint("pg_safemigrate waited %d time(s) for at most %d ms each, stepping out of the lock queue "
								 "in between so that other sessions were not held up.  Run the migration at a quieter "
								 "moment (SELECT * FROM safemigrate.blockers(%s, '%s') lists the blockers), or end "
								 "the blocking transactions.",
								 attempt + 1, sm_lock_wait_ms, quoted[blocked],
								 core::lock_mode_name(static_cast<core::LockMode>(lockmode)))));
			}

			if (seen == NULL && sm_audit && sm_may_take_snapshot())
			{
				int nseen = 0;
				seen = describe_blockers(relid, lockmode, &nseen);
			}

			/* Not while the query would fix a REPEATABLE READ snapshot before the lock (LOCK TABLE). */
			if (sm_cancel_blockers_after_ms > 0 && sm_may_take_snapshot())
				cancel_old_blockers(relid, lockmode);

			/*
			 * An autovacuum in the way is cancelled, as PostgreSQL's own lock
			 * wait does after deadlock_timeout (ProcSleep); the short waits
			 * never last that long.  Not one that prevents wraparound.
			 */
			cancel_autovacuum(relid, lockmode, shown[blocked]);

			/* So far, for the audit: a terminate (FATAL) never reaches PG_CATCH below. */
			NOTE_LOCK_WAIT(GetCurrentTimestamp() - start, attempt + 1, seen);

			/* Back off, with jitter, out of the queue (holding none of the locks): other sessions go on. */
			long pause = (long) sm_lock_wait_ms * Min(1L << Min(attempt, 3), 8L);
			pause = (long) (pause * (0.5 + 0.5 * pg_prng_double(&pg_global_prng_state)));
			pause = Min(pause, Max(0L, budget_ms - (long) ((GetCurrentTimestamp() - start) / 1000)));
			/*
			 * The whole pause, whatever sets the latch meanwhile (a WaitLatch on
			 * a set latch returns at once): sleep until the deadline.
			 */
			TimestampTz resume = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), pause);
			for (;;)
			{
				ResetLatch(MyLatch);
				CHECK_FOR_INTERRUPTS();
				long left_ms = (long) ((resume - GetCurrentTimestamp()) / 1000);
				if (left_ms <= 0)
					break;
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, left_ms, PG_WAIT_EXTENSION);
			}
		}
	}
	PG_CATCH();
	{
		/* A cancel, a statement timeout or a terminate during the waits: the audit row gets them too. */
		if (!noted)
			NOTE_LOCK_WAIT(GetCurrentTimestamp() - start, waits, seen);
		PG_RE_THROW();
	}
	PG_END_TRY();
#undef NOTE_LOCK_WAIT
}
} // namespace safemigrate::pg
