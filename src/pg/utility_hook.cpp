/*-------------------------------------------------------------------------
 *
 * utility_hook.cpp
 *	  ProcessUtility hook: sees every utility statement of every session,
 *	  whatever sent it (psql, drivers, ORMs, PL/pgSQL EXECUTE, SQL functions,
 *	  SPI), and judges the DDL that pg_safemigrate has rules for.
 *
 * Invariants:
 *	- Statements without a rule (BEGIN, COMMIT, SET, SHOW, CALL, DO, ...) go
 *	  to the next hook after one switch on the node tag: no catalog access,
 *	  no allocation.  CALL and DO in particular must not be wrapped, or COMMIT
 *	  inside procedures breaks.
 *	- Binary-upgrade mode (pg_upgrade) and extension scripts (CREATE/ALTER
 *	  EXTENSION of any extension) pass through untouched.
 *	- The hook is active in databases where the extension has been created;
 *	  elsewhere it passes everything through (the library is preloaded for the
 *	  whole cluster, the policy is installed per database).
 *	- Every context is judged (top level, functions, SPI, sub-commands): DDL
 *	  sent from a DO block or a migration tool's function is DDL all the same.
 *	- The parse tree is only read, never modified (readOnlyTree).
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <cstring>
#include <string_view>

#include "core/settings.hpp"
#include "core/sql_text.hpp"
#include "core/statement.hpp"
#include "pg/audit.hpp"
#include "pg/decide.hpp"
#include "pg/extract.hpp"
#include "pg/guc.hpp"
#include "pg/locking.hpp"
#include "pg/utility_hook.hpp"

#include "pg/postgres.hpp"
#include "pg/compat.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "catalog/pg_index.h"
#include "utils/fmgroids.h"
#include "tcop/pquery.h"
#include "utils/portal.h"
#include "commands/defrem.h"
#include "utils/lsyscache.h"
#include "parser/parser.h"
#include "utils/snapmgr.h"
#include "nodes/makefuncs.h"
#include "storage/proc.h"
#include "utils/regproc.h"
#include "utils/timeout.h"
#include "catalog/dependency.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_namespace.h"
#include "commands/extension.h"
#include "utils/acl.h"
#include "utils/syscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
}

namespace safemigrate::pg {

namespace {

ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* C-style frame; may ereport. */
void
call_next(SM_PU_PARAMS)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(SM_PU_ARGS);
	else
		standard_ProcessUtility(SM_PU_ARGS);
}

/* errcode() value of a five-character SQLSTATE from the rule catalogue. */
int
sqlstate_code(const char *s)
{
	return MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
}

/* copyObject() needs typeof, which strict C++17 lacks. */
template <typename T>
T *
copy_node(const T *node)
{
	return static_cast<T *>(copyObjectImpl(node));
}

/*
 * The pid of another session building the index right now
 * (pg_stat_progress_create_index), or 0.
 *
 * C-style frame; may ereport.
 */
int
index_builder(Oid index)
{
	MemoryContext caller = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	Oid argtypes[2] = {OIDOID, INT4OID};
	Datum values[2] = {ObjectIdGetDatum(index), Int32GetDatum(MyProcPid)};
	int rc = sm_spi_execute_pinned(
		"SELECT pid FROM pg_catalog.pg_stat_progress_create_index WHERE index_relid = $1 AND pid <> $2", 2, argtypes,
		values, true);
	bool isnull = true;
	int builder = rc == SPI_OK_SELECT && SPI_processed > 0
					  ? DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull))
					  : 0;
	SPI_finish();
	MemoryContextSwitchTo(caller);
	return isnull ? 0 : builder;
}

/* A utility statement of a parsed text, as a PlannedStmt to hand to ProcessUtility.  May ereport. */
PlannedStmt *
utility_plan(RawStmt *raw, uint64 query_id)
{
	PlannedStmt *p = makeNode(PlannedStmt);
	p->commandType = CMD_UTILITY;
	p->canSetTag = false;
	p->utilityStmt = raw->stmt;
	p->stmt_location = raw->stmt_location;
	p->stmt_len = raw->stmt_len;
	p->queryId = query_id;
	return p;
}

/*
 * An INVALID index with the name a CREATE INDEX asks for, left by a
 * CONCURRENTLY build that failed or whose session ended: its OID, or
 * InvalidOid.  When another session is building it right now
 * (pg_stat_progress_create_index), the statement is refused: dropping it
 * would break that build.
 *
 * C-style frame; may ereport.
 */
Oid
stale_invalid_index(const IndexStmt *stmt)
{
	if (stmt->idxname == NULL)
		return InvalidOid;
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	Oid idx = OidIsValid(relid) ? get_relname_relid(stmt->idxname, get_rel_namespace(relid)) : InvalidOid;
	HeapTuple tup = OidIsValid(idx) ? SearchSysCache1(INDEXRELID, ObjectIdGetDatum(idx)) : NULL;
	if (tup == NULL || !HeapTupleIsValid(tup))
		return InvalidOid;
	/* Only an index of the same table; an ON ONLY index of a partitioned table is invalid on purpose. */
	Form_pg_index index = (Form_pg_index) GETSTRUCT(tup);
	bool invalid = !index->indisvalid && index->indrelid == relid &&
				   get_rel_relkind(idx) != RELKIND_PARTITIONED_INDEX;
	ReleaseSysCache(tup);
	if (!invalid)
		return InvalidOid;

	int builder = index_builder(idx);
	if (builder != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("index \"%s\" is being built by another session", stmt->idxname),
				 errdetail("Session %d runs CREATE INDEX CONCURRENTLY for it; the index stays INVALID until that "
						   "build ends.",
						   builder),
				 errhint("Wait until that CREATE INDEX CONCURRENTLY has finished, then run the statement again.")));
	return idx;
}

/*
 * The concurrent index build the current top-level statement runs for a
 * rewrite (CREATE INDEX made CONCURRENTLY, or the CREATE UNIQUE INDEX
 * CONCURRENTLY step of a rewritten ADD UNIQUE / PRIMARY KEY): its table and
 * the INVALID indexes the table had before, so that when the statement
 * fails, the INVALID index its build left behind is dropped at once
 * (drop_failed_build) and running the statement again just works.  owner is
 * the top-level statement's PlannedStmt: only its own frame cleans up, not a
 * nested DDL that fails inside the build (e.g. from an index expression).
 * before lives in build_cxt, reset at each arming.
 */
struct BuildWatch
{
	const PlannedStmt *owner;
	Oid relid;
	bool toast; /* the indexes of its TOAST table too (REINDEX TABLE rebuilds them) */
	int nbefore;
	Oid *before;
};
BuildWatch build_watch = {NULL, InvalidOid, false, 0, NULL};
MemoryContext build_cxt = NULL;

/* The TOAST table of a table, or InvalidOid.  May ereport. */
Oid
toast_of(Oid relid)
{
	Oid toast = InvalidOid;
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		toast = ((Form_pg_class) GETSTRUCT(tup))->reltoastrelid;
		ReleaseSysCache(tup);
	}
	return toast;
}

/*
 * The INVALID indexes of a table (and with toast, of its TOAST table), from
 * pg_index (no lock on the table: a catalog scan, safe while another session
 * holds it).  Allocated in the current memory context.  C-style frame; may
 * ereport.
 */
int
invalid_indexes(Oid relid, bool toast, Oid **out)
{
	List *all = sm_index_oids(relid);
	Oid toastrel = toast ? toast_of(relid) : InvalidOid;
	if (OidIsValid(toastrel))
		all = list_concat(all, sm_index_oids(toastrel));
	Oid *oids = (Oid *) palloc(sizeof(Oid) * Max(list_length(all), 1));
	int n = 0;
	ListCell *lc;
	foreach (lc, all)
	{
		HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		if (!HeapTupleIsValid(tup))
			continue;
		if (!((Form_pg_index) GETSTRUCT(tup))->indisvalid)
			oids[n++] = lfirst_oid(lc);
		ReleaseSysCache(tup);
	}
	*out = oids;
	return n;
}

/*
 * Watch the concurrent build that statement owner runs on relid (toast: a
 * REINDEX TABLE, which rebuilds the indexes of its TOAST table too).
 * C-style frame; may ereport.
 */
void
arm_build_watch(const PlannedStmt *owner, Oid relid, bool toast = false)
{
	if (!OidIsValid(relid) || (build_watch.owner == owner && build_watch.relid == relid && build_watch.toast == toast))
		return;
	if (build_cxt == NULL)
		build_cxt = AllocSetContextCreate(TopMemoryContext, "pg_safemigrate build watch", ALLOCSET_SMALL_SIZES);
	build_watch.owner = NULL;
	MemoryContextReset(build_cxt);
	MemoryContext old = MemoryContextSwitchTo(build_cxt);
	build_watch.nbefore = invalid_indexes(relid, toast, &build_watch.before);
	MemoryContextSwitchTo(old);
	build_watch.relid = relid;
	build_watch.toast = toast;
	build_watch.owner = owner;
}

