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
