/*-------------------------------------------------------------------------
 *
 * backfill.cpp
 *	  safemigrate.backfill(), backfill_create() and backfill_resume(): an
 *	  UPDATE of a whole table in short batches, each committed on its own.
 *
 * A job is a row of safemigrate.backfill_jobs.  backfill_create() checks the
 * caller's texts, prepares the batch statement once (so that an unknown
 * column is an error before any job exists), fixes the key range (the last
 * primary key, or the heap's block count for a table without one) and
 * inserts the job.  Rows inserted after that are not the job's: the
 * application's dual write (or the expand trigger) covers them, so the job
 * ends even under heavy inserts.
 *
 * Running a job (the procedures; CALL must be non-atomic, since every batch
 * commits):
 *   - keyset batches: the last key of the next batch_size rows is found with
 *     a bounded index scan from the key reached, then
 *     UPDATE ... WHERE key > reached AND key <= that key AND (where_clause);
 *     each batch costs the same whatever the position, unlike the
 *     "WHERE new IS NULL LIMIT n" loop that rescans the rows already done;
 *   - TID-range batches (no primary key): ctid >= '(p,0)' AND ctid < '(q,0)';
 *   - the batch and the job row's new key reached commit together, so a
 *     backend killed anywhere resumes exactly after the last committed batch
 *     and no batch is applied twice;
 *   - each batch runs in a subtransaction with SET LOCAL lock_timeout; a lock
 *     timeout or deadlock is retried (max_retries times per batch), any other
 *     error marks the job failed (resumable) and is raised again;
 *   - the batch size follows target_batch_ms between the bounds;
 *   - before each batch, holding the table's lock: the checks of a run's
 *     start again (check_batch: the name still means the job's table, the
 *     key is the job's, no row-level security, key-moving triggers), from
 *     the catalog caches;
 *   - between batches: pause_ms (in slices, ended by a request), a wait
 *     while the replicas' replay lag exceeds max_replica_lag bytes or the
 *     table's dead tuples exceed max_dead_tuples, and the pause/cancel
 *     requests of other sessions;
 *   - a running job holds a session advisory lock (classid "SMBF" =
 *     1397571142, objid = job id, objsubid 3), which tells other sessions it
 *     is running; SQL's pg_advisory_lock() takes objsubid 1 or 2 only, so no
 *     role can make a job look running (and block its resume or cancel).
 *
 * C-style C++ (CONVENTIONS.md §2.3): only trivially destructible locals; the
 * core's texts come through the fences of backfill_fence.cpp.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "pg/backfill_fence.hpp"
#include "pg/extract.hpp"
#include "pg/guc.hpp"
#include "pg/locking.hpp"

#include "pg/postgres.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "catalog/pg_inherits.h"
#include "optimizer/optimizer.h"
#include "storage/lmgr.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "parser/parser.h"
#include "parser/parse_type.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "catalog/objectaddress.h"
#include "utils/plancache.h"
#include "utils/timestamp.h"
#include "access/stratnum.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_index.h"
#include "utils/regproc.h"
#include "catalog/pg_operator.h"
#include "commands/defrem.h"

PG_FUNCTION_INFO_V1(safemigrate_backfill);
PG_FUNCTION_INFO_V1(safemigrate_backfill_create);
PG_FUNCTION_INFO_V1(safemigrate_backfill_resume);
PG_FUNCTION_INFO_V1(safemigrate_require_own_transactions);
PG_FUNCTION_INFO_V1(safemigrate_expansion_xact_lock);
}

#include "pg/compat.hpp"

#include <unistd.h> /* close() of a prepared WAL segment */

namespace safemigrate::pg {

namespace {

/* "SMBF": the advisory lock class of running jobs (safemigrate._backfill_running()). */
constexpr int32 kAdvisoryClass = 1397571142;
/* Its objsubid (field4): 1 and 2 are pg_advisory_lock(bigint) and (int, int), which any role may take. */
constexpr uint16 kAdvisorySubid = 3;
/* The objsubid of the lock of a table's expansions (safemigrate._expansion_xact_lock(), objid = the table). */
constexpr uint16 kExpansionSubid = 4;
/* A NOTICE with the job's progress at most this often. */
constexpr long kProgressIntervalMs = 10000;
/* How often a throttled job checks again. */
constexpr long kThrottlePollMs = 100;
/* The most WAL segments prepare_wal() creates ahead of the insert position. */
constexpr int kPrepareWalMaxSegments = 4;

/* A primary key column as the catalogs have it (current_key()). */
struct KeyCol
{
	AttrNumber attnum;
	Oid typid;
	int32 typmod;
	Oid collation;
	NameData name;
};

struct Job
{
	int64 id;
	Oid relid;
	char *table; /* quoted, qualified */
	int nkeys;	 /* 0: TID ranges */
	char **keys;
	char **types;
	char **collations; /* keyset: the key columns' collations ("" for none); NULL: not recorded */
	/* the key types resolved (prepare_job): the UPDATE gets the keys as typed values */
	Oid *typids;
	int32 *typmods;
	Oid *typinputs;
	Oid *typioparams;
	char **casts; /* the types the key parameters are cast to: a domain's base type */
	char *set_clause;
	char *where_clause; /* NULL: none */
	bool empty;			/* nothing to do: the table was empty when the job was created */
	char **upper;		/* keyset: the last key */
	char **reached;		/* keyset: the last key done; NULL before the first batch */
	int64 upper_block;	/* TID ranges: blocks when the job (or its current pass) started */
	char *relfile;		/* TID ranges: the table's file the block numbers refer to (relfile_token()), or NULL */
	int sweep;			/* TID ranges with a where_clause: 0 the first pass, n the n-th pass again */
	int64 sweep_rows;	/* rows the current pass again has updated */
	int64 reached_block;
	double rows_per_page;
	int batch_size;
	int target_ms;
	int min_batch;
	int max_batch;
	int pause_ms;
	int64 max_lag; /* -1: not checked */
	int64 max_dead;
	int lock_timeout_ms;
	int max_retries;
	/* keyset statements, kept across commits */
	SPIPlanPtr next_first;
	SPIPlanPtr next_after;
	SPIPlanPtr update_first;
	SPIPlanPtr update_after;
	/* A table whose row triggers on UPDATE (or generated key columns) may move a key: the UPDATEs that count it. */
	bool check_moves;
	SPIPlanPtr update_first_checked;
	SPIPlanPtr update_after_checked;
	/* their texts (job->cxt): prepared when a batch first needs them (a trigger created while the job runs) */
	char *update_first_checked_sql;
	char *update_after_checked_sql;
	/* the primary key as the run's checks found it (check_batch compares it before each batch) */
	int nkeycols;
	KeyCol keycols[32];
	SPIPlanPtr update_tid;
	MemoryContext cxt;	   /* the job's memory: lives across commits */
	MemoryContext keycxt;  /* the current key reached */
	MemoryContext batchcxt; /* reset per batch */
	/* prepare_wal(): the WAL segments up to wal_ready (timeline wal_tli) exist */
	XLogSegNo wal_ready;
	TimeLineID wal_tli;
	bool wal_failed;
	bool warned_other_updates; /* this run said that something else updates the table in the batches */
	/* An open expansion's job: the TimeZone, DateStyle, IntervalStyle, search_path of its expand call; NULL otherwise. */
	char **settings;
};

void load_expansion_settings(Job *job);
void apply_expansion_settings(const Job *job, GucAction action);

/* The options as passed to backfill()/backfill_create(), argument 3 onwards. */
struct Options
{
	int batch_size;
	int target_ms;
	int min_batch;
	int max_batch;
	int pause_ms;
	int64 max_lag;
	int64 max_dead;
	int lock_timeout_ms;
	int max_retries;
};

[[noreturn]] void
fence_failed(const FenceError &err)
{
	ereport(ERROR, (errcode(err.kind == FenceFailure::OutOfMemory ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INTERNAL_ERROR),
					errmsg("pg_safemigrate internal error: %s", err.message)));
}

/*
 * A query on the extension's own tables and the catalogs, with search_path
 * pinned to pg_catalog, pg_temp: a schema earlier in the caller's path must
 * not replace the functions and operators they use.
 */
int
exec_pinned(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, bool read_only)
{
	int nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
							 0, false);
	/* Never read-only: after a commit there is no active snapshot, and only a
	 * non-read-only execution takes a fresh one. */
	(void) read_only;
	int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	AtEOXact_GUC(true, nest);
	if (rc < 0)
		elog(ERROR, "pg_safemigrate: SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	return rc;
}

void
commit()
{
	SPI_commit();
	SPI_start_transaction();
}

bool
nonatomic_call(FunctionCallInfo fcinfo)
{
	return fcinfo->context != NULL && IsA(fcinfo->context, CallContext) &&
		   !castNode(CallContext, fcinfo->context)->atomic;
}

void
require_nonatomic(FunctionCallInfo fcinfo, const char *what)
{
	if (!nonatomic_call(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						errmsg("%s cannot run inside a transaction block", what),
						errdetail("It commits after every batch."),
						errhint("Run CALL %s(...) on its own, outside BEGIN ... COMMIT and not from a function; "
								"safemigrate.backfill_create() only creates the job and may run anywhere.",
								what)));
}

/* text[] → char ** (in the current memory context) */
char **
text_array(Datum d, int *n)
{
	Datum *elems;
	bool *nulls;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	char **out = (char **) palloc(sizeof(char *) * (*n + 1));
	for (int i = 0; i < *n; ++i)
		out[i] = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
	return out;
}

Datum
make_text_array(char **vals, int n)
{
	Datum *elems = (Datum *) palloc(sizeof(Datum) * (n > 0 ? n : 1));
	for (int i = 0; i < n; ++i)
	{
		if (vals[i] == NULL)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("pg_safemigrate internal error: a key value of a backfill job is NULL")));
		elems[i] = CStringGetTextDatum(vals[i]);
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

char *
get_text(HeapTuple tup, TupleDesc desc, int col)
{
	bool isnull;
	Datum d = SPI_getbinval(tup, desc, col, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

int64
get_int64(HeapTuple tup, TupleDesc desc, int col, int64 if_null)
{
	bool isnull;
	Datum d = SPI_getbinval(tup, desc, col, &isnull);
	return isnull ? if_null : DatumGetInt64(d);
}

int32
get_int32(HeapTuple tup, TupleDesc desc, int col)
{
	bool isnull;
	Datum d = SPI_getbinval(tup, desc, col, &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}

char *
qualified_name(Oid relid)
{
	char *rel = get_rel_name(relid);
	if (rel == NULL)
		return NULL;
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel);
}

/*
 * The file a table's block numbers refer to: system identifier, database and
 * relfilenode.  A restore into another database or cluster can give the table
 * the same relfilenode; the other two tell it apart.  NULL if it is gone.
 */
char *
relfile_token(Oid relid)
{
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return NULL;
	Oid filenode = ((Form_pg_class) GETSTRUCT(tup))->relfilenode;
	ReleaseSysCache(tup);
	return psprintf(UINT64_FORMAT ":%u:%u", GetSystemIdentifier(), MyDatabaseId, filenode);
}

double
elapsed_ms(TimestampTz since)
{
	return (double) (GetCurrentTimestamp() - since) / 1000.0;
}

/* Sleep ms milliseconds, or less if the latch is set; interrupts are served. */
void
sleep_ms(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Key column i of a row the key queries returned, as text.  A primary key is
 * never NULL; should a key value be (a catalog changed under the job), a
 * clear error rather than a NULL where a key text must be.
 */
char *
key_value(const Job *job, HeapTuple tup, TupleDesc desc, int i)
{
	char *v = get_text(tup, desc, i + 1);
	if (v == NULL)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("a row of %s has a NULL value in key column %s", job->table, job->keys[i]),
						errdetail("The batches are ranges of the primary key: a row without a key value cannot be "
								  "placed in one.")));
	return v;
}

/* Error context while the caller's texts are prepared. */
void
prepare_context(void *arg)
{
	errcontext("batch statement of safemigrate.backfill: %s", (const char *) arg);
}

SPIPlanPtr
prepare_kept(const char *sql, int nargs, Oid *types)
{
	ErrorContextCallback cb;
	cb.callback = prepare_context;
	cb.arg = (void *) sql;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	SPIPlanPtr plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_CUSTOM_PLAN);
	error_context_stack = cb.previous;
	if (plan == NULL)
		elog(ERROR, "pg_safemigrate: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "pg_safemigrate: SPI_keepplan failed");
	return plan;
}

/* The analysed UPDATE of a prepared batch statement, or NULL. */
Query *
update_query(SPIPlanPtr plan)
{
	ListCell *lc;
	foreach (lc, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *ps = (CachedPlanSource *) lfirst(lc);
		ListCell *lq;
		foreach (lq, ps->query_list)
		{
			Query *q = lfirst_node(Query, lq);
			if (q->commandType == CMD_UPDATE)
				return q;
			/* WITH u AS (UPDATE ...) SELECT count(*) ... (batches by pages with a where_clause) */
			ListCell *lcte;
			foreach (lcte, q->cteList)
			{
				CommonTableExpr *cte = lfirst_node(CommonTableExpr, lcte);
				if (IsA(cte->ctequery, Query) && ((Query *) cte->ctequery)->commandType == CMD_UPDATE)
					return (Query *) cte->ctequery;
			}
		}
	}
	return NULL;
}

/* Does the prepared UPDATE's SET list call functions that are not immutable (now(), random())? */
bool
set_list_is_mutable(SPIPlanPtr plan)
{
	Query *q = update_query(plan);
	return q != NULL && contain_mutable_functions((Node *) q->targetList);
}

/*
 * Key values are kept as text between batches, in the job row, and across
 * sessions: always in PostgreSQL's default formats (and search_path
 * pg_catalog, for reg* keys), whatever the session set
 * (a date written under DateStyle = 'SQL, MDY' and read under 'SQL, DMY'
 * would be another date).  Only around the key queries and conversions; the
 * caller's set_clause runs under the session's settings.
 */
int
key_formats_push()
{
	int nest = NewGUCNestLevel();
	(void) set_config_option("datestyle", "ISO, MDY", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
							 false);
	(void) set_config_option("extra_float_digits", "1", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
							 false);
	(void) set_config_option("bytea_output", "hex", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	/* reg* keys (regclass, regproc, ...) are written schema-qualified, read back the same in any session */
	(void) set_config_option("search_path", "pg_catalog", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
							 false);
	return nest;
}

void
key_formats_pop(int nest)
{
	AtEOXact_GUC(true, nest);
}

/*
 * Row-level security that applies to the role running the job (a non-owner
 * without BYPASSRLS, or the owner with FORCE ROW LEVEL SECURITY) would hide
 * rows from its batches: refused, instead of rows silently left out.  Other
 * tables its triggers or set_clause use keep their policies.
 */
void
require_no_row_security(const char *table, Oid relid)
{
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("row-level security of %s applies to role \"%s\"", table,
							   GetUserNameFromId(GetUserId(), false)),
						errdetail("Its policies would hide rows from the backfill, which would leave them out."),
						errhint("Run it as the table's owner (without FORCE ROW LEVEL SECURITY) or as a role with "
								"BYPASSRLS.")));
}

/* A key value from its text (in the default formats: call between key_formats_push/pop). */
Datum
key_datum(const Job *job, int i, const char *text)
{
	return OidInputFunctionCall(job->typinputs[i], (char *) text, job->typioparams[i], job->typmods[i]);
}

/* Resolve the key types (format_type texts) once per run. */
void
resolve_key_types(Job *job)
{
	MemoryContext old = MemoryContextSwitchTo(job->cxt);
	job->typids = (Oid *) palloc(sizeof(Oid) * Max(job->nkeys, 1));
	job->typmods = (int32 *) palloc(sizeof(int32) * Max(job->nkeys, 1));
	job->typinputs = (Oid *) palloc(sizeof(Oid) * Max(job->nkeys, 1));
	job->typioparams = (Oid *) palloc(sizeof(Oid) * Max(job->nkeys, 1));
	MemoryContextSwitchTo(old);
	job->casts = (char **) MemoryContextAlloc(job->cxt, sizeof(char *) * Max(job->nkeys, 1));
	for (int i = 0; i < job->nkeys; ++i)
	{
		parseTypeString(job->types[i], &job->typids[i], &job->typmods[i], false);
		/*
		 * A domain key travels as its base type: cast to the domain, a key
		 * parameter would bring the domain's collation (against a column's
		 * COLLATE) and run its CHECK on key values (one a NOT VALID check
		 * refuses would stop the job).  The column's own collation applies.
		 */
		Oid base = getBaseTypeAndTypmod(job->typids[i], &job->typmods[i]);
		job->casts[i] = job->types[i];
		if (base != job->typids[i])
		{
			job->typids[i] = base;
			job->casts[i] = MemoryContextStrdup(
				job->cxt, format_type_extended(base, job->typmods[i],
											   FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
		}
		getTypeInputInfo(job->typids[i], &job->typinputs[i], &job->typioparams[i]);
	}
}

/*
 * The caller's texts are checked as PostgreSQL reads them with
 * standard_conforming_strings on (the default): with it off, a backslash in
 * '...' would end or continue a string where the check saw otherwise.
 */
void
require_standard_strings()
{
	if (!standard_conforming_strings)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("safemigrate.backfill needs standard_conforming_strings = on"),
						errdetail("Its set_clause and where_clause are checked as PostgreSQL reads them with that "
								  "setting, the default."),
						errhint("SET standard_conforming_strings = on; write strings with backslash escapes as "
								"E'...'.")));
}

/* Does the UPDATE's SET list assign a key column?  The key bounds of later batches would then move rows. */
const char *
assigned_key_column(const Job *job, SPIPlanPtr plan)
{
	Query *q = update_query(plan);
	if (q == NULL)
		return NULL;
	ListCell *lt;
	foreach (lt, q->targetList)
	{
		TargetEntry *te = lfirst_node(TargetEntry, lt);
		if (te->resjunk)
			continue;
		char *att = get_attname(job->relid, te->resno, true);
		if (att == NULL)
			continue;
		for (int i = 0; i < job->nkeys; ++i)
			if (strcmp(quote_identifier(att), job->keys[i]) == 0)
				return job->keys[i];
	}
	return NULL;
}

/*
 * Can a row's key change other than by the set_clause (refused)?  A row
 * trigger on UPDATE of the table or of one of its partitions or children
 * may assign NEW's key, and a generated key column follows the columns it
 * is computed from.  Such a row would land in a later batch and be updated
 * twice: the batches then count them (and fail).  Before a batch, the
 * partitions and children are locked (lockmode) as the batch's UPDATE would:
 * a trigger created on one of them after the check would otherwise escape it.
 * C-style frame; may ereport.
 */
bool
key_may_move(const Job *job, LOCKMODE lockmode)
{
	ListCell *lc;
	foreach (lc, find_all_inheritors(job->relid, lockmode, NULL))
	{
		Relation rel = RelationIdGetRelation(lfirst_oid(lc));
		if (rel == NULL)
			continue;
		bool triggers = rel->trigdesc != NULL && rel->trigdesc->trig_update_before_row;
		RelationClose(rel);
		if (triggers)
			return true;
	}
	bool generated = false;
	Relation rel = RelationIdGetRelation(job->relid);
	if (rel == NULL)
		return false;
	TupleDesc desc = RelationGetDescr(rel);
	for (int a = 0; a < desc->natts && !generated; ++a)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);
		if (att->attisdropped || att->attgenerated == '\0')
			continue;
		for (int i = 0; i < job->nkeys; ++i)
			if (strcmp(quote_identifier(NameStr(att->attname)), job->keys[i]) == 0)
				generated = true;
	}
	RelationClose(rel);
	return generated;
}