/*
 * In a PG_CATCH at top level: keep the current error (in build_cxt), roll
 * back the failed transaction inside the running portal and start a new one,
 * as SPI_rollback does; the abort releases the portal's snapshot
 * (ForgetPortalSnapshots).  Leaves build_cxt current.
 *
 * C-style frame.
 */
ErrorData *
abort_and_restart()
{
	MemoryContextSwitchTo(build_cxt);
	ErrorData *edata = CopyErrorData();
	FlushErrorState();
	if (ActivePortal != NULL)
		ActivePortal->portalSnapshot = NULL;
	AbortCurrentTransaction();
	StartTransactionCommand();
	MemoryContextSwitchTo(build_cxt);
	return edata;
}

/*
 * In the owner's PG_CATCH, with the statement's error current: roll back
 * the failed transaction, drop (DROP INDEX CONCURRENTLY, under
 * safemigrate.lock_timeout, audited like any DDL) each INVALID index of the
 * watched table that was not there before and that no other session is
 * building, say so in a NOTICE and in the error's detail, and rethrow the
 * error.  The build's catalog entry was committed by its first phase, so
 * only a new transaction can drop it; the abort and restart inside the
 * running portal are what SPI_rollback does for procedures.  Only at top
 * level outside a transaction block, where the rewrite ran.  When the drop
 * fails too (e.g. a long transaction that could still use the index outlasts
 * the lock timeout), the index stays and the next run of the statement drops
 * it first (stale_invalid_index); a NOTICE says so.
 *
 * C-style frame; never returns.
 */
void
drop_failed_build()
{
	Oid relid = build_watch.relid;
	build_watch.owner = NULL;
	ErrorData *edata = abort_and_restart();

	int saved_lock_timeout = LockTimeout;
	const char *volatile dropping = NULL;
	PG_TRY();
	{
		/* One active snapshot, for the look-ups and then for each DROP (index_drop pops it before committing). */
		PushActiveSnapshot(GetTransactionSnapshot());
		Oid *now;
		int nnow = invalid_indexes(relid, build_watch.toast, &now);
		int ndrop = 0;
		for (int i = 0; i < nnow; ++i)
		{
			bool known = false;
			for (int j = 0; j < build_watch.nbefore && !known; ++j)
				known = build_watch.before[j] == now[i];
			if (!known && get_rel_name(now[i]) != NULL && index_builder(now[i]) == 0)
				now[ndrop++] = now[i];
		}
		for (int i = 0; i < ndrop; ++i)
		{
			char *relname = get_rel_name(now[i]);
			if (relname == NULL)
				continue;
			dropping = quote_qualified_identifier(get_namespace_name(get_rel_namespace(now[i])), relname);
			char *sql = psprintf("DROP INDEX CONCURRENTLY %s", dropping);
			PlannedStmt *drop = utility_plan(linitial_node(RawStmt, raw_parser(sql, RAW_PARSE_DEFAULT)), 0);
			/* lock_timeout bounds the waits for the table lock and for the transactions that may use the index. */
			LockTimeout = sm_effective_lock_timeout();
			if (!ActiveSnapshotSet())
				PushActiveSnapshot(GetTransactionSnapshot());
#if PG_VERSION_NUM >= 140000
			ProcessUtility(drop, sql, false, PROCESS_UTILITY_TOPLEVEL, NULL, NULL, None_Receiver, NULL);
#else
			ProcessUtility(drop, sql, PROCESS_UTILITY_TOPLEVEL, NULL, NULL, None_Receiver, NULL);
#endif
			LockTimeout = saved_lock_timeout;
			/* index_drop's last step (the catalog delete) is in the transaction it leaves open: commit it. */
			if (ActiveSnapshotSet())
				PopActiveSnapshot();
			CommitTransactionCommand();
			StartTransactionCommand();
			MemoryContextSwitchTo(build_cxt);
			ereport(NOTICE,
					(errmsg("pg_safemigrate dropped the INVALID index %s that the failed build left behind", dropping),
					 errdetail("Statement run: DROP INDEX CONCURRENTLY %s;", dropping)));
			MemoryContextSwitchTo(build_cxt);
			const char *note = psprintf("The INVALID index %s the failed build left behind was dropped (DROP INDEX "
										"CONCURRENTLY): the build can run again from the start.",
										dropping);
			edata->detail = edata->detail != NULL ? psprintf("%s  %s", edata->detail, note) : pstrdup(note);
			dropping = NULL;
		}
		if (ActiveSnapshotSet())
			PopActiveSnapshot();
	}
	PG_CATCH();
	{
		LockTimeout = saved_lock_timeout;
		ErrorData *why = abort_and_restart();
		if (dropping != NULL)
		{
			ereport(NOTICE,
					(errmsg("pg_safemigrate could not drop the INVALID index %s that the failed build left behind: %s",
							dropping, why->message),
					 errhint("Running the statement again drops it first (DROP INDEX CONCURRENTLY), then builds the "
							 "index.")));
			MemoryContextSwitchTo(build_cxt);
		}
	}
	PG_END_TRY();
	ReThrowError(edata);
}

/*
 * Automatic rewrite: the same statement with CONCURRENTLY, on a copy of the
 * parse tree.  Returns the PlannedStmt to run.  Only called at top level
 * outside a transaction block (the core checks), where the CONCURRENTLY form
 * is allowed.
 *
 * C-style frame; may ereport.
 */
PlannedStmt *
rewrite_concurrently(PlannedStmt *pstmt, const SmVerdict *verdict)
{
	PlannedStmt *copy = copy_node(pstmt);
	Node *tree = copy->utilityStmt;
	switch (nodeTag(tree))
	{
		case T_IndexStmt:
			((IndexStmt *) tree)->concurrent = true;
			break;
		case T_DropStmt:
			((DropStmt *) tree)->concurrent = true;
			break;
		case T_ReindexStmt:
			((ReindexStmt *) tree)->params =
				lappend(((ReindexStmt *) tree)->params, makeDefElem(pstrdup("concurrently"), NULL, -1));
			break;
		case T_RefreshMatViewStmt:
			((RefreshMatViewStmt *) tree)->concurrent = true;
			break;
		case T_AlterTableStmt:
		{
			AlterTableCmd *cmd = (AlterTableCmd *) linitial(((AlterTableStmt *) tree)->cmds);
			if (cmd->subtype == AT_DetachPartition && cmd->def && IsA(cmd->def, PartitionCmd))
				((PartitionCmd *) cmd->def)->concurrent = true;
			else
				elog(ERROR, "pg_safemigrate cannot rewrite this ALTER TABLE");
			break;
		}
		default:
			elog(ERROR, "pg_safemigrate cannot rewrite statement type %d", (int) nodeTag(tree));
	}
	ereport(NOTICE,
			(errmsg("pg_safemigrate rewrote the statement (rule %s): %s", verdict->rule_id,
					verdict->nsteps > 0 ? verdict->steps[0] : ""),
			 errdetail("%s", verdict->detail),
			 errhint("The CONCURRENTLY form does not block reads or writes.  Set safemigrate.rewrite = off to "
					 "be told instead.")));
	return copy;
}

/* The steps of a rewrite (each ends with a semicolon) as one text.  May ereport. */
char *
join_steps(const SmVerdict *v)
{
	StringInfoData buf;
	initStringInfo(&buf);
	for (int i = 0; i < v->nsteps; ++i)
		appendStringInfo(&buf, "%s%s", i > 0 ? " " : "", v->steps[i]);
	return buf.data;
}

/* The one relation a statement acts on, when its parse tree names one; NULL otherwise. */
RangeVar *
target_relation(Node *tree)
{
	switch (nodeTag(tree))
	{
		case T_IndexStmt:
			return ((IndexStmt *) tree)->relation;
		case T_AlterTableStmt:
			return ((AlterTableStmt *) tree)->relation;
		case T_RenameStmt:
			return ((RenameStmt *) tree)->relation;
		case T_ClusterStmt:
			return ((ClusterStmt *) tree)->relation;
		case T_RefreshMatViewStmt:
			return ((RefreshMatViewStmt *) tree)->relation;
		case T_CreateTrigStmt:
			return ((CreateTrigStmt *) tree)->relation;
		default:
			return NULL;
	}
}

/* The comments and white space at the start of s (bounded), as a palloc'd string. */
char *
leading_comments(const char *s)
{
	if (s == NULL)
		return pstrdup("");
	std::string_view text(s, strnlen(s, 8192));
	return pnstrdup(s, core::leading_comments_length(text));
}

/*
 * Judge one statement and raise the rejection or warning it deserves.
 * Returns the statement to run instead when the policy rewrites it, or NULL.
 *
 * C-style frame; may ereport.  Core types appear only as the trivially
 * destructible Statement and inside sm_decide's fence.
 */
