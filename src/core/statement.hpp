/*-------------------------------------------------------------------------
 *
 * statement.hpp
 *	  Value model of one utility statement: the plain facts the boundary
 *	  gathers from the parse tree and the catalog.
 *
 * Nothing here refers to PostgreSQL types.  Every field is something the
 * boundary (src/pg/extract.cpp) can establish exactly; the core decides only
 * from these facts, which is what makes the rules testable without a server.
 *
 * Strings are views into memory the caller owns (palloc'd facts that outlive
 * the decision), and lists are pointer + count into such memory.  That keeps
 * Statement trivially destructible, so the C-style boundary may fill one in a
 * frame that can ereport (no destructor is skipped by a longjmp); the
 * static_asserts below hold that line.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"
#include "core/lock_mode.hpp"

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace safemigrate::core {

enum class RelationKind
{
	Table,
	PartitionedTable,
	MaterializedView,
	View,
	Index,
	Other,
};

/* What the catalog says about a relation the statement touches. */
struct RelationFacts
{
	std::string_view qualified_name; /* "schema.name", quoted as needed */
	std::string_view name;			 /* the bare relation name, unquoted */
	RelationKind kind = RelationKind::Table;
	bool exists = true;					 /* false: PostgreSQL will raise its own error */
	bool temporary = false;				 /* invisible to other sessions */
	bool created_in_transaction = false; /* invisible to other sessions until commit */
	bool created_in_script = false;		 /* check(): created earlier in the same migration */
	bool size_known = false;			 /* bytes is the real on-disk size */
	std::int64_t bytes = 0;				 /* main fork size; for a partitioned table, of all leaves */
	double estimated_rows = -1;			 /* < 0: never analyzed, unknown */
	int partitions = 0;					 /* leaf partitions of a partitioned table */
	bool has_storage = true;			 /* false for partitioned tables and views */
	LockMode lock = LockMode::None;		 /* where it varies per relation: the lock taken on it */
	/* Every partition / inheritance child, at any depth (statements that recurse lock them too). */
	const RelationFacts *children = nullptr;
	int nchildren = 0;
};

/* True when no other session can be using the relation. */
inline bool
invisible_to_others(const RelationFacts &r)
{
	return !r.exists || r.temporary || r.created_in_transaction || r.created_in_script;
}

enum class StatementKind
{
	Other,			  /* DDL without a rule and without a lock on an existing relation */
	NotDdl,			  /* queries and DML in a migration script */
	CreateIndex,
	DropIndex,
	Reindex,
	AlterTable,		  /* ALTER TABLE / ALTER INDEX / ALTER MATERIALIZED VIEW ... subcommands */
	RenameTable,	  /* ALTER TABLE/VIEW/MATERIALIZED VIEW ... RENAME TO */
	RenameIndex,	  /* ALTER INDEX ... RENAME TO */
	RenameColumn,
	RenameConstraint,
	SetSchema,
	DropTable,		  /* DROP TABLE / MATERIALIZED VIEW */
	DropView,
	Truncate,
	Cluster,
	VacuumFull,
	Vacuum,			  /* plain VACUUM / ANALYZE */
	RefreshMatView,
	CreateTrigger,
	CatalogChange,	  /* DROP TRIGGER / RULE / POLICY, CREATE / ALTER POLICY: catalog-only, AccessExclusiveLock */
	CreateRule,
	CreatePartitionOf, /* CREATE TABLE ... PARTITION OF an existing parent */
	CreateTable,	  /* any other CREATE TABLE / AS / VIEW / SEQUENCE ...: a new object */
	LockTable,
	Comment,
	Grant,
	CreateStatistics,
	AlterEnumAddValue,
	AlterEnumRenameValue,
	AlterDomainConstraint, /* ALTER DOMAIN ADD CONSTRAINT / VALIDATE / SET NOT NULL */
	MoveAllTablespace,	   /* ALTER TABLE ALL IN TABLESPACE ... SET TABLESPACE */
};

