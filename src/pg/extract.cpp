/*-------------------------------------------------------------------------
 *
 * extract.cpp
 *	  Gather the plain facts the core decides from: parse tree + catalog ->
 *	  core::Statement.
 *
 * Invariants:
 *	- Nothing here waits for a lock.  Facts that need an open relation (its
 *	  size, "created in this transaction", its constraints and indexes) are
 *	  read after ConditionalLockRelationOid(AccessShareLock), which never
 *	  queues and never blocks anyone, and the lock is released at once.  When
 *	  it cannot be had, we fall back to pg_class statistics and conservative
 *	  answers (e.g. "not implied": the rule then applies).  Taking a lock and
 *	  later upgrading it to the statement's own mode would risk deadlocks
 *	  between two migrations; releasing it avoids that.
 *	- The parse tree is never modified: expressions are copied before they
 *	  are transformed (the hook may get a read-only tree).
 *	- All memory is palloc'd in the current (per-statement) context; the
 *	  Statement's string views point into it.
 *	- Decisions that PostgreSQL makes with its own functions are made with the
 *	  same functions: cookDefault() + contain_volatile_functions() for
 *	  defaults, coerce_to_target_type() + expression_planner() and the checks
 *	  of ATColumnChangeRequiresRewrite() for type changes,
 *	  PartConstraintImpliedByRelConstraint() for SET NOT NULL and ATTACH
 *	  PARTITION, AlterTableGetRelOptionsLockLevel() for reloptions.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <initializer_list>
#include <new>

#include "core/statement.hpp"
#include "pg/extract.hpp"

#include "pg/postgres.hpp"
#include "pg/compat.hpp"

extern "C" {
#include "access/genam.h"
#include "access/attmap.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/reloptions.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/heap.h"
#include "commands/defrem.h"
#include "catalog/pg_tablespace_d.h"
#include "catalog/index.h"
#include "catalog/partition.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "commands/tablespace.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "parser/parse_utilcmd.h"
#include "parser/scansup.h"
#include "partitioning/partbounds.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "catalog/pg_statistic_ext.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "catalog/pg_opclass.h"
#include "catalog/indexing.h"
#include "mb/pg_wchar.h"
#include "catalog/pg_am.h"
#include "utils/hsearch.h"
#include "utils/partcache.h"
#include "utils/ruleutils.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "access/xact.h"
#include "access/transam.h"
#include "utils/typcache.h"
}

namespace safemigrate::pg {

namespace {

using core::AlterKind;
using core::ConstraintKind;
using core::InlineConstraint;
using core::LockMode;
using core::RelationFacts;
using core::RelationKind;
using core::StatementKind;
using core::Subcommand;

/*
 * copyObject() needs typeof, a GNU extension that strict C++17 lacks; this
 * does the same for our node types.
 */
template <typename T>
T *
copy_node(const T *node)
{
	return static_cast<T *>(copyObjectImpl(node));
}

core::RelationKind
relation_kind(char relkind)
{
	switch (relkind)
	{
		case RELKIND_RELATION:
			return RelationKind::Table;
		case RELKIND_PARTITIONED_TABLE:
			return RelationKind::PartitionedTable;
		case RELKIND_MATVIEW:
			return RelationKind::MaterializedView;
		case RELKIND_VIEW:
			return RelationKind::View;
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			return RelationKind::Index;
		default:
			return RelationKind::Other;
	}
}

/*
 * Open relid for reading its relcache entry, without waiting: NULL when
 * AccessShareLock is not available at once or the relation is gone.  Close
 * with probe_close().
 *
 * C-style frame; may ereport.
 */
Relation
probe_open(Oid relid)
{
	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return NULL;
	Relation rel = try_relation_open(relid, NoLock);
	if (rel == NULL)
		UnlockRelationOid(relid, AccessShareLock);
	return rel;
}

void
probe_close(Relation rel)
{
	Oid relid = RelationGetRelid(rel);
	relation_close(rel, NoLock);
	UnlockRelationOid(relid, AccessShareLock);
}

/* check_functions_in_node() callback: a function that is not built in. */
bool
user_function(Oid funcid, void *)
{
	return funcid >= FirstNormalObjectId;
}

bool
user_function_walker(Node *node, void *)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, user_function, NULL))
		return true;
	return expression_tree_walker(node, (bool (*)()) (void (*)()) user_function_walker, NULL);
}

/* Does the expression call a function (or an operator's) that is not built in? */
bool
calls_user_function(Node *expr)
{
	return user_function_walker(expr, NULL);
}

/* Accumulated size of one relation or of the leaves of a partitioned table. */
struct SizeSum
{
	bool exact;		   /* every part measured on disk */
	int64 bytes;
	double rows;	   /* sum of known estimates */
	bool rows_known;   /* at least one part has an estimate */
	bool rows_missing; /* a part with pages has none (never analyzed): the sum is not an estimate */
	bool created_here; /* the (single) relation was created in this transaction */
};

/*
 * Add the size of relation relid (which has storage) to *sum.
 *
 * C-style frame; may ereport.
 */
void
add_storage_size(Oid relid, SizeSum *sum)
{
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return;					/* dropped concurrently: nothing to count */
	Form_pg_class cls = (Form_pg_class) GETSTRUCT(tup);
	float4 reltuples = cls->reltuples;
	int32 relpages = cls->relpages;
	ReleaseSysCache(tup);

	BlockNumber nblocks = 0;
	Relation rel = probe_open(relid);
	if (rel != NULL)
	{
		nblocks = RelationGetNumberOfBlocks(rel);
		if (rel->rd_createSubid != InvalidSubTransactionId)
			sum->created_here = true;
		probe_close(rel);
	}
	else
	{
		/* Someone holds or awaits AccessExclusiveLock: use the statistics. */
		sum->exact = false;
		nblocks = relpages > 0 ? (BlockNumber) relpages : 0;
	}
	sum->bytes += (int64) nblocks * BLCKSZ;

	/* The planner's estimate (estimate_rel_size): density times current pages. */
	if (reltuples < 0 && nblocks > 0)
		sum->rows_missing = true;
	if (reltuples >= 0)
	{
		sum->rows_known = true;
		if (relpages > 0)
			sum->rows += (double) reltuples / relpages * nblocks;
		else
			sum->rows += reltuples;
	}
}

/*
 * Catalog facts for relation relid.
 *
 * C-style frame; may ereport.
 */
RelationFacts facts_for_oid_shallow(Oid relid);
RelationFacts facts_for_oid_shallow_uncached(Oid relid);
RelationFacts facts_for_oid_uncached(Oid relid);

/*
 * Facts cache for safemigrate.check(): the script is not executed, so the
 * catalog cannot change between its statements, and the facts of a relation
 * named by many statements are gathered once.  Active only while check()
 * runs (sm_facts_cache_begin); the hook never uses it, because there every
 * statement may change the catalog.  The memory context's reset callback
 * switches it off, also when check() fails half-way.
 */
struct FactsCacheEntry
{
	Oid relid; /* hash key */
	bool has_shallow;
	bool has_deep;
	RelationFacts shallow;
	RelationFacts deep;
};

HTAB *facts_cache = NULL;
MemoryContext facts_cache_cxt = NULL; /* the context it lives in (a callback there forgets it) */
bool check_running = false;			  /* sm_check_running */

void
facts_cache_off(void *arg)
{
	facts_cache = NULL;
	facts_cache_cxt = NULL;
}

FactsCacheEntry *
facts_cache_entry(Oid relid)
{
	if (facts_cache == NULL || !check_running)
		return NULL;
	bool found;
	FactsCacheEntry *e = (FactsCacheEntry *) hash_search(facts_cache, &relid, HASH_ENTER, &found);
	if (!found)
	{
		e->has_shallow = false;
		e->has_deep = false;
	}
	return e;
}

RelationFacts
facts_for_oid_shallow(Oid relid)
{
	FactsCacheEntry *e = facts_cache_entry(relid);
	if (e == NULL)
		return facts_for_oid_shallow_uncached(relid);
	if (!e->has_shallow)
	{
		RelationFacts f = facts_for_oid_shallow_uncached(relid);
		e = facts_cache_entry(relid); /* the table may have grown meanwhile */
		e->shallow = f;
		e->has_shallow = true;
	}
	return e->shallow;
}

RelationFacts
facts_for_oid(Oid relid)
{
	FactsCacheEntry *e = facts_cache_entry(relid);
	if (e == NULL)
		return facts_for_oid_uncached(relid);
	if (!e->has_deep)
	{
		RelationFacts f = facts_for_oid_uncached(relid);
		e = facts_cache_entry(relid);
		e->deep = f;
		e->has_deep = true;
	}
	return e->deep;
}

/*
 * Catalog facts for relation relid, with its partitions / inheritance
 * children (every level).
 *
 * C-style frame; may ereport.
 */
RelationFacts
facts_for_oid_uncached(Oid relid)
{
	RelationFacts out = facts_for_oid_shallow(relid);
	if (!out.exists || !has_subclass(relid))
		return out;
	List *members = find_all_inheritors(relid, NoLock, NULL);
	int n = list_length(members);
	RelationFacts *children = (RelationFacts *) palloc(sizeof(RelationFacts) * Max(n, 1));
	int k = 0;
	ListCell *lc;
	foreach (lc, members)
	{
		Oid child = lfirst_oid(lc);
		if (child != relid)
			children[k++] = facts_for_oid_shallow(child);
	}
	out.children = children;
	out.nchildren = k;
	/* A table created in this transaction with older partitions or children attached is not new. */
	for (int i = 0; i < k && out.created_in_transaction; ++i)
		if (!children[i].created_in_transaction && children[i].exists)
			out.created_in_transaction = false;
	return out;
}

/*
 * Catalog facts for relation relid itself.
 *
 * C-style frame; may ereport.
 */
RelationFacts
facts_for_oid_shallow_uncached(Oid relid)
{
	RelationFacts out;
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
	{
		out.exists = false;
		return out;
	}
	Form_pg_class cls = (Form_pg_class) GETSTRUCT(tup);
	char relkind = cls->relkind;
	out.kind = relation_kind(relkind);
	out.has_storage = RELKIND_HAS_STORAGE(relkind);
	out.temporary = cls->relpersistence == RELPERSISTENCE_TEMP;
	char *relname = pstrdup(NameStr(cls->relname));
	out.name = relname;
	out.qualified_name = quote_qualified_identifier(get_namespace_name(cls->relnamespace), relname);
	ReleaseSysCache(tup);

	SizeSum sum = {true, 0, 0, false, false, false};
	if (relkind == RELKIND_PARTITIONED_TABLE)
	{
		/*
		 * NoLock: only reads pg_inherits.  A partition attached or detached
		 * concurrently changes the estimate, not the decision's safety.
		 */
		List *members = find_all_inheritors(relid, NoLock, NULL);
		ListCell *lc;
		foreach (lc, members)
		{
			Oid child = lfirst_oid(lc);
			if (child == relid || !RELKIND_HAS_STORAGE(get_rel_relkind(child)))
				continue;
			out.partitions++;
			add_storage_size(child, &sum);
		}
		/* New partitions of an old parent do not make the parent new. */
		sum.created_here = false;
		Relation rel = probe_open(relid);
		if (rel != NULL)
		{
			sum.created_here = rel->rd_createSubid != InvalidSubTransactionId;
			probe_close(rel);
		}
	}
	else if (RELKIND_HAS_STORAGE(relkind))
		add_storage_size(relid, &sum);
	else
	{
		sum.exact = false;
		Relation rel = probe_open(relid);
		if (rel != NULL)
		{
			sum.created_here = rel->rd_createSubid != InvalidSubTransactionId;
			probe_close(rel);
		}
	}

	out.size_known = sum.exact;
	out.bytes = sum.bytes;
	out.estimated_rows = sum.rows_known && !sum.rows_missing ? sum.rows : -1;
	out.created_in_transaction = sum.created_here;
	return out;
}

/* Facts for a relation named in the statement; a missing one keeps its written name. */
RelationFacts
facts_for_rangevar(const RangeVar *rv)
{
	if (rv == NULL)
	{
		RelationFacts none;
		none.exists = false;
		return none;
	}
	Oid relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid))
		return facts_for_oid(relid);
	RelationFacts missing;
	missing.exists = false;
	missing.name = rv->relname;
	missing.qualified_name = quote_qualified_identifier(rv->schemaname, rv->relname);
	return missing;
}

/* Store n facts in palloc'd memory for Statement::relations. */
const RelationFacts *
copy_facts(const RelationFacts *facts, int n)
{
	if (n == 0)
		return NULL;
	RelationFacts *out = (RelationFacts *) palloc(sizeof(RelationFacts) * n);
	for (int i = 0; i < n; ++i)
		out[i] = facts[i];
	return out;
}

/* Facts for every RangeVar of a list, into stmt->relations. */
void
facts_for_rangevars(List *rangevars, core::Statement *out)
{
	int n = list_length(rangevars);
	RelationFacts *facts = (RelationFacts *) palloc(sizeof(RelationFacts) * Max(n, 1));
	int i = 0;
	ListCell *lc;
	foreach (lc, rangevars)
		facts[i++] = facts_for_rangevar((RangeVar *) lfirst(lc));
	out->relations = copy_facts(facts, i);
	out->nrelations = i;
	if (i > 0)
		out->relation = facts[0];
}

} // namespace

/*
 * Run fn(arg) in an internal subtransaction.  Returns NULL when it succeeded
 * (what it did then belongs to the enclosing transaction), or a copy of the
 * error it raised, the subtransaction rolled back.  Either way the caller's
 * memory context and resource owner are current again.
 *
 * C-style frame, and fn must be one: the error longjmps out of it.
 */
ErrorData *
sm_try_in_subtransaction(void (*fn)(void *), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return edata;
}

/* Cannot ereport. */
bool
sm_may_take_snapshot()
{
	return !(IsolationUsesXactSnapshot() && !FirstSnapshotSet);
}

/*
 * The catalog queries of the hook are a fixed handful of texts: each is
 * parsed and planned once per backend and kept (SPI_keepplan), instead of
 * on every DDL statement (bench/overhead.sh measured most of the hook's
 * cost per DDL statement there).  Keyed by the text; a plan is revalidated
 * by the plan cache when the catalog changes, and it was made under the
 * pinned search_path its executions set again.  Beyond the table's size a
 * query is planned per call, as before.
 *
 * C-style frame; may ereport.
 */
namespace {
struct KeptPlan
{
	char *sql;
	SPIPlanPtr plan;
};
constexpr int kMaxKeptPlans = 32;
KeptPlan kept_plans[kMaxKeptPlans];
int nkept_plans = 0;

SPIPlanPtr
cached_catalog_plan(const char *sql, int nargs, Oid *argtypes)
{
	for (int i = 0; i < nkept_plans; ++i)
		if (strcmp(kept_plans[i].sql, sql) == 0)
			return kept_plans[i].plan;
	if (nkept_plans == kMaxKeptPlans)
		return NULL;
	SPIPlanPtr plan = SPI_prepare(sql, nargs, argtypes);
	if (plan == NULL)
		return NULL; /* SPI_execute_with_args reports the problem */
	char *copy = MemoryContextStrdup(TopMemoryContext, sql);
	if (SPI_keepplan(plan) != 0)
	{
		pfree(copy);
		return plan; /* not kept: good for this call, in the procedure's memory */
	}
	kept_plans[nkept_plans].sql = copy;
	kept_plans[nkept_plans].plan = plan;
	++nkept_plans;
	return plan;
}
} // namespace

/*
 * SPI_execute_with_args with search_path = pg_catalog, pg_temp: the hook's
 * catalog queries call functions and operators that a schema earlier in the
 * caller's search_path must not be able to replace.  The GUC level is popped
 * here, or by the (sub)transaction abort after an error.
 *
 * C-style frame; may ereport.
 */
int
sm_spi_execute_pinned(const char *sql, int nargs, Oid *argtypes, Datum *values, bool read_only)
{
	int nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
							 0, false);
	SPIPlanPtr plan = cached_catalog_plan(sql, nargs, argtypes);
	int rc = plan != NULL ? SPI_execute_plan(plan, values, NULL, read_only, 0)
						  : SPI_execute_with_args(sql, nargs, argtypes, values, NULL, read_only, 0);
	AtEOXact_GUC(true, nest);
	return rc;
}

namespace {

/*
 * Run a catalog query returning one oid column, with up to two parameters,
 * and return the facts of each relation it names (duplicates removed by the
 * query).  SPI keeps these queries readable and exact; they run only for the
 * statements that need them, never on the hook's fast path.
 *
 * C-style frame; may ereport.
 */
void
facts_from_query(const char *sql, Oid arg1, Datum arg2, Oid arg2type, const RelationFacts **out, int *nout)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid argtypes[2] = {OIDOID, arg2type};
	Datum values[2] = {ObjectIdGetDatum(arg1), arg2};
	int nargs = OidIsValid(arg2type) ? 2 : 1;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	int rc = sm_spi_execute_pinned(sql, nargs, argtypes, values, false);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "catalog query failed: %s", SPI_result_code_string(rc));
	int n = (int) SPI_processed;
	MemoryContext spi = MemoryContextSwitchTo(caller);
	Oid *oids = (Oid *) palloc(sizeof(Oid) * Max(n, 1));
	for (int i = 0; i < n; ++i)
	{
		bool isnull;
		Datum d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		oids[i] = isnull ? InvalidOid : DatumGetObjectId(d);
	}
	MemoryContextSwitchTo(spi);
	SPI_finish();
	MemoryContextSwitchTo(caller);

	RelationFacts *facts = (RelationFacts *) palloc(sizeof(RelationFacts) * Max(n, 1));
	int k = 0;
	for (int i = 0; i < n; ++i)
		if (OidIsValid(oids[i]))
			facts[k++] = facts_for_oid_shallow(oids[i]);
	*out = facts;
	*nout = k;
}

/* Other tables whose foreign keys (either side) involve relid, or relid.attnum when attnum > 0. */
void
foreign_key_partners(Oid relid, AttrNumber attnum, const RelationFacts **out, int *nout)
{
	facts_from_query(
		"SELECT DISTINCT CASE WHEN c.conrelid = $1 THEN c.confrelid ELSE c.conrelid END "
		"FROM pg_catalog.pg_constraint c "
		"WHERE c.contype = 'f' AND c.conrelid <> c.confrelid AND "
		"((c.conrelid = $1 AND ($2 = 0 OR $2 = ANY (c.conkey))) OR "
		" (c.confrelid = $1 AND ($2 = 0 OR $2 = ANY (c.confkey))))",
		relid, Int16GetDatum(attnum), INT2OID, out, nout);
}

/* Relations whose rules (views included) depend on relid, or on relid.attnum when attnum > 0. */
void
rule_dependents(Oid relid, AttrNumber attnum, const RelationFacts **out, int *nout)
{
	facts_from_query(
		"SELECT DISTINCT r.ev_class FROM pg_catalog.pg_depend d "
		"JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid "
		"WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
		"AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
		"AND d.refobjid = $1 AND ($2 = 0 OR d.refobjsubid = $2) AND r.ev_class <> $1",
		relid, Int32GetDatum(attnum), INT4OID, out, nout);
}

/* Collect the RangeVars of a raw query (its base relations). */
bool
rangevar_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeVar))
	{
		List **found = (List **) context;
		*found = lappend(*found, node);
		return false;
	}
	return raw_expression_tree_walker(node, (bool (*)()) (void (*)()) rangevar_walker, context);
}

/* The existing relations a raw query reads (views, CREATE TABLE AS), for AccessShareLock rows. */
void
query_base_relations(Node *query, const RelationFacts **out, int *nout)
{
	List *rvs = NIL;
	(void) rangevar_walker(query, &rvs);
	RelationFacts *facts = (RelationFacts *) palloc(sizeof(RelationFacts) * Max(list_length(rvs), 1));
	int k = 0;
	ListCell *lc;
	foreach (lc, rvs)
	{
		Oid relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);
		if (OidIsValid(relid)) /* a CTE name or a relation created later is not locked */
			facts[k++] = facts_for_oid_shallow(relid);
	}
	*out = facts;
	*nout = k;
}

/* The relations the query of view (or materialized view) relid reads, from its rule's dependencies. */
void
view_base_tables(Oid relid, const RelationFacts **out, int *nout)
{
	facts_from_query("SELECT DISTINCT d.refobjid FROM pg_catalog.pg_depend d "
					 "JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid "
					 "JOIN pg_catalog.pg_class c ON c.oid = d.refobjid "
					 "WHERE r.ev_class = $1 AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass "
					 "AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> $1 "
					 "AND c.relkind IN ('r', 'p', 'm', 'f', 'v')",
					 relid, (Datum) 0, InvalidOid, out, nout);
}

/* Concatenate two fact arrays. */
void
append_facts(const RelationFacts **a, int *na, const RelationFacts *b, int nb)
{
	if (nb == 0)
		return;
	RelationFacts *out = (RelationFacts *) palloc(sizeof(RelationFacts) * (*na + nb));
	for (int i = 0; i < *na; ++i)
		out[i] = (*a)[i];
	for (int i = 0; i < nb; ++i)
		out[*na + i] = b[i];
	*a = out;
	*na += nb;
}

/* Attribute facts of relid.column. */
struct AttrFacts
{
	bool found;
	AttrNumber attnum;
	Oid type;
	int32 typmod;
	Oid collation;
	bool not_null;
	bool has_default;
};

AttrFacts
attr_facts(Oid relid, const char *column)
{
	AttrFacts a = {false, 0, InvalidOid, -1, InvalidOid, false, false};
	if (!OidIsValid(relid) || column == NULL)
		return a;
	HeapTuple tup = SearchSysCacheAttName(relid, column);
	if (!HeapTupleIsValid(tup))
		return a;
	Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tup);
	a.found = true;
	a.attnum = att->attnum;
	a.type = att->atttypid;
	a.typmod = att->atttypmod;
	a.collation = att->attcollation;
	a.not_null = att->attnotnull;
	a.has_default = att->atthasdef;
	ReleaseSysCache(tup);
	return a;
}