PlannedStmt *
judge(PlannedStmt *pstmt, const char *queryString, ProcessUtilityContext context, SmVerdict *verdict_out,
	  SmAttempt *attempt, const char *header = NULL, const char *parent = NULL)
{
	Node *parsetree = pstmt->utilityStmt;
	core::Statement stmt;

	stmt.text = sm_statement_text(pstmt, queryString);
	/*
	 * A declaration may head a multi-statement string.  Only its leading
	 * comments count, so a bounded prefix is enough: no strlen() of a whole
	 * migration file for each of its statements.  A step of a rewrite is
	 * judged under the declarations of the statement it comes from (header).
	 */
	if (parent != NULL)
		stmt.parent_text = parent;
	if (header != NULL)
		stmt.query_text = header;
	else if (queryString != NULL)
		stmt.query_text = std::string_view(queryString, strnlen(queryString, 8192));
	stmt.top_level = context == PROCESS_UTILITY_TOPLEVEL;
	stmt.in_transaction_block = IsInTransactionBlock(stmt.top_level);
	stmt.server_version_num = PG_VERSION_NUM;
	sm_extract(parsetree, &stmt);

	SmVerdict verdict;
	FenceError ferr;
	core::Settings settings = sm_current_settings();
	if (!sm_decide(stmt, settings, CurrentMemoryContext, &verdict, &ferr))
		ereport(ERROR,
				(errcode(ferr.kind == FenceFailure::OutOfMemory ? ERRCODE_OUT_OF_MEMORY
																: ERRCODE_INTERNAL_ERROR),
				 errmsg("pg_safemigrate could not classify the statement: %s", ferr.message)));

	/*
	 * A CREATE INDEX allowed on what it builds (on a partitioned table, the
	 * partitions without a matching index; IF NOT EXISTS with a taken name,
	 * nothing): a build on any other table while it runs is a partition
	 * attached, an index or the name dropped since, refused as the rule
	 * would have it (not in warn mode, not when safemigrate.allow lists the
	 * rule or the override comment names it).
	 */
	bool guardable = verdict.action == core::Action::Allow && stmt.kind == core::StatementKind::CreateIndex &&
					 !stmt.create_index.concurrent && settings.mode == core::Mode::Enforce &&
					 !settings.allows("create-index-blocking") &&
					 !(settings.may_override &&
					   sm_override_names(sm_statement_text(pstmt, queryString), "create-index-blocking"));
	verdict.build_noop = guardable && stmt.create_index.already_exists;
	verdict.build_guard = verdict.build_noop || (guardable && stmt.create_index.partition_builds >= 0);
	verdict.build_leaves = verdict.build_guard && !verdict.build_noop ? list_copy(sm_create_index_built_leaves()) : NIL;
	*verdict_out = verdict;
	if (attempt != NULL)
	{
		sm_audit_set_verdict(attempt, &verdict);
		if (verdict.action != core::Action::Allow)
			sm_audit_set_action(attempt, verdict.action == core::Action::Rewrite ? core::AuditAction::Rewritten
										 : verdict.action == core::Action::Warn	 ? core::AuditAction::Warned
																				 : core::AuditAction::Rejected);
		if (verdict.action == core::Action::Rewrite && verdict.nsteps > 0)
			sm_audit_set_executed(attempt, join_steps(&verdict));
	}
	if (verdict.action == core::Action::Allow)
		return NULL;
	if (verdict.action == core::Action::Rewrite)
	{
		/* ALTER TABLE rewrites run as steps (run_steps), the others as their CONCURRENTLY form. */
		if (IsA(parsetree, AlterTableStmt) &&
			((AlterTableCmd *) linitial(((AlterTableStmt *) parsetree)->cmds))->subtype != AT_DetachPartition)
			return NULL;
		/*
		 * An INVALID index of the same name, left by an earlier CONCURRENTLY
		 * build that failed, would make the build fail at once: drop it
		 * first (DROP INDEX CONCURRENTLY), then build, as two steps.
		 */
		if (IsA(parsetree, IndexStmt))
			arm_build_watch(pstmt, RangeVarGetRelid(((IndexStmt *) parsetree)->relation, NoLock, true));
		/* REINDEX ... CONCURRENTLY that fails leaves its new (_ccnew) or old (_ccold) index INVALID: the same. */
		if (IsA(parsetree, ReindexStmt) && ((ReindexStmt *) parsetree)->relation != NULL)
		{
			const ReindexStmt *r = (const ReindexStmt *) parsetree;
			Oid target = RangeVarGetRelid(r->relation, NoLock, true);
			Oid table = r->kind == REINDEX_OBJECT_INDEX && OidIsValid(target) ? IndexGetRelation(target, true)
						: r->kind == REINDEX_OBJECT_TABLE							? target
																					: InvalidOid;
			if (OidIsValid(table) && get_rel_relkind(table) == RELKIND_RELATION)
				arm_build_watch(pstmt, table, r->kind == REINDEX_OBJECT_TABLE);
		}
		if (IsA(parsetree, IndexStmt) && verdict.nsteps == 1)
		{
			Oid stale = stale_invalid_index((IndexStmt *) parsetree);
			if (OidIsValid(stale))
			{
				char **steps = (char **) palloc(sizeof(char *) * 2);
				steps[0] = psprintf("DROP INDEX CONCURRENTLY %s;",
									quote_qualified_identifier(get_namespace_name(get_rel_namespace(stale)),
															   get_rel_name(stale)));
				steps[1] = verdict.steps[0];
				verdict_out->steps = steps;
				verdict_out->nsteps = 2;
				if (attempt != NULL)
					sm_audit_set_executed(attempt, join_steps(verdict_out));
				return NULL;
			}
		}
		verdict_out->nlocks = 0; /* the CONCURRENTLY form blocks nobody: no pre-lock */
		verdict_out->lock = core::LockMode::ShareUpdateExclusive;
		/*
		 * But DETACH ... CONCURRENTLY locks the partition AccessExclusive in
		 * its second transaction: pre-locked as the form written by hand is
		 * (the protocol names a reader of it and gives up before anything
		 * is done, instead of leaving it detach-pending after a timeout).
		 */
		if (IsA(parsetree, AlterTableStmt))
		{
			const AlterTableCmd *cmd = (const AlterTableCmd *) linitial(((AlterTableStmt *) parsetree)->cmds);
			Oid part = cmd->def != NULL && IsA(cmd->def, PartitionCmd)
						   ? RangeVarGetRelid(((PartitionCmd *) cmd->def)->name, NoLock, true)
						   : InvalidOid;
			if (OidIsValid(part))
			{
				char **names = (char **) palloc(sizeof(char *));
				core::LockMode *modes = (core::LockMode *) palloc(sizeof(core::LockMode));
				names[0] = quote_qualified_identifier(get_namespace_name(get_rel_namespace(part)), get_rel_name(part));
				modes[0] = core::LockMode::AccessExclusive;
				verdict_out->lock_relations = names;
				verdict_out->lock_modes = modes;
				verdict_out->nlocks = 1;
				verdict_out->lock = core::LockMode::AccessExclusive;
			}
		}
		return rewrite_concurrently(pstmt, &verdict);
	}
	/* The table, as errtable() would attach it: drivers show it as the error's schema and table fields. */
	const char *schema = NULL, *table = NULL;
	RangeVar *rv = target_relation(parsetree);
	Oid relid = rv != NULL ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
	if (OidIsValid(relid))
	{
		schema = get_namespace_name(get_rel_namespace(relid));
		table = get_rel_name(relid);
	}
	ereport(verdict.action == core::Action::Reject ? ERROR : WARNING,
			(errcode(sqlstate_code(verdict.sqlstate)),
			 errmsg("%s", verdict.message),
			 errdetail("%s", verdict.detail),
			 errhint("%s", verdict.hint),
			 schema != NULL ? err_generic_string(PG_DIAG_SCHEMA_NAME, schema) : 0,
			 table != NULL ? err_generic_string(PG_DIAG_TABLE_NAME, table) : 0));
	return NULL;
}

/* The relkind of a named relation, or 0 when it does not exist.  May ereport. */
char
relkind_of(RangeVar *rv)
{
	Oid relid = rv != NULL ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
	return OidIsValid(relid) ? get_rel_relkind(relid) : '\0';
}

/*
 * Statements that commit internally (pg-facts 4.3): no GUC nest level may
 * span them, and a pre-lock would be released by their first commit.
 * VACUUM (and ANALYZE of several tables outside a transaction block), CLUSTER
 * without a table or of a partitioned table (cluster_multiple_rels),
 * REINDEX SCHEMA / DATABASE / SYSTEM, REINDEX of a partitioned table or index
 * (ReindexPartitions, PG 14+), and the CONCURRENTLY forms.
 *
 * C-style frame; may ereport.
 */
/* ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY: two transactions, the second one's lock on the partition. */
bool
detaches_concurrently(const Node *tree)
{
	if (!IsA(tree, AlterTableStmt))
		return false;
	ListCell *lc;
	foreach (lc, ((const AlterTableStmt *) tree)->cmds)
	{
		const AlterTableCmd *cmd = (const AlterTableCmd *) lfirst(lc);
		if (cmd->subtype == AT_DetachPartition && cmd->def != NULL && IsA(cmd->def, PartitionCmd) &&
			((const PartitionCmd *) cmd->def)->concurrent)
			return true;
	}
	return false;
}