/* ALTER TABLE subcommand kinds: PostgreSQL 15's AlterTableType, as users write them. */
enum class AlterKind
{
	AddColumn,
	ColumnDefault,		/* SET / DROP DEFAULT */
	DropNotNull,
	SetNotNull,
	DropExpression,
	SetStatistics,
	SetOptions,			/* ALTER COLUMN SET (...) */
	ResetOptions,
	SetStorage,
	SetCompression,
	DropColumn,
	AddConstraint,
	AlterConstraint,
	ValidateConstraint,
	DropConstraint,
	AlterColumnType,
	AlterColumnGenericOptions,
	ChangeOwner,
	ClusterOn,
	DropCluster,
	SetLogged,
	SetUnLogged,
	SetAccessMethod,
	SetTableSpace,
	SetRelOptions,
	ResetRelOptions,
	EnableDisableTrigger,
	EnableDisableRule,
	AddInherit,
	DropInherit,
	AddOf,
	DropOf,
	ReplicaIdentity,
	RowSecurity,		/* ENABLE / DISABLE / FORCE / NO FORCE ROW LEVEL SECURITY */
	GenericOptions,
	AttachPartition,
	DetachPartition,
	DetachPartitionFinalize,
	AddIdentity,
	SetIdentity,
	DropIdentity,
	Other,				/* internal subcommands users cannot write */
};

enum class ConstraintKind
{
	None,
	Check,
	ForeignKey,
	PrimaryKey,
	Unique,
	Exclusion,
};

/* An inline constraint of ADD COLUMN, for the names the statement's constraints get and the steps. */
struct InlineConstraint
{
	ConstraintKind kind = ConstraintKind::None;
	std::string_view name;	 /* CONSTRAINT name as written, "" when PostgreSQL chooses it */
	std::string_view middle; /* the default name's middle part: the column; a CHECK's only column, or "" */
	/*
	 * Where its text is in the subcommand's ("[CONSTRAINT name] CHECK (...)", with the DEFERRABLE / INITIALLY
	 * clauses after it): byte offsets from the start of the column's name, up to the next part of the
	 * column's definition (end -1: the end of the subcommand).  begin -1: not known.
	 */
	int begin = -1;
	int end = -1;
	std::string_view free_index_name;	 /* UNIQUE / PRIMARY KEY without a name: the name PostgreSQL would choose
											(ChooseRelationName(): free in the schema) */
	std::string_view index_clauses;		 /* UNIQUE / PRIMARY KEY: " NULLS NOT DISTINCT WITH (...) TABLESPACE t" */
	std::string_view constraint_clauses; /* UNIQUE / PRIMARY KEY: " DEFERRABLE INITIALLY DEFERRED" */
};

/*
 * CREATE INDEX on a partitioned table: one partition (at any depth) and what
 * the steps do for it, in the order of a walk down the partitions (a
 * partitioned partition before its own partitions).
 */
struct IndexPartition
{
	std::string_view table;			  /* the partition, schema-qualified and quoted as needed */
	int parent = -1;				  /* the entry of the partitioned partition it is in; -1: the statement's table */
	bool partitioned = false;		  /* a partitioned partition without a matching index: its index is created ON
										 ONLY and its own partitions' indexes attached to it */
	bool foreign = false;			  /* a foreign table: it has no index */
	std::string_view existing;		  /* a matching index of its own (qualified): attached as it is; "" if none */
	std::string_view index_name;	  /* else the new index's name (PostgreSQL's choice there), unqualified */
	std::string_view qualified_index; /* ... and qualified with the partition's schema */
};

/* Facts of one ALTER TABLE subcommand. */
struct Subcommand
{
	AlterKind kind = AlterKind::Other;
	std::string_view text;		 /* this subcommand's own text ("ADD COLUMN ..."), "" if unknown */
	std::string_view column;	 /* column it acts on */
	std::string_view name;		 /* constraint / index / trigger / partition name */