/*
 * The key comparisons of the batch statements: for each key column the
 * <, <=, =, >= and > of its type's default btree operator class (the order of
 * the batches), as OPERATOR(schema.op), so that no operator in a schema of
 * the caller's search_path (a varchar or domain key has no exact built-in
 * one) can stand in for them and run with the rights of whoever runs the
 * job, and none can change their meaning (a citext key compared as text
 * would skip rows).  5 * nkeys texts, or NULL when a type has none (the
 * plain row comparison then).  C-style frame; may ereport.
 */
char **
key_operators(const Job *job)
{
	char **ops = (char **) palloc(sizeof(char *) * 5 * Max(job->nkeys, 1));
	const int strategies[5] = {BTLessStrategyNumber, BTLessEqualStrategyNumber, BTEqualStrategyNumber,
							   BTGreaterEqualStrategyNumber, BTGreaterStrategyNumber};
	for (int i = 0; i < job->nkeys; ++i)
	{
		Oid opclass = GetDefaultOpClass(job->typids[i], BTREE_AM_OID);
		if (!OidIsValid(opclass))
			return NULL;
		Oid family = get_opclass_family(opclass);
		Oid intype = get_opclass_input_type(opclass);
		for (int k = 0; k < 5; ++k)
		{
			Oid op = get_opfamily_member(family, intype, intype, strategies[k]);
			HeapTuple tup = OidIsValid(op) ? SearchSysCache1(OPEROID, ObjectIdGetDatum(op)) : NULL;
			if (tup == NULL)
				return NULL;
			Form_pg_operator form = (Form_pg_operator) GETSTRUCT(tup);
			char *nsp = get_namespace_name(form->oprnamespace);
			ops[5 * i + k] = nsp != NULL ? psprintf("OPERATOR(%s.%s)", quote_identifier(nsp), NameStr(form->oprname))
										 : NULL;
			ReleaseSysCache(tup);
			if (ops[5 * i + k] == NULL)
				return NULL;
		}
	}
	return ops;
}

/* The UPDATEs that count the rows whose key moved past the batch (key_may_move()). */
void
prepare_checked(Job *job)
{
	Oid types[3 * 32];
	/* the bounds of the batch, then the job's last key */
	for (int i = 0; i < 3 * job->nkeys; ++i)
		types[i] = job->typids[i % job->nkeys];
	job->update_first_checked = prepare_kept(job->update_first_checked_sql, 2 * job->nkeys, types);
	job->update_after_checked = prepare_kept(job->update_after_checked_sql, 3 * job->nkeys, types);
}

