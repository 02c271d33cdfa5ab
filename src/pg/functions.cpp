/*-------------------------------------------------------------------------
 *
 * functions.cpp
 *	  SQL-callable functions: safemigrate.check() and the rule catalogue.
 *
 * safemigrate.check(migration text) classifies a whole migration script
 * without executing it: the script is parsed with PostgreSQL's own raw
 * parser, each statement's facts are gathered from the catalog exactly as the
 * hook gathers them, and the core classifies them.  Relations created earlier
 * in the script count as new.  Gathering facts for one statement runs in a
 * subtransaction, so that a statement PostgreSQL would reject (an unknown
 * type, a malformed default) is reported in its own row instead of aborting
 * the whole check.  A syntax error aborts the check with the parser's message
 * and a position inside the migration text.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <initializer_list>
#include <string_view>

#include "core/settings.hpp"
#include "core/statement.hpp"
#include "pg/decide.hpp"
#include "pg/extract.hpp"
#include "pg/guc.hpp"

#include "pg/postgres.hpp"
#include "pg/compat.hpp"

extern "C" {
#include "catalog/index.h"
#include "commands/defrem.h"
#include "funcapi.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/resowner.h"

PG_FUNCTION_INFO_V1(safemigrate_check);
PG_FUNCTION_INFO_V1(safemigrate_rule_catalogue);
PG_FUNCTION_INFO_V1(safemigrate_expression_columns);
}

namespace safemigrate::pg {

namespace {

/* Names of relations created earlier in the script. */
/* A relation renamed earlier in the script: its new name, and the relation it is. */
struct Renamed
{
	const char *newname;
	Oid source;
};

/* An existing table the script attaches as a partition of a table it creates. */
struct Attached
{
	const char *parent; /* the bare name */
	Oid table;
};

struct Created
{
	List *names;	/* of char *, the bare relation names */
	List *renamed;	/* of Renamed *, the newest last: relations renamed, and indexes created on existing tables
					   (the name stands for that table) */
	List *attached; /* of Attached * */
};

/* Does the script create a relation of this (bare) name before? */
bool
created_named(const Created *created, std::string_view name)
{
	ListCell *lc;
	foreach (lc, created->names)
		if (name == (const char *) lfirst(lc))
			return true;
	return false;
}

/* The relation the script renamed to this name before (InvalidOid: none). */
Oid
renamed_to(const Created *created, std::string_view name)
{
	Oid found = InvalidOid;
	ListCell *lc;
	foreach (lc, created->renamed)
	{
		const Renamed *r = (const Renamed *) lfirst(lc);
		if (name == r->newname)
			found = r->source;
	}
	return found;
}

/*
 * A relation renamed earlier in the script is the relation it was: judged by
 * its facts (a table swap's DROP TABLE of the old table is the drop of a
 * table with data), named as the statement names it.  May ereport.
 */
void
follow_rename(const Created *created, core::RelationFacts *r, bool index_table)
{
	if (r->exists || r->name.empty())
		return;
	Oid source = renamed_to(created, r->name);
	/* DROP INDEX is judged by the index's table */
	if (OidIsValid(source) && index_table)
	{
		char kind = get_rel_relkind(source);
		if (kind == RELKIND_INDEX || kind == RELKIND_PARTITIONED_INDEX)
			source = IndexGetRelation(source, true);
	}
	if (!OidIsValid(source))
		return;
	std::string_view name = r->name, qualified = r->qualified_name;
	*r = sm_relation_facts(source);
	r->name = name;
	r->qualified_name = qualified;
}

void
follow_renames(const Created *created, core::Statement *stmt, bool index_table)
{
	follow_rename(created, &stmt->relation, index_table);
	follow_rename(created, &stmt->other, index_table);
	for (int i = 0; i < stmt->nrelations; ++i)
		follow_rename(created, const_cast<core::RelationFacts *>(&stmt->relations[i]), index_table);
}

