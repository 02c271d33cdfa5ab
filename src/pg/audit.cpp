/*-------------------------------------------------------------------------
 *
 * audit.cpp
 *	  The backend side of the DDL audit: attempts of the current transaction,
 *	  their final outcome from the transaction callbacks, and the ring buffer
 *	  in shared memory that carries them to the background worker
 *	  (audit_worker.cpp).
 *
 * Invariants:
 *	- Nothing is written to a table here: a backend only copies records into
 *	  shared memory, so an aborting transaction cannot lose its audit rows
 *	  (pg-facts 7, design (b)).
 *	- The commit and abort callbacks never ereport above LOG and never
 *	  allocate: the record is built in a buffer allocated when the backend
 *	  audits its first statement.
 *	- A full ring never blocks DDL for long: a transaction waits up to
 *	  SM_AUDIT_FULL_WAIT_MS in all for the worker, then writes the events
 *	  that found no room to the server log and counts them
 *	  (safemigrate.audit_queue shows the count).
 *	- An attempt whose statement fails is finished in the hook's PG_CATCH
 *	  (sm_audit_failed); one whose backend exits (FATAL, pg_terminate_backend)
 *	  is finished by the abort callback, which PostgreSQL runs while the
 *	  backend shuts down, with the error captured by emit_log_hook.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <cstring>
#include <new>
#include <string>

#include "core/audit.hpp"
#include "pg/audit.hpp"
#include "pg/decide.hpp"
#include "pg/extract.hpp"

#include "pg/postgres.hpp"
#include "pg/compat.hpp"
#include "pg/audit_ring.hpp"

extern "C" {
#include "funcapi.h"
#include "commands/dbcommands.h"
#include "common/ip.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/cmdtag.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(safemigrate_audit_queue);
PG_FUNCTION_INFO_V1(safemigrate_audit_wait);
}

namespace safemigrate::pg {

/*
 * safemigrate.audit
 *
 * Record every DDL attempt of the cluster.  On by default; turning it off
 * hides DDL from the audit, so only a superuser may.
 */
bool sm_audit = true;

/* safemigrate.database: the database whose safemigrate.ddl_audit receives the rows (restart). */
char *sm_audit_database = NULL;

/* safemigrate.audit_queue_size: bytes of shared memory for events not yet written (restart). */
int sm_audit_queue_kb = 1024;

/* safemigrate.audit_statement_max: the longest statement text kept, in bytes (restart). */
int sm_audit_statement_max = 4096;

/* safemigrate.migration_id: tags the statements of one migration; any session may set it. */
char *sm_migration_id = NULL;

/* safemigrate.log_level: also write each event to the server log at this level (off: never). */
int sm_audit_log_level = 0;

SmAuditShared *sm_audit_shared = NULL;

namespace {

/* An event is this long at most, apart from the statement and the executed SQL. */
constexpr uint32 kFieldMax = 1024;

/* How long a backend waits for room in a full ring before it logs the event instead. */
constexpr int SM_AUDIT_FULL_WAIT_MS = 100;

const struct config_enum_entry sm_log_level_options[] = {
	{"off", 0, false},		  {"debug5", DEBUG5, false}, {"debug4", DEBUG4, false},
	{"debug3", DEBUG3, false}, {"debug2", DEBUG2, false}, {"debug1", DEBUG1, false},
	{"log", LOG, false},	  {"info", INFO, false},	 {"notice", NOTICE, false},
	{"warning", WARNING, false}, {NULL, 0, false},
};

shmem_startup_hook_type prev_shmem_startup_hook = NULL;
#if PG_VERSION_NUM >= 150000
shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
emit_log_hook_type prev_emit_log_hook = NULL;

} // namespace

/* The record of one attempt, in the backend's audit memory. */
struct SmAttempt
{
	SmAttempt *next;
	int64 id;
	int64 attempt_id;
	int step;
	SubTransactionId subxid;
	TimestampTz started;
	TimestampTz finished;
	int64 lock_wait_us;
	int retries;
	uint64 xid;
	core::AuditAction action;
	bool rolled_back; /* its subtransaction was rolled back */
	bool classified;
	bool rewrites;
	double estimated_rows;
	const char *committed; /* what committed before it failed (sm_audit_note_committed), or NULL */
	char sqlstate[6];
	const char *str[SM_S_COUNT];
};