/* The statements of a job: texts from the core, prepared and kept. */
void
prepare_job(Job *job, bool creating)
{
	require_standard_strings();
	FenceError err;
	Oid types[3 * 32]; /* up to 32 key columns (find_key): twice and the offset, or three times */
	char *update_sql;
	if (job->nkeys > 0)
	{
		SmKeysetSql sql;
		resolve_key_types(job);
		char **ops = key_operators(job);
		if (!sm_backfill_keyset_sql(job->table, job->nkeys, job->keys, job->casts, job->set_clause,
									job->where_clause, ops, job->cxt, &sql, &err))
			fence_failed(err);
		for (int i = 0; i < 2 * job->nkeys; ++i)
			types[i] = TEXTOID;
		types[job->nkeys] = INT8OID;
		job->next_first = prepare_kept(sql.next_first, job->nkeys + 1, types);
		types[job->nkeys] = TEXTOID;
		types[2 * job->nkeys] = INT8OID;
		job->next_after = prepare_kept(sql.next_after, 2 * job->nkeys + 1, types);
		/* The UPDATEs take typed keys: converted from text in C, in the default formats. */
		for (int i = 0; i < job->nkeys; ++i)
			types[i] = types[job->nkeys + i] = job->typids[i];
		job->update_first = prepare_kept(sql.update_first, job->nkeys, types);
		job->update_after = prepare_kept(sql.update_after, 2 * job->nkeys, types);
		job->update_first_checked_sql = MemoryContextStrdup(job->cxt, sql.update_first_checked);
		job->update_after_checked_sql = MemoryContextStrdup(job->cxt, sql.update_after_checked);
		job->check_moves = key_may_move(job, NoLock);
		if (job->check_moves)
			prepare_checked(job);
		update_sql = sql.update_after;
		if (const char *key = assigned_key_column(job, job->update_after))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("set_clause must not assign the primary key column %s", key),
							errdetail("The batches are ranges of the key: a row whose key changes can fall into a "
									  "later batch and be updated twice, or into a done one and be missed."),
							errhint("Change key values with a plain UPDATE, or backfill a new column and swap it "
									"in.")));
		if (creating)
		{
			/* The job's bound: the last key now. */
			int nest = key_formats_push();
			int rc = SPI_execute(sql.upper, false, 1);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "pg_safemigrate: could not read the last key of %s", job->table);
			if (SPI_processed == 0)
				job->empty = true;
			else
			{
				MemoryContext old = MemoryContextSwitchTo(job->cxt);
				job->upper = (char **) palloc(sizeof(char *) * job->nkeys);
				for (int i = 0; i < job->nkeys; ++i)
					job->upper[i] = key_value(job, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i);
				MemoryContextSwitchTo(old);
			}
			SPI_freetuptable(SPI_tuptable);
			key_formats_pop(nest);
		}
	}
	else
	{
		if (!sm_backfill_tid_sql(job->table, job->set_clause, job->where_clause, job->cxt, &update_sql, &err))
			fence_failed(err);
		types[0] = TEXTOID;
		types[1] = TEXTOID;
		job->update_tid = prepare_kept(update_sql, 2, types);
	}
	/* 'now', 'today' and the like are read when a batch is planned: the same as now(). */
	if (creating && (set_list_is_mutable(job->next_first ? job->update_after : job->update_tid) ||
					 sm_backfill_time_literal(job->set_clause)))
		ereport(NOTICE, (errmsg("set_clause calls functions that are not immutable (such as now() or random()): "
								"each batch is its own transaction, so their values differ between batches"),
						 errhint("Compute the value once and pass it as a constant if every row must get the "
								 "same one.")));
}

/*
 * The executor's privilege checks of a batch UPDATE, before the job is
 * written: a role with UPDATE on some columns only (or without SELECT on a
 * column the texts read) gets 42501 now, not a job that fails at its first
 * batch.  The statement is planned, not run (no trigger fires).
 */
void
check_update_privileges(SPIPlanPtr plan)
{
	CachedPlan *cplan = SPI_plan_get_cached_plan(plan);
	if (cplan == NULL)
		elog(ERROR, "pg_safemigrate: could not plan the batch statement");
	ListCell *lc;
	foreach (lc, cplan->stmt_list)
	{
		PlannedStmt *ps = lfirst_node(PlannedStmt, lc);
		(void) ExecCheckRTPerms(ps->rtable, true);
	}
	ReleaseCachedPlan(cplan, CurrentResourceOwner);
}

void
free_plans(Job *job)
{
	SPIPlanPtr *plans[] = {&job->next_first,		   &job->next_after,		   &job->update_first,
						   &job->update_after,		   &job->update_first_checked, &job->update_after_checked,
						   &job->update_tid};
	for (SPIPlanPtr *p : plans)
		if (*p != NULL)
		{
			SPI_freeplan(*p);
			*p = NULL;
		}
}

/* The table's primary key columns (quoted) and their types, in key order (not its INCLUDE columns). */
void
find_key(Job *job)
{
	Oid types[1] = {OIDOID};
	Datum values[1] = {ObjectIdGetDatum(job->relid)};
	exec_pinned("SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), "
				"       CASE WHEN a.attcollation = 0 THEN '' ELSE a.attcollation::regcollation::text END "
				"  FROM pg_index i, "
				/* the key columns only: INCLUDE columns (after indnkeyatts) are not part of the key */
				"       unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, n), pg_attribute a "
				" WHERE i.indrelid = $1 AND i.indisprimary AND a.attrelid = i.indrelid AND a.attnum = k.attnum "
				" ORDER BY k.n",
				1, types, values, NULL, true);
	int n = (int) SPI_processed;
	if (n > 32)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("the primary key of %s has more than 32 columns", job->table)));
	MemoryContext old = MemoryContextSwitchTo(job->cxt);
	job->nkeys = n;
	job->keys = (char **) palloc(sizeof(char *) * (n + 1));
	job->types = (char **) palloc(sizeof(char *) * (n + 1));
	job->collations = (char **) palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; ++i)
	{
		job->keys[i] = get_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		job->types[i] = get_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		job->collations[i] = get_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

MemoryContext
job_context()
{
	return AllocSetContextCreate(TopMemoryContext, "safemigrate backfill", ALLOCSET_DEFAULT_SIZES);
}

void
check_int_arg(FunctionCallInfo fcinfo, int argno, const char *name, int64 min, int64 max)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
	/* Arguments 8 and 9 (max_replica_lag, max_dead_tuples) are bigint, the others int. */
	int64 v = (argno == 8 || argno == 9) ? PG_GETARG_INT64(argno) : PG_GETARG_INT32(argno);
	if (v < min || v > max)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must be between " INT64_FORMAT " and " INT64_FORMAT ", not " INT64_FORMAT, name, min,
							   max, v)));
}

/*
 * Check the arguments of backfill()/backfill_create() and insert the job.
 * SPI is connected.  Returns the job id.
 */
int64
create_job(FunctionCallInfo fcinfo, bool *empty)
{
	const char *names[] = {"table", "set_clause", "where_clause", "batch_size", "target_batch_ms",
						   "min_batch_size", "max_batch_size", "pause_ms", "max_replica_lag",
						   "max_dead_tuples", "lock_timeout_ms", "max_retries"};
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("table must not be NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("set_clause must not be NULL"),
						errhint("Pass the assignments of the UPDATE, for example 'new_col = old_col'.")));
	check_int_arg(fcinfo, 3, names[3], 1, 10000000);
	check_int_arg(fcinfo, 4, names[4], 1, 3600000);
	check_int_arg(fcinfo, 5, names[5], 1, 10000000);
	check_int_arg(fcinfo, 6, names[6], 1, 10000000);
	check_int_arg(fcinfo, 7, names[7], 0, 3600000);
	if (!PG_ARGISNULL(8))
		check_int_arg(fcinfo, 8, names[8], 0, PG_INT64_MAX);
	if (!PG_ARGISNULL(9))
		check_int_arg(fcinfo, 9, names[9], 0, PG_INT64_MAX);
	check_int_arg(fcinfo, 10, names[10], 0, 3600000);
	check_int_arg(fcinfo, 11, names[11], 0, 1000000);
	Options o;
	o.batch_size = PG_GETARG_INT32(3);
	o.target_ms = PG_GETARG_INT32(4);
	o.min_batch = PG_GETARG_INT32(5);
	o.max_batch = PG_GETARG_INT32(6);
	o.pause_ms = PG_GETARG_INT32(7);
	o.max_lag = PG_ARGISNULL(8) ? -1 : PG_GETARG_INT64(8);
	o.max_dead = PG_ARGISNULL(9) ? -1 : PG_GETARG_INT64(9);
	o.lock_timeout_ms = PG_GETARG_INT32(10);
	o.max_retries = PG_GETARG_INT32(11);
	if (o.min_batch > o.max_batch)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("min_batch_size (%d) is greater than max_batch_size (%d)", o.min_batch, o.max_batch)));
	if (o.batch_size < o.min_batch || o.batch_size > o.max_batch)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("batch_size (%d) is not between min_batch_size (%d) and max_batch_size (%d)",
							   o.batch_size, o.min_batch, o.max_batch)));

	Job job;
	memset(&job, 0, sizeof job);
	job.cxt = CurrentMemoryContext;
	job.relid = PG_GETARG_OID(0);
	char relkind = get_rel_relkind(job.relid);
	job.table = qualified_name(job.relid);
	if (job.table == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", job.relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a table", job.table)));
	require_no_row_security(job.table, job.relid);
	/* No job for a table the caller cannot update at all (the batches would fail at once). */
	if (pg_class_aclcheck(job.relid, GetUserId(), ACL_UPDATE) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(job.relid, GetUserId(), ACL_UPDATE, ACLMASK_ANY) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(relkind), get_rel_name(job.relid));
	job.set_clause = TextDatumGetCString(PG_GETARG_DATUM(1));
	job.where_clause = PG_ARGISNULL(2) ? NULL : TextDatumGetCString(PG_GETARG_DATUM(2));
	require_standard_strings();
	char problem[256];
	FenceError err;
	if (!sm_backfill_clause_problem(job.set_clause, true, problem, sizeof problem, &err))
		fence_failed(err);
	if (problem[0] == '\0' && job.where_clause != NULL &&
		!sm_backfill_clause_problem(job.where_clause, false, problem, sizeof problem, &err))
		fence_failed(err);
	if (problem[0] != '\0')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", problem)));

	find_key(&job);
	if (job.nkeys == 0 && relkind == RELKIND_PARTITIONED_TABLE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("partitioned table %s has no primary key", job.table),
						errhint("Backfill each partition on its own: partitions without a key are batched by heap "
								"pages.")));
	prepare_job(&job, true);
	check_update_privileges(job.nkeys > 0 ? job.update_after : job.update_tid);
	free_plans(&job);

	/* TID ranges: the block count now, and the rows per page for the batch size. */
	Oid types[2] = {OIDOID, TEXTARRAYOID};
	Datum values[2] = {ObjectIdGetDatum(job.relid), 0};
	exec_pinned("SELECT (pg_relation_size($1) / current_setting('block_size')::int)::int8, "
				"       CASE WHEN reltuples >= 0 THEN reltuples::int8 END "
				"  FROM pg_class WHERE oid = $1",
				1, types, values, NULL, true);
	int64 blocks = get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, 0);
	int64 reltuples = get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, -1);
	SPI_freetuptable(SPI_tuptable);
	char blockbuf[32];
	snprintf(blockbuf, sizeof blockbuf, INT64_FORMAT, blocks);
	char *blockp = blockbuf;
	if (job.nkeys == 0)
	{
		job.empty = blocks == 0;
		if (job.where_clause == NULL)
			ereport(NOTICE, (errmsg("%s has no primary key: the backfill runs in batches of heap pages", job.table),
							 errdetail("An updated row can move to a later page and be visited again."),
							 errhint("Pass a where_clause that is false for the rows already done, for example "
									 "'new_col IS DISTINCT FROM old_col'.")));
		if (find_inheritance_children(job.relid, AccessShareLock) != NIL)
			ereport(NOTICE, (errmsg("%s has inheritance children: without a primary key the batches cover only its "
									"own rows",
									job.table),
							 errhint("Backfill each child table with a job of its own.")));
	}

	Oid itypes[20] = {OIDOID,  TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
					  INT8OID, INT4OID, INT4OID, INT4OID, INT4OID,		INT4OID,	  INT8OID,
					  INT8OID, INT4OID, INT4OID, TEXTOID, TEXTOID,		TEXTARRAYOID};
	Datum ivalues[20];
	char inulls[21];
	memset(inulls, ' ', sizeof inulls);
	inulls[20] = '\0';
	ivalues[0] = ObjectIdGetDatum(job.relid);
	ivalues[1] = CStringGetTextDatum(job.table);
	ivalues[2] = CStringGetTextDatum(job.set_clause);
	if (job.where_clause)
		ivalues[3] = CStringGetTextDatum(job.where_clause);
	else
		inulls[3] = 'n';
	if (job.nkeys > 0)
	{
		ivalues[4] = make_text_array(job.keys, job.nkeys);
		ivalues[5] = make_text_array(job.types, job.nkeys);
		ivalues[19] = make_text_array(job.collations, job.nkeys);
		if (job.empty)
			inulls[6] = 'n';
		else
			ivalues[6] = make_text_array(job.upper, job.nkeys);
	}
	else
	{
		inulls[4] = inulls[5] = inulls[19] = 'n';
		ivalues[6] = make_text_array(&blockp, 1);
	}
	if (reltuples >= 0)
		ivalues[7] = Int64GetDatum(reltuples);
	else
		inulls[7] = 'n';
	ivalues[8] = Int32GetDatum(o.batch_size);
	ivalues[9] = Int32GetDatum(o.target_ms);
	ivalues[10] = Int32GetDatum(o.min_batch);
	ivalues[11] = Int32GetDatum(o.max_batch);
	ivalues[12] = Int32GetDatum(o.pause_ms);
	if (o.max_lag >= 0)
		ivalues[13] = Int64GetDatum(o.max_lag);
	else
		inulls[13] = 'n';
	if (o.max_dead >= 0)
		ivalues[14] = Int64GetDatum(o.max_dead);
	else
		inulls[14] = 'n';
	ivalues[15] = Int32GetDatum(o.lock_timeout_ms);
	ivalues[16] = Int32GetDatum(o.max_retries);
	ivalues[17] = CStringGetTextDatum(job.empty ? "done" : "created");
	itypes[18] = TEXTOID;
	char *relfile = job.nkeys == 0 ? relfile_token(job.relid) : NULL;
	if (relfile != NULL)
		ivalues[18] = CStringGetTextDatum(relfile);
	else
		inulls[18] = 'n';
	exec_pinned("INSERT INTO safemigrate.backfill_jobs (relid, table_name, set_clause, where_clause, key_columns, "
				"  key_types, key_upper, rows_estimated, batch_size, target_batch_ms, min_batch_size, max_batch_size, "
				"  pause_ms, max_replica_lag, max_dead_tuples, lock_timeout_ms, max_retries, status, relfile, "
				"  key_collations, finished_at) "
				"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
				"  CASE WHEN $18 = 'done' THEN clock_timestamp() END) RETURNING job_id",
				20, itypes, ivalues, inulls, false);
	int64 id = get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, 0);
	SPI_freetuptable(SPI_tuptable);
	if (job.empty)
		ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": %s is empty, nothing to do", id, job.table)));
	*empty = job.empty;
	return id;
}