/* "schema.table" of a relation named by rv, quoted as SQL; NULL when it does not exist.  May ereport. */
char *
qualified_name(RangeVar *rv)
{
	Oid relid = rv != NULL ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
	if (!OidIsValid(relid))
		return NULL;
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

/*
 * Run a DETACH PARTITION ... CONCURRENTLY (written so, or rewritten).  Its
 * first transaction marks the partition detach-pending and commits; when the
 * second one fails (lock timeout, statement timeout, cancel), the partition
 * stays detach-pending: its rows are no longer seen through the parent, and
 * the parent takes no rows for it, until DETACH PARTITION ... FINALIZE.  The
 * error says so (DETAIL, and the FINALIZE statement as HINT), and the
 * attempt's audit row notes the committed part.
 *
 * C-style frame; may ereport.
 */
void
call_detach_concurrently(SM_PU_PARAMS)
{
	const AlterTableStmt *a = (const AlterTableStmt *) pstmt->utilityStmt;
	char *parent = qualified_name(a->relation);
	char *part = NULL;
	ListCell *lc;
	foreach (lc, a->cmds)
	{
		const AlterTableCmd *cmd = (const AlterTableCmd *) lfirst(lc);
		if (cmd->subtype == AT_DetachPartition && cmd->def != NULL && IsA(cmd->def, PartitionCmd))
			part = qualified_name(((PartitionCmd *) cmd->def)->name);
	}
	if (parent == NULL || part == NULL)
	{
		call_next(SM_PU_ARGS);
		return;
	}
	char *detail = psprintf("The first transaction of DETACH PARTITION ... CONCURRENTLY committed: partition %s is "
							"left detach-pending.  Its rows are no longer seen through %s, and %s takes no rows "
							"for it, until the detach is finalized.",
							part, parent, parent);
	char *hint = psprintf("Once the transactions that use %s have ended, run: ALTER TABLE %s DETACH PARTITION %s "
						  "FINALIZE;",
						  parent, parent, part);
	char *note = psprintf("the first transaction of DETACH PARTITION ... CONCURRENTLY; partition %s is left "
						  "detach-pending",
						  part);
	MemoryContext cxt = CurrentMemoryContext;
	LocalTransactionId before = MyProc->lxid;
	PG_TRY();
	{
		call_next(SM_PU_ARGS);
	}
	PG_CATCH();
	{
		/* Still in the first transaction: nothing was committed. */
		if (MyProc->lxid == before)
			PG_RE_THROW();
		MemoryContextSwitchTo(cxt);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		edata->detail = edata->detail != NULL ? psprintf("%s  %s", edata->detail, detail) : detail;
		edata->hint = edata->hint != NULL ? psprintf("%s  %s", edata->hint, hint) : hint;
		sm_audit_note_committed(NULL, note);
		ReThrowError(edata);
	}
	PG_END_TRY();
}

bool
commits_internally(const Node *tree)
{
	switch (nodeTag(tree))
	{
		case T_VacuumStmt:
			return true;
		case T_ClusterStmt:
		{
			RangeVar *rv = ((const ClusterStmt *) tree)->relation;
			return rv == NULL || relkind_of(rv) == RELKIND_PARTITIONED_TABLE;
		}
		case T_IndexStmt:
			return ((const IndexStmt *) tree)->concurrent;
		case T_DropStmt:
			return ((const DropStmt *) tree)->concurrent;
		case T_AlterTableStmt:
			return detaches_concurrently(tree);
		case T_ReindexStmt:
		{
			const ReindexStmt *r = (const ReindexStmt *) tree;
			if (r->kind != REINDEX_OBJECT_INDEX && r->kind != REINDEX_OBJECT_TABLE)
				return true;
#if PG_VERSION_NUM >= 140000
			ListCell *lc;
			foreach (lc, r->params)
			{
				DefElem *opt = (DefElem *) lfirst(lc);
				if (strcmp(opt->defname, "concurrently") == 0 && defGetBoolean(opt))
					return true;
			}
			char kind = relkind_of(r->relation);
			return kind == RELKIND_PARTITIONED_TABLE || kind == RELKIND_PARTITIONED_INDEX;
#else
			return r->concurrent;
#endif
		}
		default:
			return false;
	}
}

void
add_prelock(List **oids, List **modes, Oid relid, LOCKMODE mode)
{
	if (!OidIsValid(relid))
		return;
	*oids = lappend_oid(*oids, relid);
	*modes = lappend_int(*modes, mode);
}

void
add_owned_sequences(List **oids, List **modes, Oid table)
{
	if (!OidIsValid(table))
		return;
	ListCell *lc;
	foreach (lc, getOwnedSequences(table))
		add_prelock(oids, modes, lfirst_oid(lc), AccessExclusiveLock);
}

/*
 * Locks the statement takes besides those of the relations the classifier
 * lists, which would otherwise be waited for in the lock queue after the
 * pre-locks: the indexes REINDEX rebuilds (AccessExclusiveLock each, which
 * every query of the table conflicts with: the planner locks the indexes),
 * and the sequences a table owns, which an owner change, a schema move, a
 * drop or TRUNCATE ... RESTART IDENTITY take along (an identity change: its
 * sequence).  C-style frame; may ereport.
 */
void
extra_prelocks(const Node *tree, List **oids, List **modes)
{
	switch (nodeTag(tree))
	{
		case T_ReindexStmt:
		{
			const ReindexStmt *r = (const ReindexStmt *) tree;
			if (r->relation == NULL || commits_internally(tree))
				break;
			Oid target = RangeVarGetRelid(r->relation, NoLock, true);
			if (!OidIsValid(target))
				break;
			if (r->kind == REINDEX_OBJECT_INDEX)
				add_prelock(oids, modes, target, AccessExclusiveLock);
			else if (r->kind == REINDEX_OBJECT_TABLE)
			{
				ListCell *lc;
				foreach (lc, sm_index_oids(target))
					add_prelock(oids, modes, lfirst_oid(lc), AccessExclusiveLock);
				Oid toast = toast_of(target);
				if (OidIsValid(toast))
				{
					add_prelock(oids, modes, toast, ShareLock);
					foreach (lc, sm_index_oids(toast))
						add_prelock(oids, modes, lfirst_oid(lc), AccessExclusiveLock);
				}
			}
			break;
		}
		case T_AlterTableStmt:
		{
			const AlterTableStmt *a = (const AlterTableStmt *) tree;
			Oid table = a->relation != NULL ? RangeVarGetRelid(a->relation, NoLock, true) : InvalidOid;
			if (!OidIsValid(table))
				break;
			ListCell *lc;
			foreach (lc, a->cmds)
			{
				const AlterTableCmd *cmd = (const AlterTableCmd *) lfirst(lc);
				if (cmd->subtype == AT_ChangeOwner)
				{
					/* (the sequences change owner, and are locked, only when the table's owner changes) */
					Oid owner = cmd->newowner != NULL ? get_rolespec_oid(cmd->newowner, true) : InvalidOid;
					Oid current = InvalidOid;
					HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(table));
					if (HeapTupleIsValid(tup))
					{
						current = ((Form_pg_class) GETSTRUCT(tup))->relowner;
						ReleaseSysCache(tup);
					}
					if (owner != current)
						add_owned_sequences(oids, modes, table);
				}
				else if (cmd->subtype == AT_DropColumn && cmd->name != NULL)
				{
					/* the sequences the column owns (serial, identity) are dropped with it */
					AttrNumber att = get_attnum(table, cmd->name);
					ListCell *sc;
					foreach (sc, getOwnedSequences(table))
					{
						Oid owner_table = InvalidOid;
						int32 owner_col = 0;
						Oid seq = lfirst_oid(sc);
						if (att != InvalidAttrNumber &&
							(sequenceIsOwned(seq, DEPENDENCY_AUTO, &owner_table, &owner_col) ||
							 sequenceIsOwned(seq, DEPENDENCY_INTERNAL, &owner_table, &owner_col)) &&
							owner_col == att)
							add_prelock(oids, modes, seq, AccessExclusiveLock);
					}
				}
				else if (cmd->subtype == AT_AlterColumnType && cmd->name != NULL)
				{
					/* an identity column's sequence changes type with it (ALTER SEQUENCE ... AS) */
					AttrNumber att = get_attnum(table, cmd->name);
					Oid seq = att != InvalidAttrNumber ? getIdentitySequence(table, att, true) : InvalidOid;
					add_prelock(oids, modes, seq, ShareRowExclusiveLock);
				}
				else if ((cmd->subtype == AT_SetIdentity || cmd->subtype == AT_DropIdentity) && cmd->name != NULL)
				{
					AttrNumber att = get_attnum(table, cmd->name);
					Oid seq = att != InvalidAttrNumber ? getIdentitySequence(table, att, true) : InvalidOid;
					add_prelock(oids, modes, seq,
								cmd->subtype == AT_DropIdentity ? AccessExclusiveLock : ShareRowExclusiveLock);
				}
			}
			break;
		}
		case T_AlterObjectSchemaStmt:
		{
			const AlterObjectSchemaStmt *a = (const AlterObjectSchemaStmt *) tree;
			if (a->objectType == OBJECT_TABLE && a->relation != NULL)
				add_owned_sequences(oids, modes, RangeVarGetRelid(a->relation, NoLock, true));
			break;
		}
		case T_DropStmt:
		{
			const DropStmt *d = (const DropStmt *) tree;
			if (d->removeType != OBJECT_TABLE)
				break;
			ListCell *lc;
			foreach (lc, d->objects)
				add_owned_sequences(oids, modes,
									RangeVarGetRelid(makeRangeVarFromNameList((List *) lfirst(lc)), NoLock, true));
			break;
		}
		case T_TruncateStmt:
		{
			const TruncateStmt *t = (const TruncateStmt *) tree;
			if (!t->restart_seqs)
				break;
			ListCell *lc;
			foreach (lc, t->relations)
				add_owned_sequences(oids, modes, RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true));
			break;
		}
		default:
			break;
	}
}