namespace {

/* Audit memory of this backend: attempts in flight and attempts waiting for their transaction's end. */
MemoryContext audit_cxt = NULL;
SmAttempt *inflight = NULL; /* innermost first */
SmAttempt *pending = NULL;	/* oldest first */
SmAttempt *pending_tail = NULL;
/* Where the commit and abort callbacks build a record: never allocated there. */
char *record_buf = NULL;
uint32 record_buf_size = 0;
/* The last error of this backend while an attempt was in flight (for FATAL exits). */
char last_error_state[6];
char last_error_message[256];
/* Per-backend constants. */
char *database_name = NULL;
char *client_addr = NULL;

/* The client's address as pg_stat_activity shows it; "[local]" for a Unix socket, NULL for none. */
char *
client_address()
{
	if (MyBEEntry == NULL || MyBEEntry->st_clientaddr.salen == 0)
		return NULL;
	const SockAddr *a = &MyBEEntry->st_clientaddr;
	if (a->addr.ss_family == AF_UNIX)
		return MemoryContextStrdup(TopMemoryContext, "[local]");
	char host[NI_MAXHOST];
	if (pg_getnameinfo_all(&a->addr, a->salen, host, sizeof host, NULL, 0, NI_NUMERICHOST) != 0)
		return NULL;
	return MemoryContextStrdup(TopMemoryContext, host);
}

const char *
keep(const char *s)
{
	return s == NULL ? NULL : MemoryContextStrdup(audit_cxt, s);
}

/* Bytes a record may need at most. */
uint32
record_max_size()
{
	return (uint32) MAXALIGN(sizeof(SmAuditRecord) + 2 * (uint32) sm_audit_statement_max + (SM_S_COUNT - 2) * kFieldMax);
}

uint32
field_cap(int field)
{
	return field == SM_S_STATEMENT || field == SM_S_EXECUTED ? (uint32) sm_audit_statement_max : kFieldMax;
}

/* Serialize an attempt with its outcome into record_buf; returns the record's size.  Cannot fail. */
uint32
build_record(const SmAttempt *a, core::AuditOutcome outcome)
{
	SmAuditRecord *r = (SmAuditRecord *) record_buf;
	memset(r, 0, sizeof(SmAuditRecord));
	r->encoding = GetDatabaseEncoding();
	r->id = a->id;
	r->attempt_id = a->attempt_id;
	r->step = a->step;
	r->pid = MyProcPid;
	r->retries = a->retries;
	r->action = static_cast<char>(a->action);
	r->outcome = static_cast<char>(a->rolled_back ? core::AuditOutcome::Aborted : outcome);
	r->classified = a->classified;
	r->rewrites = a->rewrites;
	r->started = a->started;
	r->finished = a->finished;
	r->lock_wait_us = a->lock_wait_us;
	r->xid = a->xid;
	r->estimated_rows = a->estimated_rows;
	memcpy(r->sqlstate, a->sqlstate, sizeof r->sqlstate);
	char *p = record_buf + sizeof(SmAuditRecord);
	for (int f = 0; f < SM_S_COUNT; ++f)
	{
		const char *s = a->str[f];
		uint32 len = 0;
		if (s != NULL)
		{
			size_t full = strlen(s);
			/* The list of objects too long: cut after a whole name, ", ..." marking the cut. */
			size_t cut = 0;
			if (f == SM_S_OBJECTS && full > field_cap(f))
				for (size_t k = 0; k + 1 < full && k + 5 <= field_cap(f); ++k)
					if (s[k] == ',' && s[k + 1] == ' ')
						cut = k;
			if (cut > 0)
			{
				memcpy(p, s, cut);
				memcpy(p + cut, ", ...", 5);
				p += cut + 5;
				r->len[f] = (uint32) (cut + 5);
				continue;
			}
			/* Cut on a character boundary of the database's encoding (EUC_JP, ... as well as UTF-8). */
			len = r->encoding == PG_UTF8 ? (uint32) core::truncate_utf8(std::string_view(s, full), field_cap(f))
										 : (uint32) pg_encoding_mbcliplen(r->encoding, s, (int) Min(full, (size_t) INT_MAX),
																		  (int) field_cap(f));
			memcpy(p, s, len);
			p += len;
		}
		r->len[f] = len;
	}
	r->total = (uint32) MAXALIGN(p - record_buf);
	return r->total;
}

/* Copy len bytes into the ring at byte position pos (wrapping).  Caller holds the lock. */
void
ring_write(uint64 pos, const char *src, uint32 len)
{
	uint64 cap = sm_audit_shared->capacity;
	uint64 off = pos % cap;
	uint64 first = Min((uint64) len, cap - off);
	memcpy(sm_audit_shared->ring + off, src, first);
	if (first < len)
		memcpy(sm_audit_shared->ring, src + first, len - first);
}

} // namespace