int64 scalar_int64(const char *sql, Oid arg);

/* Load a job for running, lock its row, and mark it running. */
const char *
load_job(Job *job, int64 id)
{
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(id)};
	exec_pinned("SELECT relid, set_clause, where_clause, key_columns, key_types, key_upper, key_reached, "
				"       batch_size, target_batch_ms, min_batch_size, max_batch_size, pause_ms, "
				"       coalesce(max_replica_lag, -1), coalesce(max_dead_tuples, -1), lock_timeout_ms, max_retries, "
				"       status, rows_estimated, owner::oid, relfile, sweep, sweep_rows, key_collations "
				"  FROM safemigrate.backfill_jobs WHERE job_id = $1 FOR UPDATE",
				1, types, values, NULL, false);
	if (SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("backfill job " INT64_FORMAT " does not exist", id),
						errhint("The jobs are listed in safemigrate.backfill_progress.")));
	HeapTuple tup = SPI_tuptable->vals[0];
	TupleDesc desc = SPI_tuptable->tupdesc;
	/*
	 * The job's texts run with the privileges of whoever runs it, and its
	 * owner can change them (the row is theirs): only the owner runs it, so
	 * that a superuser resuming someone's job cannot be made to run their SQL.
	 */
	bool owner_null;
	Oid owner = DatumGetObjectId(SPI_getbinval(tup, desc, 19, &owner_null));
	if (owner_null || owner != GetUserId())
	{
		/* recorded by oid: the role's name now, or none (dropped) */
		const char *name = owner_null ? NULL : GetUserNameFromId(owner, true);
		if (name == NULL)
			ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
							errmsg("backfill job " INT64_FORMAT " belongs to a role that was dropped", id),
							errdetail("A job runs its statements with the privileges of the role that runs it; only "
									  "its owner may run it."),
							errhint("A superuser who checked its statements can give it to a role: UPDATE "
									"safemigrate.backfill_jobs SET owner = 'role' WHERE job_id = " INT64_FORMAT ";",
									id)));
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("backfill job " INT64_FORMAT " belongs to role \"%s\"", id, name),
						errdetail("A job runs its statements with the privileges of the role that runs it; only its "
								  "owner may run it."),
						errhint("Run it as that role: SET ROLE %s; CALL safemigrate.backfill_resume(" INT64_FORMAT ");",
								quote_identifier(name), id)));
	}
	MemoryContext old = MemoryContextSwitchTo(job->cxt);
	bool isnull;
	job->id = id;
	job->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
	job->set_clause = get_text(tup, desc, 2);
	job->where_clause = get_text(tup, desc, 3);
	Datum d = SPI_getbinval(tup, desc, 4, &isnull);
	int n2 = 0;
	if (!isnull)
	{
		job->keys = text_array(d, &job->nkeys);
		Datum t = SPI_getbinval(tup, desc, 5, &isnull);
		job->types = isnull ? NULL : text_array(t, &n2);
	}
	d = SPI_getbinval(tup, desc, 6, &isnull);
	int nupper = 0;
	char **upper = isnull ? NULL : text_array(d, &nupper);
	d = SPI_getbinval(tup, desc, 7, &isnull);
	int nreached = 0;
	char **reached = isnull ? NULL : text_array(d, &nreached);
	job->batch_size = get_int32(tup, desc, 8);
	job->target_ms = get_int32(tup, desc, 9);
	job->min_batch = get_int32(tup, desc, 10);
	job->max_batch = get_int32(tup, desc, 11);
	job->pause_ms = get_int32(tup, desc, 12);
	job->max_lag = get_int64(tup, desc, 13, -1);
	job->max_dead = get_int64(tup, desc, 14, -1);
	job->lock_timeout_ms = get_int32(tup, desc, 15);
	job->max_retries = get_int32(tup, desc, 16);
	const char *status = get_text(tup, desc, 17);
	job->relfile = get_text(tup, desc, 20); /* in job->cxt */
	job->sweep = get_int32(tup, desc, 21);
	job->sweep_rows = get_int64(tup, desc, 22, 0);
	int ncoll = 0;
	{
		bool cnull;
		Datum cd = SPI_getbinval(tup, desc, 23, &cnull);
		job->collations = cnull ? NULL : text_array(cd, &ncoll); /* in job->cxt */
	}
	/*
	 * The row is its owner's to change (row-level security): its arrays are
	 * checked before anything is sized by them.
	 */
	const char *bad = NULL;
	auto has_null = [](char **vals, int n) {
		for (int i = 0; i < n; ++i)
			if (vals[i] == NULL)
				return true;
		return false;
	};
	if (job->keys != NULL)
	{
		if (job->nkeys < 1 || job->nkeys > 32)
			bad = "key_columns must have 1 to 32 elements";
		else if (job->types == NULL || n2 != job->nkeys || has_null(job->keys, job->nkeys) ||
				 has_null(job->types, job->nkeys))
			bad = "key_columns and key_types must have the same number of elements, none NULL";
		else if ((upper != NULL && (nupper != job->nkeys || has_null(upper, nupper))) ||
				 (reached != NULL && (nreached != job->nkeys || has_null(reached, nreached))))
			bad = "key_upper and key_reached must have one element per key column, none NULL";
		else if (job->collations != NULL && (ncoll != job->nkeys || has_null(job->collations, ncoll)))
			bad = "key_collations must have one element per key column, none NULL";
	}
	else if ((upper != NULL && (nupper != 1 || upper[0] == NULL || upper[0][0] == '-')) ||
			 (reached != NULL && (nreached != 1 || reached[0] == NULL || reached[0][0] == '-')))
		bad = "a job without key columns has one block number in key_upper and in key_reached";
	if (bad != NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("backfill job " INT64_FORMAT " is inconsistent: %s", id, bad),
						errhint("Its row in safemigrate.backfill_jobs was changed by hand. Cancel it and start a new "
								"job with a where_clause that skips the rows already done.")));
	if (job->nkeys > 0)
	{
		job->empty = upper == NULL;
		job->upper = upper;
		if (reached != NULL)
		{
			MemoryContextSwitchTo(job->keycxt);
			job->reached = (char **) palloc(sizeof(char *) * job->nkeys);
			for (int i = 0; i < job->nkeys; ++i)
				job->reached[i] = pstrdup(reached[i]);
		}
	}
	else
	{
		job->upper_block = upper ? pg_strtoint64(upper[0]) : 0;
		job->reached_block = reached ? pg_strtoint64(reached[0]) : 0;
		job->empty = job->upper_block == 0;
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
	if (job->nkeys == 0)
	{
		/*
		 * Rows per page for the first batch by pages: the density as the
		 * last VACUUM or ANALYZE saw it (reltuples / relpages, which they set
		 * together); unknown, as many as a page can hold, so the first batch
		 * is small.  Each batch then measures it (run_loop).
		 */
		int64 milli = scalar_int64("SELECT CASE WHEN relpages > 0 AND reltuples > 0 "
								   "  THEN (reltuples * 1000 / relpages)::int8 ELSE 0 END FROM pg_class WHERE oid = $1",
								   job->relid);
		job->rows_per_page = milli > 0 ? Min(milli / 1000.0, (double) MaxHeapTuplesPerPage) : MaxHeapTuplesPerPage;
	}
	job->table = qualified_name(job->relid);
	if (job->table == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
						errmsg("the table of backfill job " INT64_FORMAT " no longer exists", id)));
	job->table = MemoryContextStrdup(job->cxt, job->table);
	return MemoryContextStrdup(job->cxt, status);
}

/* One statement of the job's own bookkeeping, with the job id as $1. */
void
job_update(int64 id, const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	Oid t[8];
	Datum v[8];
	char n[9];
	t[0] = INT8OID;
	v[0] = Int64GetDatum(id);
	n[0] = ' ';
	for (int i = 0; i < nargs; ++i)
	{
		t[i + 1] = types[i];
		v[i + 1] = values[i];
		n[i + 1] = nulls ? nulls[i] : ' ';
	}
	n[nargs + 1] = '\0';
	exec_pinned(sql, nargs + 1, t, v, n, false);
}

/* The job failed with edata (resumable once the cause is fixed): record why, and commit. */
void
mark_failed(int64 id, const ErrorData *edata, int retries)
{
	Oid types[2] = {TEXTOID, INT4OID};
	Datum values[2] = {CStringGetTextDatum(edata->message ? edata->message : "error"), Int32GetDatum(retries)};
	job_update(id,
			   "UPDATE safemigrate.backfill_jobs SET status = 'failed', last_error = $2, pid = NULL, "
			   "  request = NULL, throttled = NULL, retries = retries + $3 WHERE job_id = $1",
			   2, types, values, NULL);
	commit();
}

/* The pause/cancel request of another session, if any: 'p', 'c' or 0. */
char
read_request(int64 id)
{
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(id)};
	exec_pinned("SELECT request FROM safemigrate.backfill_jobs WHERE job_id = $1", 1, types, values, NULL, true);
	char r = 0;
	if (SPI_processed > 0)
	{
		char *s = get_text(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		r = s ? s[0] : 0;
	}
	SPI_freetuptable(SPI_tuptable);
	return r;
}

int64
scalar_int64(const char *sql, Oid arg)
{
	Oid types[1] = {OIDOID};
	Datum values[1] = {ObjectIdGetDatum(arg)};
	exec_pinned(sql, 1, types, values, NULL, true);
	int64 v = SPI_processed > 0 ? get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, 0) : 0;
	SPI_freetuptable(SPI_tuptable);
	return v;
}

