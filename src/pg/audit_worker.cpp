/*-------------------------------------------------------------------------
 *
 * audit_worker.cpp
 *	  The audit writer: a background worker connected to safemigrate.database
 *	  that drains the ring buffer into safemigrate.ddl_audit.
 *
 * Invariants:
 *	- An event leaves the ring only after the transaction that inserted its
 *	  row has committed (tail advances after the commit).  A crash of the
 *	  worker between the commit and the advance re-inserts the same ids,
 *	  which ON CONFLICT (id) DO NOTHING ignores.  An id the table holds for
 *	  another event (ids start from the clock at server start, and the clock
 *	  may be behind an earlier start) is replaced by one above the table's.
 *	- A batch that fails is retried one event per transaction; an event that
 *	  cannot be inserted on its own (e.g. text not valid in the audit
 *	  database's encoding) goes to the server log and is counted, so one bad
 *	  event never stops the audit.
 *	- While the extension is missing in safemigrate.database, or another
 *	  session holds a lock on safemigrate.ddl_audit that the INSERT would wait
 *	  for (more than kLockTimeoutMs), the events wait in the ring (and, when
 *	  it is full, go to the server log).
 *	- Asked to stop, the writer writes what the ring holds for at most
 *	  kShutdownDrainMs; events it could not write by then go to the server
 *	  log (they stay in the ring: a restarted writer still writes them).
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <cstring>

#include "core/audit.hpp"
#include "pg/audit.hpp"

#include "pg/postgres.hpp"
#include "pg/compat.hpp"
#include "pg/audit_ring.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

PGDLLEXPORT void sm_audit_worker_main(Datum arg) noexcept;
}

namespace safemigrate::pg {

namespace {

/* Events per transaction of the writer. */
constexpr int kBatch = 500;
constexpr int kNParams = 29;

/* After a SIGTERM, how long the writer goes on writing what sessions queue. */
constexpr int kShutdownDrainMs = 5000;

/* The writer's lock_timeout: a lock on the table makes it wait in the ring, not in a lock queue. */
constexpr const char *kLockTimeoutMs = "1000";

/* Set while the INSERT times out on a lock someone holds on safemigrate.ddl_audit (logged once). */
bool lock_blocked = false;
bool env_blocked = false; /* an error that is not the events' (read-only, disk full, ...) */

/*
 * One INSERT per batch: the columns come as arrays, one element per event,
 * unnested into rows (one executor run instead of one per event).
 */
const char *const kInsertSql =
	"INSERT INTO safemigrate.ddl_audit (id, attempt_id, step, started_at, finished_at, duration, lock_wait, database_name, "
	"session_user_name, current_user_name, application_name, client_addr, backend_pid, transaction_id, "
	"command_tag, objects, statement, category, rules, action, executed_sql, lock_modes, table_rewritten, "
	"estimated_rows, retries, blockers, sqlstate, message, outcome, migration_id) "
	"SELECT c1, nullif(c2, 0), c3, c4, c5, c5 - c4, (c6::pg_catalog.float8) OPERATOR(pg_catalog.*) interval '1 microsecond', c7, c8, c9, c10, c11, c12, "
	"nullif(c13, 0), c14, c15, c16, c17, pg_catalog.string_to_array(c18, ', '), "
	"c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29 "
	"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), "
	"pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), "
	"pg_catalog.unnest($9), pg_catalog.unnest($10), pg_catalog.unnest($11), pg_catalog.unnest($12), "
	"pg_catalog.unnest($13), pg_catalog.unnest($14), pg_catalog.unnest($15), pg_catalog.unnest($16), "
	"pg_catalog.unnest($17), pg_catalog.unnest($18), pg_catalog.unnest($19), pg_catalog.unnest($20), "
	"pg_catalog.unnest($21), pg_catalog.unnest($22), pg_catalog.unnest($23), pg_catalog.unnest($24), "
	"pg_catalog.unnest($25), pg_catalog.unnest($26), pg_catalog.unnest($27), pg_catalog.unnest($28), "
	"pg_catalog.unnest($29)) "
	"AS u(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22, "
	"c23, c24, c25, c26, c27, c28, c29) "
	"ON CONFLICT (id) DO NOTHING RETURNING id";

