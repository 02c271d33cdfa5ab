/*-------------------------------------------------------------------------
 *
 * extract.cpp
 *	  Gather the plain facts the core decides from.
 *
 * Invariants:
 *	- Nothing here waits for a lock.  Relation size and "created in this
 *	  transaction" need an open relation; we take AccessShareLock only with
 *	  ConditionalLockRelationOid (never queued, never blocks anyone) and
 *	  release it at once.  When it cannot be had, we fall back to pg_class
 *	  statistics and say the size is not known exactly.  Taking a lock and
 *	  later upgrading it to the statement's own mode would risk deadlocks
 *	  between two migrations; releasing it avoids that.
 *	- All memory is palloc'd in the current (per-statement) context.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/statement.hpp"
#include "pg/extract.hpp"

#include "pg/postgres.hpp"

namespace safemigrate::pg {

namespace {

core::RelationKind
relation_kind(char relkind)
{
	switch (relkind)
	{
		case RELKIND_RELATION:
			return core::RelationKind::Table;
		case RELKIND_PARTITIONED_TABLE:
			return core::RelationKind::PartitionedTable;
		case RELKIND_MATVIEW:
			return core::RelationKind::MaterializedView;
		default:
			return core::RelationKind::Other;
	}
}

/* Accumulated size of one relation or of the leaves of a partitioned table. */
struct SizeSum
{
	bool exact;		  /* every part measured on disk */
	int64 bytes;
	double rows;	  /* sum of known estimates */
	bool rows_known;  /* at least one part has an estimate */
	bool created_here; /* the (single) relation was created in this transaction */
};

/*
 * Open relid without waiting and read what only the relcache knows: its
 * current size in blocks (when it has storage) and whether this transaction
 * created it.  Returns false, having read nothing, when AccessShareLock is not
 * available at once (someone holds or awaits AccessExclusiveLock) or the
 * relation is gone.
 *
 * C-style frame; may ereport.
 */
bool
probe_relation(Oid relid, bool has_storage, BlockNumber *nblocks, bool *created_here)
{
	if (!ConditionalLockRelationOid(relid, AccessShareLock))
		return false;
	Relation rel = try_relation_open(relid, NoLock);
	if (rel != NULL)
	{
		if (has_storage)
			*nblocks = RelationGetNumberOfBlocks(rel);
		*created_here = rel->rd_createSubid != InvalidSubTransactionId;
		relation_close(rel, NoLock);
	}
	UnlockRelationOid(relid, AccessShareLock);
	return rel != NULL;
}

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
	bool created_here = false;
	if (probe_relation(relid, true, &nblocks, &created_here))
		sum->created_here |= created_here;
	else
	{
		/* Someone holds or awaits AccessExclusiveLock: use the statistics. */
		sum->exact = false;
		nblocks = relpages > 0 ? (BlockNumber) relpages : 0;
	}
	sum->bytes += (int64) nblocks * BLCKSZ;

	/* The planner's estimate (estimate_rel_size): density times current pages. */
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
void
relation_facts(Oid relid, core::RelationFacts *out)
{
	HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
	{
		out->exists = false;
		return;
	}
	Form_pg_class cls = (Form_pg_class) GETSTRUCT(tup);
	char relkind = cls->relkind;
	out->kind = relation_kind(relkind);
	out->temporary = cls->relpersistence == RELPERSISTENCE_TEMP;
	char *nspname = get_namespace_name(cls->relnamespace);
	out->qualified_name = quote_qualified_identifier(nspname, NameStr(cls->relname));
	ReleaseSysCache(tup);

	SizeSum sum = {true, 0, 0, false, false};
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
			char child_kind = get_rel_relkind(child);
			if (child == relid || !RELKIND_HAS_STORAGE(child_kind))
				continue;
			out->partitions++;
			add_storage_size(child, &sum);
		}
		/* New partitions of an old parent do not make the parent new. */
		BlockNumber unused = 0;
		sum.created_here = false;
		(void) probe_relation(relid, false, &unused, &sum.created_here);
	}
	else if (RELKIND_HAS_STORAGE(relkind))
		add_storage_size(relid, &sum);
	else
		sum.exact = false;

	out->size_known = sum.exact;
	out->bytes = sum.bytes;
	out->estimated_rows = sum.rows_known ? sum.rows : -1;
	out->created_in_transaction = sum.created_here;
}

} // namespace

/* C-style frame; may ereport (out of memory only). */
const char *
sm_statement_text(const PlannedStmt *pstmt, const char *query_string)
{
	if (query_string == NULL)
		return "";
	int len = (int) strlen(query_string);
	int loc = pstmt->stmt_location;
	int n = pstmt->stmt_len;
	if (loc < 0 || loc > len)
		return query_string;
	if (n <= 0 || loc + n > len)
		n = len - loc;			/* stmt_len 0 means "rest of string" */
	return pnstrdup(query_string + loc, n);
}

/* C-style frame; may ereport. */
void
sm_extract_create_index(const IndexStmt *stmt, core::Statement *out)
{
	out->kind = core::StatementKind::CreateIndex;
	out->create_index.concurrent = stmt->concurrent;
	out->create_index.unique = stmt->unique;
	out->create_index.if_not_exists = stmt->if_not_exists;
	if (stmt->idxname != NULL)
		out->create_index.index_name = stmt->idxname;

	/* A CONCURRENTLY build blocks nobody: no catalog work needed. */
	if (stmt->concurrent)
		return;

	Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
	{
		out->relation.exists = false;
		return;
	}
	relation_facts(relid, &out->relation);

	/* IF NOT EXISTS with a taken name: PostgreSQL skips the statement. */
	if (stmt->if_not_exists && stmt->idxname != NULL &&
		OidIsValid(get_relname_relid(stmt->idxname, get_rel_namespace(relid))))
		out->create_index.already_exists = true;
}

} // namespace safemigrate::pg