/* "a, b" from a list of String nodes. */
const char *
join_names(List *names)
{
	StringInfoData buf;
	initStringInfo(&buf);
	ListCell *lc;
	foreach (lc, names)
	{
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, quote_identifier(strVal(lfirst(lc))));
	}
	return buf.data;
}

/* Distinct column names a raw expression refers to, in order (a List of char *; default constraint names). */
bool
column_names_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef))
	{
		ColumnRef *cref = (ColumnRef *) node;
		Node *last = (Node *) llast(cref->fields);
		if (IsA(last, String))
		{
			List **names = (List **) context;
			ListCell *lc;
			foreach (lc, *names)
				if (strcmp((const char *) lfirst(lc), strVal(last)) == 0)
					return false;
			*names = lappend(*names, strVal(last));
		}
		return false;
	}
	return raw_expression_tree_walker(node, (bool (*)()) (void (*)()) column_names_walker, context);
}

/*
 * Would ADD CONSTRAINT ... USING INDEX take this index as it is, giving the
 * constraint the statement asks for: a btree with the default operator
 * classes, collations and sort order, NULLS DISTINCT (index_check_primary_key,
 * transformIndexConstraint).
 */
bool
index_is_plain_btree(HeapTuple tup, Oid indexoid, Relation rel)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
#if PG_VERSION_NUM >= 150000
	if (idx->indnullsnotdistinct)
		return false;
#endif
	HeapTuple cls = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));
	if (!HeapTupleIsValid(cls))
		return false;
	bool btree = ((Form_pg_class) GETSTRUCT(cls))->relam == BTREE_AM_OID;
	ReleaseSysCache(cls);
	if (!btree)
		return false;
	bool isnull;
	Datum d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indclass, &isnull);
	oidvector *opclasses = isnull ? NULL : (oidvector *) DatumGetPointer(d);
	d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indcollation, &isnull);
	oidvector *collations = isnull ? NULL : (oidvector *) DatumGetPointer(d);
	d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indoption, &isnull);
	int2vector *options = isnull ? NULL : (int2vector *) DatumGetPointer(d);
	if (opclasses == NULL || collations == NULL || options == NULL)
		return false;
	for (int k = 0; k < idx->indnkeyatts; ++k)
	{
		AttrNumber attnum = idx->indkey.values[k];
		if (attnum <= 0 || attnum > RelationGetDescr(rel)->natts)
			return false;
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
		if (options->values[k] != 0 || collations->values[k] != att->attcollation ||
			opclasses->values[k] != GetDefaultOpClass(att->atttypid, BTREE_AM_OID))
			return false;
	}
	return true;
}

/* Is there a valid index on relid whose first key column is attnum? Unique and exact keys if unique_keys. */
const char *
find_index(Relation rel, const AttrNumber *keys, int nkeys, bool unique_exact)
{
	List *indexes = RelationGetIndexList(rel);
	ListCell *lc;
	const char *found = NULL;
	foreach (lc, indexes)
	{
		Oid indexoid = lfirst_oid(lc);
		HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
		if (!HeapTupleIsValid(tup))
			continue;
		Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
		bool match = idx->indisvalid && idx->indnkeyatts >= 1;
		if (match && unique_exact)
		{
			bool no_pred = heap_attisnull(tup, Anum_pg_index_indpred, NULL) &&
						   heap_attisnull(tup, Anum_pg_index_indexprs, NULL);
			match = idx->indisunique && no_pred && idx->indnkeyatts == nkeys && idx->indnatts == nkeys &&
					!OidIsValid(get_index_constraint(indexoid)) && index_is_plain_btree(tup, indexoid, rel);
			for (int k = 0; match && k < nkeys; ++k)
				match = idx->indkey.values[k] == keys[k];
		}
		else if (match)
			match = idx->indkey.values[0] == keys[0];
		ReleaseSysCache(tup);
		if (match)
		{
			found = get_rel_name(indexoid);
			break;
		}
	}
	list_free(indexes);
	return found;
}

/* The rewrite decision of tablecmds.c ATColumnChangeRequiresRewrite(), on a planned transform. */
bool
change_requires_rewrite(Node *expr, AttrNumber varattno)
{
	for (;;)
	{
		if (expr == NULL)
			return true;
		if (IsA(expr, Var) && ((Var *) expr)->varattno == varattno)
			return false;
		else if (IsA(expr, RelabelType))
			expr = (Node *) ((RelabelType *) expr)->arg;
		else if (IsA(expr, CoerceToDomain))
		{
			CoerceToDomain *d = (CoerceToDomain *) expr;
			if (DomainHasConstraints(d->resulttype))
				return true;
			expr = (Node *) d->arg;
		}
		else if (IsA(expr, FuncExpr))
		{
			FuncExpr *f = (FuncExpr *) expr;
			switch (f->funcid)
			{
				case F_TIMESTAMPTZ_TIMESTAMP:
				case F_TIMESTAMP_TIMESTAMPTZ:
					if (TimestampTimestampTzRequiresRewrite())
						return true;
					expr = (Node *) linitial(f->args);
					break;
				default:
					return true;
			}
		}
		else
			return true;
	}
}

bool
is_serial_type(const TypeName *tn)
{
	if (tn == NULL || list_length(tn->names) != 1 || tn->pct_type || tn->arrayBounds != NIL)
		return false;
	const char *n = strVal(linitial(tn->names));
	return strcmp(n, "smallserial") == 0 || strcmp(n, "serial2") == 0 || strcmp(n, "serial") == 0 ||
		   strcmp(n, "serial4") == 0 || strcmp(n, "bigserial") == 0 || strcmp(n, "serial8") == 0;
}

ConstraintKind
constraint_kind(ConstrType t)
{
	switch (t)
	{
		case CONSTR_CHECK:
			return ConstraintKind::Check;
		case CONSTR_FOREIGN:
			return ConstraintKind::ForeignKey;
		case CONSTR_PRIMARY:
			return ConstraintKind::PrimaryKey;
		case CONSTR_UNIQUE:
			return ConstraintKind::Unique;
		case CONSTR_EXCLUSION:
			return ConstraintKind::Exclusion;
		default:
			return ConstraintKind::None;
	}
}

/*
 * What a UNIQUE / PRIMARY KEY constraint says of its index, for the steps'
 * CREATE UNIQUE INDEX: " INCLUDE (...) NULLS NOT DISTINCT WITH (...)
 * TABLESPACE t" (in that order, as CREATE INDEX takes them).
 */
const char *
index_clauses_text(const Constraint *con)
{
	StringInfoData ix;
	initStringInfo(&ix);
	if (con->including != NIL)
		appendStringInfo(&ix, " INCLUDE (%s)", join_names(con->including));
#if PG_VERSION_NUM >= 150000
	if (con->nulls_not_distinct)
		appendStringInfoString(&ix, " NULLS NOT DISTINCT");
#endif
	if (con->options != NIL)
	{
		appendStringInfoString(&ix, " WITH (");
		ListCell *oc;
		foreach (oc, con->options)
		{
			DefElem *def = (DefElem *) lfirst(oc);
			if (oc != list_head(con->options))
				appendStringInfoString(&ix, ", ");
			if (def->defnamespace != NULL)
				appendStringInfo(&ix, "%s.", quote_identifier(def->defnamespace));
			appendStringInfoString(&ix, quote_identifier(def->defname));
			if (def->arg != NULL)
				appendStringInfo(&ix, " = %s", quote_literal_cstr(defGetString(def)));
		}
		appendStringInfoChar(&ix, ')');
	}
	if (con->indexspace != NULL)
		appendStringInfo(&ix, " TABLESPACE %s", quote_identifier(con->indexspace));
	return ix.data;
}

bool
is_constraint_attribute(ConstrType t)
{
	return t == CONSTR_ATTR_DEFERRABLE || t == CONSTR_ATTR_NOT_DEFERRABLE || t == CONSTR_ATTR_DEFERRED ||
		   t == CONSTR_ATTR_IMMEDIATE;
}

/* ADD COLUMN: default volatility, identity, generated, domain, inline constraints. */
void
extract_add_column(Oid relid, ColumnDef *def, Subcommand *c)
{
	c->column = def->colname;
	c->type_text = def->typeName ? TypeNameToString(def->typeName) : "";
	c->serial = is_serial_type(def->typeName);

	Oid typid = InvalidOid;
	int32 typmod = -1;
	if (def->typeName != NULL && !c->serial)
	{
		/* An unknown type is PostgreSQL's error, raised here as it would be. */
		typenameTypeIdAndMod(NULL, def->typeName, &typid, &typmod);
		c->type_text = format_type_with_typemod(typid, typmod);
		c->domain_constraints = get_typtype(typid) == TYPTYPE_DOMAIN && DomainHasConstraints(typid);
		c->type_has_default = get_typtype(typid) == TYPTYPE_DOMAIN && get_typdefault(typid) != NULL;
	}
	if (def->collClause != NULL)
		c->collate_text = NameListToQuotedString(def->collClause->collname);
	else if (c->serial)
	{
		const char *n = strVal(llast(def->typeName->names));
		c->type_text = strncmp(n, "big", 3) == 0 || strcmp(n, "serial8") == 0 ? "bigint"
					   : strncmp(n, "small", 5) == 0 || strcmp(n, "serial2") == 0 ? "smallint"
																				  : "integer";
	}

	Node *raw_default = def->raw_default;
	ListCell *lc;
	/* Every inline constraint with its name, or what PostgreSQL's name for it is made of. */
	InlineConstraint *inl = (InlineConstraint *) palloc(sizeof(InlineConstraint) * Max(list_length(def->constraints), 1));
	int ninl = 0;
	foreach (lc, def->constraints)
	{
		Constraint *con = (Constraint *) lfirst(lc);
		if (constraint_kind(con->contype) != ConstraintKind::None)
		{
			InlineConstraint *ic = new (&inl[ninl++]) InlineConstraint();
			ic->kind = constraint_kind(con->contype);
			if (con->conname != NULL)
				ic->name = con->conname;
			ic->middle = def->colname;
			/*
			 * Its text, for the steps: from its location (CONSTRAINT, or its
			 * keyword) to the next part of the column's definition (a
			 * DEFERRABLE / INITIALLY after it is its own); relative to the
			 * column's name, which the core finds in the subcommand's text.
			 */
			if (def->location >= 0 && con->location >= def->location)
			{
				int next = -1;
				ListCell *nc;
				foreach (nc, def->constraints)
				{
					Constraint *o = (Constraint *) lfirst(nc);
					if (!is_constraint_attribute(o->contype) && o->location > con->location &&
						(next < 0 || o->location < next))
						next = o->location;
				}
				if (def->collClause != NULL && def->collClause->location > con->location &&
					(next < 0 || def->collClause->location < next))
					next = def->collClause->location;
				ic->begin = con->location - def->location;
				ic->end = next < 0 ? -1 : next - def->location;
			}
			if (con->contype == CONSTR_PRIMARY || con->contype == CONSTR_UNIQUE)
			{
				ic->index_clauses = index_clauses_text(con);
				/* DEFERRABLE / INITIALLY: items of their own after it (transformConstraintAttrs()) */
				bool deferrable = false, deferred = false;
				for (ListCell *ac = lnext(def->constraints, lc); ac != NULL; ac = lnext(def->constraints, ac))
				{
					Constraint *o = (Constraint *) lfirst(ac);
					if (!is_constraint_attribute(o->contype))
						break;
					if (o->contype == CONSTR_ATTR_DEFERRABLE)
						deferrable = true;
					else if (o->contype == CONSTR_ATTR_NOT_DEFERRABLE)
						deferrable = false;
					else if (o->contype == CONSTR_ATTR_DEFERRED)
						deferrable = deferred = true;
					else
						deferred = false;
				}
				if (deferrable)
					ic->constraint_clauses = deferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
				/* ChooseIndexName(): the first name free among the schema's relations and constraints */
				char *relname = con->conname == NULL && OidIsValid(relid) ? get_rel_name(relid) : NULL;
				if (relname != NULL)
				{
					bool pk = con->contype == CONSTR_PRIMARY;
					ic->free_index_name = ChooseRelationName(relname, pk ? NULL : def->colname, pk ? "pkey" : "key",
															 get_rel_namespace(relid), true);
				}
			}
			if (con->contype == CONSTR_CHECK)
			{
				/* AddRelationNewConstraints(): the column only when the expression uses exactly one */
				List *refs = NIL;
				(void) column_names_walker(con->raw_expr, &refs);
				ic->middle = list_length(refs) == 1 ? (const char *) linitial(refs) : "";
			}
		}
		switch (con->contype)
		{
			case CONSTR_DEFAULT:
				raw_default = con->raw_expr;
				break;
			case CONSTR_IDENTITY:
				c->identity = true;
				break;
			case CONSTR_GENERATED:
				c->generated_stored = true;
				break;
			case CONSTR_NOTNULL:
				c->written_not_null = true;
				c->not_null = true;
				break;
			case CONSTR_PRIMARY:
				c->not_null = true;
				break;
			default:
				break;
		}
		ConstraintKind k = constraint_kind(con->contype);
		if (k == ConstraintKind::None)
			continue;
		/*
		 * The most expensive inline constraint decides: an index build over a
		 * foreign key's validation (on a new column it may read nothing) over
		 * a CHECK, whatever their order.
		 */
		auto rank = [](ConstraintKind kind) {
			return kind == ConstraintKind::PrimaryKey || kind == ConstraintKind::Unique ||
						   kind == ConstraintKind::Exclusion
					   ? 3
				   : kind == ConstraintKind::ForeignKey ? 2
				   : kind == ConstraintKind::Check		? 1
														: 0;
		};
		if (rank(k) > rank(c->inline_constraint))
			c->inline_constraint = k;
		if (k == ConstraintKind::ForeignKey)
			c->other = facts_for_rangevar(con->pktable);
	}
	c->inline_constraints = inl;
	c->ninline_constraints = ninl;

	if (raw_default != NULL)
	{
		c->has_default = true;
		if (OidIsValid(typid))
		{
			/* PostgreSQL's own cooking of the default, on a copy of the tree. */
			ParseState *pstate = make_parsestate(NULL);
			Node *cooked = cookDefault(pstate, copy_node(raw_default), typid, typmod,
									   def->colname, '\0');
			c->default_volatile = contain_volatile_functions(cooked);
			c->default_text = deparse_expression(cooked, NIL, false, false);
			free_parsestate(pstate);
		}
		else
			c->default_volatile = true; /* unknown type: PostgreSQL reports it; be conservative */
	}
	else if (OidIsValid(typid) && !c->generated_stored && !c->identity && get_typtype(typid) == TYPTYPE_DOMAIN)
	{
		/* No default of its own: the domain's, as build_column_default() takes it (random() rewrites). */
		Node *domain_default = get_typdefault(typid);
		if (domain_default != NULL)
		{
			c->has_default = true;
			c->default_from_domain = true;
			c->default_volatile = contain_volatile_functions(domain_default);
			c->default_text = deparse_expression(domain_default, NIL, false, false);
		}
	}
	(void) relid;
}

/*
 * Without a rewrite, ALTER COLUMN TYPE re-creates every index and constraint
 * that depends on the column (tablecmds.c ATPostAlterTypeCleanup):
 *
 * - an index keeps its storage only when its new definition is compatible
 *   (TryReuseIndex, indexcmds.c CheckIndexCompatible): no expressions and no
 *   predicate, the same operator classes (a default one becomes the new
 *   type's default, one named explicitly stays) and collations (one that
 *   follows the column's becomes the new column's), no polymorphic operator
 *   class whose index column type differs from the new type.  The index of
 *   a partition that belongs to a partitioned index is built again (the
 *   partitioned one has no storage to reuse).  Any other index is built
 *   again, reading the table under its AccessExclusiveLock.
 * - a validated CHECK constraint is added again and validated: every row is
 *   read under the lock (ATAddCheckConstraint with is_readd).
 *
 * relid and, when the statement recurses, its inheritance children.
 */
int int2_array_attnums(HeapTuple tup, TupleDesc desc, int attnum, AttrNumber *out, int max);
void for_each_constraint(Oid relid, bool (*fn)(HeapTuple, TupleDesc, void *), void *arg);

struct TypeChangeCost
{
	int indexes;				/* indexes built again */
	int checks;					/* validated CHECKs re-checked (the table's own and its children's local ones) */
	List *check_names;			/* the table's own: names and definitions */
	List *check_defs;
};

/* Does the index (its pg_index row) use attnum in a key, an INCLUDE column, an expression or its predicate? */
bool
index_uses_column(HeapTuple tup, AttrNumber attnum)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
	for (int k = 0; k < idx->indnatts; ++k)
		if (idx->indkey.values[k] == attnum)
			return true;
	for (int field : {Anum_pg_index_indexprs, Anum_pg_index_indpred})
	{
		bool isnull;
		Datum d = SysCacheGetAttr(INDEXRELID, tup, field, &isnull);
		if (isnull)
			continue;
		Bitmapset *attrs = NULL;
		pull_varattnos((Node *) stringToNode(TextDatumGetCString(d)), 1, &attrs);
		/* (a whole-row reference depends on the table, not the column: such an index is left alone) */
		if (bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			return true;
	}
	return false;
}

/* Would the index on relid's column be built again (see TypeChangeCost)? */
bool
index_rebuilt(Oid indexoid, HeapTuple tup, const AttrFacts &att, Oid newtype, Oid newcoll)
{
	if (get_rel_relkind(indexoid) == RELKIND_PARTITIONED_INDEX)
		return false;			/* no storage: its partitions' indexes are counted */
	if (get_rel_relispartition(indexoid))
		return true;
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
	if (!heap_attisnull(tup, Anum_pg_index_indexprs, NULL) || !heap_attisnull(tup, Anum_pg_index_indpred, NULL) ||
		!idx->indisvalid)
		return true;
	bool isnull;
	Datum d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indclass, &isnull);
	if (isnull)
		return true;
	oidvector *classes = (oidvector *) DatumGetPointer(d);
	d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indcollation, &isnull);
	if (isnull)
		return true;
	oidvector *collations = (oidvector *) DatumGetPointer(d);
	Oid am = InvalidOid;
	HeapTuple ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));
	if (HeapTupleIsValid(ctup))
	{
		am = ((Form_pg_class) GETSTRUCT(ctup))->relam;
		ReleaseSysCache(ctup);
	}
	for (int k = 0; k < idx->indnkeyatts; ++k)
	{
		if (idx->indkey.values[k] != att.attnum)
			continue;
		Oid oldclass = classes->values[k];
		Oid newclass = oldclass == GetDefaultOpClass(att.type, am) ? GetDefaultOpClass(newtype, am) : oldclass;
		if (newclass != oldclass)
			return true;
		/* (the index column's type: a GIN array_ops index stores the elements, so any type change counts) */
		if (IsPolymorphicType(get_opclass_input_type(newclass)) && get_atttype(indexoid, k + 1) != newtype)
			return true;
		Oid oldicoll = collations->values[k];
		Oid newicoll = oldicoll == att.collation ? newcoll : oldicoll;
		if (newicoll != oldicoll)
			return true;
	}
	return false;
}

/* for_each_constraint(): a validated CHECK on the column. */
struct CheckScan
{
	AttrNumber attnum;
	bool own;					/* the statement's table: names and definitions are kept */
	TypeChangeCost *cost;
};

bool
count_check_step(HeapTuple tup, TupleDesc desc, void *arg)
{
	CheckScan *cs = (CheckScan *) arg;
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
	if (con->contype != CONSTRAINT_CHECK || !con->convalidated || (!cs->own && !con->conislocal))
		return true;
	AttrNumber keys[INDEX_MAX_KEYS * 4];
	int n = int2_array_attnums(tup, desc, Anum_pg_constraint_conkey, keys, lengthof(keys));
	bool uses = n < 0;			/* unknown: count it */
	for (int i = 0; i < n && !uses; ++i)
		uses = keys[i] == cs->attnum;
	if (!uses)
		return true;
	cs->cost->checks++;
	if (cs->own)
	{
		cs->cost->check_names = lappend(cs->cost->check_names, pstrdup(NameStr(con->conname)));
		cs->cost->check_defs = lappend(cs->cost->check_defs,
									   TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef,
																			   ObjectIdGetDatum(con->oid))));
	}
	return true;
}

/* C-style frame; may ereport. */
TypeChangeCost
type_change_cost(Oid relid, bool recurse, const char *column, Oid newtype, Oid newcoll)
{
	TypeChangeCost cost = {0, 0, NIL, NIL};
	List *rels = recurse ? find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	ListCell *lc;
	foreach (lc, rels)
	{
		Oid r = lfirst_oid(lc);
		if (get_rel_relkind(r) == RELKIND_FOREIGN_TABLE) /* no storage: nothing rebuilt or re-checked */
			continue;
		AttrFacts att = attr_facts(r, column);
		if (!att.found)
			continue;
		Relation rel = probe_open(r);
		if (rel == NULL)
			continue;
		List *indexes = RelationGetIndexList(rel);
		ListCell *ic;
		foreach (ic, indexes)
		{
			Oid indexoid = lfirst_oid(ic);
			HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
			if (!HeapTupleIsValid(tup))
				continue;
			if (index_uses_column(tup, att.attnum) && index_rebuilt(indexoid, tup, att, newtype, newcoll))
				cost.indexes++;
			ReleaseSysCache(tup);
		}
		list_free(indexes);
		probe_close(rel);
		CheckScan cs = {att.attnum, r == relid, &cost};
		for_each_constraint(r, count_check_step, &cs);
	}
	return cost;
}