void
remember_created(Created *created, Node *parsetree)
{
	RangeVar *rv = NULL;
	switch (nodeTag(parsetree))
	{
		case T_CreateStmt:
			rv = ((CreateStmt *) parsetree)->relation;
			break;
		case T_CreateTableAsStmt:
			rv = ((CreateTableAsStmt *) parsetree)->into->rel;
			break;
		case T_ViewStmt:
			rv = ((ViewStmt *) parsetree)->view;
			break;
		case T_CreateForeignTableStmt:
			rv = ((CreateForeignTableStmt *) parsetree)->base.relation;
			break;
		case T_CreateSeqStmt:
			rv = ((CreateSeqStmt *) parsetree)->sequence;
			break;
		case T_CompositeTypeStmt:
			rv = ((CompositeTypeStmt *) parsetree)->typevar;
			break;
		case T_SelectStmt:	/* SELECT ... INTO t */
			if (((SelectStmt *) parsetree)->intoClause != NULL)
				rv = ((SelectStmt *) parsetree)->intoClause->rel;
			break;
		case T_IndexStmt:
		{
			const IndexStmt *ix = (const IndexStmt *) parsetree;
			if (ix->idxname == NULL)
				break;
			/*
			 * An index on a table that exists: a later DROP INDEX of it locks that
			 * table (judged by its facts, as follow_rename() does for a renamed
			 * index); on a table the script creates, it is new with it.
			 */
			Oid table = ix->relation != NULL ? RangeVarGetRelid(ix->relation, NoLock, true) : InvalidOid;
			if (OidIsValid(table))
			{
				Renamed *rn = (Renamed *) palloc(sizeof(Renamed));
				rn->newname = pstrdup(ix->idxname);
				rn->source = table;
				created->renamed = lappend(created->renamed, rn);
			}
			else
				created->names = lappend(created->names, ix->idxname);
			break;
		}
		case T_RenameStmt:
		{
			/* a relation renamed earlier in the script exists under its new name (a table swap) */
			const RenameStmt *r = (const RenameStmt *) parsetree;
			if (r->relation != NULL && r->newname != NULL && r->subname == NULL &&
				(r->renameType == OBJECT_TABLE || r->renameType == OBJECT_VIEW || r->renameType == OBJECT_MATVIEW ||
				 r->renameType == OBJECT_FOREIGN_TABLE || r->renameType == OBJECT_INDEX ||
				 r->renameType == OBJECT_SEQUENCE))
			{
				Oid source = RangeVarGetRelid(r->relation, NoLock, true);
				if (!OidIsValid(source))
					source = renamed_to(created, r->relation->relname); /* renamed twice */
				if (OidIsValid(source))
				{
					Renamed *rn = (Renamed *) palloc(sizeof(Renamed));
					rn->newname = pstrdup(r->newname);
					rn->source = source;
					created->renamed = lappend(created->renamed, rn);
				}
			}
			break;
		}
		case T_AlterTableStmt:
		{
			/* ATTACH PARTITION of an existing table to a table the script creates */
			const AlterTableStmt *at = (const AlterTableStmt *) parsetree;
			if (at->relation == NULL || !created_named(created, at->relation->relname))
				break;
			ListCell *lc;
			foreach (lc, at->cmds)
			{
				const AlterTableCmd *cmd = (const AlterTableCmd *) lfirst(lc);
				if (cmd->subtype != AT_AttachPartition || cmd->def == NULL || !IsA(cmd->def, PartitionCmd))
					continue;
				const RangeVar *child = ((const PartitionCmd *) cmd->def)->name;
				Oid table = child != NULL ? RangeVarGetRelid(child, NoLock, true) : InvalidOid;
				if (!OidIsValid(table) || created_named(created, child->relname))
					continue;
				Attached *a = (Attached *) palloc(sizeof(Attached));
				a->parent = pstrdup(at->relation->relname);
				a->table = table;
				created->attached = lappend(created->attached, a);
			}
			break;
		}
		case T_CreateSchemaStmt:
		{
			ListCell *lc;
			foreach (lc, ((CreateSchemaStmt *) parsetree)->schemaElts)
				remember_created(created, (Node *) lfirst(lc));
			break;
		}
		default:
			break;
	}
	if (rv != NULL)
		created->names = lappend(created->names, rv->relname);
}

/*
 * The command PostgreSQL refuses inside a transaction block
 * (PreventInTransactionBlock), or NULL.
 */
const char *
refused_in_block(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_IndexStmt:
			return ((IndexStmt *) parsetree)->concurrent ? "CREATE INDEX CONCURRENTLY" : NULL;
		case T_DropStmt:
		{
			DropStmt *d = (DropStmt *) parsetree;
			return d->concurrent && d->removeType == OBJECT_INDEX ? "DROP INDEX CONCURRENTLY" : NULL;
		}
		case T_ReindexStmt:
		{
			ListCell *lc;
			ReindexStmt *r = (ReindexStmt *) parsetree;
			foreach (lc, r->params)
			{
				DefElem *opt = (DefElem *) lfirst(lc);
				if (strcmp(opt->defname, "concurrently") == 0 && defGetBoolean(opt))
					return "REINDEX CONCURRENTLY";
			}
			if (r->kind == REINDEX_OBJECT_SCHEMA || r->kind == REINDEX_OBJECT_SYSTEM ||
				r->kind == REINDEX_OBJECT_DATABASE)
				return "REINDEX SCHEMA / DATABASE / SYSTEM";
			return NULL;
		}
		case T_AlterTableStmt:
		{
			ListCell *lc;
			foreach (lc, ((AlterTableStmt *) parsetree)->cmds)
			{
				AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
				if (cmd->subtype == AT_DetachPartition && ((PartitionCmd *) cmd->def)->concurrent)
					return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
			}
			return NULL;
		}
		case T_VacuumStmt:
			return ((VacuumStmt *) parsetree)->is_vacuumcmd ? "VACUUM" : NULL;
		case T_CreatedbStmt:
			return "CREATE DATABASE";
		case T_DropdbStmt:
			return "DROP DATABASE";
		case T_CreateTableSpaceStmt:
			return "CREATE TABLESPACE";
		case T_DropTableSpaceStmt:
			return "DROP TABLESPACE";
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_ClusterStmt:
			return ((ClusterStmt *) parsetree)->relation == NULL ? "CLUSTER without a table" : NULL;
		case T_DiscardStmt:
			return ((DiscardStmt *) parsetree)->target == DISCARD_ALL ? "DISCARD ALL" : NULL;
		case T_AlterDatabaseStmt:
		{
			ListCell *lc;
			foreach (lc, ((AlterDatabaseStmt *) parsetree)->options)
				if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
					return "ALTER DATABASE ... SET TABLESPACE";
			return NULL;
		}
		case T_TransactionStmt:
		{
			TransactionStmtKind k = ((TransactionStmt *) parsetree)->kind;
			return k == TRANS_STMT_COMMIT_PREPARED	   ? "COMMIT PREPARED"
				   : k == TRANS_STMT_ROLLBACK_PREPARED ? "ROLLBACK PREPARED"
													   : NULL;
		}
		default:
			return NULL;
	}
}

/*
 * The settings a script's SET changes for check(): they change what later
 * statements are (search_path, TimeZone) or how the policy judges them (the
 * safemigrate settings the verdicts read; SET ROLE and SET SESSION
 * AUTHORIZATION: who may set those, who may override).
 */