char *
sm_audit_event_line(const SmAuditRecord *r) noexcept
{
	try
	{
		const char *base = (const char *) r + sizeof(SmAuditRecord);
		std::string_view s[SM_S_COUNT];
		for (int f = 0; f < SM_S_COUNT; ++f)
		{
			s[f] = std::string_view(base, r->len[f]);
			base += r->len[f];
		}
		core::AuditLogFields lf;
		lf.id = r->id;
		lf.attempt_id = r->attempt_id;
		lf.step = r->step;
		lf.action = core::audit_action_name(static_cast<core::AuditAction>(r->action));
		lf.outcome = core::audit_outcome_name(static_cast<core::AuditOutcome>(r->outcome));
		lf.duration_ms = (double) (r->finished - r->started) / 1000.0;
		lf.lock_wait_ms = (double) r->lock_wait_us / 1000.0;
		lf.retries = r->retries;
		lf.database = s[SM_S_DATABASE];
		lf.user = s[SM_S_SESSION_USER];
		lf.command_tag = s[SM_S_TAG];
		lf.objects = s[SM_S_OBJECTS];
		lf.rules = s[SM_S_RULES];
		lf.sqlstate = std::string_view(r->sqlstate, strnlen(r->sqlstate, 5));
		lf.migration_id = s[SM_S_MIGRATION];
		lf.statement = s[SM_S_STATEMENT];
		std::string line = core::format_audit_log_line(lf);
		char *out = (char *) MemoryContextAllocExtended(CurrentMemoryContext, line.size() + 1, MCXT_ALLOC_NO_OOM);
		if (out != NULL)
			memcpy(out, line.c_str(), line.size() + 1);
		return out;
	}
	catch (...)
	{
		return NULL;
	}
}