/*
 * Run the statement with the DDL limits: the pre-lock protocol for every
 * relation it locks more strongly than ShareUpdateExclusiveLock, lock_timeout
 * for the locks it takes itself, and statement_timeout re-armed (it was armed
 * before the hook ran, so setting the GUC would only affect the next
 * statement).  The session's settings are restored afterwards, also after an
 * error.
 *
 * C-style frame; may ereport.
 */
void
run_with_limits(const SmVerdict *v, SM_PU_PARAMS)
{
	bool blocking = v->lock > core::LockMode::ShareUpdateExclusive;
	bool online = v->lock == core::LockMode::ShareUpdateExclusive;
	bool commits = commits_internally(pstmt->utilityStmt);

	/*
	 * A statement that commits internally releases the pre-locks at its first
	 * commit and takes its locks again under lock_timeout (below); the
	 * pre-lock still makes it wait in steps and name the blockers when the
	 * table is busy now.
	 */
	List *extra_oids = NIL, *extra_modes = NIL;
	if (blocking)
		extra_prelocks(pstmt->utilityStmt, &extra_oids, &extra_modes);
	int nmax = v->nlocks + list_length(extra_oids);
	unsigned int *relids = (unsigned int *) palloc(sizeof(unsigned int) * Max(nmax, 1));
	int *modes = (int *) palloc(sizeof(int) * Max(nmax, 1));
	int nrel = 0;
	/* LOCK TABLE ... NOWAIT fails at once when it cannot have its locks: no waits of ours either. */
	bool nowait = IsA(pstmt->utilityStmt, LockStmt) && ((const LockStmt *) pstmt->utilityStmt)->nowait;
	/*
	 * A statement whose locks are not known to the classifier (ALTER
	 * SEQUENCE, REASSIGN OWNED, what a DROP ... CASCADE reaches, ...) still
	 * waits for them at most safemigrate.lock_timeout, instead of standing in
	 * the lock queue for as long as a blocker runs.
	 */
	bool unknown = v->lock == core::LockMode::None && v->nlocks == 0;
	/* COMMENT and CREATE STATISTICS: a ShareUpdateExclusiveLock for a catalog change, no pre-lock, bounded too. */
	if (IsA(pstmt->utilityStmt, CommentStmt) || IsA(pstmt->utilityStmt, CreateStatsStmt))
		unknown = true;
	for (int i = 0; i < (nowait ? 0 : v->nlocks); ++i)
	{
		Oid relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(v->lock_relations[i])),
									 NoLock, true);
		if (OidIsValid(relid))
		{
			relids[nrel] = relid;
			modes[nrel++] = static_cast<int>(v->lock_modes[i]);
		}
	}
	for (int i = 0; i < (nowait ? 0 : list_length(extra_oids)); ++i)
	{
		relids[nrel] = list_nth_oid(extra_oids, i);
		modes[nrel++] = list_nth_int(extra_modes, i);
	}
	sm_prelock_all(relids, modes, nrel);

	int stmt_ms = blocking ? sm_statement_timeout_ms : online ? sm_online_statement_timeout_ms : 0;
	bool had = get_timeout_active(STATEMENT_TIMEOUT);
	TimestampTz old_fin = had ? get_timeout_finish_time(STATEMENT_TIMEOUT) : 0;
	bool rearm = false;
	if (stmt_ms > 0)
	{
		TimestampTz fin = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), stmt_ms);
		if (!had || fin < old_fin)
		{
			enable_timeout_at(STATEMENT_TIMEOUT, fin);
			rearm = true;
		}
	}

	/*
	 * lock_timeout: a GUC level for a statement that stays in one
	 * transaction.  One that commits internally would carry the level across
	 * its commits (and a SET would outlive an error after one), so there the
	 * variable ProcSleep reads is set directly and restored below.
	 */
	int nest = -1;
	int saved_lock_timeout = LockTimeout;
	/*
	 * (DETACH ... CONCURRENTLY: its second transaction locks the partition
	 * AccessExclusive, queued behind its readers with every query of it
	 * behind; bounded too: a timeout there leaves the detach pending, to
	 * complete with DETACH PARTITION ... FINALIZE.)
	 */
	bool detach = detaches_concurrently(pstmt->utilityStmt);
	bool direct = (blocking || detach) && commits && !nowait;
	if ((blocking || unknown) && !commits && !nowait)
	{
		char ms[32];
		snprintf(ms, sizeof ms, "%d", sm_effective_lock_timeout());
		nest = NewGUCNestLevel();
		(void) set_config_option("lock_timeout", ms, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}
	else if (direct)
		LockTimeout = sm_effective_lock_timeout();

	PG_TRY();
	{
		if (detach)
			call_detach_concurrently(SM_PU_ARGS);
		else
			call_next(SM_PU_ARGS);
	}
	PG_FINALLY();
	{
		if (direct)
			LockTimeout = saved_lock_timeout;
		/*
		 * The session's statement_timeout, as it was (transaction abort pops
		 * the GUC level); not once ours has fired: re-arming would clear the
		 * indicator that makes the pending cancel say "statement timeout".
		 */
		if (rearm && !get_timeout_indicator(STATEMENT_TIMEOUT, false))
		{
			if (had)
				enable_timeout_at(STATEMENT_TIMEOUT, old_fin);
			else
				disable_timeout(STATEMENT_TIMEOUT, false);
		}
	}
	PG_END_TRY();
	if (nest >= 0)
		AtEOXact_GUC(true, nest);
}

/* Error context of one step of a rewrite. */
struct StepContext
{
	int step; /* 1-based */
	int nsteps;
	char *const *steps;
	const char *comments; /* the statement's safemigrate comments, to run the steps left under */
};

/*
 * "pg_safemigrate step 2 of 3: <step>", and once a step has committed, which
 * did and the steps left to run: the state the statement leaves behind.
 */
void
step_error_context(void *arg)
{
	StepContext *c = (StepContext *) arg;
	const char *text = c->steps[c->step - 1];
	if (c->step == 1)
	{
		errcontext("pg_safemigrate step 1 of %d: %s", c->nsteps, text);
		return;
	}
	StringInfoData done;
	initStringInfo(&done);
	if (c->step == 2)
		appendStringInfoString(&done, "step 1 is committed");
	else
		appendStringInfo(&done, "steps 1 to %d are committed", c->step - 1);
	if (c->step == c->nsteps)
	{
		if (c->comments[0] != '\0')
			errcontext("pg_safemigrate step %d of %d: %s (%s: only this step is left to run, as %s%s)", c->step,
					   c->nsteps, text, done.data, c->comments, text);
		else
			errcontext("pg_safemigrate step %d of %d: %s (%s: only this step is left to run)", c->step, c->nsteps,
					   text, done.data);
		return;
	}
	StringInfoData left;
	initStringInfo(&left);
	for (int i = c->step - 1; i < c->nsteps; ++i)
		appendStringInfo(&left, " %s%s", c->comments, c->steps[i]);
	errcontext("pg_safemigrate step %d of %d: %s (%s; the steps left to run:%s)", c->step, c->nsteps, text, done.data,
			   left.data);
}

/*
 * One step of a multi-step rewrite, judged and run under the DDL limits, and
 * audited as a step of the attempt (when there is one).
 *
 * C-style frame; may ereport.
 */
void run_guarded(SmVerdict *verdict, SmAttempt *attempt, const char *comments, const char *header, SM_PU_PARAMS);

/*
 * step: 1-based; sa: its audit record, attempt: the statement's (or NULL).
 * The statement's row sums the lock waits, retries and blockers of its
 * steps, and when a step fails, says which steps before it are committed.
 */
void
run_step(const char *text, PlannedStmt *step, int stepno, SmAttempt *sa, SmAttempt *attempt, ParamListInfo params,
		 QueryEnvironment *queryEnv, const char *header, const char *parent)
{
	const char *committed = stepno == 1	  ? NULL
							: stepno == 2 ? "step 1"
										  : psprintf("steps 1 to %d", stepno - 1);
	/*
	 * While the step runs, current_query() (debug_query_string) is its text,
	 * not the whole statement's: an event trigger that logs or replicates
	 * current_query() sees each step once, not the statement once per step.
	 */
	const char *saved_query = debug_query_string;
	debug_query_string = text;
	PG_TRY();
	{
		SmVerdict sv;
		PlannedStmt *rewritten = judge(step, text, PROCESS_UTILITY_TOPLEVEL, &sv, sa, header, parent);
		/* A step is final: one that would itself need steps must not run as it is. */
		if (sv.action == core::Action::Rewrite && rewritten == NULL)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("pg_safemigrate: the rewrite step \"%s\" would itself need steps (rule %s)", text,
								   sv.rule_id != NULL ? sv.rule_id : "?")));
		/* (a DROP COLUMN ... CASCADE step is guarded as the statement would be, under its comments) */