const char *const kScriptSettings[] = {"search_path",
									   "timezone",
									   "session_authorization",
									   "role",
									   "safemigrate.mode",
									   "safemigrate.rewrite",
									   "safemigrate.allow",
									   "safemigrate.small_table_rows",
									   "safemigrate.small_table_size",
									   "safemigrate.require_declaration"};
constexpr int kNScriptSettings = sizeof(kScriptSettings) / sizeof(kScriptSettings[0]);
constexpr int kRoleSetting = 3; /* "role" */

/* Is name one of kScriptSettings (case-insensitive, as GUC names)? */
bool
script_setting(const char *name)
{
	for (int k = 0; k < kNScriptSettings; ++k)
		if (pg_strcasecmp(name, kScriptSettings[k]) == 0)
			return true;
	return false;
}

/* In a subtransaction: a SET of kScriptSettings in the script, for the statements after it.  May ereport. */
void
apply_set_step(void *arg)
{
	ExecSetVariableStmt((VariableSetStmt *) arg, false);
}

/* DISCARD ALL: SET SESSION AUTHORIZATION DEFAULT, then RESET ALL (as DiscardAll does).  May ereport. */
void
reset_all_step(void *)
{
	SetPGVariable("session_authorization", NIL, false);
	ResetAllOptions();
}

/*
 * A statement that acts on a table that does not exist and is not created
 * earlier in the script: PostgreSQL would reject it when the script runs as
 * it is (check() does not follow a RENAME).  NULL, or the
 * relation's name.
 */
/* The first relation of stmt.relations that does not exist and is not created earlier in the script. */
const char *
missing_relation(const core::Statement &stmt, const Created *created)
{
	for (int i = 0; i < stmt.nrelations; ++i)
	{
		const core::RelationFacts &r = stmt.relations[i];
		if (!r.exists && !r.created_in_script && !r.qualified_name.empty() && !OidIsValid(renamed_to(created, r.name)))
			return pnstrdup(r.qualified_name.data(), r.qualified_name.size());
	}
	return NULL;
}

const char *
missing_target(Node *parsetree, const core::Statement &stmt, const Created *created)
{
	bool missing_ok = false;
	switch (nodeTag(parsetree))
	{
		case T_DropStmt:
		{
			const DropStmt *d = (const DropStmt *) parsetree;
			bool relations = d->removeType == OBJECT_TABLE || d->removeType == OBJECT_VIEW ||
							 d->removeType == OBJECT_MATVIEW || d->removeType == OBJECT_FOREIGN_TABLE;
			return relations && !d->missing_ok ? missing_relation(stmt, created) : NULL;
		}
		case T_TruncateStmt:
		case T_LockStmt:
			return missing_relation(stmt, created);
		case T_RenameStmt:
			/* (an index may have been created implicitly earlier in the script, by a constraint or LIKE) */
			if (((RenameStmt *) parsetree)->relation == NULL || ((RenameStmt *) parsetree)->renameType == OBJECT_INDEX)
				return NULL;
			missing_ok = ((RenameStmt *) parsetree)->missing_ok;
			break;
		case T_AlterObjectSchemaStmt:
			if (((AlterObjectSchemaStmt *) parsetree)->relation == NULL ||
				((AlterObjectSchemaStmt *) parsetree)->objectType == OBJECT_INDEX)
				return NULL;
			missing_ok = ((AlterObjectSchemaStmt *) parsetree)->missing_ok;
			break;
		case T_AlterTableStmt:
			/* ALTER TABLE only (not ALTER INDEX / SEQUENCE / VIEW / TYPE / FOREIGN TABLE ...) */
			if (((AlterTableStmt *) parsetree)->objtype != OBJECT_TABLE)
				return NULL;
			missing_ok = ((AlterTableStmt *) parsetree)->missing_ok;
			break;
		case T_IndexStmt:
			break;
		default:
			return NULL;
	}
	const core::RelationFacts &r = stmt.relation;
	if (missing_ok || r.exists || r.created_in_script || r.qualified_name.empty())
		return NULL;
	/* (a renamed relation is unknown to check(): for ALTER TABLE and CREATE INDEX that is an error row, as before) */
	if ((IsA(parsetree, RenameStmt) || IsA(parsetree, AlterObjectSchemaStmt)) && OidIsValid(renamed_to(created, r.name)))
		return NULL;
	return pnstrdup(r.qualified_name.data(), r.qualified_name.size());
}

/* A relation that does not exist yet but is created earlier in the script is new, not missing. */
void
mark_created(const Created *created, core::RelationFacts *r)
{
	if (r->exists || r->name.empty() || !created_named(created, r->name))
		return;
	r->exists = true;
	r->created_in_script = true;
}

void
mark_all_created(const Created *created, core::Statement *stmt)
{
	mark_created(created, &stmt->relation);
	mark_created(created, &stmt->other);
	for (int i = 0; i < stmt->nrelations; ++i)
		mark_created(created, const_cast<core::RelationFacts *>(&stmt->relations[i]));
	for (int i = 0; i < stmt->nsubcommands; ++i)
	{
		core::Subcommand *c = const_cast<core::Subcommand *>(&stmt->subcommands[i]);
		mark_created(created, &c->other);
		mark_created(created, &c->default_partition);
	}
}

char *extract_guarded(Node *parsetree, core::Statement *stmt);

/*
 * CREATE INDEX (not ONLY, not CONCURRENTLY) on a partitioned table the
 * script creates: each existing table the script attached to it gets the
 * index built too (or attaches a matching one), judged as a CREATE INDEX on
 * that table, whose rows are added to *rows.  (Without them the statement is
 * exempt as the table is new, while the hook judges those partitions.)
 *
 * C-style frame; may ereport.
 */