/* ALTER COLUMN TYPE: would PostgreSQL rewrite the table? */
void
extract_alter_type(Oid relid, bool recurse, const char *column, ColumnDef *def, Subcommand *c)
{
	c->type_text = def->typeName ? TypeNameToString(def->typeName) : "";
	c->type_using = def->raw_default != NULL;
	AttrFacts att = attr_facts(relid, column);
	c->type_rewrites = true;	/* unless proved otherwise below */
	if (!att.found || def->typeName == NULL)
		return;

	/* The constraints on the column are re-created: their other tables are locked. */
	foreign_key_partners(relid, att.attnum, &c->partners, &c->npartners);

	Type typ = LookupTypeName(NULL, def->typeName, NULL, true);
	if (typ == NULL)
	{
		c->pg_error = psprintf("type \"%s\" does not exist", TypeNameToString(def->typeName));
		return;
	}
	ReleaseSysCache(typ);
	Oid target;
	int32 target_typmod;
	typenameTypeIdAndMod(NULL, def->typeName, &target, &target_typmod);
	c->type_text = format_type_with_typemod(target, target_typmod);

	/* The transform expression, built as ATPrepAlterColumnType() builds it. */
	Node *expr;
	ParseState *pstate = make_parsestate(NULL);
	Relation rel = NULL;
	if (def->raw_default != NULL)
	{
		rel = probe_open(relid);
		if (rel == NULL)
		{
			free_parsestate(pstate);
			return;				/* cannot see the table now: assume a rewrite */
		}
		ParseNamespaceItem *nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL,
																   false, true);
		addNSItemToQuery(pstate, nsitem, false, true, true);
		expr = transformExpr(pstate, copy_node(def->raw_default), EXPR_KIND_ALTER_COL_TRANSFORM);
		expr = coerce_to_target_type(pstate, expr, exprType(expr), target, target_typmod,
									 COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
	}
	else
	{
		expr = (Node *) makeVar(1, att.attnum, att.type, att.typmod, att.collation, 0);
		expr = coerce_to_target_type(pstate, expr, att.type, target, target_typmod, COERCION_ASSIGNMENT,
									 COERCE_IMPLICIT_CAST, -1);
	}
	if (expr != NULL)			/* NULL: no cast, PostgreSQL reports the error */
	{
		assign_expr_collations(pstate, expr);
		/*
		 * Planned as ATPrepAlterColumnType does, which folds IMMUTABLE
		 * functions of constants, i.e. runs them: not a user's function,
		 * which judging must not run (nor check(), which runs nothing).  An
		 * expression with one rewrites, as PostgreSQL's would but for a SQL
		 * function it inlines to the column itself.
		 */
		if (calls_user_function(expr))
			c->type_rewrites = true;
		else
		{
			expr = (Node *) expression_planner((Expr *) expr);
			c->type_rewrites = change_requires_rewrite(expr, att.attnum);
		}
	}
	if (rel != NULL)
		probe_close(rel);
	free_parsestate(pstate);
	if (c->type_rewrites)
		return;
	/* The column's collation afterwards: COLLATE, else the type's own (GetColumnDefCollation()). */
	Oid newcoll = get_typcollation(target);
	if (def->collClause != NULL)
		newcoll = get_collation_oid(def->collClause->collname, true);
	TypeChangeCost cost = type_change_cost(relid, recurse, column, target, newcoll);
	/* ALTER TYPE ... ALTER ATTRIBUTE ... CASCADE: the same for each table of the composite type. */
	if (get_rel_relkind(relid) == RELKIND_COMPOSITE_TYPE)
	{
		HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		Oid rowtype = InvalidOid;
		if (HeapTupleIsValid(tup))
		{
			rowtype = ((Form_pg_class) GETSTRUCT(tup))->reltype;
			ReleaseSysCache(tup);
		}
		Relation pg_class_rel = table_open(RelationRelationId, AccessShareLock);
		TableScanDesc scan = table_beginscan_catalog(pg_class_rel, 0, NULL);
		HeapTuple ctup;
		List *typed = NIL;
		while (OidIsValid(rowtype) && HeapTupleIsValid(ctup = heap_getnext(scan, ForwardScanDirection)))
			if (((Form_pg_class) GETSTRUCT(ctup))->reloftype == rowtype)
				typed = lappend_oid(typed, ((Form_pg_class) GETSTRUCT(ctup))->oid);
		table_endscan(scan);
		table_close(pg_class_rel, AccessShareLock);
		ListCell *lc;
		foreach (lc, typed)
		{
			TypeChangeCost t = type_change_cost(lfirst_oid(lc), true, column, target, newcoll);
			cost.indexes += t.indexes;
			cost.checks += t.checks;
		}
	}
	c->indexes_rebuilt = cost.indexes;
	c->checks_revalidated = cost.checks;
	int n = list_length(cost.check_names);
	std::string_view *names = (std::string_view *) palloc(sizeof(std::string_view) * Max(n, 1));
	std::string_view *defs = (std::string_view *) palloc(sizeof(std::string_view) * Max(n, 1));
	for (int i = 0; i < n; ++i)
	{
		new (&names[i]) std::string_view((const char *) list_nth(cost.check_names, i));
		new (&defs[i]) std::string_view((const char *) list_nth(cost.check_defs, i));
	}
	c->check_names = names;
	c->check_defs = defs;
	c->ncheck_defs = n;
}

/* int2[] of a pg_constraint column → attribute numbers; -1 when NULL or longer than max. */
int
int2_array_attnums(HeapTuple tup, TupleDesc desc, int attnum, AttrNumber *out, int max)
{
	bool isnull;
	Datum d = heap_getattr(tup, attnum, desc, &isnull);
	if (isnull)
		return -1;
	ArrayType *arr = DatumGetArrayTypeP(d);
	if (ARR_NDIM(arr) != 1 || ARR_HASNULL(arr) || ARR_ELEMTYPE(arr) != INT2OID)
		return -1;
	int n = ARR_DIMS(arr)[0];
	if (n > max)
		return -1;
	const int16 *v = (const int16 *) ARR_DATA_PTR(arr);
	for (int i = 0; i < n; ++i)
		out[i] = v[i];
	return n;
}

/* What a NOT VALID constraint of the table must be to count as the subcommand's own. */
struct SameDefinition
{
	Oid relid;
	char contype;			/* CONSTRAINT_CHECK or CONSTRAINT_FOREIGN */
	/* CHECK: the cooked expression, as AddRelationNewConstraints() stores it */
	Node *expr;
	bool no_inherit;
	/* FOREIGN KEY */
	Oid confrelid;
	int nkeys;
	AttrNumber conkey[INDEX_MAX_KEYS];
	AttrNumber confkey[INDEX_MAX_KEYS];
	char upd_action, del_action, match_type;
	bool deferrable, deferred;
	Subcommand *c;			/* same_not_valid is filled in */
};

/*
 * Call fn(tuple, pg_constraint's descriptor, arg) for each constraint of
 * relid, until it returns false.
 *
 * C-style frame; may ereport.
 */
void
for_each_constraint(Oid relid, bool (*fn)(HeapTuple, TupleDesc, void *), void *arg)
{
	Relation conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	SysScanDesc scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	HeapTuple tup;
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		if (!fn(tup, RelationGetDescr(conrel), arg))
			break;
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
}

struct SameCollected
{
	const SameDefinition *s;
	std::string_view *names;
	int n, cap;
};

/* for_each_constraint(): a NOT VALID constraint with s's definition goes into the list. */
bool
collect_same_step(HeapTuple tup, TupleDesc desc, void *arg)
{
	SameCollected *out = (SameCollected *) arg;
	const SameDefinition *s = out->s;
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
	if (con->convalidated || con->contype != s->contype)
		return true;
	bool same = false;
	if (s->contype == CONSTRAINT_CHECK)
	{
		bool isnull;
		Datum bin = heap_getattr(tup, Anum_pg_constraint_conbin, desc, &isnull);
		same = !isnull && con->connoinherit == s->no_inherit && equal(stringToNode(TextDatumGetCString(bin)), s->expr);
	}
	else
	{
		AttrNumber conkey[INDEX_MAX_KEYS], confkey[INDEX_MAX_KEYS];
		bool isnull;
		(void) heap_getattr(tup, Anum_pg_constraint_confdelsetcols, desc, &isnull);
		int nfk = int2_array_attnums(tup, desc, Anum_pg_constraint_conkey, conkey, INDEX_MAX_KEYS);
		int npk = int2_array_attnums(tup, desc, Anum_pg_constraint_confkey, confkey, INDEX_MAX_KEYS);
		same = con->confrelid == s->confrelid && nfk == s->nkeys && npk == s->nkeys &&
			   con->confupdtype == s->upd_action && con->confdeltype == s->del_action &&
			   con->confmatchtype == s->match_type && con->condeferrable == s->deferrable &&
			   con->condeferred == s->deferred &&
			   (isnull || int2_array_attnums(tup, desc, Anum_pg_constraint_confdelsetcols, conkey, 0) == 0);
		for (int i = 0; same && i < s->nkeys; ++i)
			same = conkey[i] == s->conkey[i] && confkey[i] == s->confkey[i];
	}
	if (!same)
		return true;
	if (out->n == out->cap)
	{
		out->cap *= 2;
		out->names = (std::string_view *) repalloc(out->names, sizeof(std::string_view) * out->cap);
	}
	new (&out->names[out->n++]) std::string_view(pstrdup(NameStr(con->conname)));
	return true;
}

/*
 * Fill s->c->same_not_valid with the NOT VALID constraints of the table
 * whose definition is s's.
 *
 * C-style frame; may ereport.
 */
void
collect_same_not_valid(SameDefinition *s)
{
	SameCollected out = {s, (std::string_view *) palloc(sizeof(std::string_view) * 4), 0, 4};
	for_each_constraint(s->relid, collect_same_step, &out);
	s->c->same_not_valid = out.names;
	s->c->nsame_not_valid = out.n;
}

/* ADD CHECK: cook the expression as cookConstraint() does, then compare. */
struct SameCheckArgs
{
	Oid relid;
	Node *raw;
	bool no_inherit;
	Subcommand *c;
};

void
same_check_step(void *arg)
{
	SameCheckArgs *a = (SameCheckArgs *) arg;
	Relation rel = probe_open(a->relid);
	if (rel == NULL)
		return;					/* cannot see the table now: nothing to continue */
	ParseState *pstate = make_parsestate(NULL);
	ParseNamespaceItem *nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, true);
	addNSItemToQuery(pstate, nsitem, true, true, true);
	Node *expr = transformExpr(pstate, copy_node(a->raw), EXPR_KIND_CHECK_CONSTRAINT);
	expr = coerce_to_boolean(pstate, expr, "CHECK");
	assign_expr_collations(pstate, expr);
	free_parsestate(pstate);
	probe_close(rel);
	SameDefinition s = {};
	s.relid = a->relid;
	s.contype = CONSTRAINT_CHECK;
	s.expr = expr;
	s.no_inherit = a->no_inherit;
	s.c = a->c;
	collect_same_not_valid(&s);
}

struct PrimaryKey
{
	AttrNumber *out;
	int n;
};

/* for_each_constraint(): the primary key's columns. */
bool
primary_key_step(HeapTuple tup, TupleDesc desc, void *arg)
{
	PrimaryKey *pk = (PrimaryKey *) arg;
	if (((Form_pg_constraint) GETSTRUCT(tup))->contype != CONSTRAINT_PRIMARY)
		return true;
	pk->n = Max(int2_array_attnums(tup, desc, Anum_pg_constraint_conkey, pk->out, INDEX_MAX_KEYS), 0);
	return false;
}

/* Primary key columns of relid (transformFkeyGetPrimaryKey); 0 when it has none. */
int
primary_key_attnums(Oid relid, AttrNumber *out)
{
	PrimaryKey pk = {out, 0};
	for_each_constraint(relid, primary_key_step, &pk);
	return pk.n;
}

/* ADD FOREIGN KEY: resolve the columns as transformFkey*() would, then compare. */
struct SameFkArgs
{
	Oid relid;
	Constraint *con;
	Subcommand *c;
};

void
same_fk_step(void *arg)
{
	SameFkArgs *a = (SameFkArgs *) arg;
	Constraint *con = a->con;
	SameDefinition s = {};
	s.relid = a->relid;
	s.contype = CONSTRAINT_FOREIGN;
	s.c = a->c;
	s.confrelid = RangeVarGetRelid(con->pktable, NoLock, true);
	s.nkeys = list_length(con->fk_attrs);
	if (!OidIsValid(s.confrelid) || s.nkeys == 0 || s.nkeys > INDEX_MAX_KEYS || con->fk_del_set_cols != NIL)
		return;
	int i = 0;
	ListCell *lc;
	foreach (lc, con->fk_attrs)
		if ((s.conkey[i++] = get_attnum(a->relid, strVal(lfirst(lc)))) == InvalidAttrNumber)
			return;
	if (con->pk_attrs == NIL)
	{
		if (primary_key_attnums(s.confrelid, s.confkey) != s.nkeys)
			return;
	}
	else
	{
		if (list_length(con->pk_attrs) != s.nkeys)
			return;
		i = 0;
		foreach (lc, con->pk_attrs)
			if ((s.confkey[i++] = get_attnum(s.confrelid, strVal(lfirst(lc)))) == InvalidAttrNumber)
				return;
	}
	s.upd_action = con->fk_upd_action;
	s.del_action = con->fk_del_action;
	s.match_type = con->fk_matchtype;
	s.deferrable = con->deferrable;
	s.deferred = con->initdeferred;
	collect_same_not_valid(&s);
}

/* Run a same_*_step; an error (a column that does not exist yet, ...) means no match. */
void
try_same_step(void (*step)(void *), void *arg)
{
	ErrorData *edata = sm_try_in_subtransaction(step, arg);
	if (edata == NULL)
		return;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
		ReThrowError(edata);
	FreeErrorData(edata);
}

/* SET NOT NULL: already set, or implied by a valid CHECK (PG12+ NotNullImpliedByRelConstraints). */
void
extract_set_not_null(Oid relid, bool recurse, const char *column, Subcommand *c)
{
	AttrFacts att = attr_facts(relid, column);
	if (!att.found)
		return;
	c->already_not_null = att.not_null;
	c->has_default = att.has_default;
	c->column_composite = get_typtype(getBaseType(att.type)) == TYPTYPE_COMPOSITE;
	/*
	 * Already NOT NULL: nothing to do, but for a traditional inheritance
	 * parent, whose children may still be nullable and are scanned
	 * (ATPrepSetNotNull skips the recursion for partitioned tables only).
	 */
	if (att.not_null && (!recurse || get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE))
		return;
	NullTest *nt = makeNode(NullTest);
	nt->arg = (Expr *) makeVar(1, att.attnum, att.type, att.typmod, att.collation, 0);
	nt->nulltesttype = IS_NOT_NULL;
	nt->argisrow = false;
	nt->location = -1;
	/*
	 * Each table the statement reaches is scanned for NULLs unless its own
	 * valid CHECKs prove the column NOT NULL (NotNullImpliedByRelConstraints,
	 * table by table in phase 3): a parent's NO INHERIT CHECK proves nothing
	 * for its children, and a partitioned table, which has no rows of its
	 * own, needs its partitions' proofs.
	 */
	List *rels = recurse ? find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	bool implied = true;
	ListCell *lc;
	foreach (lc, rels)
	{
		Oid r = lfirst_oid(lc);
		char kind = get_rel_relkind(r);
		if (kind == RELKIND_PARTITIONED_TABLE || kind == RELKIND_FOREIGN_TABLE) /* no rows of its own to scan */
			continue;
		AttrFacts ratt = r == relid ? att : attr_facts(r, column);
		if (!ratt.found || ratt.not_null)
			continue;
		c->already_not_null = false; /* a child to do */
		Relation rel = probe_open(r);
		if (rel == NULL)
		{
			implied = false;
			break;
		}
		NullTest *rnt = (NullTest *) copyObjectImpl(nt);
		((Var *) rnt->arg)->varattno = ratt.attnum;
		bool proved = PartConstraintImpliedByRelConstraint(rel, list_make1(rnt));
		probe_close(rel);
		if (!proved)
		{
			implied = false;
			break;
		}
	}
	c->not_null_implied = implied;
	/*
	 * CHECK (column IS NOT NULL) NOT VALID, left by an interrupted rewrite:
	 * NO INHERIT when the statement says ONLY.  (A validated one is not taken
	 * over: it may be the user's own step of the same recipe, dropped by a
	 * statement of theirs after this one.)
	 */
	SameDefinition s = {};
	s.relid = relid;
	s.contype = CONSTRAINT_CHECK;
	s.expr = (Node *) nt;
	s.no_inherit = !recurse;
	s.c = c;
	collect_same_not_valid(&s);
}

/* ADD CONSTRAINT facts. */
/*
 * Columns the ALTER TABLE being extracted adds itself (its ADD COLUMN
 * subcommands, run in AT_PASS_ADD_COL before constraints and column
 * attributes), while extract_alter_table() runs; NIL otherwise.
 */
List *alter_added_columns = NIL;