/* Element type of each column's array parameter. */
const Oid kElemTypes[kNParams] = {INT8OID, INT8OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, TEXTOID,
								  TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, INT8OID, TEXTOID, TEXTOID,
								  TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, FLOAT8OID,
								  INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};

SPIPlanPtr insert_plan = NULL;

/* A copy of one record out of the ring. */
struct Event
{
	const SmAuditRecord *rec;
	const char *str[SM_S_COUNT];
};

/* Copy [tail, tail+n bytes) out of the ring into buf (unwrapping). */
void
ring_read(uint64 pos, char *dst, uint64 len)
{
	uint64 cap = sm_audit_shared->capacity;
	uint64 off = pos % cap;
	uint64 first = Min(len, cap - off);
	memcpy(dst, sm_audit_shared->ring + off, first);
	if (first < len)
		memcpy(dst + first, sm_audit_shared->ring, len - first);
}

char *to_server_text(char *s, int len, int encoding);
bool event_error(int sqlerrcode);

/* Text of a record field, converted to the audit database's encoding; NULL when empty. May ereport. */
Datum
text_field(const SmAuditRecord *r, const char *base, int f, bool *isnull)
{
	uint32 len = r->len[f];
	if (len == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	const char *off = base;
	for (int i = 0; i < f; ++i)
		off += r->len[i];
	char *s = pnstrdup(off, len);
	*isnull = false;
	return CStringGetTextDatum(to_server_text(s, (int) len, r->encoding));
}

/* Appends the bytes as \\xNN (valid in every server encoding). */
void
append_escaped(StringInfo buf, const char *s, int len)
{
	for (int i = 0; i < len; ++i)
		appendStringInfo(buf, "\\x%02X", (unsigned char) s[i]);
}

/*
 * s in the database encoding db, character by character: a character valid
 * in encoding and convertible to db is kept (converted), any other byte is
 * written as \\xNN.  proc: the conversion, or InvalidOid when none is
 * needed (only validity counts).
 */
char *
convert_or_escape(const char *s, int len, int encoding, int db, Oid proc)
{
	StringInfoData buf;
	initStringInfo(&buf);
	int check = encoding == PG_SQL_ASCII ? db : encoding; /* SQL_ASCII text must be valid in db */
	for (int i = 0; i < len;)
	{
		unsigned char c = (unsigned char) s[i];
		if (c == 0)
		{
			append_escaped(&buf, s + i, 1);
			++i;
			continue;
		}
		if (!IS_HIGHBIT_SET(c))
		{
			appendStringInfoChar(&buf, (char) c);
			++i;
			continue;
		}
		int l = pg_encoding_verifymbchar(check, s + i, len - i);
		if (l <= 0)
		{
			append_escaped(&buf, s + i, 1);
			++i;
			continue;
		}
#if PG_VERSION_NUM >= 140000
		if (OidIsValid(proc))
		{
			char out[MAX_CONVERSION_GROWTH * 8 + 1];
			int done = pg_do_encoding_conversion_buf(proc, encoding, db, (unsigned char *) s + i, l,
													 (unsigned char *) out, sizeof out, true);
			if (done == l)
				appendStringInfoString(&buf, out);
			else
				append_escaped(&buf, s + i, l);
			i += l;
			continue;
		}
#endif
		appendBinaryStringInfo(&buf, s + i, l);
		i += l;
	}
	return buf.data;
}

/* s with every byte outside ASCII (and NUL) written as \\xNN: valid in every server encoding. */
char *
escape_non_ascii(const char *s, int len)
{
	StringInfoData buf;
	initStringInfo(&buf);
	for (int i = 0; i < len; ++i)
	{
		unsigned char c = (unsigned char) s[i];
		if (c == 0 || IS_HIGHBIT_SET(c))
			appendStringInfo(&buf, "\\x%02X", c);
		else
			appendStringInfoChar(&buf, (char) c);
	}
	return buf.data;
}

/*
 * An event's text in the audit database's encoding.  Text that is not valid
 * in its session's encoding (a SQL_ASCII database takes any bytes) or has no
 * counterpart in the audit database's is kept with those bytes escaped: a
 * row is never lost to its own text (a role could otherwise keep its DDL out
 * of the table with one invalid byte).
 */
char *
to_server_text(char *s, int len, int encoding)
{
	int db = GetDatabaseEncoding();
	if (encoding == db || encoding == PG_SQL_ASCII)
		return pg_verify_mbstr(db, s, len, true) ? s : convert_or_escape(s, len, encoding, db, InvalidOid);
	if (db == PG_SQL_ASCII)
		return PG_VALID_BE_ENCODING(encoding) && pg_verify_mbstr(encoding, s, len, true) ? s
																						: escape_non_ascii(s, len);
#if PG_VERSION_NUM >= 140000
	Oid proc = FindDefaultConversionProc(encoding, db);
	if (!OidIsValid(proc))
		return escape_non_ascii(s, len);
	if (pg_verify_mbstr(encoding, s, len, true))
	{
		int destlen = len * MAX_CONVERSION_GROWTH + 1;
		char *dest = (char *) palloc(destlen);
		int converted = pg_do_encoding_conversion_buf(proc, encoding, db, (unsigned char *) s, len,
													  (unsigned char *) dest, destlen, true);
		if (converted == len)
			return dest;
	}
	return convert_or_escape(s, len, encoding, db, proc);
#else
	return pg_verify_mbstr(encoding, s, len, true) ? pg_any_to_server(s, len, encoding) : escape_non_ascii(s, len);
#endif
}

/* The column values of one event.  May ereport (out of memory). */
void
fill_row(const SmAuditRecord *r, Datum *v, bool *n)
{
	const char *base = (const char *) r + sizeof(SmAuditRecord);
	for (int i = 0; i < kNParams; ++i)
		n[i] = false;
#define TEXT(i, f) v[i] = text_field(r, base, f, &n[i])
	v[0] = Int64GetDatum(r->id);
	v[1] = Int64GetDatum(r->attempt_id);
	v[2] = Int32GetDatum(r->step);
	v[3] = TimestampTzGetDatum(r->started);
	v[4] = TimestampTzGetDatum(r->finished);
	v[5] = Int64GetDatum(r->lock_wait_us);
	TEXT(6, SM_S_DATABASE);
	TEXT(7, SM_S_SESSION_USER);
	TEXT(8, SM_S_CURRENT_USER);
	TEXT(9, SM_S_APP);
	TEXT(10, SM_S_CLIENT);
	v[11] = Int32GetDatum(r->pid);
	v[12] = Int64GetDatum((int64) r->xid);
	TEXT(13, SM_S_TAG);
	TEXT(14, SM_S_OBJECTS);
	TEXT(15, SM_S_STATEMENT);
	TEXT(16, SM_S_CATEGORY);
	TEXT(17, SM_S_RULES);
	v[18] = CStringGetTextDatum(core::audit_action_name(static_cast<core::AuditAction>(r->action)));
	TEXT(19, SM_S_EXECUTED);
	TEXT(20, SM_S_LOCKS);
	v[21] = BoolGetDatum(r->rewrites);
	n[21] = !r->classified;
	v[22] = Float8GetDatum(r->estimated_rows);
	n[22] = r->estimated_rows < 0;
	v[23] = Int32GetDatum(r->retries);
	TEXT(24, SM_S_BLOCKERS);
	v[25] = CStringGetTextDatum(r->sqlstate);
	n[25] = r->sqlstate[0] == '\0';
	TEXT(26, SM_S_MESSAGE);
	v[27] = CStringGetTextDatum(core::audit_outcome_name(static_cast<core::AuditOutcome>(r->outcome)));
	TEXT(28, SM_S_MIGRATION);
#undef TEXT
}

/*
 * Is the row that holds r's id another event (not r written before a crash
 * of the writer)?  May ereport.
 */
bool
another_event(const SmAuditRecord *r)
{
	Oid types[3] = {INT8OID, TIMESTAMPTZOID, INT4OID};
	Datum vals[3] = {Int64GetDatum(r->id), TimestampTzGetDatum(r->started), Int32GetDatum(r->pid)};
	int rc = SPI_execute_with_args("SELECT a.started_at OPERATOR(pg_catalog.=) $2 AND a.backend_pid "
								   "OPERATOR(pg_catalog.=) $3 FROM safemigrate.ddl_audit a "
								   "WHERE a.id OPERATOR(pg_catalog.=) $1",
								   3, types, vals, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_safemigrate audit writer: SELECT failed: %s", SPI_result_code_string(rc));
	bool isnull = true;
	bool same = SPI_processed > 0 &&
				DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
	SPI_freetuptable(SPI_tuptable);
	return SPI_processed == 0 ? false : !same;
}

/*
 * Raise the next event id above every id in the table: ids start from the
 * clock at server start, and a clock behind an earlier start would hand out
 * ids the table holds already.  May ereport.
 */
void
raise_next_id()
{
	int rc = SPI_execute("SELECT pg_catalog.max(id) FROM safemigrate.ddl_audit", true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_safemigrate audit writer: SELECT failed: %s", SPI_result_code_string(rc));
	bool isnull = true;
	Datum d = SPI_processed > 0 ? SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull) : (Datum) 0;
	if (!isnull)
	{
		uint64 above = (uint64) DatumGetInt64(d) + 1;
		uint64 cur = pg_atomic_read_u64(&sm_audit_shared->next_id);
		while (cur < above && !pg_atomic_compare_exchange_u64(&sm_audit_shared->next_id, &cur, above))
			;
	}
	SPI_freetuptable(SPI_tuptable);
}

/* A new id for an event whose id the table holds: above every id there.  May ereport. */
int64
fresh_id()
{
	raise_next_id();
	return (int64) pg_atomic_fetch_add_u64(&sm_audit_shared->next_id, 1);
}

/* Insert events [from, to) of buf with one statement.  May ereport. */
void
insert_events(char *buf, const uint32 *offsets, int from, int to)
{
	int n = to - from;
	Datum *vals = (Datum *) palloc(sizeof(Datum) * kNParams * n);
	bool *nulls = (bool *) palloc(sizeof(bool) * kNParams * n);
	for (int e = 0; e < n; ++e)
	{
		Datum v[kNParams];
		bool isnull[kNParams];
		fill_row((const SmAuditRecord *) (buf + offsets[from + e]), v, isnull);
		for (int c = 0; c < kNParams; ++c)
		{
			vals[c * n + e] = v[c];
			nulls[c * n + e] = isnull[c];
		}
	}
	Datum params[kNParams];
	int dims[1] = {n};
	int lbs[1] = {1};
	for (int c = 0; c < kNParams; ++c)
	{
		int16 typlen;
		bool typbyval;
		char typalign;
		get_typlenbyvalalign(kElemTypes[c], &typlen, &typbyval, &typalign);
		params[c] = PointerGetDatum(construct_md_array(&vals[c * n], &nulls[c * n], 1, dims, lbs, kElemTypes[c],
													   typlen, typbyval, typalign));
	}
	int rc = SPI_execute_plan(insert_plan, params, NULL, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "pg_safemigrate audit writer: INSERT failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == (uint64) n)
		return;
	/* Ids already in the table: the same event written before a crash of the writer, or another one. */
	uint64 ninserted = SPI_processed;
	int64 *inserted = (int64 *) palloc(sizeof(int64) * Max(ninserted, 1));
	for (uint64 i = 0; i < ninserted; ++i)
	{
		bool isnull;
		inserted[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	for (int e = from; e < to; ++e)
	{
		SmAuditRecord *r = (SmAuditRecord *) (buf + offsets[e]);
		bool done = false;
		for (uint64 i = 0; i < ninserted && !done; ++i)
			done = inserted[i] == r->id;
		if (done || !another_event(r))
			continue;
		int64 old_id = r->id;
		r->id = fresh_id();
		/* its steps in this batch name it by its id */
		for (int k = from; k < to; ++k)
		{
			SmAuditRecord *step = (SmAuditRecord *) (buf + offsets[k]);
			if (step != r && step->attempt_id == old_id)
				step->attempt_id = r->id;
		}
		/* its steps written already (in this batch's INSERT or before it) name it by its old id */
		{
			Oid utypes[5] = {INT8OID, INT8OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
			Datum uvals[5] = {Int64GetDatum(r->id), Int64GetDatum(old_id), Int32GetDatum(r->pid),
							 TimestampTzGetDatum(r->started), TimestampTzGetDatum(r->finished)};
			int urc = SPI_execute_with_args(
				"UPDATE safemigrate.ddl_audit SET attempt_id = $1 WHERE attempt_id OPERATOR(pg_catalog.=) $2 "
				"AND step OPERATOR(pg_catalog.>) 0 AND backend_pid OPERATOR(pg_catalog.=) $3 "
				"AND started_at OPERATOR(pg_catalog.>=) $4 AND finished_at OPERATOR(pg_catalog.<=) $5",
				5, utypes, uvals, NULL, false, 0);
			if (urc != SPI_OK_UPDATE)
				elog(ERROR, "pg_safemigrate audit writer: UPDATE failed: %s", SPI_result_code_string(urc));
		}
		ereport(LOG, (errmsg("pg_safemigrate audit writer: audit id " INT64_FORMAT " was taken by an older row "
							 "(the clock was behind an earlier server start); the event gets id " INT64_FORMAT,
							 old_id, r->id)));
		insert_events(buf, offsets, e, e + 1);
	}
}

void
prepare_insert()
{
	if (insert_plan != NULL)
		return;
	Oid types[kNParams];
	for (int c = 0; c < kNParams; ++c)
		types[c] = get_array_type(kElemTypes[c]);
	SPIPlanPtr plan = SPI_prepare(kInsertSql, kNParams, types);
	if (plan == NULL)
		elog(ERROR, "pg_safemigrate audit writer: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "pg_safemigrate audit writer: SPI_keepplan failed");
	insert_plan = plan;
}

/*
 * Insert records [from, to) of buf in one transaction.  True when committed;
 * false (transaction rolled back, *sqlerrcode set; the error logged unless it
 * is a lock timeout) otherwise.
 * C-style frame.
 */
bool
insert_batch(char *buf, uint32 *offsets, int from, int to, bool *extension_missing, int *sqlerrcode)
{
	MemoryContext old = CurrentMemoryContext;
	volatile bool ok = true;
	*extension_missing = false;
	*sqlerrcode = 0;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "pg_safemigrate audit writer: SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		/* Not installed, or installed at a version before the audit (0.1.0, 0.2.0): the events wait. */
		Oid nsp = get_namespace_oid("safemigrate", true);
		if (!OidIsValid(get_extension_oid("pg_safemigrate", true)) || !OidIsValid(nsp) ||
			!OidIsValid(get_relname_relid("ddl_audit", nsp)))
			*extension_missing = true;
		else
		{
			pgstat_report_activity(STATE_RUNNING, "writing audit rows");
			/* (first time here, or the table changed: ids above the table's) */
			if (insert_plan == NULL)
				raise_next_id();
			prepare_insert();
			if (to > from)
				insert_events(buf, offsets, from, to);
		}
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		/* A prepared plan may refer to a dropped table: prepare again next time. */
		if (insert_plan != NULL)
		{
			SPI_freeplan(insert_plan);
			insert_plan = NULL;
		}
		*sqlerrcode = edata->sqlerrcode;
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE && (!env_blocked || event_error(edata->sqlerrcode)))
			ereport(LOG,
					(errmsg("pg_safemigrate audit writer could not insert %d audit row(s): %s", to - from,
							edata->message)));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}

void
set_stalled(bool stalled)
{
	LWLockAcquire(sm_audit_shared->lock, LW_EXCLUSIVE);
	sm_audit_shared->writer_stalled = stalled;
	LWLockRelease(sm_audit_shared->lock);
}

void
advance_tail(uint64 new_tail, int nwritten, int nfailed)
{
	LWLockAcquire(sm_audit_shared->lock, LW_EXCLUSIVE);
	sm_audit_shared->tail = new_tail;
	sm_audit_shared->events_written += nwritten;
	sm_audit_shared->events_failed += nfailed;
	LWLockRelease(sm_audit_shared->lock);
}

/*
 * The INSERT timed out on a lock of safemigrate.ddl_audit: say so once, and
 * let sessions know the writer cannot take events now.
 */
void
note_lock_blocked()
{
	if (lock_blocked)
		return;
	ereport(LOG,
			(errmsg("pg_safemigrate audit writer is waiting for a lock on safemigrate.ddl_audit: audit events wait in "
					"shared memory"),
			 errhint("Another session holds a lock on the table (see pg_locks; a prepared transaction, or an open "
					 "transaction after LOCK, TRUNCATE, ALTER TABLE or VACUUM FULL of it).")));
	lock_blocked = true;
	set_stalled(true);
}

/*
 * Does the error belong to the event (its data: set it aside, written to the
 * log) rather than to the moment (wait and try again)?
 */
bool
event_error(int sqlerrcode)
{
	int category = ERRCODE_TO_CATEGORY(sqlerrcode);
	return category == ERRCODE_DATA_EXCEPTION || category == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION ||
		   category == ERRCODE_PROGRAM_LIMIT_EXCEEDED;
}

/* An error that is not the event's: say so once, and let sessions know the writer cannot take events now. */
void
note_blocked(int sqlerrcode)
{
	if (!env_blocked)
		ereport(LOG, (errmsg("pg_safemigrate audit writer cannot write to safemigrate.ddl_audit now (SQLSTATE %s): "
							 "audit events wait in shared memory, tried again every second",
							 unpack_sql_state(sqlerrcode))));
	env_blocked = true;
	set_stalled(true);
}

/* An insert committed: whatever kept the writer from writing is over (logged once). */
void
writing_again(bool *warned_missing)
{
	if (*warned_missing || lock_blocked || env_blocked)
	{
		if (lock_blocked)
			ereport(LOG, (errmsg("pg_safemigrate audit writer got its lock on safemigrate.ddl_audit: writing again")));
		if (env_blocked)
			ereport(LOG, (errmsg("pg_safemigrate audit writer can write to safemigrate.ddl_audit again")));
		set_stalled(false);
	}
	*warned_missing = false;
	lock_blocked = false;
	env_blocked = false;
}

/*
 * Write what is in the ring now.  Returns true when it made progress or the
 * ring is empty, false when it has to wait (extension missing, a lock on the
 * table, errors).
 */
bool
drain(char *buf, uint64 bufsize, uint32 *offsets, bool *warned_missing)
{
	LWLockAcquire(sm_audit_shared->lock, LW_SHARED);
	uint64 head = sm_audit_shared->head;
	uint64 tail = sm_audit_shared->tail;
	LWLockRelease(sm_audit_shared->lock);
	if (head == tail)
		return true;

	/* Copy whole records, up to kBatch of them or the buffer's size. */
	uint64 pos = tail;
	int n = 0;
	uint64 used = 0;
	while (pos < head && n < kBatch)
	{
		uint32 total;
		char hdr[sizeof(uint32)];
		ring_read(pos, hdr, sizeof hdr);
		memcpy(&total, hdr, sizeof total);
		if (used + total > bufsize)
			break;
		ring_read(pos, buf + used, total);
		offsets[n++] = (uint32) used;
		used += total;
		pos += total;
	}

	bool missing = false;
	int sqlerrcode = 0;
	if (insert_batch(buf, offsets, 0, n, &missing, &sqlerrcode))
	{
		if (missing)
		{
			if (!*warned_missing)
				ereport(LOG,
						(errmsg("pg_safemigrate audit: extension pg_safemigrate (0.3.0 or later, with its table "
								"safemigrate.ddl_audit) is not installed in database \"%s\"; audit events wait in shared "
								"memory",
								sm_audit_database),
						 errhint("Run CREATE EXTENSION pg_safemigrate (or ALTER EXTENSION pg_safemigrate UPDATE) in "
								 "database \"%s\".",
								 sm_audit_database)));
			*warned_missing = true;
			set_stalled(true);
			return false;
		}
		writing_again(warned_missing);
		advance_tail(pos, n, 0);
		return true;
	}
	if (sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
	{
		note_lock_blocked();
		return false;
	}

	/* The batch failed: one event per transaction, so that only a bad event is set aside. */
	int written = 0, failed = 0;
	for (int i = 0; i < n; ++i)
	{
		if (insert_batch(buf, offsets, i, i + 1, &missing, &sqlerrcode) && !missing)
		{
			written++;
			writing_again(warned_missing);
		}
		else if (missing || !event_error(sqlerrcode))
		{
			/*
			 * Not the event's fault (the table missing, a lock, a read-only
			 * transaction, no disk space, ...): it waits in the ring with the
			 * ones after it.  Events 0 .. i-1 are written or set aside: only
			 * they leave the ring.
			 */
			advance_tail(tail + offsets[i], written, failed);
			if (sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
				note_lock_blocked();
			else if (!missing)
				note_blocked(sqlerrcode);
			return false;
		}
		else
		{
			failed++;
			const SmAuditRecord *r = (const SmAuditRecord *) (buf + offsets[i]);
			char *line = sm_audit_event_line(r);
			ereport(LOG, (errmsg("pg_safemigrate audit event %lld could not be written to the table: written to the "
								 "server log only",
								 (long long) r->id),
						  line != NULL ? errdetail_internal("%s", line) : 0));
		}
	}
	advance_tail(pos, written, failed);
	return true;
}

/*
 * Stopping with events still in the ring (the deadline passed, or the writer
 * cannot write now): each goes to the server log.  They stay in the ring: if
 * the server is not shutting down, the restarted writer writes them (ids make
 * that idempotent).
 */
void
log_unwritten()
{
	LWLockAcquire(sm_audit_shared->lock, LW_SHARED);
	uint64 head = sm_audit_shared->head;
	uint64 tail = sm_audit_shared->tail;
	LWLockRelease(sm_audit_shared->lock);
	for (uint64 pos = tail; pos < head;)
	{
		uint32 total;
		char hdr[sizeof(uint32)];
		ring_read(pos, hdr, sizeof hdr);
		memcpy(&total, hdr, sizeof total);
		char *rec = (char *) palloc(total);
		ring_read(pos, rec, total);
		const SmAuditRecord *r = (const SmAuditRecord *) rec;
		char *line = sm_audit_event_line(r);
		ereport(LOG, (errmsg("pg_safemigrate audit writer stopped before audit event %lld was in the table: written to "
							 "the server log",
							 (long long) r->id),
					  line != NULL ? errdetail_internal("%s", line) : 0));
		if (line != NULL)
			pfree(line);
		pfree(rec);
		pos += total;
	}
}

/*
 * SIGTERM (a shutdown, pg_terminate_backend): asks the writer to write what
 * the ring holds and exit (the main loop, within kShutdownDrainMs; its
 * INSERT gives up on a lock after kLockTimeoutMs).  A repeated SIGTERM
 * changes nothing: the postmaster's shutdown signals the writer and its
 * process group (signal_child()), so two usually arrive, and ending at the
 * second one lost the events it had not written yet.
 */
extern "C" void
writer_sigterm(SIGNAL_ARGS) noexcept
{
	int save_errno = errno;
	ShutdownRequestPending = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

extern "C" void
worker_shmem_exit(int code, Datum arg) noexcept
{
	LWLockAcquire(sm_audit_shared->lock, LW_EXCLUSIVE);
	sm_audit_shared->worker_pid = 0;
	sm_audit_shared->worker_latch = NULL;
	LWLockRelease(sm_audit_shared->lock);
}

} // namespace

} // namespace safemigrate::pg

using namespace safemigrate::pg;

/*
 * Entry point of the audit writer.  C-style frame; may ereport (an error
 * ends the worker, which the postmaster restarts after bgw_restart_time).
 */
extern "C" void
sm_audit_worker_main(Datum arg) noexcept
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, writer_sigterm);
	BackgroundWorkerUnblockSignals();
	/* (a database whose owner stopped connections to it is still written) */
	BackgroundWorkerInitializeConnection(sm_audit_database, NULL, BGWORKER_BYPASS_ALLOWCONN);
	/*
	 * The bootstrap superuser, whatever the database's or its owner's
	 * settings say (ALTER DATABASE ... SET role / session_authorization would
	 * have the writer run as another role, without the right to insert).
	 */
	if (GetSessionUserId() != BOOTSTRAP_SUPERUSERID)
		SetConfigOption("session_authorization", GetUserNameFromId(BOOTSTRAP_SUPERUSERID, false), PGC_SUSET,
						PGC_S_OVERRIDE);
	SetConfigOption("role", "none", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	pgstat_report_appname("pg_safemigrate audit writer");
	/* The writer's own statements are not DDL, but never audit them anyway. */
	SetConfigOption("safemigrate.audit", "off", PGC_SUSET, PGC_S_OVERRIDE);
	/*
	 * It runs as the bootstrap superuser: no operator or function of a schema
	 * a user can create objects in may take part in its statements (with
	 * "$user", public an exact-match operator there would win over the cast
	 * pg_catalog needs, and run as superuser).
	 */
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	/* Never wait for a synchronous standby: a lost standby must not stop the audit, or a shutdown. */
	SetConfigOption("synchronous_commit", "local", PGC_SUSET, PGC_S_OVERRIDE);
	/* A lock on safemigrate.ddl_audit makes it wait between tries (and answer a SIGTERM), not in the lock queue. */
	SetConfigOption("lock_timeout", kLockTimeoutMs, PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * ALTER DATABASE ... SET default_transaction_read_only = on must not stop
	 * the audit, nor exit_on_error = on (any user may set it) turn each
	 * failed insert into a restart of the writer.
	 */
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("exit_on_error", "off", PGC_SUSET, PGC_S_OVERRIDE);

	before_shmem_exit(worker_shmem_exit, (Datum) 0);
	LWLockAcquire(sm_audit_shared->lock, LW_EXCLUSIVE);
	sm_audit_shared->worker_pid = MyProcPid;
	sm_audit_shared->worker_latch = &MyProc->procLatch;
	/* A writer that stopped while it could not write left the flag set: this one has not failed yet. */
	sm_audit_shared->writer_stalled = false;
	LWLockRelease(sm_audit_shared->lock);

	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "pg_safemigrate audit writer", ALLOCSET_DEFAULT_SIZES);
	uint64 bufsize = Min(sm_audit_shared->capacity, (uint64) 8 * 1024 * 1024);
	char *buf = (char *) MemoryContextAllocHuge(cxt, bufsize);
	uint32 *offsets = (uint32 *) MemoryContextAlloc(cxt, sizeof(uint32) * kBatch);
	bool warned_missing = false;
	MemoryContext loop_cxt = AllocSetContextCreate(cxt, "pg_safemigrate audit batch", ALLOCSET_DEFAULT_SIZES);

	TimestampTz shutdown_since = 0;
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		ResetLatch(MyLatch);
		MemoryContextSwitchTo(loop_cxt);
		bool progress = drain(buf, bufsize, offsets, &warned_missing);
		MemoryContextSwitchTo(cxt);
		MemoryContextReset(loop_cxt);

		LWLockAcquire(sm_audit_shared->lock, LW_SHARED);
		bool more = sm_audit_shared->head != sm_audit_shared->tail;
		LWLockRelease(sm_audit_shared->lock);
		/*
		 * Asked to stop: drained, or the writer cannot write now, or sessions
		 * keep queuing past the deadline.  Exit status 1: the postmaster
		 * starts it again after pg_terminate_backend (0 would unregister it).
		 */
		if (ShutdownRequestPending)
		{
			if (shutdown_since == 0)
				shutdown_since = GetCurrentTimestamp();
			if (!(more && progress) ||
				TimestampDifferenceExceeds(shutdown_since, GetCurrentTimestamp(), kShutdownDrainMs))
			{
				/*
				 * Gone first, then the log of what is left: a session that
				 * queues an event from now on sees no writer and logs the
				 * event itself (in a fast shutdown the sessions end while
				 * the writer stops, and the ring goes with the server).
				 */
				worker_shmem_exit(0, (Datum) 0);
				MemoryContextSwitchTo(loop_cxt);
				log_unwritten();
				proc_exit(1);
			}
		}
		if (more && progress)
			continue;
		if (!progress)
		{
			/* Waiting for the extension, or after errors: a second, whatever the sessions queue meanwhile. */
			(void) WaitLatch(NULL, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000, PG_WAIT_EXTENSION);
			continue;
		}
		/* Idle: until a session queues an event (or ten seconds pass). */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10000, PG_WAIT_EXTENSION);
	}
}