void
attached_index_rows(const Created *created, const IndexStmt *ix, const core::Statement &stmt,
					const core::Settings &settings, int stmt_no, SmRow **rows, int *nrows)
{
	if (ix->relation == NULL || !ix->relation->inh || ix->concurrent)
		return;
	ListCell *lc;
	foreach (lc, created->attached)
	{
		const Attached *a = (const Attached *) lfirst(lc);
		char *name = strcmp(a->parent, ix->relation->relname) == 0 ? get_rel_name(a->table) : NULL;
		/* (one with a matching index of its own, maybe created earlier in the script, gets it attached) */
		if (name == NULL || sm_index_builds_on(ix, a->table) == 0)
			continue;
		IndexStmt *copy = (IndexStmt *) copyObjectImpl(ix);
		copy->relation = makeRangeVar(get_namespace_name(get_rel_namespace(a->table)), name, -1);
		copy->idxname = NULL;
		copy->if_not_exists = false;
		core::Statement one;
		one.text = stmt.text;
		one.query_text = stmt.query_text;
		one.top_level = stmt.top_level;
		one.server_version_num = stmt.server_version_num;
		one.in_transaction_block = stmt.in_transaction_block;
		if (extract_guarded((Node *) copy, &one) != NULL)
			continue;
		SmRow *more = NULL;
		int nmore = 0;
		FenceError ferr;
		if (!sm_classify(one, settings, CurrentMemoryContext, &more, &nmore, &ferr))
			ereport(ERROR,
					(errcode(ferr.kind == FenceFailure::OutOfMemory ? ERRCODE_OUT_OF_MEMORY
																	: ERRCODE_INTERNAL_ERROR),
					 errmsg("pg_safemigrate could not classify statement %d: %s", stmt_no, ferr.message)));
		/* (no CONCURRENTLY rewrite of the parent's statement: on a partitioned table it cannot build) */
		for (int i = 0; i < nmore; ++i)
			if (strcmp(more[i].action, "allow") != 0)
			{
				if (strcmp(more[i].action, "rewrite") == 0)
					more[i].action = "reject";
				more[i].reason = psprintf("%s (a partition the script attached to the new table: build its index "
										  "CONCURRENTLY before the parent's)",
										  more[i].reason);
				more[i].safe_sql = NULL;
			}
		SmRow *all = (SmRow *) palloc(sizeof(SmRow) * Max(*nrows + nmore, 1));
		if (*nrows > 0)
			memcpy(all, *rows, sizeof(SmRow) * *nrows);
		if (nmore > 0)
			memcpy(all + *nrows, more, sizeof(SmRow) * nmore);
		*rows = all;
		*nrows += nmore;
	}
}

/*
 * Gather the facts of one statement in a subtransaction.  Returns NULL, or
 * the message of the error PostgreSQL raised while looking the statement up.
 *
 * C-style frame; may ereport (only errors outside the subtransaction).
 */
struct ExtractArgs
{
	Node *parsetree;
	core::Statement *stmt;
};

void
extract_step(void *arg)
{
	ExtractArgs *a = (ExtractArgs *) arg;
	sm_extract(a->parsetree, a->stmt);
}

char *
extract_guarded(Node *parsetree, core::Statement *stmt)
{
	ExtractArgs a = {parsetree, stmt};
	ErrorData *edata = sm_try_in_subtransaction(extract_step, &a);
	if (edata == NULL)
		return NULL;
	/* A cancel or statement_timeout ends check() itself, as in PL/pgSQL's OTHERS. */
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
		ReThrowError(edata);
	return edata->message;
}

/*
 * Error context while the script is parsed: a syntax error's position is in
 * the migration text.  Innermost, so it runs before the callers' (an SQL
 * function's or SPI's would otherwise point it into their own query).
 */
void
migration_error_callback(void *arg)
{
	int pos = geterrposition();
	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery((const char *) arg);
	}
}

/* Parse the script; a syntax error points into the migration text, not the calling query. */
List *
parse_migration(const char *sql)
{
	ErrorContextCallback cb;
	cb.callback = migration_error_callback;
	cb.arg = (void *) sql;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	List *parsed = raw_parser(sql, RAW_PARSE_DEFAULT);
	error_context_stack = cb.previous;
	return parsed;
}

const char *
trimmed(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	int n = (int) strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return pnstrdup(s, n);
}

enum CheckColumn
{
	COL_STMT_NO,
	COL_STATEMENT,
	COL_COMMAND,
	COL_RELATION,
	COL_LOCK_MODE,
	COL_REWRITES,
	COL_SCANS,
	COL_BREAKS,
	COL_CATEGORY,
	COL_RULE,
	COL_VERDICT,
	COL_REASON,
	COL_SAFE_SQL,
	CHECK_NCOLUMNS
};

Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = s == NULL;
	return s == NULL ? (Datum) 0 : CStringGetTextDatum(s);
}

} // namespace

} // namespace safemigrate::pg

using namespace safemigrate;
using namespace safemigrate::pg;

Datum check_script(PG_FUNCTION_ARGS);

/*
 * safemigrate.check(migration text): one row per statement and relation.
 * Its facts cache and the indexes its script creates exist only while it
 * runs: switched off when it returns, also on error (the hook must never
 * see them).
 *
 * C-style frame; may ereport.
 */