bool
name_in_list(List *names, const char *name)
{
	ListCell *lc;
	foreach (lc, names)
		if (strcmp((const char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

/* Does relid have the column, or does the statement add it before name is used? */
bool
column_known(Oid relid, const char *name)
{
	return attr_facts(relid, name).found || name_in_list(alter_added_columns, name);
}

/* The first of the names (String nodes, or C strings) that the statement adds (relid lacks it), or NULL. */
const char *
added_column(Oid relid, List *names, bool string_nodes)
{
	ListCell *lc;
	foreach (lc, names)
	{
		const char *name = string_nodes ? strVal(lfirst(lc)) : (const char *) lfirst(lc);
		if (OidIsValid(relid) && name_in_list(alter_added_columns, name) && !attr_facts(relid, name).found)
			return name;
	}
	return NULL;
}

/* The first of the names (String nodes) that is not a known column of relid, or NULL. */
const char *
unknown_column(Oid relid, List *names)
{
	ListCell *lc;
	foreach (lc, names)
		if (!column_known(relid, strVal(lfirst(lc))))
			return strVal(lfirst(lc));
	return NULL;
}

void
extract_add_constraint(Oid relid, Constraint *con, Subcommand *c)
{
	c->constraint = constraint_kind(con->contype);
	c->not_valid = con->skip_validation;
	c->using_index = con->indexname != NULL;
	if (con->indexname != NULL)
		c->using_index_name = con->indexname;
	if (con->conname != NULL)
		c->name = con->conname;

	switch (con->contype)
	{
		case CONSTR_CHECK:
		{
			c->no_inherit = con->is_no_inherit;
			List *refs = NIL;
			(void) column_names_walker(con->raw_expr, &refs);
			/*
			 * The columns it uses; a reference by the table's own name (not a
			 * column) is the whole row, which names no column.
			 */
			List *names = NIL;
			ListCell *rc;
			foreach (rc, refs)
			{
				const char *ref = (const char *) lfirst(rc);
				if (!OidIsValid(relid) || column_known(relid, ref))
					names = lappend(names, (void *) ref);
				else if (strcmp(ref, get_rel_name(relid)) != 0 && c->pg_error.empty())
					c->pg_error = psprintf("column \"%s\" does not exist", ref);
			}
			if (names != NIL)
				c->first_column = (const char *) linitial(names);
			/* AddRelationNewConstraints(): the default name has the column only when exactly one is used. */
			c->name_columns = list_length(names) == 1 ? (const char *) linitial(names) : "";
			c->name_columns_known = true;
			if (const char *added = added_column(relid, names, false))
				c->added_column = added;
			if (OidIsValid(relid) && con->raw_expr != NULL)
			{
				SameCheckArgs a = {relid, con->raw_expr, con->is_no_inherit, c};
				try_same_step(same_check_step, &a);
			}
			break;
		}
		case CONSTR_FOREIGN:
		{
			c->other = facts_for_rangevar(con->pktable);
			if (OidIsValid(relid))
				if (const char *missing = unknown_column(relid, con->fk_attrs))
					c->pg_error = psprintf("column \"%s\" referenced in foreign key constraint does not exist", missing);
			if (const char *added = added_column(relid, con->fk_attrs, true))
				c->added_column = added;
			if (OidIsValid(relid) && con->fk_attrs != NIL)
			{
				SameFkArgs a = {relid, con, c};
				try_same_step(same_fk_step, &a);
			}
			if (con->fk_attrs != NIL)
			{
				c->first_column = strVal(linitial(con->fk_attrs));
				c->columns = join_names(con->fk_attrs);
				/* ChooseForeignKeyConstraintNameAddition(): every column, joined by "_". */
				StringInfoData nm;
				initStringInfo(&nm);
				ListCell *kc;
				foreach (kc, con->fk_attrs)
					appendStringInfo(&nm, "%s%s", nm.len > 0 ? "_" : "", strVal(lfirst(kc)));
				c->name_columns = nm.data;
				c->name_columns_known = true;
				AttrFacts att = attr_facts(relid, strVal(linitial(con->fk_attrs)));
				Relation rel = att.found ? probe_open(relid) : NULL;
				if (rel != NULL)
				{
					c->fk_columns_indexed = find_index(rel, &att.attnum, 1, false) != NULL;
					probe_close(rel);
				}
			}
			break;
		}
		case CONSTR_PRIMARY:
		case CONSTR_UNIQUE:
		{
			List *keys = con->keys;
			if (OidIsValid(relid) && c->pg_error.empty())
			{
				const char *missing = unknown_column(relid, keys);
				if (missing == NULL)
					missing = unknown_column(relid, con->including);
				if (missing != NULL)
					c->pg_error = psprintf("column \"%s\" named in key does not exist", missing);
			}
			const char *added = added_column(relid, keys, true);
			if (added == NULL)
				added = added_column(relid, con->including, true);
			if (added != NULL)
				c->added_column = added;
			/* PostgreSQL's own errors before it builds the index: a second primary key, a name the table has. */
			if (OidIsValid(relid))
			{
				AttrNumber pk[INDEX_MAX_KEYS];
				c->table_has_primary_key = con->contype == CONSTR_PRIMARY && primary_key_attnums(relid, pk) > 0;
				c->name_taken = con->conname != NULL &&
								OidIsValid(get_relation_constraint_oid(relid, con->conname, true));
				/* DefineIndex(): the index takes the name, which no relation of the schema may have */
				c->index_name_taken = con->conname != NULL && !c->using_index &&
									  OidIsValid(get_relname_relid(con->conname, get_rel_namespace(relid)));
			}
			if (keys != NIL)
			{
				c->columns = join_names(keys);
				c->first_column = strVal(linitial(keys));
				StringInfoData nm;
				initStringInfo(&nm);
				ListCell *kc;
				foreach (kc, keys)
					appendStringInfo(&nm, "%s%s", nm.len > 0 ? "_" : "", strVal(lfirst(kc)));
				/* ChooseIndexColumnNames(): the INCLUDE columns are part of the default name too */
				foreach (kc, con->including)
					appendStringInfo(&nm, "_%s", strVal(lfirst(kc)));
				c->name_columns = nm.data;
			}
			/*
			 * Without a name the index gets the first of table_cols_key, table_cols_key1, ... that no
			 * relation or constraint of the schema has (ChooseIndexName()); the steps must use that one.
			 */
			if (con->conname == NULL && !c->using_index && OidIsValid(relid) && keys != NIL)
			{
				char *relname = get_rel_name(relid);
				if (relname != NULL)
					c->free_index_name = ChooseRelationName(relname, con->contype == CONSTR_PRIMARY ? NULL : c->name_columns.data(),
															con->contype == CONSTR_PRIMARY ? "pkey" : "key",
															get_rel_namespace(relid), true);
			}
			/* What the statement says of the index and the constraint, for the steps. */
			c->index_clauses = index_clauses_text(con);
			if (con->deferrable)
				c->constraint_clauses = con->initdeferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE";
			int n = list_length(keys);
			AttrNumber *attnums = (AttrNumber *) palloc(sizeof(AttrNumber) * Max(n, 1));
			/* the key columns not NOT NULL yet (a PRIMARY KEY's steps make them so first) */
			std::string_view *nullable = (std::string_view *) palloc(sizeof(std::string_view) * Max(n, INDEX_MAX_KEYS));
			int nnullable = 0;
			bool all_found = true;
			int i = 0;
			ListCell *lc;
			foreach (lc, keys)
			{
				AttrFacts att = attr_facts(relid, strVal(lfirst(lc)));
				all_found &= att.found;
				attnums[i++] = att.attnum;
				if (att.found && !att.not_null)
				{
					c->pk_columns_nullable = true;
					new (&nullable[nnullable++]) std::string_view(strVal(lfirst(lc)));
				}
			}
			if (c->using_index)
			{
				/* The index's columns decide: are they all NOT NULL already? */
				Oid indexoid = OidIsValid(relid)
								   ? get_relname_relid(con->indexname, get_rel_namespace(relid))
								   : InvalidOid;
				HeapTuple tup = OidIsValid(indexoid) ? SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid)) : NULL;
				if (tup != NULL && HeapTupleIsValid(tup))
				{
					Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
					nnullable = 0; /* the index's columns, not the (absent) key list */
					for (int k = 0; k < idx->indnkeyatts && k < INDEX_MAX_KEYS; ++k)
					{
						char *attname = get_attname(relid, idx->indkey.values[k], true);
						AttrFacts att = attr_facts(relid, attname);
						if (att.found && !att.not_null)
						{
							c->pk_columns_nullable = true;
							new (&nullable[nnullable++]) std::string_view(attname);
						}
					}
					ReleaseSysCache(tup);
				}
			}
			else if (all_found && n > 0 && OidIsValid(relid) && c->index_clauses.empty())
			{
				Relation rel = probe_open(relid);
				if (rel != NULL)
				{
					const char *idx = find_index(rel, attnums, n, true);
					if (idx != NULL)
						c->existing_unique_index = quote_identifier(idx);
					probe_close(rel);
				}
			}
			c->nullable_keys = nullable;
			c->nnullable_keys = nnullable;
			break;
		}
		default:
			break;
	}
}

/* VALIDATE / DROP CONSTRAINT: is it a foreign key, and to which table? */
void
extract_named_constraint(Oid relid, const char *name, Subcommand *c)
{
	if (name == NULL)
		return;
	c->name = name;
	Oid conoid = get_relation_constraint_oid(relid, name, true);
	if (!OidIsValid(conoid))
		return;
	HeapTuple tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	if (!HeapTupleIsValid(tup))
		return;
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
	char contype = con->contype;
	Oid confrelid = con->confrelid;
	ReleaseSysCache(tup);
	if (contype == CONSTRAINT_FOREIGN)
	{
		c->constraint = ConstraintKind::ForeignKey;
		if (OidIsValid(confrelid) && confrelid != relid)
			c->other = facts_for_oid(confrelid);
	}
	else if (contype == CONSTRAINT_CHECK)
		c->constraint = ConstraintKind::Check;
	else if (contype == CONSTRAINT_PRIMARY)
		c->constraint = ConstraintKind::PrimaryKey;
	else if (contype == CONSTRAINT_UNIQUE)
		c->constraint = ConstraintKind::Unique;
	else if (contype == CONSTRAINT_EXCLUSION)
		c->constraint = ConstraintKind::Exclusion;
}

/* Arguments and result of attach_implied_step. */
struct AttachImplied
{
	Oid relid;
	Oid attachid;
	PartitionBoundSpec *bound;
	bool implied;
	int indexes_built;
	bool default_implied;	/* the default partition's CHECKs already keep out the new bound's rows */
	int fks_validated;		/* the parent's foreign keys the table has no attachable copy of */
	List *referenced;		/* the tables the parent's foreign keys reference */
	List *taken_over;		/* those of them a key of the table's own is taken over for */
};

/*
 * Can the parent's foreign key fk take over one of the table's own (afk)
 * instead of adding a copy that is validated on every row?  As
 * tablecmds.c tryAttachPartitionForeignKey() decides.
 *
 * C-style frame; may ereport.
 */
bool
fk_attachable(const ForeignKeyCacheInfo *fk, const ForeignKeyCacheInfo *afk, const AttrMap *map)
{
	if (afk->confrelid != fk->confrelid || afk->nkeys != fk->nkeys)
		return false;
	for (int i = 0; i < fk->nkeys; ++i)
		if (fk->conkey[i] < 1 || fk->conkey[i] > map->maplen || afk->conkey[i] != map->attnums[fk->conkey[i] - 1] ||
			afk->confkey[i] != fk->confkey[i] || afk->conpfeqop[i] != fk->conpfeqop[i])
			return false;
	HeapTuple ptup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(fk->conoid));
	if (!HeapTupleIsValid(ptup))
		return false;
	HeapTuple atup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(afk->conoid));
	if (!HeapTupleIsValid(atup))
	{
		ReleaseSysCache(ptup);
		return false;
	}
	Form_pg_constraint pc = (Form_pg_constraint) GETSTRUCT(ptup);
	Form_pg_constraint ac = (Form_pg_constraint) GETSTRUCT(atup);
	bool ok = !OidIsValid(ac->conparentid) && ac->convalidated && ac->condeferrable == pc->condeferrable &&
			  ac->condeferred == pc->condeferred && ac->confupdtype == pc->confupdtype &&
			  ac->confdeltype == pc->confdeltype && ac->confmatchtype == pc->confmatchtype;
	ReleaseSysCache(atup);
	ReleaseSysCache(ptup);
	return ok;
}

/* pg_constraint.conparentid of a constraint (InvalidOid if none or gone). */
Oid
get_constraint_parent_oid(Oid conoid)
{
	HeapTuple tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	Oid parent = ((Form_pg_constraint) GETSTRUCT(tup))->conparentid;
	ReleaseSysCache(tup);
	return parent;
}

/* See attach_foreign_keys(): the partitions of relid, for the parent's key fk.  C-style frame; may ereport. */
void
fk_below(const ForeignKeyCacheInfo *fk, Relation parent, Oid relid, List **used, AttachImplied *a)
{
	ListCell *lc;
	foreach (lc, find_inheritance_children(relid, NoLock))
	{
		Relation child = probe_open(lfirst_oid(lc));
		if (child == NULL)
			continue;
		char kind = child->rd_rel->relkind;
		AttrMap *map = build_attrmap_by_name(RelationGetDescr(child), RelationGetDescr(parent));
		bool has = false;
		ListCell *lk;
		foreach (lk, RelationGetFKeyList(child))
		{
			const ForeignKeyCacheInfo *cfk = (const ForeignKeyCacheInfo *) lfirst(lk);
			if (!list_member_oid(*used, cfk->conoid) && fk_attachable(fk, cfk, map))
			{
				has = true;
				*used = lappend_oid(*used, cfk->conoid);
				break;
			}
		}
		Oid childid = RelationGetRelid(child);
		probe_close(child);
		if (has)
			a->taken_over = list_append_unique_oid(a->taken_over, fk->confrelid);
		else if (kind == RELKIND_PARTITIONED_TABLE)
			fk_below(fk, parent, childid, used, a);
		else if (kind == RELKIND_RELATION)
			a->fks_validated++;
	}
}

/*
 * ATTACH PARTITION clones the parent's foreign keys (CloneFkReferencing):
 * every referenced table is locked ShareRowExclusive, and a key the table has
 * no attachable copy of is added to it and validated on every row.  A key of
 * the table's own that is taken over instead loses its action triggers on the
 * referenced table: dropped under an AccessExclusiveLock there.
 *
 * C-style frame; may ereport.
 */