/*
 * Why the job must wait now (replica lag, dead tuples), into buf; false if
 * it need not.
 */
bool
throttle_reason(Job *job, char *buf, size_t len)
{
	if (job->max_lag >= 0 && !RecoveryInProgress())
	{
		int64 lag = scalar_int64("SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::int8 "
								 "  FROM pg_stat_replication WHERE $1 IS NOT NULL",
								 job->relid);
		if (lag > job->max_lag)
		{
			snprintf(buf, len, "replica replay lag " INT64_FORMAT " bytes exceeds max_replica_lag " INT64_FORMAT,
					 lag, job->max_lag);
			return true;
		}
	}
	if (job->max_dead >= 0)
	{
		/*
		 * The batches of a keyset job update the partitions (children) of
		 * the table, whose dead tuples the statistics count there, not in
		 * the parent (0 for a partitioned table): summed over the tree.  A
		 * job by pages updates only the table itself.
		 */
		int64 dead = job->nkeys == 0
						 ? scalar_int64("SELECT coalesce(pg_stat_get_dead_tuples($1), 0)", job->relid)
						 : scalar_int64("WITH RECURSIVE t(r) AS (SELECT $1 UNION SELECT i.inhrelid FROM pg_inherits i "
										"  JOIN t ON i.inhparent = t.r) "
										"SELECT coalesce(sum(pg_stat_get_dead_tuples(r)), 0)::int8 FROM t",
										job->relid);
		if (dead > job->max_dead)
		{
			snprintf(buf, len, "%s has " INT64_FORMAT " dead tuples, more than max_dead_tuples " INT64_FORMAT
							   ": waiting for autovacuum",
					 job->table, dead, job->max_dead);
			return true;
		}
	}
	return false;
}

/*
 * Wait while a throttle applies, reporting the pause and the resumption.
 * Returns a pause/cancel request that arrived meanwhile ('p', 'c') or 0.
 * Each check is its own short transaction: a waiting job holds no snapshot.
 */
char
wait_for_throttles(Job *job)
{
	char reason[256];
	TimestampTz since = 0;
	char request = 0;
	while (throttle_reason(job, reason, sizeof reason))
	{
		if (since == 0)
		{
			since = GetCurrentTimestamp();
			ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": pausing: %s", job->id, reason)));
			Oid types[1] = {TEXTOID};
			Datum values[1] = {CStringGetTextDatum(reason)};
			job_update(job->id, "UPDATE safemigrate.backfill_jobs SET throttled = $2, throttle_waits = throttle_waits + 1 "
								" WHERE job_id = $1",
					   1, types, values, NULL);
		}
		commit();
		request = read_request(job->id);
		commit(); /* the reading's snapshot is not held while it sleeps */
		if (request != 0)
			break;
		sleep_ms(kThrottlePollMs);
	}
	if (since != 0)
	{
		double waited = elapsed_ms(since);
		char buf[64];
		sm_backfill_format_ms(waited, buf, sizeof buf);
		if (request == 0)
			ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": resuming after %s", job->id, buf)));
		Oid types[1] = {FLOAT8OID};
		Datum values[1] = {Float8GetDatum(waited)};
		job_update(job->id,
				   "UPDATE safemigrate.backfill_jobs SET throttled = NULL, throttle_ms = throttle_ms + $2, "
				   "  elapsed_ms = elapsed_ms + $2 WHERE job_id = $1",
				   1, types, values, NULL);
		commit();
	}
	return request;
}

/* What prepare_wal() asks of prepare_wal_segments() (run in a subtransaction). */
struct WalSegments
{
	XLogSegNo first;
	XLogSegNo last;
	TimeLineID tli;
};

void
prepare_wal_segments(void *arg)
{
	const WalSegments *w = (const WalSegments *) arg;
	for (XLogSegNo seg = w->first; seg <= w->last; ++seg)
	{
		/* Creates the segment (in a temporary file, renamed into place) or opens the existing one. */
		int fd = SM_XLOG_FILE_INIT(seg, w->tli);
		if (close(fd) != 0)
			ereport(ERROR, (errcode_for_file_access(), errmsg("could not close a WAL segment: %m")));
	}
}

/*
 * Between batches, make sure the WAL segments the next batch will fill exist.
 *
 * Whoever writes WAL into a segment that does not exist yet creates it inside
 * XLogWrite(), holding WALWriteLock, and with wal_init_zero (the default)
 * first writes the whole segment (16 MB) of zeros: every transaction that
 * commits meanwhile waits for that lock.  A backfill writes WAL fast (a
 * full-page image for the first change of every page after a checkpoint),
 * faster than a server that was quiet keeps recycled segments for, and its
 * load then stalls for tens of milliseconds at every segment
 * (bench/backfill.sh: the load's p99 46 ms instead of 1 ms).  The checkpointer
 * creates at most one segment ahead (PreallocXlogFiles); here the backfill
 * creates them itself, holding no lock and outside any transaction's critical
 * path: the segments up to twice the WAL written since the previous call
 * (at least one, at most kPrepareWalMaxSegments) beyond the insert position.
 * A recycled segment is only opened and closed.  Off with
 * safemigrate.backfill_prepare_wal; a failure (disk full) is a WARNING once
 * and the job goes on without it.  *mark is the insert position of the
 * previous call.
 */
void
prepare_wal(Job *job, XLogRecPtr *mark)
{
	XLogRecPtr insert = GetXLogInsertRecPtr();
	uint64 written = insert > *mark ? insert - *mark : 0;
	*mark = insert;
	if (!sm_backfill_prepare_wal || job->wal_failed || RecoveryInProgress())
		return;
	uint64 ahead = Max(2 * written, (uint64) wal_segment_size);
	ahead = Min(ahead, (uint64) kPrepareWalMaxSegments * wal_segment_size);
	WalSegments w;
	XLByteToSeg(insert, w.first, wal_segment_size);
	XLByteToSeg(insert + ahead, w.last, wal_segment_size);
	w.tli = SM_WAL_INSERT_TLI();
	++w.first;
	if (w.tli == job->wal_tli && job->wal_ready >= w.first)
		w.first = job->wal_ready + 1;
	if (w.first > w.last)
		return;
	ErrorData *edata = sm_try_in_subtransaction(prepare_wal_segments, &w);
	if (edata != NULL)
	{
		job->wal_failed = true;
		ereport(WARNING, (errmsg("backfill job " INT64_FORMAT " could not create the next WAL segment: %s", job->id,
								 edata->message ? edata->message : "error"),
						  errdetail("The job goes on; transactions that commit may wait while a segment is created."),
						  errhint("Set safemigrate.backfill_prepare_wal = off to skip this step.")));
		FreeErrorData(edata);
		return;
	}
	job->wal_ready = w.last;
	job->wal_tli = w.tli;
}

void check_key_unchanged(Job *job);

/*
 * The table's primary key columns from the relcache and syscache (no
 * query): into cols, their number into *n (0: no primary key, or the table
 * is gone).  C-style frame; may ereport.
 */
void
current_key(Oid relid, KeyCol *cols, int *n)
{
	*n = 0;
	Relation rel = RelationIdGetRelation(relid);
	if (rel == NULL)
		return;
	TupleDesc desc = RelationGetDescr(rel);
	List *indexes = RelationGetIndexList(rel);
	ListCell *lc;
	foreach (lc, indexes)
	{
		HeapTuple it = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		if (!HeapTupleIsValid(it))
			continue;
		Form_pg_index ix = (Form_pg_index) GETSTRUCT(it);
		if (ix->indisprimary)
			/* the key columns only, not the INCLUDE ones */
			for (int i = 0; i < ix->indnkeyatts && *n < 32; ++i)
			{
				AttrNumber attnum = ix->indkey.values[i];
				if (attnum <= 0 || attnum > desc->natts)
					continue;
				Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
				KeyCol *c = &cols[(*n)++];
				c->attnum = attnum;
				c->typid = att->atttypid;
				c->typmod = att->atttypmod;
				c->collation = att->attcollation;
				c->name = att->attname;
			}
		ReleaseSysCache(it);
	}
	list_free(indexes);
	RelationClose(rel);
}

bool
same_key(const KeyCol *a, int na, const KeyCol *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; ++i)
		if (a[i].attnum != b[i].attnum || a[i].typid != b[i].typid || a[i].typmod != b[i].typmod ||
			a[i].collation != b[i].collation || strcmp(NameStr(a[i].name), NameStr(b[i].name)) != 0)
			return false;
	return true;
}

/*
 * Before each batch, holding the table's lock (which keeps what is checked
 * as it is until the batch commits): is the job's table still what its
 * batch statements name, with the same primary key, no row-level security
 * for the role, and the same answer of key_may_move()?  A run checks these
 * when it starts (prepare_run), but DDL committed between two batches
 * changes the table under the statements, which are planned again by the
 * table's name.  A change fails the batch (and the job, resumable: a resume
 * checks from scratch); a key-moving trigger created meanwhile only switches
 * to the statements that count moved keys.  Catalog caches only, except
 * when the key seems to have changed.
 */
void
check_batch(Job *job)
{
	List *names = stringToQualifiedNameList(job->table);
	Oid named = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);
	if (named != job->relid)
	{
		char *now = qualified_name(job->relid);
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("%s is no longer the table of backfill job " INT64_FORMAT, job->table, job->id),
						now != NULL ? errdetail("The job's table was renamed to %s while the job ran%s.", now,
												OidIsValid(named) ? ", and another table took its name" : "")
									: errdetail("The job's table was dropped while the job ran."),
						now != NULL ? errhint("The batches done so far were committed.  A resume goes on with the "
											  "job's own table (under its new name); cancel the job with "
											  "safemigrate.backfill_cancel(" INT64_FORMAT ") if that is not the "
											  "table to backfill.",
											  job->id)
									: errhint("Cancel the job with safemigrate.backfill_cancel(" INT64_FORMAT ").",
											  job->id)));
	}
	if (job->nkeys > 0)
	{
		KeyCol now[32];
		int n;
		current_key(job->relid, now, &n);
		if (!same_key(now, n, job->keycols, job->nkeycols))
		{
			/* Errors if the key differs from the job's; otherwise (rebuilt the same) the new state is the one to keep. */
			check_key_unchanged(job);
			memcpy(job->keycols, now, sizeof(KeyCol) * n);
			job->nkeycols = n;
		}
	}
	require_no_row_security(job->table, job->relid);
	if (job->nkeys > 0)
	{
		job->check_moves = key_may_move(job, RowExclusiveLock);
		if (job->check_moves && job->update_first_checked == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(job->cxt);
			prepare_checked(job);
			MemoryContextSwitchTo(old);
		}
	}
}

/*
 * Rows of the tables rels (the table and its partitions or children: a
 * partitioned table's own counters stay 0) this backend's statistics count as
 * updated so far, its open (sub)transactions included; -1 when not counted
 * (track_counts off).
 * Around a batch's UPDATE, more than the rows it updated means that a
 * trigger (an AFTER trigger too), a rule or the set_clause updated the table
 * itself, which the batch cannot see: key_may_move() only knows BEFORE row
 * triggers, and the count of moved keys only the batch's own rows.
 */
int64
updates_counted(List *rels)
{
	if (!pgstat_track_counts)
		return -1;
	int64 n = 0;
	ListCell *lc;
	foreach (lc, rels)
	{
		/* A partitioned table's updates are counted on its leaf partitions. */
		PgStat_TableStatus *t = find_tabstat_entry(lfirst_oid(lc));
		if (t == NULL)
			continue;
		n += t->t_counts.t_tuples_updated;
		for (PgStat_TableXactStatus *x = t->trans; x != NULL; x = x->upper)
			n += x->tuples_updated;
	}
	return n;
}