extern "C" Datum
safemigrate_check(PG_FUNCTION_ARGS)
{
	volatile Datum result = (Datum) 0;
	sm_check_running(true);
	PG_TRY();
	{
		result = check_script(fcinfo);
	}
	PG_FINALLY();
	{
		sm_check_running(false);
	}
	PG_END_TRY();
	return result;
}

/* The body of safemigrate.check().  C-style frame; may ereport. */
Datum
check_script(PG_FUNCTION_ARGS)
{
	char *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	InitMaterializedSRF(fcinfo, 0);

	List *parsed = parse_migration(sql);
	int sql_len = (int) strlen(sql);
	sm_facts_cache_begin(CurrentMemoryContext);
	/* The policy's settings, read again (in their own context) after the script changed one. */
	MemoryContext settings_cxt = AllocSetContextCreate(CurrentMemoryContext, "pg_safemigrate check settings",
													   ALLOCSET_SMALL_SIZES);
	core::Settings settings;
	bool settings_stale = true;
	Created created = {NIL, NIL, NIL};
	/* check(migration, single_transaction => true): the whole script in one transaction block. */
	const bool single = PG_NARGS() > 1 && PG_GETARG_BOOL(1);
	bool in_block = single;
	int stmt_no = 0;
	ListCell *lc;
	/*
	 * SET search_path / TimeZone in the script hold for the statements after
	 * it, as when the script runs (a timestamp <-> timestamptz change
	 * rewrites or not by TimeZone); undone when check() returns.
	 */
	int guc_nest = NewGUCNestLevel();
	/* The script's transaction block: its SET LOCALs end with it, a ROLLBACK undoes its SETs. */
	int block_nest = single ? NewGUCNestLevel() : -1;
	/* The values the block's plain SETs (not SET LOCAL) gave kScriptSettings, kept at its COMMIT. */
	const char *block_set[kNScriptSettings] = {};
	/* The block's savepoints: a GUC level each, and block_set as it was (ROLLBACK TO undoes what came after). */
	struct ScriptSavepoint
	{
		const char *name;
		int nest;
		const char *set[kNScriptSettings];
		int indexes; /* sm_script_indexes_mark() when it was made */
		int renamed; /* list_length(created.renamed) then */
	};
	/* The indexes the script created, and the relations it renamed, before its block began (a ROLLBACK
	   forgets the block's). */
	int block_indexes = 0;
	int block_renamed = 0;
	List *savepoints = NIL;
	/*
	 * A statement of the script's block failed (an error or a rejection):
	 * PostgreSQL ignores what follows until ROLLBACK or ROLLBACK TO a
	 * savepoint, and its COMMIT rolls back.  The block's settings then do not
	 * survive it, and its later SETs do not apply.
	 */
	bool aborted = false;
	/* A transaction statement PostgreSQL refuses: AND CHAIN or a savepoint without a block, an unknown savepoint. */
	const char *txn_error = NULL;

	foreach (lc, parsed)
	{
		RawStmt *raw = lfirst_node(RawStmt, lc);
		Node *parsetree = raw->stmt;
		CHECK_FOR_INTERRUPTS();
		stmt_no++;
		txn_error = NULL;

		if (IsA(parsetree, TransactionStmt))
		{
			const TransactionStmt *t = (const TransactionStmt *) parsetree;
			bool ends = t->kind == TRANS_STMT_COMMIT || t->kind == TRANS_STMT_ROLLBACK || t->kind == TRANS_STMT_PREPARE;
			bool was_open = block_nest >= 0;
			settings_stale = true;
			bool savepoint_cmd = t->kind == TRANS_STMT_SAVEPOINT || t->kind == TRANS_STMT_RELEASE ||
								 t->kind == TRANS_STMT_ROLLBACK_TO;
			if (ends && t->chain && !was_open)
				txn_error = t->kind == TRANS_STMT_COMMIT ? "COMMIT AND CHAIN can only be used in transaction blocks"
														 : "ROLLBACK AND CHAIN can only be used in transaction blocks";
			else if (savepoint_cmd && !was_open)
				txn_error = psprintf("%s can only be used in transaction blocks",
									 t->kind == TRANS_STMT_SAVEPOINT  ? "SAVEPOINT"
									 : t->kind == TRANS_STMT_RELEASE ? "RELEASE SAVEPOINT"
																	  : "ROLLBACK TO SAVEPOINT");
			/* In a failed block, SAVEPOINT and RELEASE fail too: only ROLLBACK TO acts. */
			if (block_nest >= 0 && t->savepoint_name != NULL && (!aborted || t->kind == TRANS_STMT_ROLLBACK_TO) &&
				(t->kind == TRANS_STMT_SAVEPOINT || t->kind == TRANS_STMT_RELEASE || t->kind == TRANS_STMT_ROLLBACK_TO))
			{
				/* The innermost savepoint of that name, and the ones after it. */
				int found = -1;
				for (int k = list_length(savepoints) - 1; k >= 0 && found < 0; --k)
					if (strcmp(((ScriptSavepoint *) list_nth(savepoints, k))->name, t->savepoint_name) == 0)
						found = k;
				if (t->kind == TRANS_STMT_SAVEPOINT)
				{
					ScriptSavepoint *sp = (ScriptSavepoint *) palloc(sizeof(ScriptSavepoint));
					sp->name = pstrdup(t->savepoint_name);
					memcpy(sp->set, block_set, sizeof(block_set));
					sp->indexes = sm_script_indexes_mark();
					sp->renamed = list_length(created.renamed);
					sp->nest = NewGUCNestLevel();
					savepoints = lappend(savepoints, sp);
				}
				else if (found >= 0)
				{
					ScriptSavepoint *sp = (ScriptSavepoint *) list_nth(savepoints, found);
					/* RELEASE keeps what was set since (merged into the level below); ROLLBACK TO undoes it. */
					AtEOXact_GUC(t->kind == TRANS_STMT_RELEASE, sp->nest);
					if (t->kind == TRANS_STMT_ROLLBACK_TO)
					{
						aborted = false; /* (the savepoint was made before the failure) */
						memcpy(block_set, sp->set, sizeof(block_set));
						sm_script_indexes_rollback(sp->indexes);
						created.renamed = list_truncate(created.renamed, sp->renamed);
						sp->nest = NewGUCNestLevel(); /* the savepoint stays */
						savepoints = list_truncate(savepoints, found + 1);
					}
					else
						savepoints = list_truncate(savepoints, found);
				}
				else if (t->kind != TRANS_STMT_SAVEPOINT)
					txn_error = psprintf("savepoint \"%s\" does not exist", t->savepoint_name);
			}
			if (ends && block_nest >= 0)
			{
				savepoints = NIL; /* (their levels go with the block's) */
				/*
				 * The block's changes go; at a COMMIT its plain SETs come back
				 * (a nested GUC level keeps SET LOCAL values at its end, a
				 * transaction's end does not).
				 */
				AtEOXact_GUC(false, block_nest);
				block_nest = -1;
				/* (a prepared transaction's indexes do not exist before COMMIT PREPARED either) */
				if (t->kind != TRANS_STMT_COMMIT || aborted)
				{
					sm_script_indexes_rollback(block_indexes);
					created.renamed = list_truncate(created.renamed, block_renamed);
				}
				for (int k = 0; k < kNScriptSettings; ++k)
				{
					if (t->kind != TRANS_STMT_ROLLBACK && !aborted && block_set[k] != NULL)
						(void) set_config_option(kScriptSettings[k], block_set[k], PGC_SUSET, PGC_S_SESSION,
												 GUC_ACTION_SET, true, 0, false);
					block_set[k] = NULL;
				}
			}
			if (ends)
				aborted = false;
			if ((t->kind == TRANS_STMT_BEGIN || t->kind == TRANS_STMT_START || (ends && t->chain && was_open)) &&
				block_nest < 0)
			{
				block_nest = NewGUCNestLevel();
				block_indexes = sm_script_indexes_mark();
				block_renamed = list_length(created.renamed);
			}
		}

		const VariableSetStmt *vs = IsA(parsetree, VariableSetStmt) ? (const VariableSetStmt *) parsetree : NULL;
		/* (SET LOCAL outside a transaction block: PostgreSQL warns and it lasts no further than the statement) */
		/* (in a failed block nothing applies; DISCARD ALL cannot run in a block: its error row below) */
		bool applies = vs != NULL && !(vs->is_local && block_nest < 0) && !aborted &&
					   (vs->kind == VAR_RESET_ALL || (vs->name != NULL && script_setting(vs->name)));
		bool discard_all = IsA(parsetree, DiscardStmt) && ((DiscardStmt *) parsetree)->target == DISCARD_ALL &&
						   block_nest < 0;
		if (applies || discard_all)
		{
			ErrorData *edata = sm_try_in_subtransaction(discard_all ? reset_all_step : apply_set_step, parsetree);
			if (edata != NULL)
			{
				if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
					ReThrowError(edata);
				/* A bad value: the statement's row says what PostgreSQL would say. */
				const char *stmt_text = sm_statement_text_at(sql, sql_len, raw->stmt_location, raw->stmt_len);
				Datum values[CHECK_NCOLUMNS];
				bool nulls[CHECK_NCOLUMNS];
				memset(nulls, 0, sizeof(nulls));
				values[COL_STMT_NO] = Int32GetDatum(stmt_no);
				values[COL_STATEMENT] = CStringGetTextDatum(trimmed(stmt_text));
				values[COL_COMMAND] = CStringGetTextDatum("SET");
				for (int k : {COL_RELATION, COL_LOCK_MODE, COL_REWRITES, COL_SCANS, COL_BREAKS, COL_CATEGORY,
							  COL_RULE, COL_SAFE_SQL})
					nulls[k] = true;
				values[COL_VERDICT] = CStringGetTextDatum("error");
				values[COL_REASON] =
					CStringGetTextDatum(psprintf("PostgreSQL would reject the statement: %s", edata->message));
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
				FreeErrorData(edata);
				aborted = aborted || block_nest >= 0;
				continue;
			}
			settings_stale = true;
			sm_facts_cache_begin(CurrentMemoryContext); /* names may now resolve elsewhere */
			if (block_nest >= 0 && (discard_all || !vs->is_local))
			{
				for (int k = 0; k < kNScriptSettings; ++k)
					if (discard_all || vs->kind == VAR_RESET_ALL || pg_strcasecmp(vs->name, kScriptSettings[k]) == 0)
						block_set[k] = pstrdup(GetConfigOption(kScriptSettings[k], false, false));
				/* SET SESSION AUTHORIZATION ends a SET ROLE made before it: not to be made again at COMMIT. */
				if (!discard_all && vs->kind != VAR_RESET_ALL && pg_strcasecmp(vs->name, "session_authorization") == 0)
					block_set[kRoleSetting] = NULL;
			}
		}

		const char *stmt_text = sm_statement_text_at(sql, sql_len, raw->stmt_location, raw->stmt_len);
		core::Statement stmt;
		stmt.text = stmt_text;
		stmt.query_text = std::string_view(sql, sql_len); /* its header declaration covers the whole migration */
		stmt.top_level = true;
		stmt.server_version_num = PG_VERSION_NUM;

		/* BEGIN ... COMMIT in the script: statements in between run in a transaction block. */
		/* (with single_transaction too: a COMMIT in the file ends the tool's transaction, as under psql -1) */
		if (IsA(parsetree, TransactionStmt))
		{
			TransactionStmtKind k = ((TransactionStmt *) parsetree)->kind;
			if (k == TRANS_STMT_BEGIN || k == TRANS_STMT_START)
				in_block = true;
			else if (((k == TRANS_STMT_COMMIT || k == TRANS_STMT_ROLLBACK) && !((TransactionStmt *) parsetree)->chain) ||
					 k == TRANS_STMT_PREPARE)
				in_block = false;	/* COMMIT AND CHAIN starts the next block at once */
		}
		stmt.in_transaction_block = in_block;

		char *error = txn_error != NULL ? pstrdup(txn_error) : extract_guarded(parsetree, &stmt);
		const char *refused = error == NULL && in_block ? refused_in_block(parsetree) : NULL;
		if (refused != NULL)
			error = psprintf("%s cannot run inside a transaction block (SQLSTATE 25001): run it outside BEGIN ... COMMIT",
							 refused);
		if (error == NULL)
		{
			/* (ALTER TABLE and CREATE INDEX need the column facts of the relation's name: an error row below) */
			if (IsA(parsetree, DropStmt) || IsA(parsetree, TruncateStmt) || IsA(parsetree, LockStmt) ||
				IsA(parsetree, RenameStmt) || IsA(parsetree, AlterObjectSchemaStmt))
				follow_renames(&created, &stmt,
							   IsA(parsetree, DropStmt) && ((DropStmt *) parsetree)->removeType == OBJECT_INDEX);
			mark_all_created(&created, &stmt);
			const char *missing = missing_target(parsetree, stmt, &created);
			if (missing != NULL)
				error = psprintf("relation \"%s\" does not exist (check() does not follow a RENAME earlier in the "
								 "script)",
								 missing);
			for (int k = 0; error == NULL && k < stmt.nsubcommands; ++k)
				if (!stmt.subcommands[k].pg_error.empty())
					error = pnstrdup(stmt.subcommands[k].pg_error.data(), stmt.subcommands[k].pg_error.size());
		}
		Datum values[CHECK_NCOLUMNS];
		bool nulls[CHECK_NCOLUMNS];
		memset(nulls, 0, sizeof(nulls));
		values[COL_STMT_NO] = Int32GetDatum(stmt_no);
		values[COL_STATEMENT] = CStringGetTextDatum(trimmed(stmt_text));

		if (error != NULL)
		{
			values[COL_COMMAND] = CStringGetTextDatum(GetCommandTagName(CreateCommandTag(parsetree)));
			for (int k : {COL_RELATION, COL_LOCK_MODE, COL_REWRITES, COL_SCANS, COL_BREAKS, COL_CATEGORY,
						  COL_RULE, COL_SAFE_SQL})
				nulls[k] = true;
			values[COL_VERDICT] = CStringGetTextDatum("error");
			values[COL_REASON] = CStringGetTextDatum(psprintf("PostgreSQL would reject the statement: %s", error));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			remember_created(&created, parsetree);
			aborted = aborted || block_nest >= 0;
			continue;
		}
		remember_created(&created, parsetree);

		SmRow *rows = NULL;
		int nrows = 0;
		FenceError ferr;
		/* (a SET, RESET, COMMIT or ROLLBACK of the script may have changed the policy's settings) */
		if (settings_stale)
		{
			MemoryContextReset(settings_cxt);
			MemoryContext old = MemoryContextSwitchTo(settings_cxt);
			settings = sm_current_settings();
			MemoryContextSwitchTo(old);
			settings_stale = false;
		}
		if (!sm_classify(stmt, settings, CurrentMemoryContext, &rows, &nrows, &ferr))
			ereport(ERROR,
					(errcode(ferr.kind == FenceFailure::OutOfMemory ? ERRCODE_OUT_OF_MEMORY
																	: ERRCODE_INTERNAL_ERROR),
					 errmsg("pg_safemigrate could not classify statement %d: %s", stmt_no, ferr.message)));
		if (IsA(parsetree, IndexStmt) && stmt.relation.created_in_script)
			attached_index_rows(&created, (IndexStmt *) parsetree, stmt, settings, stmt_no, &rows, &nrows);
		bool rejected = false;
		for (int i = 0; i < nrows; ++i)
		{
			SmRow *r = &rows[i];
			memset(nulls, 0, sizeof(nulls));
			values[COL_STMT_NO] = Int32GetDatum(stmt_no);
			values[COL_STATEMENT] = CStringGetTextDatum(trimmed(stmt_text));
			values[COL_COMMAND] = CStringGetTextDatum(r->command);
			values[COL_RELATION] = text_or_null(r->relation, &nulls[COL_RELATION]);
			values[COL_LOCK_MODE] =
				text_or_null(r->lock == core::LockMode::None ? NULL : GetLockmodeName(DEFAULT_LOCKMETHOD, (int) r->lock),
							 &nulls[COL_LOCK_MODE]);
			values[COL_REWRITES] = BoolGetDatum(r->rewrites);
			values[COL_SCANS] = BoolGetDatum(r->scans);
			values[COL_BREAKS] = BoolGetDatum(r->breaks_clients);
			values[COL_CATEGORY] = CStringGetTextDatum(r->category);
			values[COL_RULE] = text_or_null(r->rule_id, &nulls[COL_RULE]);
			values[COL_VERDICT] = CStringGetTextDatum(r->action);
			values[COL_REASON] = CStringGetTextDatum(r->reason);
			values[COL_SAFE_SQL] = text_or_null(r->safe_sql, &nulls[COL_SAFE_SQL]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			/* A rejection is an error: in a block, the block has failed. */
			if (strcmp(r->action, "reject") == 0)
			{
				rejected = true;
				aborted = aborted || block_nest >= 0;
			}
		}
		/* What the statement does to indexes, for a later CREATE INDEX on a partitioned table. */
		if (!rejected && !aborted)
		{
			if (IsA(parsetree, IndexStmt))
			{
				sm_script_consume_last(); /* (what this one attaches, on a partitioned table) */
				/* (not on a table of a name the script creates: it may be another schema's than the catalog's) */
				const RangeVar *rv = ((IndexStmt *) parsetree)->relation;
				if (!stmt.relation.created_in_script && rv != NULL && !created_named(&created, rv->relname))
					sm_script_index_add((IndexStmt *) parsetree);
			}
			else if (IsA(parsetree, DropStmt))
				sm_script_index_drop((DropStmt *) parsetree);
			else if (IsA(parsetree, RenameStmt))
				sm_script_index_renamed((RenameStmt *) parsetree);
			else if (IsA(parsetree, AlterTableStmt))
				sm_script_index_attached((AlterTableStmt *) parsetree);
		}
	}
	if (block_nest >= 0)
		AtEOXact_GUC(false, block_nest);
	AtEOXact_GUC(false, guc_nest);
	return (Datum) 0;
}

/*
 * safemigrate.rule_catalogue(): every rule with its SQLSTATE, category and
 * description.
 *
 * C-style frame; may ereport.
 */
extern "C" Datum
safemigrate_rule_catalogue(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	InitMaterializedSRF(fcinfo, 0);
	int n = 0;
	const SmRule *rules = sm_rule_catalogue(&n);
	for (int i = 0; i < n; ++i)
	{
		Datum values[5];
		bool nulls[5] = {false, false, false, false, false};
		values[0] = CStringGetTextDatum(rules[i].id);
		values[1] = CStringGetTextDatum(rules[i].sqlstate);
		values[2] = CStringGetTextDatum(rules[i].category);
		values[3] = CStringGetTextDatum("reject");
		values[4] = CStringGetTextDatum(rules[i].description);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

namespace {

/* raw_expression_tree_walker callback: the last name of each column reference, into *(List **) arg. */
bool
column_names_walker(Node *node, void *arg)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef))
	{
		Node *last = (Node *) llast(((ColumnRef *) node)->fields);
		if (IsA(last, String))
			*(List **) arg = lappend(*(List **) arg, strVal(last));
		return false;
	}
	return raw_expression_tree_walker(node, (bool (*)()) (void (*)()) column_names_walker, arg);
}

} // namespace