#if PG_VERSION_NUM >= 140000
		run_guarded(&sv, sa, parent, header, rewritten ? rewritten : step, text, false, PROCESS_UTILITY_TOPLEVEL, params,
					queryEnv, None_Receiver, NULL);
#else
		run_guarded(&sv, sa, parent, header, rewritten ? rewritten : step, text, PROCESS_UTILITY_TOPLEVEL, params,
					queryEnv, None_Receiver, NULL);
#endif
	}
	PG_CATCH();
	{
		debug_query_string = saved_query;
		if (sa != NULL)
			sm_audit_failed(sa);
		sm_audit_add_step(attempt, sa);
		if (attempt != NULL && committed != NULL)
			sm_audit_note_committed(attempt, committed);
		PG_RE_THROW();
	}
	PG_END_TRY();
	debug_query_string = saved_query;
	if (sa != NULL)
		sm_audit_succeeded(sa);
	sm_audit_add_step(attempt, sa);
}

/*
 * Multi-step rewrite of an ALTER TABLE (NOT VALID + VALIDATE, SET NOT NULL
 * through a validated CHECK, UNIQUE / PRIMARY KEY through CREATE UNIQUE
 * INDEX CONCURRENTLY + USING INDEX): each step of the safe SQL runs in its
 * own transaction, under the lock protocol, as CREATE INDEX CONCURRENTLY
 * commits between its own phases (indexcmds.c DefineIndex).  Only at top
 * level outside a transaction block (the core checks).  A session lock keeps
 * the table from being dropped or altered by others between the steps.  When
 * a step fails, the steps before it stay committed, which leaves a valid
 * state: a NOT VALID constraint is already enforced for new rows, an extra
 * index is just an index; the error says which step failed.
 * ../shared/pg-facts.md 4.
 *
 * C-style frame; may ereport.
 */
void
run_steps(const SmVerdict *v, SmAttempt *attempt, SM_PU_PARAMS)
{
	MemoryContext keep = CurrentMemoryContext;
	int n = v->nsteps;
	List **parsed = (List **) palloc(sizeof(List *) * n);
	StringInfoData all;
	initStringInfo(&all);
	for (int i = 0; i < n; ++i)
	{
		parsed[i] = raw_parser(v->steps[i], RAW_PARSE_DEFAULT);
		if (list_length(parsed[i]) != 1)
			elog(ERROR, "pg_safemigrate step is not one statement: %s", v->steps[i]);
		appendStringInfo(&all, "%s%s", i > 0 ? " " : "", v->steps[i]);
	}
	ereport(NOTICE,
			(errmsg("pg_safemigrate rewrote the statement (rule %s) as %d step(s), each in its own transaction: %s",
					v->rule_id, n, all.data),
			 errdetail("%s", v->detail)));

	/*
	 * The declarations and override comments of the statement (and the
	 * header of its query string) hold for its steps: a declared
	 * expand-contract DROP COLUMN among them is let through as it was in the
	 * statement.
	 */
	char *header = leading_comments(queryString);
	const char *parent = sm_statement_text(pstmt, queryString);
	/* (the steps left, when one fails, are to run under them too) */
	const char *comments = sm_directive_comments(parent, header);

	Node *tree = pstmt->utilityStmt;
	RangeVar *rel = IsA(tree, AlterTableStmt) ? ((AlterTableStmt *) tree)->relation
					: IsA(tree, IndexStmt)	  ? ((IndexStmt *) tree)->relation
											  : NULL;
	Oid relid = rel != NULL ? RangeVarGetRelid(rel, NoLock, true) : InvalidOid;
	LockRelId lrid = {relid, MyDatabaseId};
	bool session_locked = false;

	for (int i = 0; i < n; ++i)
	{
		if (i > 0)
		{
			if (!session_locked && OidIsValid(relid))
			{
				LockRelationIdForSession(&lrid, ShareUpdateExclusiveLock);
				session_locked = true;
			}
			if (ActiveSnapshotSet())
				PopActiveSnapshot();
			CommitTransactionCommand();
			StartTransactionCommand();
			MemoryContextSwitchTo(keep);
			/* Re-flag, as CREATE INDEX CONCURRENTLY does: the extended protocol commits at once. */
			PreventInTransactionBlock(true, "ALTER TABLE (pg_safemigrate steps)");
			PushActiveSnapshot(GetTransactionSnapshot());
		}
		RawStmt *raw = linitial_node(RawStmt, parsed[i]);
		if (IsA(raw->stmt, IndexStmt) && ((IndexStmt *) raw->stmt)->concurrent)
			arm_build_watch(pstmt, relid);
		PlannedStmt *step = utility_plan(raw, pstmt->queryId);

		StepContext sc = {i + 1, n, v->steps, comments};
		ErrorContextCallback errcb;
		errcb.callback = step_error_context;
		errcb.arg = &sc;
		errcb.previous = error_context_stack;
		error_context_stack = &errcb;

		run_step(v->steps[i], step, i + 1,
				 attempt != NULL ? sm_audit_begin(step, v->steps[i], sm_audit_id(attempt), i + 1) : NULL, attempt,
				 params, queryEnv, header, parent);
		error_context_stack = errcb.previous;
		MemoryContextSwitchTo(keep);
	}
	if (session_locked)
		UnlockRelationIdForSession(&lrid, ShareUpdateExclusiveLock);
	/* Leave no snapshot of ours behind (the portal's was popped before the first commit). */
	if (n > 1 && ActiveSnapshotSet())
		PopActiveSnapshot();
}

/*
 * Tables and columns a DROP ... CASCADE takes with it.  The statement's own
 * targets are judged before it runs (extract: DROP TABLE/VIEW, DROP SCHEMA,
 * DROP OWNED); what a type, a domain or a function drops through its
 * dependencies is only known to PostgreSQL's dependency walk.  While such a
 * statement runs, the object_access_hook judges each table, view or column
 * it drops by the rules drop-table, drop-view and drop-column.
 */
struct CascadeGuard
{
	bool active;
	bool declared;		/* the statement declares expand-contract */
	bool warn;			/* safemigrate.mode = warn: a WARNING instead of the error */
	bool allow_table;	/* safemigrate.allow lists the rule */
	bool allow_view;
	bool allow_column;
	const char *statement; /* its text: the override comment, /\* safemigrate:allow rule *\/ */
	bool may_override;	   /* session and current user are members of safemigrate_override */
	const char *command; /* "DROP TYPE", ... */
	bool build_guard;	 /* a CREATE INDEX allowed on what it builds (SmVerdict.build_guard): an index it builds
							on another table is refused (create-index-blocking) */
	bool build_noop;	 /* (judged a no-op: any) */
	List *build_leaves;	 /* the tables it was judged to build on */
	List *targets;		 /* relations the statement names, judged before it ran (and their columns) */
	List *schemas;		 /* DROP SCHEMA: its relations were judged before it ran */
	List *owners;		 /* DROP OWNED: the same for the roles' relations */
	SmAttempt *attempt;	 /* its audit record, or NULL */
};
CascadeGuard cascade_guard = {false, false, false, false, false, false, NULL, false, NULL, false, false, NIL,
							  NIL, NIL, NIL, NULL};
object_access_hook_type prev_object_access = NULL;

bool
drops_by_cascade(const Node *tree)
{
	if (IsA(tree, DropStmt))
	{
		const DropStmt *d = (const DropStmt *) tree;
		return d->behavior == DROP_CASCADE && d->removeType != OBJECT_INDEX;
	}
	if (IsA(tree, AlterTableStmt))
	{
		ListCell *lc;
		foreach (lc, ((const AlterTableStmt *) tree)->cmds)
		{
			const AlterTableCmd *cmd = (const AlterTableCmd *) lfirst(lc);
			if ((cmd->subtype == AT_DropColumn || cmd->subtype == AT_DropConstraint) && cmd->behavior == DROP_CASCADE)
				return true;
		}
		return false;
	}
	return IsA(tree, DropOwnedStmt) && ((const DropOwnedStmt *) tree)->behavior == DROP_CASCADE;
}