/* One batch: its arguments and results (run in a subtransaction). */
struct Batch
{
	Job *job;
	int rows;		 /* batch size */
	char **hi;		 /* keyset: the last key of this batch (batchcxt) */
	int64 hi_block;	 /* TID ranges: the first block after this batch */
	bool last;		 /* this batch reaches the job's bound */
	uint64 updated;
	uint64 still_match; /* by pages: updated rows the where_clause still holds for */
	int64 other_updates; /* rows of the table updated in the batch's transaction other than by its UPDATE */
	bool rewritten;		/* by pages: the table's file changed, nothing was done */
};

void
run_batch(void *arg)
{
	Batch *b = (Batch *) arg;
	Job *job = b->job;
	Datum values[3 * 32];
	char nulls[3 * 32 + 1];
	memset(nulls, ' ', sizeof nulls);
	nulls[3 * 32] = '\0';
	int rc;
	apply_expansion_settings(job, GUC_ACTION_LOCAL);
	/* The table's lock first (until the batch commits), then the checks it keeps valid for the batch. */
	LockRelationOid(job->relid, RowExclusiveLock);
	check_batch(job);
	/* (the list once per batch: key_may_move() has just walked and locked the same tree) */
	List *counted = find_all_inheritors(job->relid, NoLock, NULL);
	int64 updates_before = updates_counted(counted);
	if (job->nkeys > 0)
	{
		int n = job->nkeys;
		int k = 0;
		int nest = key_formats_push();
		if (job->reached)
			for (int i = 0; i < n; ++i)
				values[k++] = CStringGetTextDatum(job->reached[i]);
		for (int i = 0; i < n; ++i)
			values[k++] = CStringGetTextDatum(job->upper[i]);
		values[k] = Int64GetDatum((int64) b->rows - 1);
		rc = SPI_execute_plan(job->reached ? job->next_after : job->next_first, values, nulls, false, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "pg_safemigrate: the key query of the backfill failed: %s", SPI_result_code_string(rc));
		if (SPI_processed > 0)
		{
			b->hi = (char **) palloc(sizeof(char *) * n);
			for (int i = 0; i < n; ++i)
				b->hi[i] = key_value(job, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i);
			b->last = false;
		}
		else
		{
			b->hi = job->upper;
			b->last = true;
		}
		SPI_freetuptable(SPI_tuptable);
		k = 0;
		if (job->reached)
			for (int i = 0; i < n; ++i)
				values[k++] = key_datum(job, i, job->reached[i]);
		for (int i = 0; i < n; ++i)
			values[k++] = key_datum(job, i, b->hi[i]);
		if (job->check_moves)
			for (int i = 0; i < n; ++i)
				values[k++] = key_datum(job, i, job->upper[i]);
		key_formats_pop(nest);
		SPIPlanPtr plan = job->check_moves ? (job->reached ? job->update_after_checked : job->update_first_checked)
										   : (job->reached ? job->update_after : job->update_first);
		rc = SPI_execute_plan(plan, values, nulls, false, 0);
	}
	else
	{
		/*
		 * The table's lock (above) first, then its file: a VACUUM FULL or
		 * CLUSTER that committed while the job ran moved the rows to other
		 * pages.
		 */
		char *now = relfile_token(job->relid);
		if (job->relfile != NULL && now != NULL && strcmp(now, job->relfile) != 0)
		{
			b->rewritten = true;
			return;
		}
		long pages = sm_backfill_pages(b->rows, job->rows_per_page);
		b->hi_block = job->reached_block + pages;
		if (b->hi_block >= job->upper_block)
		{
			b->hi_block = job->upper_block;
			b->last = true;
		}
		char lo[48], hi[48];
		snprintf(lo, sizeof lo, "(" INT64_FORMAT ",0)", job->reached_block);
		snprintf(hi, sizeof hi, "(" INT64_FORMAT ",0)", b->hi_block);
		values[0] = CStringGetTextDatum(lo);
		values[1] = CStringGetTextDatum(hi);
		rc = SPI_execute_plan(job->update_tid, values, nulls, false, 0);
	}
	if (job->nkeys > 0 && job->check_moves)
	{
		/* Rows updated, and of them those whose key a trigger (or a generated key) moved past the batch. */
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "pg_safemigrate: the batch UPDATE failed: %s", SPI_result_code_string(rc));
		b->updated = (uint64) get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, 0);
		int64 moved = get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, 0);
		if (moved > 0)
			ereport(ERROR, (errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
							errmsg("the batch moved the primary key of " INT64_FORMAT " rows of %s past the batch", moved,
								   job->table),
							errdetail("A row trigger on UPDATE or a generated key column changed the key: such a row "
									  "would fall into a later batch and be updated twice.  The batch was rolled "
									  "back."),
							errhint("Disable the trigger (or backfill without changing what the key is computed from), "
									"then resume the job.")));
	}
	else if (job->nkeys == 0 && job->where_clause != NULL)
	{
		/* By pages with a where_clause: rows updated, and of them those it still holds for (see run_loop). */
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "pg_safemigrate: the batch UPDATE failed: %s", SPI_result_code_string(rc));
		b->updated = (uint64) get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, 0);
		b->still_match = (uint64) get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, 0);
	}
	else
	{
		if (rc != SPI_OK_UPDATE && rc != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "pg_safemigrate: the batch UPDATE failed: %s", SPI_result_code_string(rc));
		b->updated = SPI_processed;
	}
	SPI_freetuptable(SPI_tuptable);
	int64 updates_after = updates_counted(counted);
	if (updates_after >= 0)
		b->other_updates = updates_after - Max(updates_before, 0) - (int64) b->updated;
}

bool
retryable(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE || sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		   sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE;
}

/* Record where the job stands after a batch, in the batch's transaction. */
char
record_batch(Job *job, Batch *b, double ms, double wall_ms, int retries)
{
	Oid types[7] = {TEXTARRAYOID, INT8OID, INT4OID, FLOAT8OID, FLOAT8OID, INT4OID, INT8OID};
	Datum values[7];
	if (job->nkeys > 0)
		values[0] = make_text_array(b->hi, job->nkeys);
	else
	{
		char buf[32];
		char *p = buf;
		snprintf(buf, sizeof buf, INT64_FORMAT, b->hi_block);
		values[0] = make_text_array(&p, 1);
	}
	values[1] = Int64GetDatum((int64) b->updated);
	values[2] = Int32GetDatum(job->batch_size);
	values[3] = Float8GetDatum(ms);
	values[4] = Float8GetDatum(wall_ms);
	values[5] = Int32GetDatum(retries);
	values[6] = Int64GetDatum((int64) (b->updated - b->still_match)); /* rows a pass again got done */
	Oid t[8];
	Datum v[8];
	t[0] = INT8OID;
	v[0] = Int64GetDatum(job->id);
	for (int i = 0; i < 7; ++i)
	{
		t[i + 1] = types[i];
		v[i + 1] = values[i];
	}
	exec_pinned("UPDATE safemigrate.backfill_jobs SET key_reached = $2, rows_done = rows_done + $3, "
				"  sweep_rows = sweep_rows + CASE WHEN sweep > 0 THEN $8 ELSE 0 END, batches = batches + 1, "
				"  batch_size = $4, longest_batch_ms = greatest(longest_batch_ms, $5), "
				"  elapsed_ms = elapsed_ms + $6, retries = retries + $7, last_progress = clock_timestamp() "
				" WHERE job_id = $1 RETURNING request",
				8, t, v, NULL, false);
	char r = 0;
	if (SPI_processed > 0)
	{
		char *s = get_text(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		r = s ? s[0] : 0;
	}
	SPI_freetuptable(SPI_tuptable);
	return r;
}

/* The table's block count now. */
int64
table_blocks(Oid relid)
{
	Oid types[1] = {OIDOID};
	Datum values[1] = {ObjectIdGetDatum(relid)};
	exec_pinned("SELECT (pg_relation_size($1) / current_setting('block_size')::int)::int8", 1, types, values, NULL,
				true);
	int64 blocks = get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, 0);
	SPI_freetuptable(SPI_tuptable);
	return blocks;
}

/* Start the job's pages over from block 0, up to the table's end now (a new pass, or a rewritten table). */
void
restart_pages(Job *job, int sweep)
{
	int64 blocks = table_blocks(job->relid);
	char *relfile = relfile_token(job->relid);
	job->reached_block = 0;
	job->upper_block = blocks;
	job->relfile = relfile != NULL ? MemoryContextStrdup(job->cxt, relfile) : NULL;
	job->sweep = sweep;
	job->sweep_rows = 0;
	char buf[32];
	char *p = buf;
	snprintf(buf, sizeof buf, INT64_FORMAT, blocks);
	Oid types[3] = {TEXTARRAYOID, TEXTOID, INT4OID};
	Datum values[3] = {make_text_array(&p, 1), relfile != NULL ? CStringGetTextDatum(relfile) : (Datum) 0,
					   Int32GetDatum(sweep)};
	char nulls[3] = {' ', relfile != NULL ? ' ' : 'n', ' '};
	job_update(job->id,
			   "UPDATE safemigrate.backfill_jobs SET key_reached = NULL, key_upper = $2, relfile = $3, sweep = $4, "
			   "  sweep_rows = 0 WHERE job_id = $1",
			   3, types, values, nulls);
}

/*
 * A job by pages goes on only in the file its block numbers refer to: after
 * VACUUM FULL, CLUSTER, a rewriting ALTER TABLE or a dump and restore they
 * mean other rows.  When the where_clause is false for rows already done
 * (no updated row still matched it) the job starts over from the first
 * page; otherwise it cannot tell which rows are done, and fails.
 */
void
pages_rewritten(Job *job)
{
	bool can_redo = job->where_clause != NULL && job->sweep >= 0;
	if (!can_redo)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("%s was rewritten since backfill job " INT64_FORMAT " started", job->table, job->id),
						errdetail("The job goes by page numbers (the table has no primary key), and VACUUM FULL, "
								  "CLUSTER, a rewriting ALTER TABLE or a restore moved the rows to other pages; "
								  "without a where_clause that is false for the rows already done it cannot tell "
								  "them apart."),
						errhint("Cancel it with safemigrate.backfill_cancel(" INT64_FORMAT ") and start a new one with "
								"a where_clause that skips the rows already done.",
								job->id)));
	ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": %s was rewritten since the job started; it starts again "
							"from the first page (the where_clause skips the rows already done)",
							job->id, job->table)));
	restart_pages(job, 0);
}

/* Passes again over a table without a key (with a where_clause), at most. */
constexpr int kMaxSweeps = 3;

/*
 * By pages: the rows per page the next batch is sized by, from the rows
 * this batch updated on the pages it covered, so that a batch holds about
 * batch_size rows (a page's worth more at most while the density holds)
 * whatever reltuples says.  It falls at most by half per batch: a stretch of
 * pages with few rows to update (a where_clause, dead rows) lets the pages
 * of a batch at most double from one batch to the next.  Call before
 * advance().
 */
void
measure_density(Job *job, const Batch *b)
{
	int64 pages = b->hi_block - job->reached_block;
	if (pages <= 0)
		return;
	double seen = (double) b->updated / (double) pages;
	job->rows_per_page = Min(Max(seen, job->rows_per_page / 2), (double) MaxHeapTuplesPerPage);
	job->rows_per_page = Max(job->rows_per_page, 0.001);
}

/* Keep the new key reached (in a fresh key context) for the next batch. */
void
advance(Job *job, Batch *b)
{
	if (job->nkeys > 0)
	{
		MemoryContext fresh = AllocSetContextCreate(job->cxt, "safemigrate backfill key", ALLOCSET_SMALL_SIZES);
		char **reached = (char **) MemoryContextAlloc(fresh, sizeof(char *) * job->nkeys);
		for (int i = 0; i < job->nkeys; ++i)
			reached[i] = MemoryContextStrdup(fresh, b->hi[i]);
		MemoryContextDelete(job->keycxt);
		job->keycxt = fresh;
		job->reached = reached;
	}
	else
		job->reached_block = b->hi_block;
}