void
attach_foreign_keys(Relation parent, Relation attach, AttachImplied *a)
{
	List *pfks = RelationGetFKeyList(parent);
	if (pfks == NIL)
		return;
	List *afks = RelationGetFKeyList(attach);
	AttrMap *map = build_attrmap_by_name(RelationGetDescr(attach), RelationGetDescr(parent));
	List *used = NIL;	/* a key of the table's own is taken over once: it then has a parent */
	List *own = NIL;	/* the parent's keys, to skip their per-partition copies (cloned with them) */
	ListCell *lc;
	foreach (lc, pfks)
		own = lappend_oid(own, ((const ForeignKeyCacheInfo *) lfirst(lc))->conoid);
	foreach (lc, pfks)
	{
		const ForeignKeyCacheInfo *fk = (const ForeignKeyCacheInfo *) lfirst(lc);
		Oid parentid = get_constraint_parent_oid(fk->conoid);
		if (OidIsValid(parentid) && list_member_oid(own, parentid))
			continue;
		a->referenced = list_append_unique_oid(a->referenced, fk->confrelid);
		bool attached = false;
		ListCell *ac;
		foreach (ac, afks)
		{
			const ForeignKeyCacheInfo *afk = (const ForeignKeyCacheInfo *) lfirst(ac);
			if (!list_member_oid(used, afk->conoid) && fk_attachable(fk, afk, map))
			{
				attached = true;
				used = lappend_oid(used, afk->conoid);
				break;
			}
		}
		if (attached)
		{
			a->taken_over = list_append_unique_oid(a->taken_over, fk->confrelid);
			continue;
		}
		if (attach->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		{
			a->fks_validated++;
			continue;
		}
		/*
		 * A partitioned table gets the key without a scan of its own; level
		 * by level, a partition takes over a key of its own (a partitioned
		 * one with its whole subtree) or gets a copy, validated on a leaf
		 * (addFkRecurseReferencing).
		 */
		fk_below(fk, parent, RelationGetRelid(attach), &used, a);
	}
}

/*
 * How many of the parent's partitioned indexes the table being attached has
 * no matching valid index for: ATTACH builds each (AttachPartitionEnsureIndexes)
 * under its AccessExclusiveLock on the table.  An index that cannot be opened
 * without waiting is not counted.
 *
 * C-style frame; may ereport.
 */
int
indexes_attach_builds(Relation parent, Relation attach)
{
	List *parent_idx = RelationGetIndexList(parent);
	List *attach_idx = RelationGetIndexList(attach);
	int nattach = list_length(attach_idx);
	Relation *rels = (Relation *) palloc0(sizeof(Relation) * Max(nattach, 1));
	IndexInfo **infos = (IndexInfo **) palloc0(sizeof(IndexInfo *) * Max(nattach, 1));
	int i = 0;
	ListCell *lc;
	foreach (lc, attach_idx)
	{
		Relation r = probe_open(lfirst_oid(lc));
		if (r != NULL && r->rd_rel->relkind == RELKIND_INDEX)
		{
			rels[i] = r;
			infos[i] = BuildIndexInfo(r);
		}
		else if (r != NULL)
			probe_close(r);
		i++;
	}
	AttrMap *attmap = build_attrmap_by_name(RelationGetDescr(attach), RelationGetDescr(parent));
	bool *used = (bool *) palloc0(sizeof(bool) * Max(nattach, 1));
	int unknown = 0; /* indexes of the table that could not be opened: each might match one */
	for (int k = 0; k < nattach; ++k)
		unknown += rels[k] == NULL;
	int missing = 0;
	foreach (lc, parent_idx)
	{
		Relation idx = probe_open(lfirst_oid(lc));
		if (idx == NULL)
			continue;
		if (idx->rd_rel->relkind == RELKIND_PARTITIONED_INDEX)
		{
			IndexInfo *info = BuildIndexInfo(idx);
			/* An index behind a constraint (PRIMARY KEY, UNIQUE) needs one behind a constraint too. */
			bool constraint = OidIsValid(get_relation_idx_constraint_oid(RelationGetRelid(parent),
																		 RelationGetRelid(idx)));
			bool found = false;
			for (int k = 0; k < nattach && !found; ++k)
			{
				found = rels[k] != NULL && !used[k] && !rels[k]->rd_rel->relispartition &&
						rels[k]->rd_index->indisvalid &&
						CompareIndexInfo(infos[k], info, rels[k]->rd_indcollation, idx->rd_indcollation,
										 rels[k]->rd_opfamily, idx->rd_opfamily, attmap) &&
						(!constraint || OidIsValid(get_relation_idx_constraint_oid(RelationGetRelid(attach),
																				   RelationGetRelid(rels[k]))));
				if (found)
					used[k] = true;
			}
			if (!found)
				++missing;
		}
		probe_close(idx);
	}
	for (int k = 0; k < nattach; ++k)
		if (rels[k] != NULL)
			probe_close(rels[k]);
	return Max(0, missing - unknown);
}

/*
 * ATTACH of a partitioned table: each partitioned index of the parent that
 * the table has no matching partitioned index for is created on it, and on
 * each of its leaf partitions that has no free matching index, built under
 * the lock (DefineIndex recursing).  Counts those builds.
 *
 * C-style frame; may ereport.
 */
/*
 * An index column as ComputeIndexAttrs sees it: a column name, or an
 * expression that is only a column, "(col)" or "(col COLLATE c)" (the
 * outermost COLLATE gives the collation).  False for any other expression.
 */
bool
index_elem_column(const IndexElem *elem, const char **name, List **exprcoll)
{
	*name = elem->name;
	*exprcoll = NIL;
	if (elem->name != NULL)
		return true;
	const Node *expr = elem->expr;
	while (expr != NULL && IsA(expr, CollateClause))
	{
		if (*exprcoll == NIL)
			*exprcoll = ((const CollateClause *) expr)->collname;
		expr = ((const CollateClause *) expr)->arg;
	}
	if (expr == NULL || !IsA(expr, ColumnRef) || list_length(((const ColumnRef *) expr)->fields) != 1 ||
		!IsA(linitial(((const ColumnRef *) expr)->fields), String))
		return false;
	*name = strVal(linitial(((const ColumnRef *) expr)->fields));
	return true;
}

/* An index a CREATE INDEX statement describes, as DefineIndex would compare it (CompareIndexInfo). */
struct StmtIndex
{
	IndexInfo *info;
	Oid *collations;
	Oid *opfamilies;
};

/*
 * The index stmt creates on relid, as ComputeIndexAttrs describes it; false
 * when that cannot be told here: an expression or a predicate, an unknown
 * column, access method, operator class or collation (PostgreSQL then
 * reports the error, or builds).  C-style frame; may ereport.
 */
bool
stmt_index(const IndexStmt *stmt, Oid relid, StmtIndex *out)
{
	if (stmt->whereClause != NULL || stmt->excludeOpNames != NIL || stmt->accessMethod == NULL)
		return false;
	/* (DefineIndex substitutes gist for the obsolete rtree) */
	Oid amoid = get_index_am_oid(strcmp(stmt->accessMethod, "rtree") == 0 ? "gist" : stmt->accessMethod, true);
	int nkey = list_length(stmt->indexParams);
	int natts = nkey + list_length(stmt->indexIncludingParams);
	if (!OidIsValid(amoid) || nkey == 0 || natts > INDEX_MAX_KEYS)
		return false;
#if PG_VERSION_NUM >= 150000
	out->info = makeIndexInfo(natts, nkey, amoid, NIL, NIL, stmt->unique, stmt->nulls_not_distinct, true, false);
#else
	out->info = makeIndexInfo(natts, nkey, amoid, NIL, NIL, stmt->unique, true, false);
#endif
	out->collations = (Oid *) palloc0(sizeof(Oid) * natts);
	out->opfamilies = (Oid *) palloc0(sizeof(Oid) * natts);
	int n = 0;
	ListCell *lc;
	foreach (lc, list_concat_copy(stmt->indexParams, stmt->indexIncludingParams))
	{
		const IndexElem *elem = (const IndexElem *) lfirst(lc);
		bool key = n < nkey;
		const char *name;
		List *exprcoll;
		AttrNumber attnum = index_elem_column(elem, &name, &exprcoll) ? get_attnum(relid, name) : InvalidAttrNumber;
		if (attnum <= 0 || (!key && elem->expr != NULL))
			return false;
		out->info->ii_IndexAttrNumbers[n] = attnum;
		if (key)
		{
			Oid type, coll;
			int32 typmod;
			get_atttypetypmodcoll(relid, attnum, &type, &typmod, &coll);
			List *collname = elem->collation != NIL ? elem->collation : exprcoll;
			if (collname != NIL)
				coll = get_collation_oid(collname, true);
			Oid opclass = elem->opclass != NIL ? get_opclass_oid(amoid, elem->opclass, true)
											   : GetDefaultOpClass(type, amoid);
			if ((collname != NIL && !OidIsValid(coll)) || !OidIsValid(opclass))
				return false;
			out->collations[n] = coll;
			out->opfamilies[n] = get_opclass_family(opclass);
		}
		++n;
	}
	return true;
}

/*
 * Indexes created by earlier statements of the script check() judges (not
 * run): a partition index built CONCURRENTLY there is attached, not built,
 * by a later CREATE INDEX on the parent.  Only while check() runs
 * (sm_check_running), in its memory context.
 */
struct ScriptIndex
{
	Oid relid;		  /* the (leaf) table */
	Oid nsp;		  /* the index's schema (the table's) */
	const char *name; /* NULL when PostgreSQL chooses it */
	bool gone;		  /* a later DROP INDEX of the script names it */
	StmtIndex index;
};
List *script_indexes = NIL;	   /* ScriptIndex *, in script order */
List *consumed_script = NIL;   /* script indexes an earlier statement attached to a parent index */
List *consumed_catalog = NIL;  /* the same for existing indexes (OIDs) */
List *last_script_used = NIL;  /* what the statement judged last would attach (sm_script_consume_last) */
List *last_catalog_used = NIL;
/* Existing indexes the script renamed: their new name (a later DROP INDEX of it drops them). */
struct RenamedIndex
{
	Oid index;
	Oid nsp;
	const char *name;
};
List *renamed_catalog = NIL; /* RenamedIndex *, the newest last */
MemoryContext script_cxt = NULL;
/* The leaf partitions the CREATE INDEX extracted last builds an index on (OIDs; sm_create_index_built_leaves). */
List *last_built_leaves = NIL;

/* The newest live script index of that name (and schema, when given), or NULL. */
ScriptIndex *
script_index_named(const RangeVar *rv)
{
	ScriptIndex *found = NULL;
	Oid nsp = rv->schemaname != NULL ? get_namespace_oid(rv->schemaname, true) : InvalidOid;
	ListCell *lc;
	foreach (lc, script_indexes)
	{
		ScriptIndex *si = (ScriptIndex *) lfirst(lc);
		if (!si->gone && si->name != NULL && strcmp(si->name, rv->relname) == 0 &&
			(rv->schemaname == NULL || si->nsp == nsp))
			found = si;
	}
	return found;
}

/* The state of indexes_attach_builds_partitioned() for one parent index. */
struct IndexMatch
{
	Relation parent;		/* the partitioned table attached to */
	Oid *collations;		/* its partitioned index's key collations */
	Oid *opfamilies;		/* and operator families */
	IndexInfo *info;
	bool constraint;		/* idx backs a constraint: a match must too */
	List **used;			/* indexes already matched to a parent index */
	bool *unknown;			/* if not NULL: set when an index or partition could not be looked at */
	List **built;			/* if not NULL: the leaf partitions an index is built on (OIDs) */
	List **script_used;		/* if not NULL: script_indexes count too; those already matched */
	struct IndexPlan *plan; /* if not NULL: every partition, for the steps of CREATE INDEX */
};

/*
 * CREATE INDEX on a partitioned table: its steps' plan, one entry
 * (core::IndexPartition) per partition, made while the partitions are
 * walked; the names of the new indexes chosen as PostgreSQL would
 * (ChooseIndexName()), also free of the names chosen before them.
 */
struct IndexPlan
{
	List *entries;		  /* core::IndexPartition *, in the walk's order */
	List *taken;		  /* "schema oid.name" of the names chosen */
	const char *addition; /* ChooseIndexNameAddition() of the statement's columns */
	bool unknown;		  /* a matching index's name is not known (an unnamed one of check()'s script) */
};

/*
 * indexcmds.c ChooseIndexColumnNames() + ChooseIndexNameAddition(): the
 * columns' names ("expr" for an expression, numbered where they repeat),
 * joined by "_".
 */
const char *
index_name_addition(const IndexStmt *stmt)
{
	List *names = NIL;
	ListCell *lc;
	foreach (lc, list_concat_copy(stmt->indexParams, stmt->indexIncludingParams))
	{
		const IndexElem *elem = (const IndexElem *) lfirst(lc);
		const char *orig = elem->indexcolname != NULL ? elem->indexcolname : elem->name != NULL ? elem->name : "expr";
		const char *cur = orig;
		for (int i = 1;; ++i)
		{
			bool clash = false;
			ListCell *nc;
			foreach (nc, names)
				clash |= strcmp(cur, (const char *) lfirst(nc)) == 0;
			if (!clash)
				break;
			char nbuf[32];
			snprintf(nbuf, sizeof(nbuf), "%d", i);
			int nlen = pg_mbcliplen(orig, strlen(orig), NAMEDATALEN - 1 - strlen(nbuf));
			cur = psprintf("%.*s%s", nlen, orig, nbuf);
		}
		names = lappend(names, pstrdup(cur));
	}
	StringInfoData buf;
	initStringInfo(&buf);
	foreach (lc, names)
	{
		if (buf.len > 0)
			appendStringInfoChar(&buf, '_');
		appendStringInfoString(&buf, (const char *) lfirst(lc));
		if (buf.len >= NAMEDATALEN)
			break;
	}
	return buf.data;
}

/* ChooseRelationName(relname, addition, "idx", nsp, false), also past the names plan chose already. */
const char *
plan_index_name(IndexPlan *plan, const char *relname, Oid nsp)
{
	char label[NAMEDATALEN];
	strlcpy(label, "idx", sizeof(label));
	for (int pass = 1;; ++pass)
	{
		char *name = makeObjectName(relname, plan->addition, label);
		char *key = psprintf("%u.%s", nsp, name);
		bool taken = false;
		ListCell *lc;
		foreach (lc, plan->taken)
			taken |= strcmp(key, (const char *) lfirst(lc)) == 0;
		if (!taken && !OidIsValid(get_relname_relid(name, nsp)))
		{
			plan->taken = lappend(plan->taken, key);
			return name;
		}
		snprintf(label, sizeof(label), "idx%d", pass);
	}
}

/* A new entry of plan for partition rel under entry parent (-1: the statement's table); returns its number. */
int
plan_add(IndexPlan *plan, Relation rel, int parent)
{
	core::IndexPartition *e = new (palloc(sizeof(core::IndexPartition))) core::IndexPartition();
	Oid nsp = RelationGetNamespace(rel);
	e->table = quote_qualified_identifier(get_namespace_name(nsp), RelationGetRelationName(rel));
	e->parent = parent;
	plan->entries = lappend(plan->entries, e);
	return list_length(plan->entries) - 1;
}

/* The entry gets a new index of its own (built, or ON ONLY for a partitioned one). */
void
plan_new_index(IndexPlan *plan, int entry, Relation rel)
{
	core::IndexPartition *e = (core::IndexPartition *) list_nth(plan->entries, entry);
	Oid nsp = RelationGetNamespace(rel);
	const char *name = plan_index_name(plan, RelationGetRelationName(rel), nsp);
	e->index_name = name;
	e->qualified_index = quote_qualified_identifier(get_namespace_name(nsp), name);
}

/* The entry has a matching index of its own: attached as it is. */
void
plan_existing(IndexPlan *plan, int entry, Oid nsp, const char *name)
{
	core::IndexPartition *e = (core::IndexPartition *) list_nth(plan->entries, entry);
	if (name == NULL)
	{
		plan->unknown = true;
		return;
	}
	e->existing = quote_qualified_identifier(get_namespace_name(nsp), name);
}

/* A free index of leaf rel created earlier in check()'s script that matches (marked used). */
bool
script_index_match(const IndexMatch *m, Relation rel, const ScriptIndex **found = NULL)
{
	if (m->script_used == NULL || script_indexes == NIL || !check_running)
		return false;
	AttrMap *map = build_attrmap_by_name(RelationGetDescr(rel), RelationGetDescr(m->parent));
	ListCell *lc;
	foreach (lc, script_indexes)
	{
		ScriptIndex *si = (ScriptIndex *) lfirst(lc);
		if (si->relid != RelationGetRelid(rel) || si->gone || list_member_ptr(*m->script_used, si))
			continue;
		if (CompareIndexInfo(si->index.info, m->info, si->index.collations, m->collations, si->index.opfamilies,
							 m->opfamilies, map))
		{
			*m->script_used = lappend(*m->script_used, si);
			if (found != NULL)
				*found = si;
			return true;
		}
	}
	return false;
}

/*
 * A free index of rel that PostgreSQL would attach to the parent index m
 * describes (marked used): not attached to another, behind a constraint when
 * the parent index is, and valid at
 * the table being attached (AttachPartitionEnsureIndexes) but not below it
 * (DefineIndex attaches an invalid one).  C-style frame; may ereport.
 */
bool
index_match(const IndexMatch *m, Relation rel, char kind, bool need_valid, Oid *found = NULL)
{
	AttrMap *map = build_attrmap_by_name(RelationGetDescr(rel), RelationGetDescr(m->parent));
	ListCell *ic;
	foreach (ic, RelationGetIndexList(rel))
	{
		Oid cand = lfirst_oid(ic);
		if (list_member_oid(*m->used, cand))
			continue;
		Relation r = probe_open(cand);
		if (r == NULL)
		{
			if (m->unknown != NULL)
				*m->unknown = true;
			return true; /* cannot look: not counted */
		}
		bool match = r->rd_rel->relkind == kind && !r->rd_rel->relispartition &&
					 (!need_valid || r->rd_index->indisvalid) &&
					 CompareIndexInfo(BuildIndexInfo(r), m->info, r->rd_indcollation, m->collations,
									  r->rd_opfamily, m->opfamilies, map) &&
					 (!m->constraint || OidIsValid(get_relation_idx_constraint_oid(RelationGetRelid(rel), cand)));
		probe_close(r);
		if (match)
		{
			*m->used = lappend_oid(*m->used, cand);
			if (found != NULL)
				*found = cand;
			return true;
		}
	}
	return false;
}

/*
 * The leaf indexes built under partitioned table relid for m's index, level by
 * level as DefineIndex recurses: a partition with a matching index of its
 * own (a partitioned one for a partitioned partition) is attached as it is.
 * C-style frame; may ereport.
 */
int
index_builds_below(const IndexMatch *m, Oid relid, int parent_entry = -1)
{
	int builds = 0;
	ListCell *lc;
	foreach (lc, find_inheritance_children(relid, NoLock))
	{
		Relation child = probe_open(lfirst_oid(lc));
		if (child == NULL)
		{
			if (m->unknown != NULL)
				*m->unknown = true;
			continue;
		}
		char kind = child->rd_rel->relkind;
		int entry = m->plan != NULL ? plan_add(m->plan, child, parent_entry) : -1;
		Oid found = InvalidOid;
		const ScriptIndex *script_found = NULL;
		if (kind == RELKIND_PARTITIONED_TABLE)
		{
			if (!index_match(m, child, RELKIND_PARTITIONED_INDEX, false, &found))
			{
				if (m->plan != NULL)
				{
					((core::IndexPartition *) list_nth(m->plan->entries, entry))->partitioned = true;
					plan_new_index(m->plan, entry, child);
				}
				builds += index_builds_below(m, RelationGetRelid(child), entry);
			}
			else if (m->plan != NULL && OidIsValid(found))
				plan_existing(m->plan, entry, get_rel_namespace(found), get_rel_name(found));
		}
		else if (kind == RELKIND_RELATION && !index_match(m, child, RELKIND_INDEX, false, &found) &&
				 !script_index_match(m, child, &script_found))
		{
			++builds;
			if (m->built != NULL)
				*m->built = lappend_oid(*m->built, RelationGetRelid(child));
			if (m->plan != NULL)
				plan_new_index(m->plan, entry, child);
		}
		else if (kind == RELKIND_RELATION && m->plan != NULL)
		{
			if (OidIsValid(found))
				plan_existing(m->plan, entry, get_rel_namespace(found), get_rel_name(found));
			else if (script_found != NULL)
				plan_existing(m->plan, entry, script_found->nsp, script_found->name);
		}
		else if (kind == RELKIND_FOREIGN_TABLE && m->plan != NULL)
			((core::IndexPartition *) list_nth(m->plan->entries, entry))->foreign = true;
		probe_close(child);
	}
	return builds;
}

/*
 * The plan of a CREATE INDEX whose matching indexes cannot be told (an
 * expression or a predicate): every partition gets an index of its own.
 * False when a partition could not be looked at.  C-style frame; may ereport.
 */
bool
index_plan_unmatched(IndexPlan *plan, Oid relid, int parent_entry)
{
	ListCell *lc;
	foreach (lc, find_inheritance_children(relid, NoLock))
	{
		Relation child = probe_open(lfirst_oid(lc));
		if (child == NULL)
			return false;
		char kind = child->rd_rel->relkind;
		int entry = plan_add(plan, child, parent_entry);
		core::IndexPartition *e = (core::IndexPartition *) list_nth(plan->entries, entry);
		bool ok = true;
		if (kind == RELKIND_FOREIGN_TABLE)
			e->foreign = true;
		else
		{
			e->partitioned = kind == RELKIND_PARTITIONED_TABLE;
			plan_new_index(plan, entry, child);
			if (e->partitioned)
				ok = index_plan_unmatched(plan, RelationGetRelid(child), entry);
		}
		probe_close(child);
		if (!ok)
			return false;
	}
	return true;
}

/*
 * CREATE INDEX on partitioned table relid (not ONLY): how many leaf
 * partitions DefineIndex builds an index on, those without a free matching
 * index of their own (a partitioned partition with a matching partitioned
 * index is attached as it is), their OIDs in *built; or -1 when that cannot
 * be told here (stmt_index), or a partition or index that another session
 * holds locked could not be looked at.  C-style frame; may ereport.
 */
int
create_index_partition_builds(const IndexStmt *stmt, Oid relid, List **built, IndexPlan *plan)
{
	*built = NIL;
	StmtIndex si;
	if (!stmt_index(stmt, relid, &si))
	{
		/* (the plan without matching: an index for every partition) */
		if (plan != NULL && !index_plan_unmatched(plan, relid, -1))
			plan->unknown = true;
		return -1;
	}
	Relation parent = probe_open(relid);
	if (parent == NULL)
		return -1;
	/* In check(): what earlier statements of the script attached is not free. */
	List *used = check_running ? list_copy(consumed_catalog) : NIL;
	List *script_used = check_running ? list_copy(consumed_script) : NIL;
	bool unknown = false;
	IndexMatch m = {parent, si.collations, si.opfamilies, si.info, false, &used, &unknown, built, &script_used, plan};
	int builds = index_builds_below(&m, relid);
	if (unknown && plan != NULL)
		plan->unknown = true;
	probe_close(parent);
	if (check_running)
	{
		MemoryContext old = MemoryContextSwitchTo(script_cxt);
		last_catalog_used = list_copy(used);
		last_script_used = list_copy(script_used);
		MemoryContextSwitchTo(old);
	}
	return unknown ? -1 : builds;
}

/*
 * ATTACH of a partitioned table: each partitioned index of the parent that
 * the table has no matching partitioned index for is created on it and down
 * its partitions, built on each leaf that has no matching index of its own
 * (AttachPartitionEnsureIndexes, then DefineIndex recursing).  Counts those
 * builds.
 *
 * C-style frame; may ereport.
 */
int
indexes_attach_builds_partitioned(Relation parent, Relation attach)
{
	List *used = NIL;
	int builds = 0;
	ListCell *lc;
	foreach (lc, RelationGetIndexList(parent))
	{
		Relation idx = probe_open(lfirst_oid(lc));
		if (idx == NULL)
			continue;
		if (idx->rd_rel->relkind == RELKIND_PARTITIONED_INDEX)
		{
			IndexMatch m = {parent, idx->rd_indcollation, idx->rd_opfamily, BuildIndexInfo(idx),
							OidIsValid(get_relation_idx_constraint_oid(RelationGetRelid(parent), RelationGetRelid(idx))),
							&used, NULL, NULL, NULL};
			if (!index_match(&m, attach, RELKIND_PARTITIONED_INDEX, true))
				builds += index_builds_below(&m, RelationGetRelid(attach));
		}
		probe_close(idx);
	}
	return builds;
}

/*
 * Does every leaf partition of partitioned table relid (foreign ones aside)
 * prove constraint (in parent's attribute numbers) by its own valid CHECKs?
 * QueuePartitionConstraintValidation recurses the same way.  C-style frame;
 * may ereport.
 */
bool
partitions_imply(Oid relid, List *constraint, Relation parent)
{
	ListCell *lc;
	foreach (lc, find_all_inheritors(relid, NoLock, NULL))
	{
		Oid leafid = lfirst_oid(lc);
		char kind = get_rel_relkind(leafid);
		if (kind == RELKIND_PARTITIONED_TABLE || kind == RELKIND_FOREIGN_TABLE)
			continue;
		Relation leaf = probe_open(leafid);
		if (leaf == NULL)
			return false;
		List *mapped = map_partition_varattnos((List *) copyObjectImpl(constraint), 1, leaf, parent);
		bool implied = PartConstraintImpliedByRelConstraint(leaf, mapped);
		probe_close(leaf);
		if (!implied)
			return false;
	}
	return true;
}

/*
 * Can the raw bound expression n, coerced to type want, be evaluated without
 * running code that is not built in?  transformPartitionBound() evaluates a
 * bound's expressions and coerces them to the key's types (casts, a domain's
 * checks): judging must not run a user's function (check() runs nothing), nor
 * read a volatile one's value that the statement itself then reads anew.
 * Constants, MINVALUE/MAXVALUE and casts of them are read: a string constant
 * through the type's input function (not of a composite or range type, nor
 * of one holding a domain), any other constant and a cast between types only
 * when both are built in; never a domain.
 */
/*
 * Does a string constant's input into this type run only built-in code (or
 * a superuser's C input function)?  Not when the type is or holds a domain
 * (its CHECK runs), nor a composite or range type (their input calls their
 * fields' and subtype's).
 */
bool
safe_input_type(Oid type)
{
	if (type < FirstNormalObjectId)
		return true;
	char kind = get_typtype(type);
	if (kind == TYPTYPE_ENUM)
		return true;
	if (kind != TYPTYPE_BASE)
		return false;
	Oid elem = get_element_type(type);
	return !OidIsValid(elem) || safe_input_type(elem);
}

bool
plain_bound_value(Node *n, Oid want)
{
	if (!OidIsValid(want) || get_typtype(want) == TYPTYPE_DOMAIN)
		return false;
	switch (nodeTag(n))
	{
		case T_A_Const:
		{
			A_Const *c = (A_Const *) n;
			return c->isnull || (IsA(&c->val, String) ? safe_input_type(want) : want < FirstNormalObjectId);
		}
		case T_ColumnRef: /* MINVALUE, MAXVALUE (anything else is an error) */
			return true;
		case T_CollateClause:
			return plain_bound_value(((CollateClause *) n)->arg, want);
		case T_TypeCast:
		{
			TypeCast *tc = (TypeCast *) n;
			Oid type = LookupTypeNameOid(NULL, tc->typeName, true);
			return OidIsValid(type) && plain_bound_value(tc->arg, type) &&
				   (type == want || (type < FirstNormalObjectId && want < FirstNormalObjectId));
		}
		default:
			return false;
	}
}

/* plain_bound_value() for each value of a raw FOR VALUES bound of the partitioned table parent */
bool
plain_bound(Relation parent, const PartitionBoundSpec *bound)
{
	PartitionKey key = RelationGetPartitionKey(parent);
	if (key == NULL)
		return false;
	ListCell *lc;
	foreach (lc, bound->listdatums)
		if (!plain_bound_value((Node *) lfirst(lc), get_partition_col_typid(key, 0)))
			return false;
	for (List *datums : {bound->lowerdatums, bound->upperdatums})
	{
		int i = 0;
		foreach (lc, datums)
		{
			if (i >= get_partition_natts(key) ||
				!plain_bound_value((Node *) lfirst(lc), get_partition_col_typid(key, i)))
				return false;
			++i;
		}
	}
	return true;
}

/*
 * Is the bound implied by the partition's valid CHECKs?  Transforms the bound
 * and maps the parent's columns to the partition's, which raises errors for
 * statements that PostgreSQL rejects, in its own order and words, only later
 * (not a partitioned table, a missing column, a bad bound): so it runs in a
 * subtransaction and an error only means "not known to be implied".
 *
 * C-style frame; may ereport.
 */
void
attach_implied_step(void *arg)
{
	AttachImplied *a = (AttachImplied *) arg;
	Relation parent = probe_open(a->relid);
	if (parent == NULL)
		return;
	/* Not a partitioned table (no partition key): PostgreSQL itself rejects the ATTACH. */
	if (parent->rd_rel->relkind != RELKIND_PARTITIONED_TABLE || RelationGetPartitionKey(parent) == NULL)
	{
		probe_close(parent);
		return;
	}
	Relation attach = probe_open(a->attachid);
	if (attach != NULL)
	{
		ParseState *pstate = make_parsestate(NULL);
		/* A bound computed by other code is not evaluated here: not known to be implied (scanned). */
		List *constraint = NIL;
		if (plain_bound(parent, a->bound))
			constraint = list_concat(get_qual_from_partbound(parent, transformPartitionBound(pstate, parent,
																								copy_node(a->bound))),
									 RelationGetPartitionQual(parent));
		/*
		 * The default partition must hold no row of the new bound: scanned
		 * unless its CHECKs prove it (ATExecAttachPartition,
		 * QueuePartitionConstraintValidation).
		 */
		Oid defaultoid = get_default_partition_oid(a->relid);
		if (OidIsValid(defaultoid) && constraint != NIL)
		{
			Relation def = probe_open(defaultoid);
			if (def != NULL)
			{
				List *proposed = get_proposed_default_constraint((List *) copyObjectImpl(constraint));
				List *mapped = map_partition_varattnos((List *) copyObjectImpl(proposed), 1, def, parent);
				a->default_implied = def->rd_rel->relkind == RELKIND_FOREIGN_TABLE ||
									 PartConstraintImpliedByRelConstraint(def, mapped);
				/* A partitioned default: each of its partitions by its own CHECKs (the validation recurses). */
				if (!a->default_implied && def->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
					a->default_implied = partitions_imply(defaultoid, proposed, parent);
				probe_close(def);
			}
		}
		if (constraint != NIL)
		{
			/* (folding would run a user's opclass functions: unfolded, the proof may just fail) */
			if (!calls_user_function((Node *) constraint))
				constraint = (List *) eval_const_expressions(NULL, (Node *) constraint);
			constraint = (List *) canonicalize_qual((Expr *) constraint, false);
			constraint = list_make1(make_ands_explicit(constraint));
			List *unmapped = (List *) copyObjectImpl(constraint);
			constraint = map_partition_varattnos(constraint, 1, attach, parent);
			a->implied = PartConstraintImpliedByRelConstraint(attach, constraint);
			/* A partitioned table: each of its partitions by its own CHECKs (the validation recurses). */
			if (!a->implied && attach->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
				a->implied = partitions_imply(a->attachid, unmapped, parent);
		}
		free_parsestate(pstate);
		if (attach->rd_rel->relkind == RELKIND_RELATION)
			a->indexes_built = indexes_attach_builds(parent, attach);
		else if (attach->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
			a->indexes_built = indexes_attach_builds_partitioned(parent, attach);
		attach_foreign_keys(parent, attach, a);
		probe_close(attach);
	}
	probe_close(parent);
}

/* ATTACH PARTITION: is the bound implied by the partition's valid CHECKs (QueuePartitionConstraintValidation)? */
void
extract_attach(Oid relid, PartitionCmd *cmd, Subcommand *c)
{
	c->other = facts_for_rangevar(cmd->name);
	c->name = cmd->name ? cmd->name->relname : "";
	Oid defaultoid = get_default_partition_oid(relid);
	if (OidIsValid(defaultoid))
	{
		c->has_default_partition = true;
		c->default_partition = facts_for_oid(defaultoid);
	}
	Oid attachid = cmd->name ? RangeVarGetRelid(cmd->name, NoLock, true) : InvalidOid;
	if (!OidIsValid(attachid) || cmd->bound == NULL)
		return;
	AttachImplied a = {relid, attachid, cmd->bound, false, 0, false, 0, NIL, NIL};
	ErrorData *edata = sm_try_in_subtransaction(attach_implied_step, &a);
	if (edata != NULL)
	{
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			ReThrowError(edata);
		FreeErrorData(edata);
		return;
	}
	c->partition_constraint_implied = a.implied;
	c->indexes_built = a.indexes_built;
	c->default_partition_implied = a.default_implied;
	c->fks_validated = a.fks_validated;
	int n = list_length(a.referenced);
	RelationFacts *refs = (RelationFacts *) palloc(sizeof(RelationFacts) * Max(n, 1));
	LockMode *modes = (LockMode *) palloc(sizeof(LockMode) * Max(n, 1));
	for (int i = 0; i < n; ++i)
	{
		Oid ref = list_nth_oid(a.referenced, i);
		new (&refs[i]) RelationFacts(facts_for_oid(ref));
		modes[i] = list_member_oid(a.taken_over, ref) ? LockMode::AccessExclusive : LockMode::ShareRowExclusive;
	}
	c->fk_referenced = refs;
	c->fk_referenced_locks = modes;
	c->nfk_referenced = n;
	const RelationFacts *referencing = NULL;
	int nreferencing = 0;
	/*
	 * CloneFkReferenced: every key that references the parent, but for one
	 * whose parent key references the parent too (keys of an ancestor count);
	 * and the partitions (AccessExclusive) that ATTACH reaches besides the
	 * table: a partitioned table's own partitions, a partitioned default's.
	 */
	facts_from_query("SELECT DISTINCT c.conrelid FROM pg_catalog.pg_constraint c "
					 "WHERE c.contype = 'f' AND c.confrelid = $1 AND c.conrelid <> $1 "
					 "AND c.conparentid NOT IN (SELECT p.oid FROM pg_catalog.pg_constraint p "
					 "                          WHERE p.contype = 'f' AND p.confrelid = $1)",
					 relid, (Datum) 0, InvalidOid, &referencing, &nreferencing);
	c->fk_referencing = referencing;
	c->nfk_referencing = nreferencing;
}


/* The indexes REINDEX TABLE rebuilds: the table's and its TOAST table's.  C-style frame; may ereport. */
List *
reindexed_index_oids(Oid tableoid)
{
	List *oids = sm_index_oids(tableoid);
	Oid toast = InvalidOid;
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(tableoid));
	if (HeapTupleIsValid(tup))
	{
		toast = ((Form_pg_class) GETSTRUCT(tup))->reltoastrelid;
		ReleaseSysCache(tup);
	}
	return OidIsValid(toast) ? list_concat(oids, sm_index_oids(toast)) : oids;
}

/*
 * Why REINDEX ... CONCURRENTLY of the table (or of its index indexoid) would
 * not do what REINDEX does (ReindexRelationConcurrently skips an invalid
 * index, its TOAST table's too, and an exclusion constraint's, refuses a
 * system catalog); "" if it would.  C-style frame; may ereport.
 */
const char *
reindex_concurrent_gap(Oid tableoid, Oid indexoid)
{
	if (IsCatalogRelationOid(tableoid))
		return "PostgreSQL cannot reindex a system catalog concurrently";
	/* A partitioned table: its partitions' indexes are the ones rebuilt. */
	List *tables = OidIsValid(indexoid) ? list_make1_oid(tableoid) : find_all_inheritors(tableoid, NoLock, NULL);
	const char *why = "";
	ListCell *lc;
	foreach (lc, tables)
	{
		ListCell *ic;
		foreach (ic, OidIsValid(indexoid) ? list_make1_oid(indexoid) : reindexed_index_oids(lfirst_oid(lc)))
		{
			Oid idxoid = lfirst_oid(ic);
			/* (a partitioned index has no storage: neither form rebuilds it) */
			if (get_rel_relkind(idxoid) == RELKIND_PARTITIONED_INDEX)
				continue;
			HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(idxoid));
			if (!HeapTupleIsValid(tup))
				continue;
			Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
			if (idx->indisexclusion)
				why = psprintf("index \"%s\" belongs to an exclusion constraint, which has no concurrent rebuild",
							   get_rel_name(idxoid));
			else if (!idx->indisvalid)
				why = psprintf("index \"%s\" is INVALID, and CONCURRENTLY skips invalid indexes (reporting success)",
							   IsToastNamespace(get_rel_namespace(idxoid))
								   ? psprintf("pg_toast.%s", get_rel_name(idxoid))
								   : get_rel_name(idxoid));
			ReleaseSysCache(tup);
			if (why[0] != '\0')
				return why;
		}
	}
	return why;
}

/* Does the subcommand run before PostgreSQL adds the statement's new columns (AT_PASS_DROP, ALTER_TYPE)? */
bool
before_add_column(const AlterTableCmd *cmd)
{
	switch (cmd->subtype)
	{
		case AT_DropColumn:
		case AT_DropNotNull:
		case AT_DropExpression:
		case AT_DropIdentity:
		case AT_AlterColumnType:
			return true;
		case AT_ColumnDefault:
			return cmd->def == NULL;
		default:
			return false;
	}
}

/* Subcommands on an existing column named by AlterTableCmd.name (ALTER COLUMN ..., DROP COLUMN). */
bool
column_subcommand(AlterTableType t)
{
	switch (t)
	{
		case AT_ColumnDefault:
		case AT_DropNotNull:
		case AT_SetNotNull:
		case AT_DropExpression:
		case AT_SetOptions:
		case AT_ResetOptions:
		case AT_SetStorage:
		case AT_SetCompression:
		case AT_DropColumn:
		case AT_AlterColumnType:
		case AT_AlterColumnGenericOptions:
		case AT_AddIdentity:
		case AT_SetIdentity:
		case AT_DropIdentity:
			return true;
		default:
			return false;
	}
}

AlterKind
alter_kind(AlterTableType t)
{
	switch (t)
	{
		case AT_AddColumn:
		case AT_AddColumnRecurse:
			return AlterKind::AddColumn;
		case AT_ColumnDefault:
		case AT_CookedColumnDefault:
			return AlterKind::ColumnDefault;
		case AT_DropNotNull:
			return AlterKind::DropNotNull;
		case AT_SetNotNull:
			return AlterKind::SetNotNull;
		case AT_DropExpression:
			return AlterKind::DropExpression;
		case AT_SetStatistics:
			return AlterKind::SetStatistics;
		case AT_SetOptions:
			return AlterKind::SetOptions;
		case AT_ResetOptions:
			return AlterKind::ResetOptions;
		case AT_SetStorage:
			return AlterKind::SetStorage;
#if PG_VERSION_NUM >= 140000
		case AT_SetCompression:
			return AlterKind::SetCompression;
#endif
		case AT_DropColumn:
		case AT_DropColumnRecurse:
			return AlterKind::DropColumn;
		case AT_AddConstraint:
		case AT_AddConstraintRecurse:
			return AlterKind::AddConstraint;
		case AT_AlterConstraint:
			return AlterKind::AlterConstraint;
		case AT_ValidateConstraint:
		case AT_ValidateConstraintRecurse:
			return AlterKind::ValidateConstraint;
		case AT_DropConstraint:
		case AT_DropConstraintRecurse:
			return AlterKind::DropConstraint;
		case AT_AlterColumnType:
			return AlterKind::AlterColumnType;
		case AT_AlterColumnGenericOptions:
			return AlterKind::AlterColumnGenericOptions;
		case AT_ChangeOwner:
			return AlterKind::ChangeOwner;
		case AT_ClusterOn:
			return AlterKind::ClusterOn;
		case AT_DropCluster:
			return AlterKind::DropCluster;
		case AT_SetLogged:
			return AlterKind::SetLogged;
		case AT_SetUnLogged:
			return AlterKind::SetUnLogged;
#if PG_VERSION_NUM >= 150000
		case AT_SetAccessMethod:
			return AlterKind::SetAccessMethod;
#endif
		case AT_SetTableSpace:
			return AlterKind::SetTableSpace;
		case AT_SetRelOptions:
			return AlterKind::SetRelOptions;
		case AT_ResetRelOptions:
			return AlterKind::ResetRelOptions;
		case AT_EnableTrig:
		case AT_EnableAlwaysTrig:
		case AT_EnableReplicaTrig:
		case AT_DisableTrig:
		case AT_EnableTrigAll:
		case AT_DisableTrigAll:
		case AT_EnableTrigUser:
		case AT_DisableTrigUser:
			return AlterKind::EnableDisableTrigger;
		case AT_EnableRule:
		case AT_EnableAlwaysRule:
		case AT_EnableReplicaRule:
		case AT_DisableRule:
			return AlterKind::EnableDisableRule;
		case AT_AddInherit:
			return AlterKind::AddInherit;
		case AT_DropInherit:
			return AlterKind::DropInherit;
		case AT_AddOf:
			return AlterKind::AddOf;
		case AT_DropOf:
			return AlterKind::DropOf;
		case AT_ReplicaIdentity:
			return AlterKind::ReplicaIdentity;
		case AT_EnableRowSecurity:
		case AT_DisableRowSecurity:
		case AT_ForceRowSecurity:
		case AT_NoForceRowSecurity:
			return AlterKind::RowSecurity;
		case AT_GenericOptions:
			return AlterKind::GenericOptions;
		case AT_AttachPartition:
			return AlterKind::AttachPartition;
		case AT_DetachPartition:
			return AlterKind::DetachPartition;
#if PG_VERSION_NUM >= 140000
		case AT_DetachPartitionFinalize:
			return AlterKind::DetachPartitionFinalize;
#endif
		case AT_AddIdentity:
			return AlterKind::AddIdentity;
		case AT_SetIdentity:
			return AlterKind::SetIdentity;
		case AT_DropIdentity:
			return AlterKind::DropIdentity;
		default:
			return AlterKind::Other;
	}
}

void extract_alter_table_body(const AlterTableStmt *stmt, core::Statement *out);

/*
 * extract_alter_table_body() with alter_added_columns as it was before,
 * also after an error: extracting may run user code (an IMMUTABLE function
 * folded in a USING expression) that runs DDL the hook judges, nested, and
 * that may fail; the outer statement's list must not point into memory its
 * failure freed.  C-style frame; may ereport.
 */
void
extract_alter_table(const AlterTableStmt *stmt, core::Statement *out)
{
	List *saved = alter_added_columns;
	PG_TRY();
	{
		extract_alter_table_body(stmt, out);
	}
	PG_FINALLY();
	{
		alter_added_columns = saved;
	}
	PG_END_TRY();
}

void
extract_alter_table_body(const AlterTableStmt *stmt, core::Statement *out)
{
	out->kind = StatementKind::AlterTable;
	out->relation = facts_for_rangevar(stmt->relation);
	out->only = stmt->relation != NULL && !stmt->relation->inh;
	Oid relid = stmt->relation ? RangeVarGetRelid(stmt->relation, NoLock, true) : InvalidOid;

	/* The constraint names of the table's schema: a step that adds one picks a free name. */
	if (OidIsValid(relid))
	{
		int n = 0;
		MemoryContext caller = CurrentMemoryContext;
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		Oid argtypes[1] = {OIDOID};
		Datum values[1] = {ObjectIdGetDatum(relid)};
		/* (ChooseConstraintName avoids every name of the schema, not only the table's) */
		if (sm_spi_execute_pinned("SELECT DISTINCT conname::text FROM pg_catalog.pg_constraint "
								  "WHERE connamespace = (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = $1) "
								  "ORDER BY 1",
								  1, argtypes, values, true) == SPI_OK_SELECT)
			n = (int) SPI_processed;
		MemoryContext spi = MemoryContextSwitchTo(caller);
		std::string_view *names = (std::string_view *) palloc(sizeof(std::string_view) * Max(n, 1));
		for (int i = 0; i < n; ++i)
			new (&names[i]) std::string_view(pstrdup(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1)));
		MemoryContextSwitchTo(spi);
		SPI_finish();
		MemoryContextSwitchTo(caller);
		out->constraint_names = names;
		out->nconstraint_names = n;
	}

	/* ALTER TYPE ... ATTRIBUTE on a composite type: its typed tables are altered too. */
	out->composite_type = stmt->objtype == OBJECT_TYPE;
	if (stmt->objtype == OBJECT_TYPE && OidIsValid(relid))
	{
		facts_from_query("SELECT c.oid FROM pg_catalog.pg_class c WHERE c.reloftype = "
						 "(SELECT t.reltype FROM pg_catalog.pg_class t WHERE t.oid = $1)",
						 relid, (Datum) 0, InvalidOid, &out->partners, &out->npartners);
		out->partner_lock = LockMode::AccessExclusive;
	}

	int n = list_length(stmt->cmds);
	Subcommand *subs = (Subcommand *) palloc(sizeof(Subcommand) * Max(n, 1));
	int i = 0;
	ListCell *lc;
	/* Columns the statement adds itself: subcommands of later passes may name them. */
	List *added = NIL;
	foreach (lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
		if (cmd->subtype == AT_AddColumn && cmd->def != NULL && IsA(cmd->def, ColumnDef))
			added = lappend(added, ((ColumnDef *) cmd->def)->colname);
	}
	alter_added_columns = added;
	foreach (lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
		Subcommand *c = new (&subs[i++]) Subcommand();
		c->kind = alter_kind(cmd->subtype);
		if (cmd->subtype == AT_ColumnDefault)
			c->has_default = cmd->def != NULL; /* SET DEFAULT, not DROP DEFAULT */
		if (cmd->name != NULL)
			c->column = cmd->name;
		/* A column that does not exist: PostgreSQL's own error (42703), not a rule's. */
		if (OidIsValid(relid) && cmd->name != NULL && column_subcommand(cmd->subtype) &&
			!attr_facts(relid, cmd->name).found && !(name_in_list(added, cmd->name) && !before_add_column(cmd)))
		{
			if (cmd->missing_ok)
				c->missing_noop = true;
			else
				c->pg_error = psprintf("column \"%s\" of relation \"%s\" does not exist", cmd->name,
									   get_rel_name(relid));
		}

		/*
		 * A table that does not exist yet (check(): created earlier in the
		 * script) still has the facts the parse tree gives: the kind of
		 * constraint, NOT VALID, the referenced table.
		 */
		if (!OidIsValid(relid) && c->kind != AlterKind::AddColumn && c->kind != AlterKind::AddConstraint)
			continue;

		switch (c->kind)
		{
			case AlterKind::AddColumn:
				if (cmd->def && IsA(cmd->def, ColumnDef))
					extract_add_column(relid, (ColumnDef *) cmd->def, c);
				break;
			case AlterKind::AlterColumnType:
				if (cmd->def && IsA(cmd->def, ColumnDef))
					extract_alter_type(relid, !out->only, cmd->name, (ColumnDef *) cmd->def, c);
				/* ALTER TYPE ... ALTER ATTRIBUTE of a type tables are of needs CASCADE: PostgreSQL's error. */
				if (out->composite_type && out->npartners > 0 && cmd->behavior != DROP_CASCADE && c->pg_error.empty())
					c->pg_error = psprintf("cannot alter type \"%s\" because it is the type of a typed table",
										   get_rel_name(relid));
				break;
			case AlterKind::SetNotNull:
				extract_set_not_null(relid, !out->only, cmd->name, c);
				break;
			case AlterKind::DropColumn:
			{
				AttrFacts att = attr_facts(relid, cmd->name);
				if (!att.found)
					break;
				foreign_key_partners(relid, att.attnum, &c->partners, &c->npartners);
				if (cmd->behavior == DROP_CASCADE)
				{
					const RelationFacts *views;
					int nviews;
					rule_dependents(relid, att.attnum, &views, &nviews);
					append_facts(&c->partners, &c->npartners, views, nviews);
				}
				break;
			}
			case AlterKind::AddConstraint:
				if (cmd->def && IsA(cmd->def, Constraint))
					extract_add_constraint(relid, (Constraint *) cmd->def, c);
				break;
			case AlterKind::ValidateConstraint:
			case AlterKind::DropConstraint:
				c->column = "";
				extract_named_constraint(relid, cmd->name, c);
				if (c->kind == AlterKind::DropConstraint && cmd->behavior == DROP_CASCADE && cmd->name != NULL)
				{
					/* Foreign keys that use the dropped key's index go too, locking their tables. */
					Oid conoid = get_relation_constraint_oid(relid, cmd->name, true);
					if (OidIsValid(conoid))
						facts_from_query("SELECT DISTINCT f.conrelid FROM pg_catalog.pg_constraint f "
										 "JOIN pg_catalog.pg_constraint k ON k.oid = $1 "
										 "WHERE f.contype = 'f' AND f.confrelid = k.conrelid "
										 "AND f.conindid = k.conindid AND k.conindid <> 0 "
										 "AND f.conrelid <> k.conrelid",
										 conoid, (Datum) 0, InvalidOid, &c->partners, &c->npartners);
				}
				break;
			case AlterKind::SetLogged:
			case AlterKind::SetUnLogged:
			{
				char persistence = get_rel_persistence(relid);
				c->changes_storage = (c->kind == AlterKind::SetLogged) != (persistence == RELPERSISTENCE_PERMANENT);
				break;
			}
			case AlterKind::SetAccessMethod:
			{
				Oid am = cmd->name ? get_table_am_oid(cmd->name, true) : InvalidOid;
				HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
				if (HeapTupleIsValid(tup))
				{
					c->changes_storage = ((Form_pg_class) GETSTRUCT(tup))->relam != am;
					ReleaseSysCache(tup);
				}
				break;
			}
			case AlterKind::SetTableSpace:
			{
				Oid spc = cmd->name ? get_tablespace_oid(cmd->name, true) : InvalidOid;
				HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
				if (HeapTupleIsValid(tup))
				{
					Oid cur = ((Form_pg_class) GETSTRUCT(tup))->reltablespace;
					if (!OidIsValid(cur))
						cur = MyDatabaseTableSpace;
					c->changes_storage = cur != spc;
					ReleaseSysCache(tup);
				}
				break;
			}
			case AlterKind::SetRelOptions:
			case AlterKind::ResetRelOptions:
				c->reloptions_lock = static_cast<LockMode>(AlterTableGetRelOptionsLockLevel((List *) cmd->def));
				break;
			case AlterKind::AttachPartition:
				if (stmt->objtype == OBJECT_INDEX)
				{
					/* ALTER INDEX ... ATTACH PARTITION: both tables are only read (AccessShareLock). */
					PartitionCmd *pc = (PartitionCmd *) cmd->def;
					Oid child = pc ? RangeVarGetRelid(pc->name, NoLock, true) : InvalidOid;
					RelationFacts tables[2];
					int nt = 0;
					for (Oid idx : {relid, child})
					{
						Oid table = OidIsValid(idx) ? IndexGetRelation(idx, true) : InvalidOid;
						if (OidIsValid(table))
							tables[nt++] = facts_for_oid_shallow(table);
					}
					append_facts(&out->partners, &out->npartners, copy_facts(tables, nt), nt);
					out->partner_lock = LockMode::AccessShare;
				}
				else if (cmd->def && IsA(cmd->def, PartitionCmd))
					extract_attach(relid, (PartitionCmd *) cmd->def, c);
				break;
			case AlterKind::AddInherit:
			case AlterKind::DropInherit:
				if (cmd->def && IsA(cmd->def, RangeVar))
					c->other = facts_for_rangevar((RangeVar *) cmd->def);
				break;
			case AlterKind::DetachPartitionFinalize:
				if (cmd->def && IsA(cmd->def, PartitionCmd))
					c->other = facts_for_rangevar(((PartitionCmd *) cmd->def)->name);
				break;
			case AlterKind::DetachPartition:
				if (cmd->def && IsA(cmd->def, PartitionCmd))
				{
					PartitionCmd *pc = (PartitionCmd *) cmd->def;
					c->other = facts_for_rangevar(pc->name);
#if PG_VERSION_NUM >= 140000
					c->concurrent = pc->concurrent;
#endif
					Oid defaultoid = get_default_partition_oid(relid);
					if (OidIsValid(defaultoid))
					{
						c->has_default_partition = true;
						c->default_partition = facts_for_oid(defaultoid);
					}
					/*
					 * ATDetachCheckNoForeignKeyRefs: the tables whose keys reach
					 * the partition through the parent are checked (ShareLock, then
					 * AccessExclusiveLock); the partition's own keys keep their
					 * referenced tables (ShareRowExclusiveLock).
					 */
					Oid partoid = RangeVarGetRelid(pc->name, NoLock, true);
					if (OidIsValid(partoid))
					{
						facts_from_query("SELECT DISTINCT conrelid FROM pg_catalog.pg_constraint "
										 "WHERE contype = 'f' AND confrelid = $1 AND conparentid <> 0",
										 partoid, (Datum) 0, InvalidOid, &c->fk_referencing, &c->nfk_referencing);
						facts_from_query("SELECT DISTINCT confrelid FROM pg_catalog.pg_constraint "
										 "WHERE contype = 'f' AND conrelid = $1",
										 partoid, (Datum) 0, InvalidOid, &c->fk_referenced, &c->nfk_referenced);
					}
				}
				break;
			default:
				break;
		}
	}
	out->subcommands = subs;
	out->nsubcommands = i;
}

void
extract_create_index(const IndexStmt *stmt, core::Statement *out)
{
	last_script_used = last_catalog_used = NIL; /* (set again for a partitioned table) */
	last_built_leaves = NIL;
	out->kind = StatementKind::CreateIndex;
	out->create_index.concurrent = stmt->concurrent;
	out->create_index.unique = stmt->unique;
	out->create_index.if_not_exists = stmt->if_not_exists;
	if (stmt->idxname != NULL)
		out->create_index.index_name = stmt->idxname;
	out->relation = facts_for_rangevar(stmt->relation);
	out->only = stmt->relation != NULL && !stmt->relation->inh;

	/* IF NOT EXISTS with a taken name: PostgreSQL skips the statement. */
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (OidIsValid(relid) && stmt->if_not_exists && stmt->idxname != NULL &&
		OidIsValid(get_relname_relid(stmt->idxname, get_rel_namespace(relid))))
		out->create_index.already_exists = true;
	/* A partitioned table: the partitions that have no matching index of their own get one built. */
	if (OidIsValid(relid) && !out->only && !stmt->concurrent && get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
	{
		List *built;
		/* The steps' plan; the parent index's name, the statement's or PostgreSQL's choice (ChooseIndexName()). */
		IndexPlan plan = {NIL, NIL, index_name_addition(stmt), false};
		Oid nsp = get_rel_namespace(relid);
		const char *name = stmt->idxname;
		if (name == NULL)
		{
			name = plan_index_name(&plan, get_rel_name(relid), nsp);
			out->create_index.chosen_name = name;
		}
		else
			plan.taken = lappend(plan.taken, psprintf("%u.%s", nsp, name));
		out->create_index.qualified_index_name = quote_qualified_identifier(get_namespace_name(nsp), name);
		out->create_index.partition_builds = create_index_partition_builds(stmt, relid, &built, &plan);
		bool stmt_matched = out->create_index.partition_builds >= 0;
		out->create_index.plan_unmatched = !stmt_matched;
		if (!plan.unknown && plan.entries != NIL)
		{
			core::IndexPartition *entries =
				(core::IndexPartition *) palloc(sizeof(core::IndexPartition) * list_length(plan.entries));
			int k = 0;
			ListCell *pc;
			foreach (pc, plan.entries)
				new (&entries[k++]) core::IndexPartition(*(core::IndexPartition *) lfirst(pc));
			out->create_index.plan = entries;
			out->create_index.nplan = k;
		}
		last_built_leaves = built;
		if (out->create_index.partition_builds > 0)
		{
			/* Named as the relation facts name them (the children of out->relation). */
			std::string_view *names = (std::string_view *) palloc(sizeof(std::string_view) * list_length(built));
			int k = 0;
			ListCell *lc;
			foreach (lc, built)
			{
				Oid leaf = lfirst_oid(lc);
				char *leafname = get_rel_name(leaf);
				if (leafname != NULL)
					new (&names[k++]) std::string_view(
						quote_qualified_identifier(get_namespace_name(get_rel_namespace(leaf)), leafname));
			}
			out->create_index.built_partitions = names;
			out->create_index.nbuilt_partitions = k;
		}
	}
}

/* Tables of the indexes named by DROP INDEX. */
void
extract_drop_index(const DropStmt *stmt, core::Statement *out)
{
	out->kind = StatementKind::DropIndex;
	out->concurrent = stmt->concurrent;
	int n = list_length(stmt->objects);
	RelationFacts *facts = (RelationFacts *) palloc(sizeof(RelationFacts) * Max(n, 1));
	int i = 0;
	ListCell *lc;
	foreach (lc, stmt->objects)
	{
		RangeVar *rv = makeRangeVarFromNameList((List *) lfirst(lc));
		Oid indexoid = RangeVarGetRelid(rv, NoLock, true);
		Oid tableoid = OidIsValid(indexoid) ? IndexGetRelation(indexoid, true) : InvalidOid;
		if (OidIsValid(tableoid))
		{
			/* Only a partitioned index takes its partitions' indexes (and tables) along. */
			bool partitioned = get_rel_relkind(indexoid) == RELKIND_PARTITIONED_INDEX;
			facts[i++] = partitioned ? facts_for_oid(tableoid) : facts_for_oid_shallow(tableoid);
		}
		else
		{
			RelationFacts missing;
			missing.exists = false;
			missing.name = rv->relname;
			missing.qualified_name = quote_qualified_identifier(rv->schemaname, rv->relname);
			facts[i++] = missing;
		}
	}
	out->relations = copy_facts(facts, i);
	out->nrelations = i;
	if (i > 0)
		out->relation = facts[0];
}

/* Relations named by a DROP of tables, views, matviews; triggers drop on their table. */
void
extract_drop(const DropStmt *stmt, core::Statement *out)
{
	switch (stmt->removeType)
	{
		case OBJECT_INDEX:
			extract_drop_index(stmt, out);
			return;
		case OBJECT_TABLE:
		case OBJECT_MATVIEW:
		case OBJECT_FOREIGN_TABLE:
		case OBJECT_VIEW:
		{
			out->kind = stmt->removeType == OBJECT_VIEW ? StatementKind::DropView : StatementKind::DropTable;
			out->cascade = stmt->behavior == DROP_CASCADE;
			List *rvs = NIL;
			ListCell *lc;
			foreach (lc, stmt->objects)
				rvs = lappend(rvs, makeRangeVarFromNameList((List *) lfirst(lc)));
			facts_for_rangevars(rvs, out);

			/*
			 * Dependent objects on other relations go too, and lock them: the
			 * other side of foreign keys (their triggers), rules and views
			 * (CASCADE), and for a partition its parent and default partition.
			 */
			foreach (lc, rvs)
			{
				Oid relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);
				if (!OidIsValid(relid))
					continue;
				const RelationFacts *more;
				int nmore;
				foreign_key_partners(relid, 0, &more, &nmore);
				append_facts(&out->partners, &out->npartners, more, nmore);
				if (out->cascade)
				{
					rule_dependents(relid, 0, &more, &nmore);
					append_facts(&out->partners, &out->npartners, more, nmore);
				}
				if (get_rel_relispartition(relid))
				{
					Oid parent = get_partition_parent(relid, true);
					RelationFacts pf[2];
					int np = 0;
					pf[np++] = facts_for_oid_shallow(parent);
					Oid def = get_default_partition_oid(parent);
					if (OidIsValid(def) && def != relid)
						pf[np++] = facts_for_oid_shallow(def);
					append_facts(&out->partners, &out->npartners, copy_facts(pf, np), np);
				}
			}
			out->partner_lock = LockMode::AccessExclusive;
			return;
		}
		case OBJECT_SCHEMA:
		{
			/*
			 * DROP SCHEMA ... CASCADE drops the schema's tables and views: judged
			 * as DROP TABLE / DROP VIEW of each (without CASCADE it fails on a
			 * schema that has any).
			 */
			if (stmt->behavior != DROP_CASCADE)
				return;
			ListCell *lc;
			foreach (lc, stmt->objects)
			{
				Oid nsp = get_namespace_oid(strVal(lfirst(lc)), true);
				if (!OidIsValid(nsp))
					continue;
				const RelationFacts *facts;
				int n;
				/* Partitions too: a partition of a parent elsewhere takes its rows with it. */
				facts_from_query("SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relnamespace = $1 "
								 "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.oid",
								 nsp, (Datum) 0, InvalidOid, &facts, &n);
				append_facts(&out->relations, &out->nrelations, facts, n);
			}
			if (out->nrelations > 0)
			{
				out->kind = StatementKind::DropTable;
				out->cascade = true;
			}
			return;
		}
		case OBJECT_STATISTIC_EXT:
		{
			out->kind = StatementKind::CreateStatistics; /* ShareUpdateExclusiveLock on the table */
			if (stmt->objects == NIL)
				return;
			Oid statoid = get_statistics_object_oid((List *) linitial(stmt->objects), true);
			HeapTuple tup = OidIsValid(statoid) ? SearchSysCache1(STATEXTOID, ObjectIdGetDatum(statoid)) : NULL;
			if (tup != NULL && HeapTupleIsValid(tup))
			{
				Oid relid = ((Form_pg_statistic_ext) GETSTRUCT(tup))->stxrelid;
				ReleaseSysCache(tup);
				out->relation = facts_for_oid_shallow(relid);
			}
			return;
		}
		case OBJECT_TRIGGER:
		case OBJECT_RULE:
		case OBJECT_POLICY:
		{
			/* objects: (schema.)table.name lists; the table takes an AccessExclusiveLock. */
			out->kind = StatementKind::CatalogChange;
			if (stmt->objects != NIL)
			{
				List *names = list_copy((List *) linitial(stmt->objects));
				names = list_truncate(names, list_length(names) - 1);
				if (names != NIL)
					out->relation = facts_for_rangevar(makeRangeVarFromNameList(names));
			}
			return;
		}
		default:
			out->kind = StatementKind::Other;
			return;
	}
}

LockMode
lock_mode_of(int mode)
{
	return static_cast<LockMode>(mode);
}

static_assert(AccessShareLock == 1 && AccessExclusiveLock == 8,
			  "core::LockMode numbering must match storage/lockdefs.h");

bool
has_option(List *options, const char *name)
{
	ListCell *lc;
	foreach (lc, options)
	{
		DefElem *opt = (DefElem *) lfirst(lc);
		if (strcmp(opt->defname, name) == 0)
			return opt->arg == NULL || defGetBoolean(opt);
	}
	return false;
}

} // namespace

