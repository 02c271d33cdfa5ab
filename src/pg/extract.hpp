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
struct DropStmt;
struct RenameStmt;
struct AlterTableStmt;
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
 * check(): what the script's statements do to indexes, which a later CREATE
 * INDEX on a partitioned table attaches instead of building one (nothing is
 * run).  The index a CREATE INDEX creates (not when its name is taken);
 * what the partitioned CREATE INDEX judged last attaches (consumed: no
 * longer free); the indexes a DROP INDEX drops (also existing ones) and the
 * names ALTER INDEX ... RENAME gives; the partition index an
 * ALTER INDEX ... ATTACH PARTITION attaches; a mark of how many there are,
 * and a rollback to it (a ROLLBACK of the script's block or savepoint).
 * No-ops unless check() runs.  May ereport.
 */
void sm_script_index_add(const IndexStmt *stmt);
/*
 * The leaf partitions (OIDs) that the CREATE INDEX on a partitioned table
 * sm_extract() looked at last builds an index on (NIL: none, or not such a
 * statement); in the memory of that call.
 */
List *sm_create_index_built_leaves();
/*
 * check(): how many leaves the CREATE INDEX (of a partitioned table's
 * columns) builds an index on when table becomes one of its partitions: 0
 * when it has a free matching index (or its partitions do), 1 for a table
 * without, -1 when that cannot be told.  May ereport.
 */
int sm_index_builds_on(const IndexStmt *stmt, unsigned int table);
void sm_script_consume_last();
void sm_script_index_drop(const DropStmt *stmt);
void sm_script_index_renamed(const RenameStmt *stmt);
void sm_script_index_attached(const AlterTableStmt *stmt);
int sm_script_indexes_mark();
void sm_script_indexes_rollback(int mark);
/*
 * check() starts (true) or ends (false, also on error): its facts cache and
 * script indexes are used only in between, never by the hook.
 */
void sm_check_running(bool running);
/*
 * A statement the hook runs while check() runs (user code it called runs
 * DDL): judged without check()'s state (suspend), which comes back after
 * (resume, also on error).
 */
/* The catalog facts of a relation (with its partitions or children), as the extraction gathers them.  May ereport. */
core::RelationFacts sm_relation_facts(unsigned int relid);
bool sm_check_is_running();
bool sm_check_suspend();
void sm_check_resume(bool was);

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