namespace {

/* Write the event to the server log (why: the primary message, or NULL for the line itself). */
void
log_event(const SmAuditRecord *r, int elevel, const char *why)
{
	MemoryContext old = MemoryContextSwitchTo(audit_cxt);
	char *line = sm_audit_event_line(r);
	MemoryContextSwitchTo(old);
	if (line == NULL)
		return;
	if (why != NULL)
		ereport(elevel, (errmsg("%s", why), errdetail_internal("%s", line), errhidestmt(true)));
	else
		ereport(elevel, (errmsg_internal("%s", line), errhidestmt(true)));
	pfree(line);
}

/*
 * Put one finished attempt into the ring.  Called from transaction callbacks:
 * never errors.  *wait_ms is what is left of the transaction's wait for room
 * in a full ring (shared by all its events: one short wait per transaction).
 */
void
enqueue(const SmAttempt *a, core::AuditOutcome outcome, int *wait_ms)
{
	uint32 len = build_record(a, outcome);
	const SmAuditRecord *r = (const SmAuditRecord *) record_buf;
	if (sm_audit_log_level != 0)
		log_event(r, sm_audit_log_level == LOG ? LOG_SERVER_ONLY : sm_audit_log_level, NULL);

	for (;;)
	{
		Latch *latch = NULL;
		bool done = false;
		bool hopeless = false;
		LWLockAcquire(sm_audit_shared->lock, LW_EXCLUSIVE);
		if (sm_audit_shared->head + len - sm_audit_shared->tail <= sm_audit_shared->capacity)
		{
			ring_write(sm_audit_shared->head, record_buf, len);
			sm_audit_shared->head += len;
			sm_audit_shared->events_queued++;
			done = true;
		}
		latch = sm_audit_shared->worker_latch;
		/* No writer, or one that cannot write: waiting for room would only delay the DDL. */
		hopeless = latch == NULL || sm_audit_shared->writer_stalled;
		LWLockRelease(sm_audit_shared->lock);
		if (latch != NULL)
			SetLatch(latch);
		if (done)
		{
			/*
			 * No writer now: it is restarting (the event waits for it) or the
			 * server is shutting down, and the ring goes with it: the log
			 * keeps the event either way.
			 */
			if (latch == NULL && sm_audit_log_level == 0)
				log_event(r, LOG_SERVER_ONLY,
						  "pg_safemigrate audit writer is not running: event written to the server log too (it "
						  "waits in shared memory for the writer)");
			return;
		}
		if (hopeless || *wait_ms <= 0)
			break;
		pg_usleep(1000L);
		--*wait_ms;
	}
	pg_atomic_fetch_add_u64(&sm_audit_shared->events_logged, 1);
	log_event(r, LOG_SERVER_ONLY,
			  "pg_safemigrate audit queue is full: event written to the server log only");
}

/* Flush the pending attempts with the outcome of their transaction. */
void
flush_pending(core::AuditOutcome outcome)
{
	int wait_ms = SM_AUDIT_FULL_WAIT_MS;
	for (SmAttempt *a = pending; a != NULL; a = a->next)
		enqueue(a, outcome, &wait_ms);
	pending = pending_tail = NULL;
	if (inflight == NULL && audit_cxt != NULL)
		MemoryContextReset(audit_cxt);
}

void
append_pending(SmAttempt *a)
{
	a->next = NULL;
	if (pending_tail != NULL)
		pending_tail->next = a;
	else
		pending = a;
	pending_tail = a;
}

/* Remove a from the in-flight stack (normally the top). */
void
pop_inflight(SmAttempt *a)
{
	SmAttempt **pp = &inflight;
	while (*pp != NULL && *pp != a)
		pp = &(*pp)->next;
	if (*pp == a)
		*pp = a->next;
}

void
finish(SmAttempt *a)
{
	a->finished = GetCurrentTimestamp();
	a->subxid = GetCurrentSubTransactionId();
	FullTransactionId fxid = GetTopFullTransactionIdIfAny();
	a->xid = FullTransactionIdIsValid(fxid) ? U64FromFullTransactionId(fxid) : 0;
	pop_inflight(a);
	append_pending(a);
}

extern "C" void
audit_xact_callback(XactEvent event, void *arg) noexcept
{
	/* Most transactions ran no DDL: nothing in flight, nothing pending (every commit comes here). */
	if (sm_audit_shared == NULL || (pending == NULL && inflight == NULL))
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			flush_pending(core::AuditOutcome::Committed);
			break;
		case XACT_EVENT_PREPARE:
			flush_pending(core::AuditOutcome::Prepared);
			break;
		case XACT_EVENT_ABORT:
			/*
			 * Attempts still in flight when the transaction aborts had no
			 * PG_CATCH: the backend is exiting (FATAL, pg_terminate_backend).
			 */
			while (inflight != NULL)
			{
				SmAttempt *a = inflight;
				a->action = a->action == core::AuditAction::Rejected ? a->action : core::AuditAction::Failed;
				if (last_error_state[0] != '\0')
				{
					memcpy(a->sqlstate, last_error_state, sizeof a->sqlstate);
					a->str[SM_S_MESSAGE] = last_error_message;
				}
				else
					a->str[SM_S_MESSAGE] = "the session ended during the statement";
				a->finished = GetCurrentTimestamp();
				a->subxid = InvalidSubTransactionId;
				inflight = a->next;
				append_pending(a);
			}
			flush_pending(core::AuditOutcome::Aborted);
			break;
		default:
			break;
	}
}

extern "C" void
audit_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid,
					   void *arg) noexcept
{
	/* Subtransaction ids only grow within a transaction: those at or above mySubid ran inside it. */
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	for (SmAttempt *a = pending; a != NULL; a = a->next)
		if (a->subxid >= mySubid)
			a->rolled_back = true;
}