/* The indexes of a table, from pg_index (no lock on the table).  C-style frame; may ereport. */
List *
sm_index_oids(Oid relid)
{
	List *out = NIL;
	Relation pg_index = table_open(IndexRelationId, AccessShareLock);
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	SysScanDesc scan = systable_beginscan(pg_index, IndexIndrelidIndexId, true, NULL, 1, &key);
	HeapTuple tup;
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		out = lappend_oid(out, ((Form_pg_index) GETSTRUCT(tup))->indexrelid);
	systable_endscan(scan);
	table_close(pg_index, AccessShareLock);
	return out;
}


/* C-style frame; may ereport (out of memory only). */
const char *
sm_statement_text(const PlannedStmt *pstmt, const char *query_string)
{
	if (query_string == NULL)
		return "";
	/*
	 * In a multi-statement string, a statement's location is just after the
	 * previous semicolon: skip the white space there, as pg_stat_statements
	 * does (CleanQuerytext).
	 */
	int len = (int) strlen(query_string);
	int loc = pstmt->stmt_location, n = pstmt->stmt_len;
	if (loc >= 0 && loc < len)
	{
		if (n <= 0 || loc + n > len)
			n = len - loc;
		while (n > 0 && scanner_isspace(query_string[loc]))
			++loc, --n;
		if (n == 0)
			n = -1; /* all white space: keep "rest of string" semantics harmless */
	}
	return sm_statement_text_at(query_string, len, loc, n);
}

