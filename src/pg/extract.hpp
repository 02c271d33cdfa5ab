/*-------------------------------------------------------------------------
 *
 * extract.hpp
 *	  Parse tree + catalog -> core::Statement facts.
 *
 * C-style frames: these functions may ereport.  They fill a core::Statement,
 * which is trivially destructible (its strings are views of palloc'd memory
 * in the current context), so a longjmp out of them skips no destructor.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include <cstdint>

#include "core/statement.hpp"

struct ErrorData;
struct IndexStmt;
struct List;
struct MemoryContextData;
struct Node;
struct PlannedStmt;

namespace safemigrate::pg {

/* This statement's own text out of a possibly multi-statement query string. */
const char *sm_statement_text(const PlannedStmt *pstmt, const char *query_string);

/* The indexes of a table (their OIDs), from pg_index: no lock on the table.  C-style frame; may ereport. */
List *sm_index_oids(unsigned int relid);

/* The same from an explicit location and length (stmt_len 0: the rest); len = strlen(query_string). */
const char *sm_statement_text_at(const char *query_string, int len, int location, int length);

/*
 * check() only: cache relation facts until cxt is reset (the script is not
 * executed, so the catalog does not change between its statements).
 */
void sm_facts_cache_begin(MemoryContextData *cxt);
/*
 * check(): the index an earlier statement of the script creates (not run),
 * kept in cxt while check() runs: a later CREATE INDEX on a partitioned
 * table attaches it instead of building one.  May ereport.
 */
void sm_script_index_add(const IndexStmt *stmt, MemoryContextData *cxt);
/* check() starts or ends: no index of a script. */
void sm_script_indexes_clear();

/* True for the statement types some rule looks at.  Must stay cheap: the hook's fast path. */
bool sm_has_rules(const Node *parsetree);

/*
 * Statements sessions send all the time that are never DDL (BEGIN/COMMIT,
 * SET, SHOW, PREPARE/EXECUTE, cursors, CALL, DO, COPY, EXPLAIN, NOTIFY, ...):
 * no rule and no audit looks at them.  One switch on the node tag; the hook
 * tests it first.
 */
bool sm_never_ddl(const Node *parsetree);

/* Facts of one statement: kind, command tag, relations, subcommands. */
void sm_extract(Node *parsetree, core::Statement *out);

/*
 * fn(arg) in an internal subtransaction: NULL on success, else a copy of its
 * error (subtransaction rolled back).  fn may ereport; it must hold no C++
 * object with a destructor.
 */
ErrorData *sm_try_in_subtransaction(void (*fn)(void *), void *arg);

/* SPI_execute_with_args under search_path = pg_catalog, pg_temp (argtypes: Oid[], values: Datum[]). */
int sm_spi_execute_pinned(const char *sql, int nargs, unsigned int *argtypes, uintptr_t *values, bool read_only);

/*
 * False while a query would fix the transaction snapshot of a REPEATABLE READ
 * or SERIALIZABLE transaction that has none yet (LOCK TABLE runs without one).
 */
bool sm_may_take_snapshot();

} // namespace safemigrate::pg