extern "C" void
audit_emit_log(ErrorData *edata) noexcept
{
	if (prev_emit_log_hook != NULL)
		prev_emit_log_hook(edata);
	if (inflight != NULL && edata->elevel >= ERROR)
	{
		const char *state = unpack_sql_state(edata->sqlerrcode);
		memcpy(last_error_state, state, 5);
		last_error_state[5] = '\0';
		strlcpy(last_error_message, edata->message ? edata->message : "", sizeof last_error_message);
	}
}

Size
shared_size()
{
	return add_size(offsetof(SmAuditShared, ring), (Size) sm_audit_queue_kb * 1024);
}

extern "C" void
audit_shmem_request() noexcept
{
#if PG_VERSION_NUM >= 150000
	if (prev_shmem_request_hook != NULL)
		prev_shmem_request_hook();
#endif
	RequestAddinShmemSpace(shared_size());
	RequestNamedLWLockTranche("pg_safemigrate audit", 1);
}

extern "C" void
audit_shmem_startup() noexcept
{
	if (prev_shmem_startup_hook != NULL)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	bool found = false;
	sm_audit_shared = (SmAuditShared *) ShmemInitStruct("pg_safemigrate audit", shared_size(), &found);
	if (!found)
	{
		memset(sm_audit_shared, 0, offsetof(SmAuditShared, ring));
		sm_audit_shared->lock = &(GetNamedLWLockTranche("pg_safemigrate audit"))->lock;
		sm_audit_shared->capacity = (uint64) sm_audit_queue_kb * 1024;
		/*
		 * Ids: microseconds since 2000 at startup, then one per event, so that
		 * they stay unique and increasing across restarts (fewer than one
		 * event per microsecond on average).
		 */
		pg_atomic_init_u64(&sm_audit_shared->next_id, (uint64) GetCurrentTimestamp());
		pg_atomic_init_u64(&sm_audit_shared->events_logged, 0);
	}
	LWLockRelease(AddinShmemInitLock);
}

} // namespace