/*
 * safemigrate._expression_columns(expr text) RETURNS text[]: the names of the
 * columns a single SQL expression reads, found in its text as PostgreSQL
 * parses it, running nothing (no function is looked up or called): for the
 * expand procedures, which must know what another role's expression reads
 * without running it.  An error (42601) when the text is not one expression
 * (a second statement, a FROM clause).
 *
 * C-style frame; may ereport.
 */
extern "C" Datum
safemigrate_expression_columns(PG_FUNCTION_ARGS)
{
	char *expr = text_to_cstring(PG_GETARG_TEXT_PP(0));
	/* as the procedures use it: in parentheses (a line comment at its end ends with the line) */
	List *raw = NIL;
	/*
	 * A syntax error's position is in this SELECT, not in the caller's query
	 * (psql would put the caret under the CALL's text): said without one.
	 */
	MemoryContext cxt = CurrentMemoryContext;
	PG_TRY();
	{
		raw = raw_parser(psprintf("SELECT (%s\n)", expr), RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR, (errcode(edata->sqlerrcode), errmsg("not a single SQL expression: %s", expr),
						errdetail("%s", edata->message),
						errhint("Give one expression, without a semicolon or a FROM clause.")));
	}
	PG_END_TRY();
	SelectStmt *sel = list_length(raw) == 1 && IsA(((RawStmt *) linitial(raw))->stmt, SelectStmt)
						  ? (SelectStmt *) ((RawStmt *) linitial(raw))->stmt
						  : NULL;
	if (sel == NULL || list_length(sel->targetList) != 1 || sel->fromClause != NIL || sel->whereClause != NULL ||
		sel->intoClause != NULL || sel->withClause != NULL || sel->groupClause != NIL || sel->havingClause != NULL ||
		sel->windowClause != NIL || sel->sortClause != NIL || sel->limitCount != NULL ||
		sel->limitOffset != NULL || sel->lockingClause != NIL || sel->valuesLists != NIL ||
		sel->distinctClause != NIL || sel->op != SETOP_NONE)
		ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("not a single SQL expression: %s", expr),
						errhint("Give one expression, without a semicolon or a FROM clause.")));
	/* "a, b" in the procedures' parentheses is a row (a, b), not one value: a list, refused (ROW(a, b) is one) */
	Node *val = ((ResTarget *) linitial(sel->targetList))->val;
	if (val != NULL && IsA(val, RowExpr) && ((RowExpr *) val)->row_format == COERCE_IMPLICIT_CAST)
		ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("not a single SQL expression: %s", expr),
						errdetail("It is a list of expressions, which the procedures would take as one row value."),
						errhint("Give one expression (ROW(...) if a row value is what you mean).")));
	List *names = NIL;
	column_names_walker((Node *) sel->targetList, &names);
	int n = list_length(names);
	Datum *elems = (Datum *) palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; ++i)
		elems[i] = CStringGetTextDatum((const char *) list_nth(names, i));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}