void
progress_notice(Job *job, int64 rows, int64 batches, double active_ms)
{
	char buf[64];
	sm_backfill_format_ms(active_ms, buf, sizeof buf);
	ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": " INT64_FORMAT " rows in " INT64_FORMAT
							" batches, %.0f rows/s, batch size %d (%s so far)",
							job->id, rows, batches, active_ms > 0 ? rows * 1000.0 / active_ms : 0.0,
							job->batch_size, buf)));
}

/*
 * pause_ms between two batches, in slices of at most kThrottlePollMs: a pause
 * or cancel request of another session, read after each slice, ends it at
 * once (instead of after the whole pause and one more batch).  Each slice
 * is its own transaction: a pausing job holds no snapshot, so VACUUM is not
 * held back.  Returns the request ('p', 'c') or 0.
 */
char
pause_between_batches(Job *job)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), job->pause_ms);
	for (;;)
	{
		long left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);
		if (left > 0)
			sleep_ms(Min(left, kThrottlePollMs));
		char request = read_request(job->id);
		/* A transaction per slice: the reading's snapshot (and xmin) is not held through the pause. */
		commit();
		if (request != 0 || left <= kThrottlePollMs)
			return request;
	}
}

/*
 * How to go on with a job that failed: its (owner's) expansion's expand
 * procedure, which also marks the expansion expanded, or backfill_resume().
 * C-style frame; may ereport.
 */
char *
resume_call(int64 id)
{
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(id)};
	exec_pinned("SELECT safemigrate._expand_call(x) FROM safemigrate.expansions x "
				" WHERE x.job_id = $1 AND x.owner = safemigrate._current_role() AND x.status NOT IN ('contracted', 'aborted') LIMIT 1",
				1, types, values, NULL, true);
	char *call = SPI_processed > 0 ? get_text(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : NULL;
	SPI_freetuptable(SPI_tuptable);
	if (call != NULL)
		return psprintf("run the expand procedure again: %s (or undo the expansion with its expand_abort(); until "
						"then the old application's writes of a value that does not convert fail in its sync trigger)",
						call);
	return psprintf("CALL safemigrate.backfill_resume(" INT64_FORMAT ")", id);
}

/* The job's main loop; SPI is connected (non-atomic), the job loaded and marked running. */
void
run_loop(Job *job)
{
	int64 rows = 0, batches = 0;
	double active_ms = 0;
	TimestampTz last_notice = GetCurrentTimestamp();
	XLogRecPtr wal_mark = GetXLogInsertRecPtr();
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		/* Time spent waiting for a throttle is counted by wait_for_throttles() itself. */
		char request = wait_for_throttles(job);
		if (request == 0)
			prepare_wal(job, &wal_mark);
		TimestampTz wall_start = GetCurrentTimestamp();
		int retries = 0;
		Batch b;
		double ms = 0;
		while (request == 0)
		{
			MemoryContextReset(job->batchcxt);
			MemoryContext old = MemoryContextSwitchTo(job->batchcxt);
			memset(&b, 0, sizeof b);
			b.job = job;
			b.rows = job->batch_size;
			/*
			 * The job's lock_timeout for the batch only: the job's own
			 * bookkeeping after it (record_batch, mark_failed) waits for the
			 * job row like any session (a pause requested from a transaction
			 * that stays open a while must not fail the job).
			 */
			char lt[16];
			snprintf(lt, sizeof lt, "%d", job->lock_timeout_ms);
			int nest = NewGUCNestLevel();
			(void) set_config_option("lock_timeout", lt, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
									 false);
			TimestampTz t0 = GetCurrentTimestamp();
			ErrorData *edata = sm_try_in_subtransaction(run_batch, &b);
			ms = elapsed_ms(t0);
			AtEOXact_GUC(true, nest);
			MemoryContextSwitchTo(old);
			if (edata == NULL)
				break;
			if (retryable(edata->sqlerrcode) && retries < job->max_retries)
			{
				++retries;
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": batch retried (%d of %d): %s", job->id,
										retries, job->max_retries, edata->message)));
				FreeErrorData(edata);
				/* End the transaction (nothing of the batch is in it), back off, try again. */
				commit();
				sleep_ms(Min(1000L, 20L << Min(retries, 6)));
				request = read_request(job->id);
				continue;
			}
			/* Not retried: the job stays resumable after the last committed batch. */
			mark_failed(job->id, edata, retries);
			ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT " failed after " INT64_FORMAT
									" rows in this run; it can be resumed",
									job->id, rows),
							 errhint("Fix the cause, then %s.", resume_call(job->id))));
			ReThrowError(edata);
		}
		if (request == 0 && b.rewritten)
		{
			/* Starts over from the first page, or fails (the job is marked failed first). */
			ErrorData *edata = sm_try_in_subtransaction([](void *arg) { pages_rewritten((Job *) arg); }, job);
			if (edata != NULL)
			{
				mark_failed(job->id, edata, 0);
				ReThrowError(edata);
			}
			commit();
			continue;
		}
		if (request == 0 && b.other_updates > 0 && !job->warned_other_updates)
		{
			job->warned_other_updates = true;
			ereport(WARNING, (errmsg("backfill job " INT64_FORMAT ": " INT64_FORMAT " rows of %s were updated in a batch "
									 "besides the batch's own rows",
									 job->id, b.other_updates, job->table),
							  errdetail("A trigger (an AFTER trigger too), a rule or the set_clause updates the table "
										"itself.  If such an update changes primary key values, a row can be updated "
										"twice or be missed: the job cannot tell."),
							  errhint("If it changes key values, disable it while the job runs.")));
		}
		if (request == 0)
		{
			rows += (int64) b.updated;
			++batches;
			active_ms += ms;
			int next = sm_backfill_adapt(job->batch_size, ms, job->min_batch, job->max_batch, job->target_ms);
			MemoryContext old = MemoryContextSwitchTo(job->batchcxt);
			request = record_batch(job, &b, ms, elapsed_ms(wall_start), retries);
			MemoryContextSwitchTo(old);
			job->batch_size = next;
			if (job->nkeys == 0)
				measure_density(job, &b);
			advance(job, &b);
			if (job->sweep > 0)
				job->sweep_rows += (int64) (b.updated - b.still_match);
			/*
			 * Most rows this batch of the first pass updated still match the
			 * where_clause: it is not false for rows already done (a scope,
			 * not a marker), so passing again would update them again.  No
			 * more passes.  (A few rows may match still, with a NULL source:
			 * a pass again updates them again, and counts only the rows it
			 * got done.)
			 */
			if (b.still_match * 2 > b.updated && job->sweep == 0)
			{
				job->sweep = -1;
				job_update(job->id, "UPDATE safemigrate.backfill_jobs SET sweep = -1 WHERE job_id = $1", 0, NULL, NULL,
						   NULL);
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": the where_clause still holds for rows the job "
										"updated, so it does not mark the rows done",
										job->id),
								 errdetail("%s has no primary key and goes by pages: a row whose new version lands on "
										   "a page not done yet is updated again, and one that other sessions move "
										   "to a page already done is not updated; the job will not pass over the "
										   "table again.",
										   job->table),
								 errhint("Give the table a primary key, or a where_clause that is false for the rows "
										 "already done (for example 'new_col IS DISTINCT FROM old_col').")));
			}
			/*
			 * By pages, with a where_clause: an UPDATE by the application can
			 * move a row not done yet to a page already done (or past the
			 * end).  Pass again over the whole table until a pass finds
			 * nothing (the where_clause skips what is done), at most
			 * kMaxSweeps times.
			 */
			if (b.last && request == 0 && job->nkeys == 0 && job->where_clause != NULL && job->sweep >= 0 &&
				(job->sweep == 0 || (job->sweep_rows > 0 && job->sweep < kMaxSweeps)))
			{
				if (job->sweep > 0)
					ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": pass %d over the table updated " INT64_FORMAT
											" rows that other sessions moved or added meanwhile; passing again",
											job->id, job->sweep + 1, job->sweep_rows)));
				restart_pages(job, job->sweep + 1);
				commit();
				continue;
			}
			if (b.last && job->sweep > 0 && job->sweep_rows > 0)
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT ": the last pass over the table still updated "
										INT64_FORMAT " rows that other sessions moved or added meanwhile",
										job->id, job->sweep_rows),
								 errhint("Rows updated by other sessions meanwhile may need the new value too: let the "
										 "application write it (or give the table a primary key), then run a new "
										 "job with the same where_clause.")));
			if (b.last)
			{
				job_update(job->id,
						   "UPDATE safemigrate.backfill_jobs SET status = 'done', finished_at = clock_timestamp(), "
						   "  pid = NULL, request = NULL, throttled = NULL WHERE job_id = $1",
						   0, NULL, NULL, NULL);
				commit();
				Oid types[1] = {INT8OID};
				Datum values[1] = {Int64GetDatum(job->id)};
				exec_pinned("SELECT rows_done FROM safemigrate.backfill_jobs WHERE job_id = $1", 1, types, values, NULL,
							true);
				int64 total = get_int64(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, 0);
				SPI_freetuptable(SPI_tuptable);
				/* The batch count depends on timing (adaptive sizes): backfill_progress has it. */
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT " on %s done: " INT64_FORMAT " rows updated",
										job->id, job->table, total)));
				return;
			}
			commit();
			if (request == 0 && GetCurrentTimestamp() - last_notice >= kProgressIntervalMs * 1000L)
			{
				progress_notice(job, rows, batches, active_ms);
				last_notice = GetCurrentTimestamp();
			}
			if (request == 0 && job->pause_ms > 0)
				request = pause_between_batches(job);
		}
		if (request != 0)
		{
			bool pause = request == 'p';
			job_update(job->id,
					   pause ? "UPDATE safemigrate.backfill_jobs SET status = 'paused', request = NULL, pid = NULL, "
							   "  throttled = NULL WHERE job_id = $1"
							 : "UPDATE safemigrate.backfill_jobs SET status = 'cancelled', request = NULL, pid = NULL, "
							   "  throttled = NULL, finished_at = clock_timestamp() WHERE job_id = $1",
					   0, NULL, NULL, NULL);
			commit();
			if (pause)
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT " paused after " INT64_FORMAT
										" rows in this run",
										job->id, rows),
								 errhint("CALL safemigrate.backfill_resume(" INT64_FORMAT ") goes on from there.",
										 job->id)));
			else
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT " cancelled after " INT64_FORMAT
										" rows in this run",
										job->id, rows)));
			return;
		}
	}
}

/* "(a integer, b text)": a key for messages. */
char *
key_text(char **keys, char **types, int n)
{
	StringInfoData buf;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '(');
	for (int i = 0; i < n; ++i)
		appendStringInfo(&buf, "%s%s %s", i ? ", " : "", keys[i], types[i]);
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

/*
 * A keyset job goes on only with the primary key it was created with: the
 * key values it keeps would mean other rows under another key (or not parse).
 */
void
check_key_unchanged(Job *job)
{
	if (job->nkeys == 0)
		return;
	Job now;
	memset(&now, 0, sizeof now);
	now.relid = job->relid;
	now.table = job->table;
	now.cxt = CurrentMemoryContext;
	find_key(&now);
	bool same = now.nkeys == job->nkeys;
	for (int i = 0; same && i < now.nkeys; ++i)
		same = strcmp(now.keys[i], job->keys[i]) == 0 && strcmp(now.types[i], job->types[i]) == 0 &&
			   (job->collations == NULL || strcmp(now.collations[i], job->collations[i]) == 0);
	if (!same)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("the primary key of %s changed since backfill job " INT64_FORMAT " was created",
							   job->table, job->id),
						errdetail("It was %s, it is %s (columns, types and collations).",
								  key_text(job->keys, job->types, job->nkeys),
								  now.nkeys > 0 ? key_text(now.keys, now.types, now.nkeys) : "none"),
						errhint("Cancel the job with safemigrate.backfill_cancel(" INT64_FORMAT ") and start a new one "
								"with a where_clause that skips the rows already done.",
								job->id)));
}