/* len: strlen(query_string), computed once by callers that cut many statements from one string. */
const char *
sm_statement_text_at(const char *query_string, int len, int loc, int n)
{
	if (query_string == NULL)
		return "";
	if (loc < 0 || loc > len)
		return query_string;
	if (n <= 0 || loc + n > len)
		n = len - loc;			/* stmt_len 0 means "rest of string" */
	return pnstrdup(query_string + loc, n);
}

/* C-style frame; may ereport (out of memory). */
void
sm_facts_cache_begin(MemoryContext cxt)
{
	/* Begun again in the same context (a SET of the script): the old one's memory goes back. */
	bool again = facts_cache != NULL && facts_cache_cxt == cxt;
	if (again)
		hash_destroy(facts_cache);
	facts_cache = NULL;
	HASHCTL ctl;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(FactsCacheEntry);
	ctl.hcxt = cxt;
	facts_cache = hash_create("pg_safemigrate check() facts", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	facts_cache_cxt = cxt;
	if (again)
		return;
	MemoryContextCallback *cb = (MemoryContextCallback *) MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	cb->func = facts_cache_off;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(cxt, cb);
}

core::RelationFacts
sm_relation_facts(Oid relid)
{
	return facts_for_oid(relid);
}

bool
sm_check_is_running()
{
	return check_running;
}

bool
sm_check_suspend()
{
	bool was = check_running;
	check_running = false;
	return was;
}

void
sm_check_resume(bool was)
{
	check_running = was;
}

void
sm_check_running(bool running)
{
	check_running = running;
	script_cxt = running ? CurrentMemoryContext : NULL;
	facts_cache = NULL;
	facts_cache_cxt = NULL;
	script_indexes = consumed_script = consumed_catalog = last_script_used = last_catalog_used = renamed_catalog = NIL;
}

void
sm_script_index_add(const IndexStmt *stmt)
{
	last_script_used = last_catalog_used = NIL;
	if (stmt->relation == NULL || !check_running)
		return;
	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_RELATION)
		return;
	Oid nsp = get_rel_namespace(relid);
	/* A name that is taken: PostgreSQL fails, or skips with IF NOT EXISTS; no index. */
	if (stmt->idxname != NULL)
	{
		RangeVar rv = {};
		rv.schemaname = get_namespace_name(nsp);
		rv.relname = stmt->idxname;
		if (OidIsValid(get_relname_relid(stmt->idxname, nsp)) || script_index_named(&rv) != NULL)
			return;
	}
	MemoryContext old = MemoryContextSwitchTo(script_cxt);
	ScriptIndex *si = (ScriptIndex *) palloc0(sizeof(ScriptIndex));
	si->relid = relid;
	si->nsp = nsp;
	si->name = stmt->idxname != NULL ? pstrdup(stmt->idxname) : NULL;
	if (stmt_index(stmt, relid, &si->index))
		script_indexes = lappend(script_indexes, si);
	MemoryContextSwitchTo(old);
}

int
sm_index_builds_on(const IndexStmt *stmt, unsigned int table)
{
	StmtIndex si;
	if (!stmt_index(stmt, table, &si))
		return -1;
	Relation rel = probe_open(table);
	if (rel == NULL)
		return -1;
	List *used = check_running ? list_copy(consumed_catalog) : NIL;
	List *script_used = check_running ? list_copy(consumed_script) : NIL;
	bool unknown = false;
	IndexMatch m = {rel, si.collations, si.opfamilies, si.info, false, &used, &unknown, NULL, &script_used};
	int builds;
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		builds = index_match(&m, rel, RELKIND_PARTITIONED_INDEX, false) ? 0 : index_builds_below(&m, table);
	else
		builds = index_match(&m, rel, RELKIND_INDEX, false) || script_index_match(&m, rel) ? 0 : 1;
	probe_close(rel);
	return unknown ? -1 : builds;
}

List *
sm_create_index_built_leaves()
{
	return last_built_leaves;
}

void
sm_script_consume_last()
{
	if (!check_running)
		return;
	MemoryContext old = MemoryContextSwitchTo(script_cxt);
	consumed_catalog = list_concat_unique_oid(consumed_catalog, last_catalog_used);
	consumed_script = list_concat_unique_ptr(consumed_script, last_script_used);
	MemoryContextSwitchTo(old);
	last_script_used = last_catalog_used = NIL;
}

void
sm_script_index_drop(const DropStmt *stmt)
{
	if (!check_running || stmt->removeType != OBJECT_INDEX)
		return;
	ListCell *lc;
	foreach (lc, stmt->objects)
	{
		RangeVar *rv = makeRangeVarFromNameList((List *) lfirst(lc));
		ScriptIndex *si = script_index_named(rv);
		if (si != NULL)
		{
			si->gone = true;
			continue;
		}
		/* An existing index (by the name the script gave it, or its own): no longer there to attach. */
		Oid idx = InvalidOid;
		Oid nsp = rv->schemaname != NULL ? get_namespace_oid(rv->schemaname, true) : InvalidOid;
		ListCell *lc2;
		foreach (lc2, renamed_catalog)
		{
			RenamedIndex *r = (RenamedIndex *) lfirst(lc2);
			if (strcmp(r->name, rv->relname) == 0 && (rv->schemaname == NULL || r->nsp == nsp))
				idx = r->index;
		}
		if (!OidIsValid(idx))
			idx = RangeVarGetRelid(rv, NoLock, true);
		if (OidIsValid(idx) && get_rel_relkind(idx) == RELKIND_INDEX)
		{
			MemoryContext old = MemoryContextSwitchTo(script_cxt);
			consumed_catalog = list_append_unique_oid(consumed_catalog, idx);
			MemoryContextSwitchTo(old);
		}
	}
}

void
sm_script_index_renamed(const RenameStmt *stmt)
{
	if (!check_running || stmt->renameType != OBJECT_INDEX || stmt->relation == NULL || stmt->newname == NULL)
		return;
	MemoryContext old = MemoryContextSwitchTo(script_cxt);
	ScriptIndex *si = script_index_named(stmt->relation);
	RenamedIndex *again = NULL; /* an existing index the script renamed before: renamed again */
	if (si == NULL)
	{
		Oid nsp = stmt->relation->schemaname != NULL ? get_namespace_oid(stmt->relation->schemaname, true) : InvalidOid;
		ListCell *lc;
		foreach (lc, renamed_catalog)
		{
			RenamedIndex *r = (RenamedIndex *) lfirst(lc);
			if (strcmp(r->name, stmt->relation->relname) == 0 && (stmt->relation->schemaname == NULL || r->nsp == nsp))
				again = r;
		}
	}
	if (si != NULL)
		si->name = pstrdup(stmt->newname);
	else if (again != NULL)
		again->name = pstrdup(stmt->newname);
	else
	{
		Oid idx = RangeVarGetRelid(stmt->relation, NoLock, true);
		if (OidIsValid(idx))
		{
			RenamedIndex *r = (RenamedIndex *) palloc(sizeof(RenamedIndex));
			r->index = idx;
			r->nsp = get_rel_namespace(idx);
			r->name = pstrdup(stmt->newname);
			renamed_catalog = lappend(renamed_catalog, r);
		}
	}
	MemoryContextSwitchTo(old);
}

void
sm_script_index_attached(const AlterTableStmt *stmt)
{
	if (!check_running || stmt->objtype != OBJECT_INDEX)
		return;
	ListCell *lc;
	foreach (lc, stmt->cmds)
	{
		const AlterTableCmd *cmd = (const AlterTableCmd *) lfirst(lc);
		if (cmd->subtype != AT_AttachPartition || cmd->def == NULL || !IsA(cmd->def, PartitionCmd))
			continue;
		RangeVar *child = ((PartitionCmd *) cmd->def)->name;
		ScriptIndex *si = script_index_named(child);
		MemoryContext old = MemoryContextSwitchTo(script_cxt);
		if (si != NULL)
			consumed_script = list_append_unique_ptr(consumed_script, si);
		else
		{
			Oid idx = RangeVarGetRelid(child, NoLock, true);
			if (OidIsValid(idx))
				consumed_catalog = list_append_unique_oid(consumed_catalog, idx);
		}
		MemoryContextSwitchTo(old);
	}
}

int
sm_script_indexes_mark()
{
	return list_length(script_indexes);
}

void
sm_script_indexes_rollback(int mark)
{
	if (!check_running || mark >= list_length(script_indexes))
		return;
	MemoryContext old = MemoryContextSwitchTo(script_cxt);
	List *head = list_copy_head(script_indexes, mark);
	List *kept = NIL;
	ListCell *lc;
	foreach (lc, consumed_script)
		if (list_member_ptr(head, lfirst(lc)))
			kept = lappend(kept, lfirst(lc));
	script_indexes = head;
	consumed_script = kept;
	MemoryContextSwitchTo(old);
}

bool
sm_has_rules(const Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_IndexStmt:
		case T_DropStmt:
		case T_DropOwnedStmt:
		case T_ReindexStmt:
		case T_AlterTableStmt:
		case T_RenameStmt:
		case T_AlterObjectSchemaStmt:
		case T_TruncateStmt:
		case T_ClusterStmt:
		case T_VacuumStmt:
		case T_RefreshMatViewStmt:
		case T_AlterEnumStmt:
		case T_LockStmt:
		case T_AlterDomainStmt:
		case T_AlterTableMoveAllStmt:
		/* No rule of their own, but locks the pre-lock protocol takes (a blocking one for some). */
		case T_CreateTrigStmt:
		case T_RuleStmt:
		case T_CreatePolicyStmt:
		case T_AlterPolicyStmt:
		case T_ViewStmt:
		case T_CreateStatsStmt:
		case T_CommentStmt:
			return true;
		case T_CreateStmt:
			return ((const CreateStmt *) parsetree)->partbound != NULL;
		default:
			return false;
	}
}

bool
sm_never_ddl(const Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_DiscardStmt:
		case T_DeclareCursorStmt:
		case T_FetchStmt:
		case T_ClosePortalStmt:
		case T_PrepareStmt:
		case T_ExecuteStmt:
		case T_DeallocateStmt:
		case T_CallStmt:
		case T_DoStmt:
		case T_CopyStmt:
		case T_NotifyStmt:
		case T_ListenStmt:
		case T_UnlistenStmt:
		case T_CheckPointStmt:
		case T_LoadStmt:
			return true;
		case T_ExplainStmt:
		{
			/*
			 * EXPLAIN ANALYZE CREATE TABLE AS / SELECT INTO / CREATE
			 * MATERIALIZED VIEW creates a table: DDL for log_statement, and
			 * for the audit.  The options are read without defGetBoolean(),
			 * which may raise an error: this cannot.
			 */
			const ExplainStmt *e = (const ExplainStmt *) parsetree;
			bool analyze = false;
			ListCell *lc;
			foreach (lc, e->options)
			{
				const DefElem *opt = (const DefElem *) lfirst(lc);
				if (strcmp(opt->defname, "analyze") != 0)
					continue;
				bool value = true;
				if (opt->arg != NULL && IsA(opt->arg, Integer))
					value = intVal(opt->arg) != 0;
				else if (opt->arg != NULL && IsA(opt->arg, String) && !parse_bool(strVal(opt->arg), &value))
					value = false;
				else if (opt->arg != NULL && !IsA(opt->arg, String) && !IsA(opt->arg, Integer))
					value = false;
				analyze = value;
			}
			return !analyze || e->query == NULL || GetCommandLogLevel(e->query) != LOGSTMT_DDL;
		}
		default:
			return false;
	}
}