/* What the statement names itself, and was judged before it ran: not judged again while it runs. */
void
guard_targets(const Node *tree, CascadeGuard *g)
{
	g->targets = NIL;
	g->schemas = NIL;
	g->owners = NIL;
	if (IsA(tree, DropStmt))
	{
		const DropStmt *d = (const DropStmt *) tree;
		ListCell *lc;
		switch (d->removeType)
		{
			case OBJECT_TABLE:
			case OBJECT_VIEW:
			case OBJECT_MATVIEW:
			case OBJECT_FOREIGN_TABLE:
				foreach (lc, d->objects)
				{
					Oid relid = RangeVarGetRelid(makeRangeVarFromNameList((List *) lfirst(lc)), NoLock, true);
					if (OidIsValid(relid))
						g->targets = lappend_oid(g->targets, relid);
				}
				break;
			case OBJECT_SCHEMA:
				foreach (lc, d->objects)
				{
					Oid nsp = get_namespace_oid(strVal(lfirst(lc)), true);
					if (OidIsValid(nsp))
						g->schemas = lappend_oid(g->schemas, nsp);
				}
				break;
			default:
				break;
		}
	}
	else if (IsA(tree, AlterTableStmt))
	{
		Oid relid = RangeVarGetRelid(((const AlterTableStmt *) tree)->relation, NoLock, true);
		if (OidIsValid(relid))
			g->targets = lappend_oid(g->targets, relid);
	}
	else if (IsA(tree, DropOwnedStmt))
	{
		ListCell *lc;
		foreach (lc, ((const DropOwnedStmt *) tree)->roles)
		{
			Oid role = get_rolespec_oid((RoleSpec *) lfirst(lc), true);
			if (OidIsValid(role))
				g->owners = lappend_oid(g->owners, role);
		}
	}
}

/* Was relid judged before the statement ran (named by it, in a schema it drops, owned by a role it drops for)? */
bool
judged_before(Oid relid)
{
	if (list_member_oid(cascade_guard.targets, relid) ||
		list_member_oid(cascade_guard.schemas, get_rel_namespace(relid)))
		return true;
	if (cascade_guard.owners != NIL)
	{
		HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		if (HeapTupleIsValid(tup))
		{
			Form_pg_class cls = (Form_pg_class) GETSTRUCT(tup);
			bool owned = list_member_oid(cascade_guard.owners, cls->relowner);
			Oid nspowner = InvalidOid;
			HeapTuple ntup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(cls->relnamespace));
			if (HeapTupleIsValid(ntup))
			{
				nspowner = ((Form_pg_namespace) GETSTRUCT(ntup))->nspowner;
				ReleaseSysCache(ntup);
			}
			ReleaseSysCache(tup);
			return owned || list_member_oid(cascade_guard.owners, nspowner);
		}
	}
	return false;
}

/* An old, shared relation (not temporary, not created in this transaction)? */
bool
old_relation(Oid relid)
{
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		return false;
	Relation rel = RelationIdGetRelation(relid);
	if (rel == NULL)
		return false;
	bool created_here = rel->rd_createSubid != InvalidSubTransactionId;
	RelationClose(rel);
	return !created_here;
}

/*
 * The table of an index index_create() is creating: its pg_index row is
 * inserted by the current command, not visible to a catalog snapshot yet
 * (InvalidOid if not found).  C-style frame; may ereport.
 */
Oid
new_index_table(Oid indexid)
{
	Relation rel = table_open(IndexRelationId, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_index_indexrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(indexid));
	SysScanDesc scan = systable_beginscan(rel, IndexRelidIndexId, true, SnapshotSelf, 1, &key);
	HeapTuple tup = systable_getnext(scan);
	Oid table = HeapTupleIsValid(tup) ? ((Form_pg_index) GETSTRUCT(tup))->indrelid : InvalidOid;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return table;
}

/*
 * A CREATE INDEX allowed on what it was judged to build creates an index
 * with storage on another table: a partition was attached (or a partition's
 * index dropped) between the judgement and the locks, or, for IF NOT EXISTS
 * judged a no-op, the name was freed.  Refused before the build starts
 * (index_create runs the post-create hook before index_build); the new
 * index's relcache entry exists, its catalog rows are not visible yet.
 * C-style frame; may ereport.
 */
void
refuse_leaf_build(Oid indexid)
{
	Relation idx = RelationIdGetRelation(indexid);
	if (idx == NULL)
		return;
	bool leaf = idx->rd_rel->relkind == RELKIND_INDEX;
	char *name = pstrdup(NameStr(idx->rd_rel->relname));
	RelationClose(idx);
	if (!leaf)
		return;
	if (!cascade_guard.build_noop && list_member_oid(cascade_guard.build_leaves, new_index_table(indexid)))
		return;
	if (cascade_guard.attempt != NULL)
	{
		sm_audit_add_rule(cascade_guard.attempt, "create-index-blocking", "concurrent");
		sm_audit_set_action(cascade_guard.attempt, core::AuditAction::Rejected);
	}
	if (cascade_guard.build_noop)
		ereport(ERROR,
				(errcode(MAKE_SQLSTATE('S', 'M', '0', '0', '1')),
				 errmsg("create-index-blocking: CREATE INDEX would build index \"%s\"", name),
				 errdetail("The statement was judged a no-op (IF NOT EXISTS, and the name was taken); the name was "
						   "dropped since.  Nothing was built."),
				 errhint("Run the statement again to have it judged, or build the index CONCURRENTLY.")));
	ereport(ERROR, (errcode(MAKE_SQLSTATE('S', 'M', '0', '0', '1')),
					errmsg("create-index-blocking: CREATE INDEX would build index \"%s\" on a partition that has no "
						   "matching index",
						   name),
					errdetail("The statement was judged on the partitions that needed an index then; a partition was "
							  "attached or an index dropped since.  Nothing was built."),
					errhint("Build that partition's index CONCURRENTLY first, then run the statement again.")));
}

/*
 * object_access_hook: OAT_DROP of a table, view or column while a guarded
 * statement runs.  C-style frame; may ereport.
 */
extern "C" void
sm_object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg) noexcept
{
	if (prev_object_access != NULL)
		prev_object_access(access, classId, objectId, subId, arg);
	if (access == OAT_POST_CREATE && classId == RelationRelationId && subId == 0 && cascade_guard.build_guard)
	{
		refuse_leaf_build(objectId);
		return;
	}
	if (access != OAT_DROP || classId != RelationRelationId || !cascade_guard.active || cascade_guard.declared)
		return;
	ObjectAccessDrop *drop = (ObjectAccessDrop *) arg;
	if (drop != NULL && (drop->dropflags & PERFORM_DELETION_INTERNAL))
		return;
	char kind = get_rel_relkind(objectId);
	/* (a materialized view is judged as a table, as the rule drop-table does before a statement runs) */
	bool table = kind == RELKIND_RELATION || kind == RELKIND_PARTITIONED_TABLE || kind == RELKIND_FOREIGN_TABLE ||
				 kind == RELKIND_MATVIEW;
	bool view = kind == RELKIND_VIEW;
	if (subId > 0 ? !table || cascade_guard.allow_column
				  : !(table || view) || (table ? cascade_guard.allow_table : cascade_guard.allow_view))
		return;
	if (!old_relation(objectId) || judged_before(objectId))
		return;
	/* An extension's own tables go with it, as with DROP EXTENSION without CASCADE: its business. */
	if (OidIsValid(getExtensionOfObject(RelationRelationId, objectId)))
		return;
	/* Named as PostgreSQL's messages name a relation: "schema.name" in one pair of quotes. */
	char *name = psprintf("\"%s.%s\"", get_namespace_name(get_rel_namespace(objectId)), get_rel_name(objectId));
	int elevel = cascade_guard.warn ? WARNING : ERROR;
	const char *rule_id = subId > 0 ? "drop-column" : view ? "drop-view" : "drop-table";
	/* The break-glass override comment names the rule: honoured for members of safemigrate_override. */
	bool named = sm_override_names(cascade_guard.statement, rule_id);
	if (named && cascade_guard.may_override)
	{
		if (cascade_guard.attempt != NULL)
		{
			sm_audit_add_rule(cascade_guard.attempt, rule_id, "expand-contract");
			if (sm_audit_action(cascade_guard.attempt) == core::AuditAction::Allowed)
				sm_audit_set_action(cascade_guard.attempt, core::AuditAction::Overridden);
		}
		return;
	}
	if (cascade_guard.attempt != NULL)
	{
		sm_audit_add_rule(cascade_guard.attempt, rule_id, "expand-contract");
		sm_audit_set_action(cascade_guard.attempt,
							cascade_guard.warn ? core::AuditAction::Warned : core::AuditAction::Rejected);
	}
	const char *not_member =
		named ? psprintf("  The override comment /* safemigrate:allow %s */ is honoured only for members of role "
						 "safemigrate_override.",
						 rule_id)
			  : "";
	if (subId > 0)
		ereport(elevel, (errcode(MAKE_SQLSTATE('S', 'M', '0', '1', '7')),
						 errmsg("drop-column: %s ... CASCADE would drop column \"%s\" of %s and break its running clients",
								cascade_guard.command, get_attname(objectId, subId, true), name),
						 errdetail("The column depends on the object the statement drops; application code that still "
								   "uses it fails as soon as the drop commits.%s",
								   not_member),
						 errhint("Stop using the column, deploy, then declare the drop: start the statement with /* "
								 "safemigrate: expand-contract */.")));
	else
		ereport(elevel, (errcode(view ? MAKE_SQLSTATE('S', 'M', '0', '3', '0') : MAKE_SQLSTATE('S', 'M', '0', '1', '8')),
						 errmsg("%s: %s ... CASCADE would drop %s %s and break its running clients",
								view ? "drop-view" : "drop-table", cascade_guard.command, view ? "view" : "table", name),
						 errdetail("It depends on the object the statement drops; application code that still uses it "
								   "fails as soon as the drop commits, and its data is gone.%s",
								   not_member),
						 errhint("Stop using it, deploy, then declare the drop: start the statement with /* "
								 "safemigrate: expand-contract */.")));
}