	/* ADD COLUMN */
	bool has_default = false;
	bool default_volatile = false;	 /* contain_volatile_functions() of the cooked default */
	bool identity = false;			 /* GENERATED ... AS IDENTITY */
	bool serial = false;			 /* serial types: default nextval() */
	bool generated_stored = false;	 /* GENERATED ALWAYS AS (...) STORED */
	bool domain_constraints = false; /* type is a domain with constraints */
	bool not_null = false;
	bool written_not_null = false;	 /* NOT NULL is written (not only implied by an inline PRIMARY KEY) */
	std::string_view default_text;	 /* the default expression as written */
	bool default_from_domain = false; /* no DEFAULT of its own: the column type's (a domain's) default */
	bool type_has_default = false;	  /* ADD COLUMN: its type is a domain with a DEFAULT */
	bool type_using = false;		  /* ALTER COLUMN TYPE with a USING expression */
	std::string_view collate_text;	  /* ADD COLUMN: its COLLATE clause's collation, quoted; empty if none */
	ConstraintKind inline_constraint = ConstraintKind::None; /* strongest inline constraint */
	const InlineConstraint *inline_constraints = nullptr;	 /* every inline constraint, in the written order */
	int ninline_constraints = 0;

	/* ADD CONSTRAINT (and inline constraints of ADD COLUMN) */
	ConstraintKind constraint = ConstraintKind::None;
	bool not_valid = false;
	bool using_index = false;
	std::string_view using_index_name; /* USING INDEX: the index (an unnamed constraint takes its name) */
	std::string_view columns;			 /* constraint column list as written, "a, b" */
	std::string_view first_column;		 /* first column of the constraint (for names) */
	bool pk_columns_nullable = false;	 /* PRIMARY KEY on columns not yet NOT NULL: SET NOT NULL scans */
	const std::string_view *nullable_keys = nullptr; /* ... those key columns (unquoted), in key order */
	int nnullable_keys = 0;
	bool fk_columns_indexed = true;		 /* an index leads with the referencing columns */
	std::string_view existing_unique_index; /* a valid unique index on exactly these columns */
	std::string_view name_columns;		 /* ADD UNIQUE / FOREIGN KEY: the columns unquoted, joined by "_"; CHECK: its
										    only column, or "" (default names, as PostgreSQL makes them) */
	bool name_columns_known = false;	 /* name_columns is set (else default names use first_column) */
	std::string_view added_column;		 /* ADD CHECK / FOREIGN KEY / UNIQUE / PRIMARY KEY: a column it uses that
											the same statement adds, "" if none */
	bool table_has_primary_key = false;	 /* ADD PRIMARY KEY: the table already has one */
	bool name_taken = false;			 /* ADD UNIQUE / PRIMARY KEY: a constraint of the table has its name */
	bool index_name_taken = false;		 /* ADD UNIQUE / PRIMARY KEY with a name: a relation of the table's
											schema has it (the index cannot be created) */
	std::string_view pg_error;			 /* PostgreSQL refuses the subcommand itself (a column or type that does
											not exist): its message; the statement is left to PostgreSQL */
	bool missing_noop = false;			 /* ... IF EXISTS on a column that does not exist: nothing to do */
	std::string_view free_index_name;	 /* ADD UNIQUE/PRIMARY KEY without a name: the name PostgreSQL would
										    choose there (ChooseRelationName(): free in the schema) */
	std::string_view index_clauses;		 /* ADD UNIQUE / PRIMARY KEY: " INCLUDE (...) NULLS NOT DISTINCT WITH (...) TABLESPACE t" */
	std::string_view constraint_clauses; /* ADD UNIQUE / PRIMARY KEY: " DEFERRABLE INITIALLY DEFERRED" */