/* C-style frame; may ereport. */
void
sm_extract(Node *parsetree, core::Statement *out)
{
	last_built_leaves = NIL;
	if (!IsA(parsetree, SelectStmt) && !IsA(parsetree, InsertStmt) && !IsA(parsetree, UpdateStmt) &&
		!IsA(parsetree, DeleteStmt) && !IsA(parsetree, MergeStmt))
		out->command = GetCommandTagName(CreateCommandTag(parsetree));

	switch (nodeTag(parsetree))
	{
		case T_SelectStmt:
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
		case T_MergeStmt:
			out->kind = StatementKind::NotDdl;
			out->command = GetCommandTagName(CreateCommandTag(parsetree));
			return;

		case T_IndexStmt:
			extract_create_index((IndexStmt *) parsetree, out);
			return;

		case T_DropStmt:
			extract_drop((DropStmt *) parsetree, out);
			return;

		case T_DropOwnedStmt:
		{
			/* DROP OWNED BY drops the roles' tables and views in this database: judged as DROP TABLE of each. */
			const DropOwnedStmt *d = (const DropOwnedStmt *) parsetree;
			ListCell *lc;
			foreach (lc, d->roles)
			{
				Oid role = get_rolespec_oid((RoleSpec *) lfirst(lc), true);
				if (!OidIsValid(role))
					continue;
				const RelationFacts *facts;
				int n;
				/* Its relations, and with CASCADE everything in the schemas it owns. */
				facts_from_query(d->behavior == DROP_CASCADE
									 ? "SELECT c.oid FROM pg_catalog.pg_class c WHERE (c.relowner = $1 OR c.relnamespace IN "
									   "(SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspowner = $1)) "
									   "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relpersistence <> 't' "
									   "AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) "
									   "ORDER BY c.oid"
									 : "SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relowner = $1 "
									   "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relpersistence <> 't' "
									   "AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) "
									   "ORDER BY c.oid",
								 role, (Datum) 0, InvalidOid, &facts, &n);
				append_facts(&out->relations, &out->nrelations, facts, n);
			}
			if (out->nrelations > 0)
			{
				out->kind = StatementKind::DropTable;
				out->cascade = d->behavior == DROP_CASCADE;
			}
			return;
		}

		case T_ReindexStmt:
		{
			ReindexStmt *r = (ReindexStmt *) parsetree;
			out->kind = StatementKind::Reindex;
#if PG_VERSION_NUM >= 140000
			out->concurrent = has_option(r->params, "concurrently");
#else
			out->concurrent = r->concurrent;
#endif
			if (r->kind == REINDEX_OBJECT_TABLE)
			{
				facts_for_rangevars(list_make1(r->relation), out);
				Oid tableoid = RangeVarGetRelid(r->relation, NoLock, true);
				if (OidIsValid(tableoid))
					out->reindex_not_concurrent = reindex_concurrent_gap(tableoid, InvalidOid);
			}
			else if (r->kind == REINDEX_OBJECT_INDEX)
			{
				Oid indexoid = RangeVarGetRelid(r->relation, NoLock, true);
				Oid tableoid = OidIsValid(indexoid) ? IndexGetRelation(indexoid, true) : InvalidOid;
				RelationFacts f = OidIsValid(tableoid) ? facts_for_oid(tableoid) : facts_for_rangevar(r->relation);
				out->relations = copy_facts(&f, 1);
				out->nrelations = 1;
				out->relation = f;
				if (OidIsValid(tableoid))
					out->reindex_not_concurrent = reindex_concurrent_gap(tableoid, indexoid);
			}
			else if (r->kind == REINDEX_OBJECT_SCHEMA && r->name != NULL)
			{
				/* A user schema: CONCURRENTLY does the same unless one of its tables has a gap. */
				Oid nsp = get_namespace_oid(r->name, true);
				if (!OidIsValid(nsp) || IsCatalogNamespace(nsp) || IsToastNamespace(nsp))
					out->reindex_not_concurrent = "PostgreSQL cannot reindex the system catalogs of that schema "
												  "concurrently";
				else
				{
					Relation pg_class_rel = table_open(RelationRelationId, AccessShareLock);
					ScanKeyData key;
					ScanKeyInit(&key, Anum_pg_class_relnamespace, BTEqualStrategyNumber, F_OIDEQ,
								ObjectIdGetDatum(nsp));
					SysScanDesc scan = systable_beginscan(pg_class_rel, InvalidOid, false, NULL, 1, &key);
					HeapTuple tup;
					List *tables = NIL;
					while (HeapTupleIsValid(tup = systable_getnext(scan)))
					{
						Form_pg_class cls = (Form_pg_class) GETSTRUCT(tup);
						if (cls->relkind == RELKIND_RELATION || cls->relkind == RELKIND_MATVIEW)
							tables = lappend_oid(tables, cls->oid);
					}
					systable_endscan(scan);
					table_close(pg_class_rel, AccessShareLock);
					ListCell *lc;
					foreach (lc, tables)
					{
						const char *why = reindex_concurrent_gap(lfirst_oid(lc), InvalidOid);
						if (why[0] != '\0')
						{
							out->reindex_not_concurrent = why;
							break;
						}
					}
				}
			}
			else
				out->reindex_not_concurrent = "CONCURRENTLY skips the system catalogs a whole database reindex "
											  "reaches; reindex its schemas or tables one by one";
			return;
		}

		case T_AlterTableStmt:
			extract_alter_table((AlterTableStmt *) parsetree, out);
			return;

		case T_RenameStmt:
		{
			RenameStmt *r = (RenameStmt *) parsetree;
			out->new_name = r->newname ? r->newname : "";
			if (r->subname)
				out->old_name = r->subname;
			switch (r->renameType)
			{
				case OBJECT_TABLE:
				case OBJECT_VIEW:
				case OBJECT_MATVIEW:
				case OBJECT_FOREIGN_TABLE:
					out->kind = StatementKind::RenameTable;
					break;
				case OBJECT_INDEX:
					out->kind = StatementKind::RenameIndex;
					break;
				case OBJECT_COLUMN:
					out->kind = StatementKind::RenameColumn;
					break;
				case OBJECT_TABCONSTRAINT:
				case OBJECT_TRIGGER:
				case OBJECT_RULE:
				case OBJECT_POLICY:
					out->kind = StatementKind::RenameConstraint;
					break;
				case OBJECT_TYPE:
				default:
					out->kind = StatementKind::Other;
					return;
			}
			if (r->relation)
			{
				out->relation = facts_for_rangevar(r->relation);
				out->only = !r->relation->inh;
				/*
				 * ALTER INDEX / ALTER TABLE ... RENAME rename whatever relation
				 * they name: judged by what it is (a sequence is neither).
				 */
				Oid target = RangeVarGetRelid(r->relation, NoLock, true);
				if ((out->kind == StatementKind::RenameIndex || out->kind == StatementKind::RenameTable) &&
					OidIsValid(target))
				{
					char k = get_rel_relkind(target);
					if (k == RELKIND_INDEX || k == RELKIND_PARTITIONED_INDEX)
						out->kind = StatementKind::RenameIndex;
					else if (k == RELKIND_RELATION || k == RELKIND_PARTITIONED_TABLE || k == RELKIND_VIEW ||
							 k == RELKIND_MATVIEW || k == RELKIND_FOREIGN_TABLE)
						out->kind = StatementKind::RenameTable;
					else
						out->kind = StatementKind::Other; /* a sequence, a composite type */
				}
			}
			return;
		}

		case T_AlterObjectSchemaStmt:
		{
			AlterObjectSchemaStmt *s = (AlterObjectSchemaStmt *) parsetree;
			if (s->relation == NULL)
			{
				out->kind = StatementKind::Other;
				return;
			}
			out->kind = StatementKind::SetSchema;
			out->new_name = s->newschema;
			out->relation = facts_for_rangevar(s->relation);
			return;
		}

		case T_TruncateStmt:
		{
			TruncateStmt *t = (TruncateStmt *) parsetree;
			out->kind = StatementKind::Truncate;
			facts_for_rangevars(t->relations, out);
			if (t->behavior == DROP_CASCADE)
			{
				/* TRUNCATE ... CASCADE truncates every referencing table too (ExecuteTruncate). */
				List *relids = NIL;
				ListCell *lc;
				foreach (lc, t->relations)
				{
					Oid relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);
					if (OidIsValid(relid))
						relids = lappend_oid(relids, relid);
				}
				List *all = list_copy(relids);
				for (List *more = heap_truncate_find_FKs(relids); more != NIL;
					 more = heap_truncate_find_FKs(more))
				{
					List *fresh = NIL;
					foreach (lc, more)
						if (!list_member_oid(all, lfirst_oid(lc)))
							fresh = lappend_oid(fresh, lfirst_oid(lc));
					if (fresh == NIL)
						break;
					all = list_concat(all, fresh);
					more = fresh;
					RelationFacts *facts = (RelationFacts *) palloc(sizeof(RelationFacts) * list_length(fresh));
					int k = 0;
					foreach (lc, fresh)
						facts[k++] = facts_for_oid(lfirst_oid(lc));
					append_facts(&out->relations, &out->nrelations, facts, k);
				}
			}
			out->only = t->relations != NIL && !((RangeVar *) linitial(t->relations))->inh;
			return;
		}

		case T_ClusterStmt:
		{
			ClusterStmt *c = (ClusterStmt *) parsetree;
			out->kind = StatementKind::Cluster;
			if (c->relation)
				out->relation = facts_for_rangevar(c->relation);
			return;
		}

		case T_VacuumStmt:
		{
			VacuumStmt *v = (VacuumStmt *) parsetree;
			out->kind = v->is_vacuumcmd && has_option(v->options, "full") ? StatementKind::VacuumFull
																		   : StatementKind::Vacuum;
			List *rvs = NIL;
			ListCell *lc;
			foreach (lc, v->rels)
			{
				VacuumRelation *vr = (VacuumRelation *) lfirst(lc);
				if (vr->relation)
					rvs = lappend(rvs, vr->relation);
			}
			facts_for_rangevars(rvs, out);
			return;
		}

		case T_RefreshMatViewStmt:
		{
			RefreshMatViewStmt *r = (RefreshMatViewStmt *) parsetree;
			out->kind = StatementKind::RefreshMatView;
			out->concurrent = r->concurrent;
			out->no_data = r->skipData;
			out->relation = facts_for_rangevar(r->relation);
			Oid relid = RangeVarGetRelid(r->relation, NoLock, true);
			if (OidIsValid(relid) && !r->skipData)
			{
				/* The view's query reads its base tables (AccessShareLock). */
				view_base_tables(relid, &out->partners, &out->npartners);
				out->partner_lock = LockMode::AccessShare;
			}
			Relation rel = OidIsValid(relid) ? probe_open(relid) : NULL;
			if (rel != NULL)
			{
				List *indexes = RelationGetIndexList(rel);
				ListCell *lc;
				foreach (lc, indexes)
				{
					HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
					if (!HeapTupleIsValid(tup))
						continue;
					Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
					if (idx->indisunique && idx->indisvalid &&
						heap_attisnull(tup, Anum_pg_index_indpred, NULL) &&
						heap_attisnull(tup, Anum_pg_index_indexprs, NULL))
						out->has_unique_index = true;
					ReleaseSysCache(tup);
				}
				probe_close(rel);
			}
			return;
		}

		case T_CreateTrigStmt:
		{
			CreateTrigStmt *t = (CreateTrigStmt *) parsetree;
			out->kind = StatementKind::CreateTrigger;
			out->relation = facts_for_rangevar(t->relation);
			out->row_trigger = t->row;
			return;
		}

		case T_RuleStmt:
		{
			RuleStmt *r = (RuleStmt *) parsetree;
			out->kind = StatementKind::CreateRule;
			out->relation = facts_for_rangevar(r->relation);
			/* The tables its actions write to are opened for writing (RowExclusiveLock). */
			List *targets = NIL;
			ListCell *lc;
			foreach (lc, r->actions)
			{
				Node *action = (Node *) lfirst(lc);
				RangeVar *target = NULL;
				if (IsA(action, InsertStmt))
					target = ((InsertStmt *) action)->relation;
				else if (IsA(action, UpdateStmt))
					target = ((UpdateStmt *) action)->relation;
				else if (IsA(action, DeleteStmt))
					target = ((DeleteStmt *) action)->relation;
				if (target != NULL && !equal(target, r->relation))
					targets = lappend(targets, target);
			}
			int n = list_length(targets);
			RelationFacts *facts = (RelationFacts *) palloc(sizeof(RelationFacts) * Max(n, 1));
			int k = 0;
			foreach (lc, targets)
				facts[k++] = facts_for_rangevar((RangeVar *) lfirst(lc));
			out->partners = facts;
			out->npartners = k;
			out->partner_lock = LockMode::RowExclusive;
			return;
		}

		case T_CreatePolicyStmt:
			out->kind = StatementKind::CatalogChange;
			out->relation = facts_for_rangevar(((CreatePolicyStmt *) parsetree)->table);
			return;

		case T_AlterPolicyStmt:
			out->kind = StatementKind::CatalogChange;
			out->relation = facts_for_rangevar(((AlterPolicyStmt *) parsetree)->table);
			return;

		case T_AlterDomainStmt:
		{
			AlterDomainStmt *d = (AlterDomainStmt *) parsetree;
			bool checks = d->subtype == 'C' || d->subtype == 'V' || d->subtype == 'O';
			if (!checks)
			{
				out->kind = StatementKind::Other;
				return;
			}
			out->kind = StatementKind::AlterDomainConstraint;
			out->relation.qualified_name = NameListToQuotedString(d->typeName);
			out->relation.kind = RelationKind::Other;
			out->concurrent = d->subtype == 'C' && d->def != NULL && IsA(d->def, Constraint) &&
							  ((Constraint *) d->def)->skip_validation;
			Oid domain = typenameTypeId(NULL, makeTypeNameFromNameList(d->typeName));
			/*
			 * get_rels_with_domain(): every table with a column of the domain,
			 * or of a domain over it (recursively), ShareLock.
			 */
			facts_from_query("WITH RECURSIVE d(oid) AS (SELECT $1 UNION SELECT t.oid FROM pg_catalog.pg_type t "
							 "JOIN d ON t.typbasetype = d.oid WHERE t.typtype = 'd') "
							 "SELECT DISTINCT a.attrelid FROM pg_catalog.pg_attribute a "
							 "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
							 "WHERE a.atttypid IN (SELECT oid FROM d) AND a.attnum > 0 AND NOT a.attisdropped "
							 "AND c.relkind IN ('r', 'p', 'm')",
							 domain, (Datum) 0, InvalidOid, &out->partners, &out->npartners);
			out->partner_lock = out->concurrent ? LockMode::None : LockMode::Share;
			out->partners_scanned = !out->concurrent;
			if (out->concurrent)
				out->npartners = 0;
			return;
		}

		case T_AlterTableMoveAllStmt:
		{
			AlterTableMoveAllStmt *m = (AlterTableMoveAllStmt *) parsetree;
			out->kind = StatementKind::MoveAllTablespace;
			Oid spc = get_tablespace_oid(m->orig_tablespacename, false);
			Oid target = get_tablespace_oid(m->new_tablespacename, false);
			/*
			 * AlterTableMoveAll(): pg_global is PostgreSQL's error, and the same
			 * tablespace on both sides moves nothing.
			 */
			if (spc == GLOBALTABLESPACE_OID || target == GLOBALTABLESPACE_OID || spc == target)
			{
				out->kind = StatementKind::Other;
				return;
			}
			if (spc == MyDatabaseTableSpace)
				spc = InvalidOid;
			char relkind = m->objtype == OBJECT_MATVIEW ? RELKIND_MATVIEW
						   : m->objtype == OBJECT_INDEX ? RELKIND_INDEX
														: RELKIND_RELATION;
			Datum roles = (Datum) 0;
			int nroles = list_length(m->roles);
			Datum *role_oids = (Datum *) palloc(sizeof(Datum) * Max(nroles, 1));
			int r = 0;
			ListCell *lc;
			foreach (lc, m->roles)
				role_oids[r++] = ObjectIdGetDatum(get_rolespec_oid((RoleSpec *) lfirst(lc), false));
			roles = PointerGetDatum(construct_array(role_oids, r, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
			facts_from_query(psprintf("SELECT c.oid FROM pg_catalog.pg_class c "
									  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
									  "WHERE c.reltablespace = $1 AND c.relkind = '%c' "
									  "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
									  "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%' "
									  "AND (cardinality($2) = 0 OR c.relowner = ANY ($2))",
									  relkind),
							 spc, roles, OIDARRAYOID, &out->relations, &out->nrelations);
			return;
		}

		case T_CreateStmt:
		{
			CreateStmt *c = (CreateStmt *) parsetree;
			if (c->partbound != NULL && c->inhRelations != NIL)
			{
				out->kind = StatementKind::CreatePartitionOf;
				RangeVar *parent_rv = (RangeVar *) linitial(c->inhRelations);
				out->other = facts_for_oid_shallow(RangeVarGetRelid(parent_rv, NoLock, true));
				if (!out->other.exists)
					out->other = facts_for_rangevar(parent_rv);
				out->relation.name = c->relation->relname;
				out->relation.qualified_name =
					quote_qualified_identifier(c->relation->schemaname, c->relation->relname);
				/* The default partition is locked and scanned for rows of the new partition. */
				Oid parent = RangeVarGetRelid(parent_rv, NoLock, true);
				Oid def = OidIsValid(parent) ? get_default_partition_oid(parent) : InvalidOid;
				if (OidIsValid(def) && !c->partbound->is_default)
				{
					RelationFacts f = facts_for_oid_shallow(def);
					out->partners = copy_facts(&f, 1);
					out->npartners = 1;
					out->partner_lock = LockMode::AccessExclusive;
					out->partners_scanned = true;
				}
				return;
			}
			out->kind = StatementKind::CreateTable;
			/* Referenced tables of new foreign keys take a ShareRowExclusiveLock. */
			List *rvs = NIL;
			ListCell *lc;
			foreach (lc, c->tableElts)
			{
				Node *elt = (Node *) lfirst(lc);
				List *cons = NIL;
				if (IsA(elt, ColumnDef))
					cons = ((ColumnDef *) elt)->constraints;
				else if (IsA(elt, Constraint))
					cons = list_make1(elt);
				ListCell *lc2;
				foreach (lc2, cons)
				{
					Constraint *con = (Constraint *) lfirst(lc2);
					if (con->contype == CONSTR_FOREIGN && con->pktable != NULL)
						rvs = lappend(rvs, con->pktable);
				}
			}
			facts_for_rangevars(rvs, out);
			/* LIKE sources are only read: AccessShareLock. */
			foreach (lc, c->tableElts)
			{
				Node *elt = (Node *) lfirst(lc);
				if (!IsA(elt, TableLikeClause))
					continue;
				RelationFacts f = facts_for_rangevar(((TableLikeClause *) elt)->relation);
				f.lock = LockMode::AccessShare;
				append_facts(&out->relations, &out->nrelations, copy_facts(&f, 1), 1);
			}
			out->relation = RelationFacts();
			out->lock_mode = LockMode::ShareRowExclusive;
			/* INHERITS parents: ShareUpdateExclusiveLock (DefineRelation). */
			if (c->inhRelations != NIL)
			{
				int n = list_length(c->inhRelations);
				RelationFacts *parents = (RelationFacts *) palloc(sizeof(RelationFacts) * n);
				int k = 0;
				foreach (lc, c->inhRelations)
					parents[k++] = facts_for_rangevar((RangeVar *) lfirst(lc));
				out->partners = parents;
				out->npartners = k;
				out->partner_lock = LockMode::ShareUpdateExclusive;
			}
			return;
		}

		case T_LockStmt:
		{
			LockStmt *l = (LockStmt *) parsetree;
			out->kind = StatementKind::LockTable;
			out->lock_mode = lock_mode_of(l->mode);
			facts_for_rangevars(l->relations, out);
			out->only = l->relations != NIL && !((RangeVar *) linitial(l->relations))->inh;
			/*
			 * LOCK on a view locks the tables of its query in the same mode
			 * (LockViewRecurse).  Not when a catalog query would fix the
			 * transaction snapshot of a REPEATABLE READ transaction before
			 * its lock (LOCK runs without a snapshot; "LOCK first" must keep
			 * working): the view's tables are then not judged.
			 */
			ListCell *lc;
			foreach (lc, l->relations)
			{
				if (!sm_may_take_snapshot())
					break;
				Oid relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);
				if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_VIEW)
					continue;
				const RelationFacts *base;
				int nbase;
				view_base_tables(relid, &base, &nbase);
				append_facts(&out->partners, &out->npartners, base, nbase);
			}
			out->partner_lock = out->lock_mode;
			return;
		}

		case T_CommentStmt:
		{
			CommentStmt *c = (CommentStmt *) parsetree;
			bool qualified = (c->objtype != OBJECT_COLUMN && c->objtype != OBJECT_TABCONSTRAINT) ||
							 (IsA(c->object, List) && list_length(castNode(List, c->object)) >= 2);
			/* (COMMENT ON COLUMN c: PostgreSQL's own "column name must be qualified") */
			if (qualified && (c->objtype == OBJECT_TABLE || c->objtype == OBJECT_COLUMN || c->objtype == OBJECT_VIEW ||
							  c->objtype == OBJECT_MATVIEW || c->objtype == OBJECT_TABCONSTRAINT))
			{
				List *names = list_copy(castNode(List, c->object));
				if (c->objtype == OBJECT_COLUMN || c->objtype == OBJECT_TABCONSTRAINT)
					names = list_truncate(names, list_length(names) - 1);
				/* A constraint's comment locks its table only AccessShare (get_object_address). */
				if (c->objtype == OBJECT_TABCONSTRAINT)
					out->lock_mode = LockMode::AccessShare;
				out->kind = StatementKind::Comment;
				out->relation = facts_for_rangevar(makeRangeVarFromNameList(names));
			}
			else
				out->kind = StatementKind::Other;
			return;
		}

		case T_GrantStmt:
			out->kind = StatementKind::Grant;
			return;

		case T_CreateStatsStmt:
		{
			CreateStatsStmt *s = (CreateStatsStmt *) parsetree;
			out->kind = StatementKind::CreateStatistics;
			if (s->relations != NIL && IsA(linitial(s->relations), RangeVar))
				out->relation = facts_for_rangevar((RangeVar *) linitial(s->relations));
			return;
		}

		case T_AlterEnumStmt:
		{
			AlterEnumStmt *e = (AlterEnumStmt *) parsetree;
			out->relation.qualified_name = NameListToQuotedString(e->typeName);
			out->relation.kind = RelationKind::Other;
			if (e->oldVal != NULL)
			{
				out->kind = StatementKind::AlterEnumRenameValue;
				out->old_name = e->oldVal;
				out->new_name = e->newVal;
			}
			else
				out->kind = StatementKind::AlterEnumAddValue;
			return;
		}

		case T_ViewStmt:
		{
			ViewStmt *v = (ViewStmt *) parsetree;
			Oid existing = v->replace ? RangeVarGetRelid(v->view, NoLock, true) : InvalidOid;
			if (OidIsValid(existing))
			{
				/* CREATE OR REPLACE VIEW on an existing view: AccessExclusiveLock on it. */
				out->kind = StatementKind::CatalogChange;
				out->relation = facts_for_oid_shallow(existing);
				query_base_relations(v->query, &out->partners, &out->npartners);
				out->partner_lock = LockMode::AccessShare;
				return;
			}
			out->kind = StatementKind::CreateTable;
			query_base_relations(v->query, &out->relations, &out->nrelations);
			out->lock_mode = LockMode::AccessShare;
			return;
		}

		case T_CreateTableAsStmt:
			out->kind = StatementKind::CreateTable;
			query_base_relations(((CreateTableAsStmt *) parsetree)->query, &out->relations,
								 &out->nrelations);
			out->lock_mode = LockMode::AccessShare;
			return;

		case T_CreateSeqStmt:
		case T_CompositeTypeStmt:
		case T_CreateEnumStmt:
		case T_CreateDomainStmt:
		case T_CreateFunctionStmt:
		case T_CreateSchemaStmt:
		case T_CreateExtensionStmt:
			out->kind = StatementKind::CreateTable;
			return;

		default:
			out->kind = StatementKind::Other;
			return;
	}
}

} // namespace safemigrate::pg
