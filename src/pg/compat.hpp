/*-------------------------------------------------------------------------
 *
 * compat.hpp
 *	  Every PG_VERSION_NUM difference between PostgreSQL 13 and 17 that
 *	  pg_safemigrate meets lives here.  Only PostgreSQL 15 is built and tested
 *	  by this project; the other branches follow the sources cited in
 *	  ../shared/pg-facts.md.
 *
 * Include after pg/postgres.hpp.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#if PG_VERSION_NUM < 130000 || PG_VERSION_NUM >= 180000
#error "pg_safemigrate supports PostgreSQL 13 to 17"
#endif

/*
 * ProcessUtility_hook: PostgreSQL 14 added the readOnlyTree argument.
 * SM_PU_PARAMS declares the parameters, SM_PU_ARGS passes them on.
 */
#if PG_VERSION_NUM >= 140000
#define SM_PU_PARAMS                                                                              \
	PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,                               \
		ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *queryEnv,          \
		DestReceiver *dest, QueryCompletion *qc
#define SM_PU_ARGS pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc
#else
#define SM_PU_PARAMS                                                                              \
	PlannedStmt *pstmt, const char *queryString, ProcessUtilityContext context,                   \
		ParamListInfo params, QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc
#define SM_PU_ARGS pstmt, queryString, context, params, queryEnv, dest, qc
#endif

/* PostgreSQL 15 reserves a GUC prefix; before, placeholders only get a warning. */
#if PG_VERSION_NUM >= 150000
#define SM_RESERVE_GUC_PREFIX(prefix) MarkGUCPrefixReserved(prefix)
#else
#define SM_RESERVE_GUC_PREFIX(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * Creating (or opening) a WAL segment ahead of need (safemigrate.backfill):
 * PostgreSQL 15 passes XLogFileInit() the timeline and dropped its
 * use_existent and use_lock arguments, and added GetWALInsertionTimeLine()
 * (before, ThisTimeLineID is the timeline a primary's backend inserts on).
 * Macros only: the user includes access/xlog.h.
 */
#if PG_VERSION_NUM >= 150000
#define SM_WAL_INSERT_TLI() GetWALInsertionTimeLine()
#define SM_XLOG_FILE_INIT(segno, tli) XLogFileInit((segno), (tli))
#else
#define SM_WAL_INSERT_TLI() ThisTimeLineID
#define SM_XLOG_FILE_INIT(segno, tli)                                                             \
	({                                                                                            \
		bool sm_use_existent_ = true;                                                             \
		XLogFileInit((segno), &sm_use_existent_, true);                                           \
	})
#endif