/* Run the statement under the DDL limits; the guard state of before it is restored after. C-style frame. */
void
run_restoring_guard(CascadeGuard saved, SmVerdict *verdict, SM_PU_PARAMS)
{
	PG_TRY();
	{
		run_with_limits(verdict, SM_PU_ARGS);
	}
	PG_FINALLY();
	{
		cascade_guard = saved;
	}
	PG_END_TRY();
}

/*
 * The policy's part of the hook: judge the statement, then run it (or its
 * rewrite) under the DDL limits.  attempt: the audit record, or NULL.
 *
 * C-style frame; may ereport.
 */
void
enforce_and_run(SmAttempt *attempt, SM_PU_PARAMS)
{
	SmVerdict verdict;
	PlannedStmt *rewritten = judge(pstmt, queryString, context, &verdict, attempt);
	if (verdict.action == core::Action::Rewrite && rewritten == NULL)
	{
		run_steps(&verdict, attempt, SM_PU_ARGS);
		return;
	}
	if (rewritten != NULL)
	{
		/* Our own copy: PostgreSQL may scribble on it. */
		pstmt = rewritten;
#if PG_VERSION_NUM >= 140000
		readOnlyTree = false;
#endif
	}
	run_guarded(&verdict, attempt, sm_statement_text(pstmt, queryString), queryString, SM_PU_ARGS);
}

/*
 * Run the statement (or a step of a rewrite) under the DDL limits and, when
 * it drops by CASCADE, the cascade guard.  comments: the text whose
 * declaration and override comments count (the statement's, or for a step
 * the statement it comes from); header: the query string, whose leading
 * comments may declare too.
 *
 * Each statement has its own guard state (a statement run by an event
 * trigger during another's drop is judged as itself): saved, set, and
 * restored around it.  The settings are read only for a cascading drop.
 *
 * C-style frame; may ereport.
 */
void
run_guarded(SmVerdict *verdict_in, SmAttempt *attempt, const char *comments, const char *header, SM_PU_PARAMS)
{
	SmVerdict &verdict = *verdict_in;
	CascadeGuard saved = cascade_guard;
	bool guarded = drops_by_cascade(pstmt->utilityStmt);
	core::Settings settings;
	if (guarded)
	{
		settings = sm_current_settings();
		guarded = settings.mode != core::Mode::Off;
	}
	if (!guarded)
	{
		cascade_guard.active = false;
		cascade_guard.build_guard = verdict.build_guard;
		cascade_guard.build_noop = verdict.build_noop;
		cascade_guard.build_leaves = verdict.build_leaves;
		cascade_guard.attempt = attempt;
		run_restoring_guard(saved, &verdict, SM_PU_ARGS);
		return;
	}
	cascade_guard.build_guard = false;
	cascade_guard.active = true;
	cascade_guard.statement = comments;
	cascade_guard.declared = sm_declares_expand_contract(comments, header);
	cascade_guard.may_override = settings.may_override;
	cascade_guard.attempt = attempt;
	guard_targets(pstmt->utilityStmt, &cascade_guard);
	cascade_guard.warn = settings.mode == core::Mode::Warn;
	cascade_guard.allow_table = settings.allows("drop-table");
	cascade_guard.allow_view = settings.allows("drop-view");
	cascade_guard.allow_column = settings.allows("drop-column");
	cascade_guard.command = GetCommandTagName(CreateCommandTag(pstmt->utilityStmt));
	run_restoring_guard(saved, &verdict, SM_PU_ARGS);
}

/* What observe() classifies. */
struct ObserveArgs
{
	PlannedStmt *pstmt;
	const char *query_string;
	ProcessUtilityContext context;
	SmAttempt *attempt;
};

/* Inside a subtransaction: classify for the audit only.  May ereport. */
void
observe_step(void *arg)
{
	ObserveArgs *o = (ObserveArgs *) arg;
	core::Statement stmt;
	stmt.text = sm_statement_text(o->pstmt, o->query_string);
	stmt.top_level = o->context == PROCESS_UTILITY_TOPLEVEL;
	stmt.in_transaction_block = IsInTransactionBlock(stmt.top_level);
	stmt.server_version_num = PG_VERSION_NUM;
	sm_extract(o->pstmt->utilityStmt, &stmt);
	core::Settings settings = sm_current_settings();
	settings.mode = core::Mode::Off;
	SmVerdict verdict;
	FenceError ferr;
	if (sm_decide(stmt, settings, CurrentMemoryContext, &verdict, &ferr))
		sm_audit_set_verdict(o->attempt, &verdict);
}

/*
 * Classify a statement the policy does not act on (mode off, or a database
 * without the extension) for its audit row.  In a subtransaction, so that a
 * failure of the classification (e.g. a missing table, which the statement
 * itself will report) changes nothing: the row is then unclassified.
 *
 * C-style frame; may ereport (only for errors outside the classification).
 */
void
observe(SmAttempt *attempt, PlannedStmt *pstmt, const char *queryString, ProcessUtilityContext context)
{
	if (!sm_has_rules(pstmt->utilityStmt))
		return;
	ObserveArgs o = {pstmt, queryString, context, attempt};
	MemoryContext cxt = CurrentMemoryContext;
	ErrorData *edata = sm_try_in_subtransaction(observe_step, &o);
	MemoryContextSwitchTo(cxt);
	if (edata != NULL)
	{
		/* A cancel or out-of-memory is not a classification failure: let it through. */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			ReThrowError(edata);
		FreeErrorData(edata);
	}
}

/*
 * ProcessUtility hook: audit DDL attempts; judge DDL that has rules, then run
 * the statement (or its rewrite) under the DDL limits.
 *
 * C-style frame; may ereport.
 */
extern "C" void sm_ProcessUtility(SM_PU_PARAMS) noexcept;

/*
 * A DDL statement run while another one's state is live: user code (an event
 * trigger, a function) run by a guarded CREATE INDEX (build_guard), whose guard
 * would take the indexes this one creates for builds of it, or run while
 * check() runs, whose facts cache describes the catalog as it was.  Run
 * without either, both back afterwards (also after an error).
 *
 * C-style frame; may ereport.
 */
void
run_nested(SM_PU_PARAMS)
{
	bool build_guard = cascade_guard.build_guard;
	bool checking = sm_check_suspend();
	cascade_guard.build_guard = false;
	PG_TRY();
	{
		sm_ProcessUtility(SM_PU_ARGS);
	}
	PG_FINALLY();
	{
		cascade_guard.build_guard = build_guard;
		sm_check_resume(checking);
	}
	PG_END_TRY();
}

extern "C" void
sm_ProcessUtility(SM_PU_PARAMS) noexcept
{
	/* The statements every session sends all the time: straight on, before any other test. */
	if (sm_never_ddl(pstmt->utilityStmt))
	{
		call_next(SM_PU_ARGS);
		return;
	}
	/* (they create no relation and read no facts: whatever they run reaches this hook on its own) */
	if (unlikely(cascade_guard.build_guard || sm_check_is_running()))
	{
		run_nested(SM_PU_ARGS);
		return;
	}
	/* Judged when some rule looks at it; any other DDL only runs under the lock limits (guard). */
	bool active = sm_mode != static_cast<int>(core::Mode::Off) && !IsBinaryUpgrade && !creating_extension;
	bool rules = active && sm_has_rules(pstmt->utilityStmt);
	bool ddl = active && !rules && GetCommandLogLevel(pstmt->utilityStmt) == LOGSTMT_DDL;
	bool installed = (rules || ddl) && OidIsValid(get_extension_oid("pg_safemigrate", true));
	bool enforce = rules && installed;
	bool guard = ddl && installed;
	bool audit = sm_audit_wanted(pstmt->utilityStmt, context);
	if (!audit && !enforce && !guard)
	{
		call_next(SM_PU_ARGS);
		return;
	}

	SmAttempt *attempt = audit ? sm_audit_begin(pstmt, queryString, 0, 0) : NULL;
	PG_TRY();
	{
		if (enforce)
			enforce_and_run(attempt, SM_PU_ARGS);
		else if (guard)
		{
			/* DDL without rules: no judgement, but its locks under safemigrate.lock_timeout. */
			observe(attempt, pstmt, queryString, context);
			SmVerdict none = {};
			none.lock = core::LockMode::None;
			run_with_limits(&none, SM_PU_ARGS);
		}
		else
		{
			observe(attempt, pstmt, queryString, context);
			call_next(SM_PU_ARGS);
		}
	}
	PG_CATCH();
	{
		if (attempt != NULL)
			sm_audit_failed(attempt);
		/* A rewritten build that failed: drop the INVALID index it left (rethrows). */
		if (build_watch.owner == pstmt)
			drop_failed_build();
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (build_watch.owner == pstmt)
		build_watch.owner = NULL;
	if (attempt != NULL)
		sm_audit_succeeded(attempt);
}

} // namespace

void
sm_install_utility_hook()
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = sm_ProcessUtility;
	prev_object_access = object_access_hook;
	object_access_hook = sm_object_access;
}

} // namespace safemigrate::pg