	/* ALTER COLUMN TYPE */
	bool type_rewrites = false;		/* ATColumnChangeRequiresRewrite() would say true */
	int indexes_rebuilt = 0;		/* without a rewrite: indexes on the column built again (TryReuseIndex) */
	int checks_revalidated = 0;		/* without a rewrite: validated CHECKs on the column, added again and
									   validated (the table's own and its children's local ones) */
	const std::string_view *check_names = nullptr; /* the table's own of those, and their definitions */
	const std::string_view *check_defs = nullptr;  /* (pg_get_constraintdef: "CHECK (...)") */
	int ncheck_defs = 0;
	std::string_view type_text;		/* the new type as written */

	/* SET NOT NULL */
	bool already_not_null = false;
	bool column_composite = false; /* a row type (or a domain over one): IS NOT NULL tests every field */
	bool not_null_implied = false; /* a valid CHECK proves col IS NOT NULL: no scan (PG12+) */

	/* ATTACH / DETACH PARTITION */
	bool concurrent = false;
	bool partition_constraint_implied = false;	/* valid CHECKs imply the bound: no scan */
	int indexes_built = 0;		/* ATTACH: indexes of the parent the partition lacks, built under its lock */
	RelationFacts other;		/* FK: referenced table; ATTACH/DETACH: the partition */
	bool has_default_partition = false;
	RelationFacts default_partition;
	bool default_partition_implied = false; /* ATTACH: its CHECKs keep out the new bound's rows: no scan */
	int fks_validated = 0;		/* ATTACH: foreign keys of the parent the table lacks: added and validated */
	const RelationFacts *fk_referenced = nullptr; /* ATTACH: what the parent's foreign keys reference */
	const LockMode *fk_referenced_locks = nullptr; /* ShareRowExclusive, AccessExclusive where a key of the
													  table's own is taken over (its triggers there dropped) */
	int nfk_referenced = 0;
	const RelationFacts *fk_referencing = nullptr; /* ATTACH: tables whose foreign keys reference the parent
													  (CloneFkReferenced locks them ShareRowExclusive) */
	int nfk_referencing = 0;

	/* SET LOGGED / UNLOGGED / ACCESS METHOD / TABLESPACE: false when it is a no-op */
	bool changes_storage = true;

	/* SET / RESET (reloptions): the level AlterTableGetRelOptionsLockLevel() gives */
	LockMode reloptions_lock = LockMode::AccessExclusive;

	bool no_inherit = false; /* CHECK ... NO INHERIT: not added to children */

	/*
	 * ADD CHECK / ADD FOREIGN KEY: the NOT VALID constraints of the table
	 * whose definition is the one this subcommand adds; SET NOT NULL: those
	 * that are CHECK (column IS NOT NULL), validated or not, NO INHERIT as
	 * the statement's helper would be (ONLY).  An interrupted rewrite left one:
	 * only its validation is left to do.
	 */
	const std::string_view *same_not_valid = nullptr;
	int nsame_not_valid = 0;

	/*
	 * Other tables whose objects the subcommand drops or re-creates, locked
	 * AccessExclusive: the other side of a foreign key on the column (DROP
	 * COLUMN, ALTER COLUMN TYPE), views on the column (DROP COLUMN CASCADE).
	 */
	const RelationFacts *partners = nullptr;
	int npartners = 0;
};