void
sm_audit_define_gucs()
{
	DefineCustomBoolVariable("safemigrate.audit",
							 gettext_noop("Records every DDL attempt in safemigrate.ddl_audit."),
							 NULL, &sm_audit, true, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("safemigrate.database",
							   gettext_noop("The database whose safemigrate.ddl_audit receives the audit of the cluster."),
							   NULL, &sm_audit_database, "postgres", PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("safemigrate.audit_queue_size",
							gettext_noop("Shared memory for audit events not yet written to the table."),
							NULL, &sm_audit_queue_kb, 1024, 64, 1024 * 1024, PGC_POSTMASTER, GUC_UNIT_KB, NULL,
							NULL, NULL);
	DefineCustomIntVariable("safemigrate.audit_statement_max",
							gettext_noop("The longest statement text the audit keeps, in bytes."),
							NULL, &sm_audit_statement_max, 4096, 64, 1024 * 1024, PGC_POSTMASTER, 0, NULL, NULL,
							NULL);
	DefineCustomStringVariable("safemigrate.migration_id",
							   gettext_noop("Tags the DDL of this session in the audit, e.g. with a migration's name."),
							   NULL, &sm_migration_id, "", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("safemigrate.log_level",
							 gettext_noop("Also writes each audit event to the server log at this level."),
							 NULL, &sm_audit_log_level, 0, sm_log_level_options, PGC_SUSET, 0, NULL, NULL, NULL);
}

void
sm_audit_init()
{
	/* A record must always fit into an empty ring. */
	if ((Size) sm_audit_queue_kb * 1024 < 4 * (Size) record_max_size())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("safemigrate.audit_queue_size must be at least four times the largest audit event (%u bytes)",
						record_max_size()),
				 errhint("Raise safemigrate.audit_queue_size or lower safemigrate.audit_statement_max.")));
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = audit_shmem_request;
#else
	audit_shmem_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = audit_shmem_startup;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = audit_emit_log;
	RegisterXactCallback(audit_xact_callback, NULL);
	RegisterSubXactCallback(audit_subxact_callback, NULL);

	BackgroundWorker worker;
	memset(&worker, 0, sizeof worker);
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	strlcpy(worker.bgw_library_name, "pg_safemigrate", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "sm_audit_worker_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "pg_safemigrate audit writer", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "pg_safemigrate audit writer", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

bool
sm_audit_wanted(const Node *tree, int context) noexcept
{
	if (!sm_audit || sm_audit_shared == NULL || !IsUnderPostmaster || IsBinaryUpgrade ||
		context == PROCESS_UTILITY_SUBCOMMAND || creating_extension)
		return false;
	if (sm_never_ddl(tree))
		return false;
	switch (nodeTag(tree))
	{
		case T_LockStmt:
			return false;
		case T_ReindexStmt:
		case T_TruncateStmt: /* (log_statement counts it as a data change; its rule is truncate-table) */
			return true;
		case T_VacuumStmt:
		{
			ListCell *lc;
			foreach (lc, ((const VacuumStmt *) tree)->options)
			{
				DefElem *opt = (DefElem *) lfirst(lc);
				if (strcmp(opt->defname, "full") == 0)
					return true;
			}
			return false;
		}
		default:
			return GetCommandLogLevel((Node *) tree) == LOGSTMT_DDL;
	}
}

namespace {

/*
 * A setting that may hold a password: a connection string (primary_conninfo),
 * a name that says so (app.db_password, app.jwt_secret), or a value with
 * "password" in it.
 */
bool
setting_holds_secret(const VariableSetStmt *set)
{
	if (set == NULL || set->name == NULL)
		return false;
	if (strstr(set->name, "conninfo") != NULL || pg_strcasecmp(set->name, "primary_conninfo") == 0 ||
		strcasestr(set->name, "password") != NULL || strcasestr(set->name, "secret") != NULL)
		return true;
	ListCell *lc;
	foreach (lc, set->args)
	{
		const Node *arg = (const Node *) lfirst(lc);
		if (IsA(arg, A_Const) && IsA(&((const A_Const *) arg)->val, String) &&
			strcasestr(strVal(&((const A_Const *) arg)->val), "password") != NULL)
			return true;
	}
	return false;
}

/* True for statements whose text may hold a password: the audit keeps a placeholder instead. */
bool
holds_secret(const Node *tree)
{
	List *options = NIL;
	switch (nodeTag(tree))
	{
		case T_AlterSystemStmt:
			return setting_holds_secret(((const AlterSystemStmt *) tree)->setstmt);
		case T_AlterRoleSetStmt:
			return setting_holds_secret(((const AlterRoleSetStmt *) tree)->setstmt);
		case T_AlterDatabaseSetStmt:
			return setting_holds_secret(((const AlterDatabaseSetStmt *) tree)->setstmt);
		case T_CreateUserMappingStmt:
		case T_AlterUserMappingStmt:
		case T_CreateSubscriptionStmt:	/* CONNECTION '... password=...' */
			return true;
		case T_AlterSubscriptionStmt:
			return ((const AlterSubscriptionStmt *) tree)->conninfo != NULL;
		case T_CreateRoleStmt:
			options = ((const CreateRoleStmt *) tree)->options;
			break;
		case T_AlterRoleStmt:
			options = ((const AlterRoleStmt *) tree)->options;
			break;
		default:
			return false;
	}
	ListCell *lc;
	foreach (lc, options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, "password") == 0)
			return true;
	return false;
}

} // namespace

SmAttempt *
sm_audit_begin(const PlannedStmt *pstmt, const char *query_string, int64 attempt_id, int step)
{
	if (audit_cxt == NULL)
	{
		audit_cxt = AllocSetContextCreate(TopMemoryContext, "pg_safemigrate audit", ALLOCSET_SMALL_SIZES);
		record_buf_size = record_max_size();
		record_buf = (char *) MemoryContextAlloc(TopMemoryContext, record_buf_size);
		database_name = MemoryContextStrdup(TopMemoryContext, get_database_name(MyDatabaseId));
		client_addr = client_address();
	}
	SmAttempt *a = (SmAttempt *) MemoryContextAllocZero(audit_cxt, sizeof(SmAttempt));
	a->id = (int64) pg_atomic_fetch_add_u64(&sm_audit_shared->next_id, 1);
	a->attempt_id = attempt_id;
	a->step = step;
	a->started = GetCurrentTimestamp();
	a->action = core::AuditAction::Allowed;
	a->estimated_rows = -1;
	a->str[SM_S_DATABASE] = database_name;
	a->str[SM_S_SESSION_USER] = keep(GetUserNameFromId(GetSessionUserId(), true));
	a->str[SM_S_CURRENT_USER] = keep(GetUserNameFromId(GetUserId(), true));
	a->str[SM_S_APP] = keep(application_name);
	a->str[SM_S_CLIENT] = client_addr;
	a->str[SM_S_TAG] = GetCommandTagName(CreateCommandTag(pstmt->utilityStmt));
	a->str[SM_S_STATEMENT] = holds_secret(pstmt->utilityStmt)
								 ? "(statement not recorded: it may contain a password)"
								 : keep(sm_statement_text(pstmt, query_string));
	a->str[SM_S_MIGRATION] = sm_migration_id != NULL && sm_migration_id[0] != '\0' ? keep(sm_migration_id) : NULL;
	a->next = inflight;
	inflight = a;
	last_error_state[0] = '\0';
	return a;
}

int64
sm_audit_id(const SmAttempt *a) noexcept
{
	return a->id;
}

void
sm_audit_set_verdict(SmAttempt *a, const SmVerdict *v)
{
	if (v->category == NULL)
		return;
	a->classified = true;
	a->str[SM_S_CATEGORY] = v->category;
	a->rewrites = v->rewrites;
	a->estimated_rows = v->estimated_rows;
	a->str[SM_S_RULES] = v->rules[0] ? keep(v->rules) : NULL;
	a->str[SM_S_OBJECTS] = v->objects[0] ? keep(v->objects) : NULL;
	a->str[SM_S_LOCKS] = v->lock_summary[0] ? keep(v->lock_summary) : NULL;
	if (v->overridden && a->action == core::AuditAction::Allowed)
		a->action = core::AuditAction::Overridden;
}

void
sm_audit_set_executed(SmAttempt *a, const char *sql)
{
	a->str[SM_S_EXECUTED] = keep(sql);
}

void
sm_audit_add_rule(SmAttempt *a, const char *rule_id, const char *category)
{
	a->classified = true;
	a->str[SM_S_CATEGORY] = category;
	const char *rules = a->str[SM_S_RULES];
	if (rules == NULL)
	{
		a->str[SM_S_RULES] = rule_id;
		return;
	}
	/* Each rule once: a CASCADE that drops ten tables adds drop-table once. */
	size_t len = strlen(rule_id);
	for (const char *p = rules; (p = strstr(p, rule_id)) != NULL; p += len)
		if ((p == rules || (p >= rules + 2 && p[-2] == ',' && p[-1] == ' ')) && (p[len] == '\0' || p[len] == ','))
			return;
	a->str[SM_S_RULES] = keep(psprintf("%s, %s", rules, rule_id));
}

void
sm_audit_set_action(SmAttempt *a, core::AuditAction action) noexcept
{
	a->action = action;
}

core::AuditAction
sm_audit_action(const SmAttempt *a) noexcept
{
	return a->action;
}

void
sm_audit_succeeded(SmAttempt *a)
{
	finish(a);
}

void
sm_audit_failed(SmAttempt *a) noexcept
{
	/* In PG_CATCH: the error is still current; copy what we need without allocating in ErrorContext. */
	MemoryContext old = MemoryContextSwitchTo(audit_cxt);
	ErrorData *edata = CopyErrorData();
	MemoryContextSwitchTo(old);
	memcpy(a->sqlstate, unpack_sql_state(edata->sqlerrcode), 5);
	a->sqlstate[5] = '\0';
	a->str[SM_S_MESSAGE] = edata->message;
	if (a->committed != NULL && edata->message != NULL)
	{
		static const char kWhat[] = " (committed before the error: ";
		size_t len = strlen(edata->message) + sizeof kWhat + strlen(a->committed) + 1;
		char *m = (char *) MemoryContextAllocExtended(audit_cxt, len, MCXT_ALLOC_NO_OOM);
		if (m != NULL)
		{
			snprintf(m, len, "%s%s%s)", edata->message, kWhat, a->committed);
			a->str[SM_S_MESSAGE] = m;
		}
	}
	if (a->action != core::AuditAction::Rejected)
		a->action = core::AuditAction::Failed;
	finish(a);
}

void
sm_audit_add_step(SmAttempt *a, const SmAttempt *step) noexcept
{
	if (a == NULL || step == NULL)
		return;
	a->lock_wait_us += step->lock_wait_us;
	a->retries += step->retries;
	if (a->str[SM_S_BLOCKERS] == NULL)
		a->str[SM_S_BLOCKERS] = step->str[SM_S_BLOCKERS];
}

void
sm_audit_note_committed(SmAttempt *a, const char *what) noexcept
{
	if (a == NULL)
		a = inflight;
	if (a == NULL || what == NULL)
		return;
	char *copy = (char *) MemoryContextAllocExtended(audit_cxt, strlen(what) + 1, MCXT_ALLOC_NO_OOM);
	if (copy != NULL)
	{
		strcpy(copy, what);
		a->committed = copy;
	}
}

void
sm_audit_note_lock_wait(int64 wait_us, int retries, const char *blockers) noexcept
{
	SmAttempt *a = inflight;
	if (a == NULL)
		return;
	a->lock_wait_us += wait_us;
	a->retries += retries;
	if (blockers != NULL && blockers[0] != '\0' && a->str[SM_S_BLOCKERS] == NULL)
	{
		/* Out of memory here only loses the blockers' description. */
		char *copy = (char *) MemoryContextAllocExtended(audit_cxt, strlen(blockers) + 1, MCXT_ALLOC_NO_OOM);
		if (copy != NULL)
		{
			strcpy(copy, blockers);
			a->str[SM_S_BLOCKERS] = copy;
		}
	}
}

} // namespace safemigrate::pg

using safemigrate::pg::sm_audit_shared;

/*
 * safemigrate.audit_queue(): the state of the ring buffer.
 * C-style frame; may ereport.
 */
extern "C" Datum
safemigrate_audit_queue(PG_FUNCTION_ARGS)
{
	TupleDesc tupdesc;
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	Datum values[8];
	bool nulls[8] = {false, false, false, false, false, false, false, false};
	if (sm_audit_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_safemigrate must be loaded via shared_preload_libraries")));
	LWLockAcquire(sm_audit_shared->lock, LW_SHARED);
	uint64 cap = sm_audit_shared->capacity;
	uint64 used = sm_audit_shared->head - sm_audit_shared->tail;
	uint64 queued = sm_audit_shared->events_queued;
	uint64 written = sm_audit_shared->events_written;
	uint64 failed = sm_audit_shared->events_failed;
	int pid = sm_audit_shared->worker_pid;
	bool stalled = sm_audit_shared->writer_stalled;
	LWLockRelease(sm_audit_shared->lock);
	values[0] = Int64GetDatum((int64) cap);
	values[1] = Int64GetDatum((int64) used);
	values[2] = Int64GetDatum((int64) queued);
	values[3] = Int64GetDatum((int64) written);
	values[4] = Int64GetDatum((int64) pg_atomic_read_u64(&sm_audit_shared->events_logged));
	values[5] = Int64GetDatum((int64) failed);
	values[6] = Int32GetDatum(pid);
	nulls[6] = pid == 0;
	/* (writer_waiting: a lock, a missing extension or another error keeps the writer from writing) */
	values[7] = BoolGetDatum(stalled && pid != 0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * safemigrate.audit_wait(timeout_ms): wait until the worker has written every
 * event queued before the call (the events of transactions that have ended).
 * True when it has, false at the timeout.  C-style frame; may ereport.
 */
extern "C" Datum
safemigrate_audit_wait(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("timeout must not be NULL")));
	int timeout_ms = PG_GETARG_INT32(0);
	if (timeout_ms < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("timeout must not be negative")));
	if (sm_audit_shared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_safemigrate must be loaded via shared_preload_libraries")));
	LWLockAcquire(sm_audit_shared->lock, LW_SHARED);
	uint64 target = sm_audit_shared->head;
	LWLockRelease(sm_audit_shared->lock);
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	for (;;)
	{
		LWLockAcquire(sm_audit_shared->lock, LW_SHARED);
		bool done = sm_audit_shared->tail >= target;
		LWLockRelease(sm_audit_shared->lock);
		if (done)
			PG_RETURN_BOOL(true);
		if (GetCurrentTimestamp() >= deadline)
			PG_RETURN_BOOL(false);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}