/* Before a run: has the table been rewritten since the job took its page numbers? */
void
check_pages_unchanged(Job *job)
{
	if (job->nkeys > 0 || job->empty || job->relfile == NULL)
		return;
	char *now = relfile_token(job->relid);
	if (now != NULL && strcmp(now, job->relfile) != 0)
		pages_rewritten(job);
}

/* The checks and statements of a run, before its first batch (in a subtransaction). */
void
prepare_run(void *arg)
{
	Job *job = (Job *) arg;
	/*
	 * An expansion's settings, for the preparation too (its search_path finds
	 * the new type and the USING expression's functions); settings that
	 * cannot be set (a value the owner wrote into the expansion) fail the run
	 * here, not a batch.  (On an error the subtransaction undoes them.)
	 */
	load_expansion_settings(job);
	int nest = NewGUCNestLevel();
	apply_expansion_settings(job, GUC_ACTION_SAVE);
	/* recorded first: a change after it is one the first batch's check_batch() sees */
	current_key(job->relid, job->keycols, &job->nkeycols);
	check_key_unchanged(job);
	require_no_row_security(job->table, job->relid);
	check_pages_unchanged(job);
	MemoryContext old = MemoryContextSwitchTo(job->cxt);
	prepare_job(job, false);
	MemoryContextSwitchTo(old);
	AtEOXact_GUC(true, nest);
}

/*
 * The job of an open expansion runs under the TimeZone, DateStyle,
 * IntervalStyle and search_path of the expand call, whichever session runs
 * it: under others, a conversion (timestamp to timestamptz, text to date, a
 * type found on the path) would give other values, which a two-way sync
 * trigger would even copy back into the old column.  Read once per run (an expansion's settings never change); only
 * expansions of the job's owner (the role running it) count, so that a row
 * another role wrote cannot change how this job converts.
 */
void
load_expansion_settings(Job *job)
{
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(job->id)};
	exec_pinned("SELECT x.settings[1], x.settings[2], x.settings[3], x.settings[4] FROM safemigrate.expansions x "
				" WHERE x.job_id = $1 AND x.owner = safemigrate._current_role() AND x.status NOT IN ('contracted', 'aborted') "
				"   AND x.settings IS NOT NULL "
				" ORDER BY x.expansion_id LIMIT 1",
				1, types, values, NULL, true);
	job->settings = NULL;
	if (SPI_processed > 0)
	{
		HeapTuple tup = SPI_tuptable->vals[0];
		TupleDesc desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(job->cxt);
		char **settings = (char **) palloc0(sizeof(char *) * 4);
		for (int i = 0; i < 4; ++i)
			settings[i] = SPI_getvalue(tup, desc, i + 1);
		MemoryContextSwitchTo(old);
		if (settings[0] != NULL && settings[1] != NULL && settings[2] != NULL)
			job->settings = settings;
	}
	SPI_freetuptable(SPI_tuptable);
}

/* The expansion's settings (GUC_ACTION_LOCAL: for the rest of a batch's transaction); nothing for other jobs. */
void
apply_expansion_settings(const Job *job, GucAction action)
{
	if (job->settings == NULL)
		return;
	/* search_path: the expand call's (the USING expression and the new type mean what they meant there) */
	static const char *const names[4] = {"timezone", "datestyle", "intervalstyle", "search_path"};
	for (int i = 0; i < 4; ++i)
		if (job->settings[i] != NULL) /* (the fourth is NULL in rows recorded without it) */
			(void) set_config_option(names[i], job->settings[i], PGC_USERSET, PGC_S_SESSION, action, true, 0,
									 false);
}

/* Run (or resume) a job.  SPI is connected non-atomically. */
void
run_job(int64 id)
{
	LOCKTAG tag;
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) kAdvisoryClass, (uint32) id, kAdvisorySubid);
	if (id <= 0 || id > PG_INT32_MAX)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("backfill job " INT64_FORMAT " does not exist", id)));
	/*
	 * A pause or cancel request left by a run that was killed or interrupted
	 * is dropped before the job is taken: one stored after it is taken (by a
	 * session that saw it running, while this one waited for the job's row)
	 * is honoured after the first batch.
	 */
	{
		Oid types[1] = {INT8OID};
		Datum values[1] = {Int64GetDatum(id)};
		exec_pinned("UPDATE safemigrate.backfill_jobs SET request = NULL "
					" WHERE job_id = $1 AND status = 'running' AND request IS NOT NULL "
					"   AND NOT safemigrate._backfill_running($1)",
					1, types, values, NULL, false);
		commit();
	}
	LockAcquireResult got = LockAcquire(&tag, ExclusiveLock, true, true);
	if (got == LOCKACQUIRE_NOT_AVAIL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
						errmsg("backfill job " INT64_FORMAT " is running in another session", id),
						errhint("Pause it there with SELECT safemigrate.backfill_pause(" INT64_FORMAT ").", id)));
	if (got == LOCKACQUIRE_ALREADY_HELD)
	{
		LockRelease(&tag, ExclusiveLock, true);
		ereport(ERROR, (errcode(ERRCODE_OBJECT_IN_USE),
						errmsg("backfill job " INT64_FORMAT " is already running in this session", id)));
	}
	/* The job lives in its own context; the pointer is not changed inside PG_TRY. */
	MemoryContext cxt = job_context();
	Job *const job = (Job *) MemoryContextAllocZero(cxt, sizeof(Job));
	job->cxt = cxt;
	PG_TRY();
	{
		job->keycxt = AllocSetContextCreate(job->cxt, "safemigrate backfill key", ALLOCSET_SMALL_SIZES);
		job->batchcxt = AllocSetContextCreate(job->cxt, "safemigrate backfill batch", ALLOCSET_DEFAULT_SIZES);
		const char *status = load_job(job, id);
		if (strcmp(status, "done") == 0 || strcmp(status, "cancelled") == 0)
		{
			if (strcmp(status, "done") == 0)
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT " is already done", id)));
			else
				ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
								errmsg("backfill job " INT64_FORMAT " was cancelled", id),
								errhint("Start a new one with CALL safemigrate.backfill(...).")));
		}
		else
		{
			if (strcmp(status, "created") != 0)
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT " on %s: resuming (it was %s)", id, job->table,
										status)));
			job_update(id,
					   /* request is kept: see the top of run_job() */
					   "UPDATE safemigrate.backfill_jobs SET status = 'running', pid = pg_backend_pid(), "
					   "  last_error = NULL, throttled = NULL, started_at = coalesce(started_at, clock_timestamp()) "
					   " WHERE job_id = $1",
					   0, NULL, NULL, NULL);
			commit();
			/* A run that cannot start (a column dropped, the key changed) leaves the job failed, with why. */
			if (ErrorData *edata = sm_try_in_subtransaction(prepare_run, job))
			{
				free_plans(job);
				mark_failed(id, edata, 0);
				ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT " failed before its first batch", id),
								 errhint("Fix the cause, then %s.", resume_call(id))));
				ReThrowError(edata);
			}
			run_loop(job);
		}
	}
	PG_FINALLY();
	{
		free_plans(job);
		LockRelease(&tag, ExclusiveLock, true);
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
}

} // namespace

} // namespace safemigrate::pg

using namespace safemigrate::pg;

/* safemigrate.backfill_create(table, set_clause, where_clause, options...) RETURNS bigint */
extern "C" PGDLLEXPORT Datum
safemigrate_backfill_create(PG_FUNCTION_ARGS)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pg_safemigrate: SPI_connect failed");
	bool empty;
	int64 id = create_job(fcinfo, &empty);
	SPI_finish();
	PG_RETURN_INT64(id);
}

/* CALL safemigrate.backfill(table, set_clause, where_clause, options...) */
extern "C" PGDLLEXPORT Datum
safemigrate_backfill(PG_FUNCTION_ARGS)
{
	require_nonatomic(fcinfo, "safemigrate.backfill");
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "pg_safemigrate: SPI_connect failed");
	bool empty;
	int64 id = create_job(fcinfo, &empty);
	commit();
	if (!empty)
	{
		ereport(NOTICE, (errmsg("backfill job " INT64_FORMAT " created", id),
						 errhint("If it stops, CALL safemigrate.backfill_resume(" INT64_FORMAT ") goes on from the "
								 "last committed batch.",
								 id)));
		run_job(id);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/* CALL safemigrate.backfill_resume(job_id) */
extern "C" PGDLLEXPORT Datum
safemigrate_backfill_resume(PG_FUNCTION_ARGS)
{
	require_nonatomic(fcinfo, "safemigrate.backfill_resume");
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job_id must not be NULL")));
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "pg_safemigrate: SPI_connect failed");
	run_job(PG_GETARG_INT64(0));
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * safemigrate._require_own_transactions(procedure text): called first by the
 * PL/pgSQL procedures that commit between their steps (expand_*, contract,
 * expand_abort, set_not_null).  Inside BEGIN ... COMMIT they cannot commit:
 * say so with SQLSTATE 25001 before anything is done.  (Called from a
 * function in an atomic context, they still fail at their first COMMIT with
 * PostgreSQL's 2D000.)
 *
 * C-style frame; may ereport.
 */
extern "C" Datum
safemigrate_require_own_transactions(PG_FUNCTION_ARGS)
{
	if (IsTransactionBlock())
	{
		char *what = text_to_cstring(PG_GETARG_TEXT_PP(0));
		ereport(ERROR, (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
						errmsg("%s cannot run inside a transaction block", what),
						errdetail("It commits between its steps, so that no step holds a lock for long."),
						errhint("Run CALL %s(...) on its own, outside BEGIN ... COMMIT and not from a function.", what)));
	}
	PG_RETURN_VOID();
}

/*
 * safemigrate._expansion_xact_lock(relid oid): the lock of a table's
 * expansions, until the end of the transaction, which the expand procedures,
 * contract() and expand_abort() take (one at a time per table).  An advisory
 * lock tag with objsubid 4 (SQL's pg_advisory_lock() takes 1 or 2 only, so
 * that no other role can hold it and block them), waited for at most the
 * effective lock timeout (the session's lock_timeout when lower than
 * safemigrate.lock_timeout): then 55P03.  Only the table's owner may take it
 * (the expand procedures alter the table); a table that is gone is no one's.
 *
 * C-style frame; may ereport.
 */
extern "C" Datum
safemigrate_expansion_xact_lock(PG_FUNCTION_ARGS)
{
	Oid relid = PG_GETARG_OID(0);
	char *volatile name = qualified_name(relid);
	if (name != NULL && !pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("must be owner of table %s to lock its expansions", name)));
	LOCKTAG tag;
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) kAdvisoryClass, (uint32) relid, kExpansionSubid);
	const int timeout = sm_effective_lock_timeout();
	const int saved = LockTimeout;
	MemoryContext cxt = CurrentMemoryContext;
	LockTimeout = timeout;
	PG_TRY();
	{
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
	PG_CATCH();
	{
		LockTimeout = saved;
		MemoryContextSwitchTo(cxt);
		ErrorData *edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR, (errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						errmsg("could not lock the expansions of table %s within %d ms",
							   name != NULL ? name : psprintf("%u", relid), timeout),
						errdetail("Another session runs an expand procedure, contract() or expand_abort() on the "
								  "table, and holds the lock for its step."),
						errhint("Call it again once that step is done (or raise lock_timeout or "
								"safemigrate.lock_timeout).")));
	}
	PG_END_TRY();
	LockTimeout = saved;
	PG_RETURN_VOID();
}