/* Facts specific to CREATE INDEX. */
struct CreateIndexFacts
{
	bool concurrent = false;
	bool unique = false;
	bool if_not_exists = false;
	bool already_exists = false; /* IF NOT EXISTS and the name is taken: a no-op */
	std::string_view index_name; /* empty when PostgreSQL chooses the name */
	int partition_builds = -1;	 /* a partitioned table (not ONLY): leaf partitions without a matching index of
									their own, built under the lock; -1 when not known */
	const std::string_view *built_partitions = nullptr; /* their qualified names (when partition_builds > 0) */
	int nbuilt_partitions = 0;
	/* A partitioned table (not ONLY): */
	std::string_view chosen_name;			/* no name given: the one PostgreSQL would choose (ChooseIndexName()) */
	std::string_view qualified_index_name;	/* the index, qualified with the table's schema */
	const IndexPartition *plan = nullptr;	/* every partition, for the steps; nplan -1: not known */
	int nplan = -1;
	bool plan_unmatched = false;			/* the partitions' own matching indexes are not known (an index on
											   expressions or with a predicate): every partition gets a new one */
};

struct Statement
{
	StatementKind kind = StatementKind::Other;
	std::string_view command;		   /* "CREATE INDEX", "ALTER TABLE", ... (PostgreSQL's command tag) */
	std::string_view text;			   /* this statement's own SQL text */
	std::string_view query_text;	   /* the whole query string it came in: its header comment counts */
	std::string_view parent_text;	   /* a step of a rewrite: the statement it comes from, whose declaration and
										  override comments hold for it too */
	bool top_level = true;			   /* sent by the client, not from a function */
	bool in_transaction_block = false; /* explicit or implicit transaction block */
	int server_version_num = 150000;

	RelationFacts relation;			   /* the relation the statement acts on */
	RelationFacts other;			   /* second relation: e.g. the parent of CREATE TABLE PARTITION OF */
	CreateIndexFacts create_index;

	const Subcommand *subcommands = nullptr; /* ALTER TABLE */
	int nsubcommands = 0;

	bool concurrent = false;		   /* DROP INDEX / REINDEX / REFRESH ... CONCURRENTLY */
	bool has_unique_index = false;	   /* REFRESH: the matview has a unique index (CONCURRENTLY possible) */
	LockMode lock_mode = LockMode::None; /* LOCK TABLE's mode; CREATE TRIGGER etc. */
	std::string_view new_name;		   /* RENAME target */
	std::string_view old_name;		   /* RENAME COLUMN / CONSTRAINT source */
	const RelationFacts *relations = nullptr; /* DROP / TRUNCATE / LOCK / REINDEX: every target */
	int nrelations = 0;

	bool only = false; /* ONLY: the statement does not recurse to partitions / children */
	bool composite_type = false; /* ALTER TYPE ... ATTRIBUTE: relation is a composite type, partners its typed
									tables (altered too, with CASCADE) */
	/* Every constraint name of the table's schema (a step that adds one picks a free name, as PostgreSQL does). */
	const std::string_view *constraint_names = nullptr;
	int nconstraint_names = 0;
	bool no_data = false;	  /* REFRESH ... WITH NO DATA: empties the view, runs no query */
	std::string_view reindex_not_concurrent; /* REINDEX: why CONCURRENTLY would not do the same (an invalid or
												exclusion-constraint index it skips, a system catalog, a whole
												schema or database); "" if it would */
	bool row_trigger = false; /* CREATE TRIGGER ... FOR EACH ROW: cloned to partitions */
	bool cascade = false;

	/*
	 * Other relations the statement locks because of dependent objects: the
	 * other side of foreign keys and rules (DROP TABLE), the parent and the
	 * default partition (DROP of a partition, CREATE ... PARTITION OF), the
	 * tables a rule writes to (CREATE RULE), the tables using a domain (ALTER
	 * DOMAIN), the base tables of a view (LOCK TABLE view).
	 */
	const RelationFacts *partners = nullptr;
	int npartners = 0;
	LockMode partner_lock = LockMode::AccessExclusive;
	bool partners_scanned = false; /* ALTER DOMAIN / default partition: each partner is scanned */
};

static_assert(std::is_trivially_destructible_v<Subcommand>);
static_assert(std::is_trivially_destructible_v<Statement>,
			  "Statement is filled in C-style frames that may longjmp; keep it trivially destructible");

} // namespace safemigrate::core
