// Table-driven tests of classify(): PostgreSQL 15's lock level per ALTER TABLE
// subcommand (tablecmds.c AlterTableGetLockLevel), rewrites, scans, breaking
// changes, and which rule fires, for every statement family.
#include "core/classify.hpp"
#include "core/policy.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

using namespace safemigrate::core;

namespace {

RelationFacts
big_table(std::string_view name = "public.t")
{
	RelationFacts r;
	r.qualified_name = name;
	r.name = name.substr(name.find('.') + 1);
	r.size_known = true;
	r.bytes = 64LL * 1024 * 1024;
	r.estimated_rows = 1e6;
	return r;
}

struct AlterCase
{
	const char *name;
	Subcommand sub;
	LockMode lock;
	bool rewrites;
	bool scans;
	bool breaks;
	const char *rule; // "" when none
};

Subcommand
sub(AlterKind k)
{
	Subcommand s;
	s.kind = k;
	s.column = "c";
	return s;
}

template <typename F>
Subcommand
sub(AlterKind k, F &&f)
{
	Subcommand s = sub(k);
	f(s);
	return s;
}

Statement
alter(const Subcommand *subs, int n, std::string_view text = "")
{
	Statement s;
	s.kind = StatementKind::AlterTable;
	s.command = "ALTER TABLE";
	s.text = text;
	s.relation = big_table();
	s.subcommands = subs;
	s.nsubcommands = n;
	return s;
}

// Readable test output instead of a byte dump of the parameter.
void
PrintTo(const AlterCase &c, std::ostream *os)
{
	*os << c.name;
}

class AlterTableSubcommand : public ::testing::TestWithParam<AlterCase>
{};

TEST_P(AlterTableSubcommand, LockRewriteScanRule)
{
	const AlterCase &c = GetParam();
	Statement s = alter(&c.sub, 1);
	Assessments rows = classify(s);
	ASSERT_GE(rows.size(), 1u);
	const Assessment &a = rows[0];
	EXPECT_EQ(a.relation, "public.t");
	EXPECT_STREQ(lock_mode_name(a.lock), lock_mode_name(c.lock));
	EXPECT_EQ(a.rewrites, c.rewrites);
	EXPECT_EQ(a.scans, c.scans);
	EXPECT_EQ(a.breaks_clients, c.breaks);
	EXPECT_EQ(std::string(a.rule ? a.rule->id : ""), c.rule);
	if (a.violates())
	{
		EXPECT_FALSE(a.message.empty());
		EXPECT_FALSE(a.detail.empty());
		EXPECT_FALSE(a.hint.empty());
		EXPECT_EQ(a.message.rfind(std::string(a.rule->id) + ": ", 0), 0u) << a.message;
	}
	else
		EXPECT_FALSE(a.reason.empty()) << c.name;
}

const LockMode AE = LockMode::AccessExclusive, SUE = LockMode::ShareUpdateExclusive,
			   SRE = LockMode::ShareRowExclusive;

INSTANTIATE_TEST_SUITE_P(
	Pg15, AlterTableSubcommand,
	::testing::Values(
		AlterCase{"add_column_plain", sub(AlterKind::AddColumn), AE, false, false, false, ""},
		AlterCase{"add_column_constant_default",
				  sub(AlterKind::AddColumn, [](Subcommand &s) { s.has_default = true; }), AE, false, false, false, ""},
		AlterCase{"add_column_volatile_default",
				  sub(AlterKind::AddColumn, [](Subcommand &s) { s.has_default = s.default_volatile = true; }),
				  AE, true, true, false, "add-column-volatile-default"},
		AlterCase{"add_column_serial", sub(AlterKind::AddColumn, [](Subcommand &s) { s.serial = true; }), AE,
				  true, true, false, "add-column-volatile-default"},
		AlterCase{"add_column_identity", sub(AlterKind::AddColumn, [](Subcommand &s) { s.identity = true; }),
				  AE, true, true, false, "add-column-rewrite"},
		AlterCase{"add_column_generated",
				  sub(AlterKind::AddColumn, [](Subcommand &s) { s.generated_stored = true; }), AE, true, true,
				  false, "add-column-rewrite"},
		AlterCase{"add_column_domain",
				  sub(AlterKind::AddColumn, [](Subcommand &s) { s.domain_constraints = true; }), AE, true,
				  true, false, "add-column-rewrite"},
		AlterCase{"add_column_not_null_default",
				  sub(AlterKind::AddColumn, [](Subcommand &s) { s.not_null = s.has_default = true; }), AE,
				  false, false, false, ""},
		AlterCase{"add_column_check",
				  sub(AlterKind::AddColumn, [](Subcommand &s) { s.inline_constraint = ConstraintKind::Check; }),
				  AE, false, true, false, "add-check-validating"},
		AlterCase{"set_default", sub(AlterKind::ColumnDefault), AE, false, false, false, ""},
		AlterCase{"drop_not_null", sub(AlterKind::DropNotNull), AE, false, false, false, ""},
		AlterCase{"set_not_null", sub(AlterKind::SetNotNull), AE, false, true, true, "set-not-null-scan"},
		AlterCase{"set_not_null_implied",
				  sub(AlterKind::SetNotNull, [](Subcommand &s) { s.not_null_implied = true; }), AE, false,
				  false, true, ""},
		AlterCase{"set_not_null_already",
				  sub(AlterKind::SetNotNull, [](Subcommand &s) { s.already_not_null = true; }), AE, false,
				  false, false, ""},
		AlterCase{"drop_expression", sub(AlterKind::DropExpression), AE, false, false, false, ""},
		AlterCase{"set_statistics", sub(AlterKind::SetStatistics), SUE, false, false, false, ""},
		AlterCase{"set_options", sub(AlterKind::SetOptions), SUE, false, false, false, ""},
		AlterCase{"reset_options", sub(AlterKind::ResetOptions), SUE, false, false, false, ""},
		AlterCase{"set_storage", sub(AlterKind::SetStorage), AE, false, false, false, ""},
		AlterCase{"set_compression", sub(AlterKind::SetCompression), AE, false, false, false, ""},
		AlterCase{"drop_column", sub(AlterKind::DropColumn), AE, false, false, true, "drop-column"},
		AlterCase{"add_check",
				  sub(AlterKind::AddConstraint, [](Subcommand &s) { s.constraint = ConstraintKind::Check; }), AE,
				  false, true, false, "add-check-validating"},
		AlterCase{"add_check_not_valid",
				  sub(AlterKind::AddConstraint,
					  [](Subcommand &s) {
						  s.constraint = ConstraintKind::Check;
						  s.not_valid = true;
					  }),
				  AE, false, false, false, ""},
		AlterCase{"add_fk",
				  sub(AlterKind::AddConstraint, [](Subcommand &s) { s.constraint = ConstraintKind::ForeignKey; }),
				  SRE, false, true, false, "add-foreign-key-validating"},
		AlterCase{"add_fk_not_valid",
				  sub(AlterKind::AddConstraint,
					  [](Subcommand &s) {
						  s.constraint = ConstraintKind::ForeignKey;
						  s.not_valid = true;
					  }),
				  SRE, false, false, false, ""},
		AlterCase{"add_unique",
				  sub(AlterKind::AddConstraint, [](Subcommand &s) { s.constraint = ConstraintKind::Unique; }), AE,
				  false, true, false, "add-unique-blocking"},
		AlterCase{"add_unique_using_index",
				  sub(AlterKind::AddConstraint,
					  [](Subcommand &s) {
						  s.constraint = ConstraintKind::Unique;
						  s.using_index = true;
					  }),
				  AE, false, false, false, ""},
		AlterCase{"add_pk",
				  sub(AlterKind::AddConstraint, [](Subcommand &s) { s.constraint = ConstraintKind::PrimaryKey; }),
				  AE, false, true, false, "add-primary-key-blocking"},
		AlterCase{"add_pk_using_index_nullable",
				  sub(AlterKind::AddConstraint,
					  [](Subcommand &s) {
						  s.constraint = ConstraintKind::PrimaryKey;
						  s.using_index = s.pk_columns_nullable = true;
					  }),
				  AE, false, true, false, "set-not-null-scan"},
		AlterCase{"add_exclusion",
				  sub(AlterKind::AddConstraint, [](Subcommand &s) { s.constraint = ConstraintKind::Exclusion; }),
				  AE, false, true, false, "add-exclusion-blocking"},
		AlterCase{"alter_constraint", sub(AlterKind::AlterConstraint), AE, false, false, false, ""},
		AlterCase{"validate_constraint", sub(AlterKind::ValidateConstraint), SUE, false, true, false, ""},
		AlterCase{"drop_constraint", sub(AlterKind::DropConstraint), AE, false, false, false, ""},
		AlterCase{"type_binary_coercible", sub(AlterKind::AlterColumnType), AE, false, false, false, ""},
		AlterCase{"type_rewrite",
				  sub(AlterKind::AlterColumnType, [](Subcommand &s) { s.type_rewrites = true; }), AE, true, true,
				  true, "alter-column-type-rewrite"},
		AlterCase{"column_options", sub(AlterKind::AlterColumnGenericOptions), AE, false, false, false, ""},
		AlterCase{"owner", sub(AlterKind::ChangeOwner), AE, false, false, false, ""},
		AlterCase{"cluster_on", sub(AlterKind::ClusterOn), SUE, false, false, false, ""},
		AlterCase{"drop_cluster", sub(AlterKind::DropCluster), SUE, false, false, false, ""},
		AlterCase{"set_logged", sub(AlterKind::SetLogged), AE, true, true, false, "set-logged-rewrite"},
		AlterCase{"set_unlogged", sub(AlterKind::SetUnLogged), AE, true, true, false, "set-logged-rewrite"},
		AlterCase{"set_unlogged_noop",
				  sub(AlterKind::SetUnLogged, [](Subcommand &s) { s.changes_storage = false; }), AE, false,
				  false, false, ""},
		AlterCase{"set_access_method", sub(AlterKind::SetAccessMethod), AE, true, true, false,
				  "set-access-method-rewrite"},
		AlterCase{"set_tablespace", sub(AlterKind::SetTableSpace), AE, true, true, false, "set-tablespace-copy"},
		AlterCase{"set_reloptions_sue",
				  sub(AlterKind::SetRelOptions, [](Subcommand &s) { s.reloptions_lock = LockMode::ShareUpdateExclusive; }),
				  SUE, false, false, false, ""},
		AlterCase{"set_reloptions_ae", sub(AlterKind::SetRelOptions), AE, false, false, false, ""},
		AlterCase{"reset_reloptions", sub(AlterKind::ResetRelOptions), AE, false, false, false, ""},
		AlterCase{"trigger", sub(AlterKind::EnableDisableTrigger), SRE, false, false, false, ""},
		AlterCase{"rule", sub(AlterKind::EnableDisableRule), AE, false, false, false, ""},
		AlterCase{"inherit", sub(AlterKind::AddInherit), AE, false, false, false, ""},
		AlterCase{"no_inherit", sub(AlterKind::DropInherit), AE, false, false, false, ""},
		AlterCase{"of", sub(AlterKind::AddOf), AE, false, false, false, ""},
		AlterCase{"not_of", sub(AlterKind::DropOf), AE, false, false, false, ""},
		AlterCase{"replica_identity", sub(AlterKind::ReplicaIdentity), AE, false, false, false, ""},
		AlterCase{"row_security", sub(AlterKind::RowSecurity), AE, false, false, false, ""},
		AlterCase{"generic_options", sub(AlterKind::GenericOptions), AE, false, false, false, ""},
		AlterCase{"attach_partition", sub(AlterKind::AttachPartition), SUE, false, false, false, ""},
		AlterCase{"detach_partition", sub(AlterKind::DetachPartition), AE, false, false, false,
				  "detach-partition-blocking"},
		AlterCase{"detach_concurrently",
				  sub(AlterKind::DetachPartition, [](Subcommand &s) { s.concurrent = true; }), SUE, false,
				  false, false, ""},
		AlterCase{"detach_finalize", sub(AlterKind::DetachPartitionFinalize), SUE, false, false, false, ""},
		AlterCase{"add_identity", sub(AlterKind::AddIdentity), AE, false, false, false, ""},
		AlterCase{"set_identity", sub(AlterKind::SetIdentity), AE, false, false, false, ""},
		AlterCase{"drop_identity", sub(AlterKind::DropIdentity), AE, false, false, false, ""}),
	[](const ::testing::TestParamInfo<AlterCase> &p) { return std::string(p.param.name); });

TEST(AlterTable, StatementTakesTheStrongestLockOfItsSubcommands)
{
	Subcommand subs[] = {sub(AlterKind::SetStatistics), sub(AlterKind::ColumnDefault)};
	Assessments rows = classify(alter(subs, 2, "ALTER TABLE t ALTER c SET STATISTICS 100, ALTER c SET DEFAULT 1"));
	ASSERT_EQ(rows.size(), 2u);
	EXPECT_EQ(rows[0].lock, LockMode::AccessExclusive);
	EXPECT_EQ(rows[1].lock, LockMode::AccessExclusive);
}

TEST(AlterTable, ForeignKeyLocksTheReferencedTableToo)
{
	Subcommand fk = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::ForeignKey;
		s.first_column = "parent_id";
		s.other = big_table("public.parent");
	});
	Assessments rows = classify(alter(&fk, 1, "ALTER TABLE t ADD FOREIGN KEY (parent_id) REFERENCES parent"));
	ASSERT_EQ(rows.size(), 2u);
	EXPECT_EQ(rows[1].relation, "public.parent");
	EXPECT_EQ(rows[1].lock, LockMode::ShareRowExclusive);
	EXPECT_FALSE(rows[1].violates());
	ASSERT_EQ(rows[0].safe_sql.size(), 2u);
	EXPECT_EQ(rows[0].safe_sql[0],
			  "ALTER TABLE t ADD CONSTRAINT t_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent NOT VALID;");
	EXPECT_EQ(rows[0].safe_sql[1], "ALTER TABLE t VALIDATE CONSTRAINT t_parent_id_fkey;");
}

TEST(AlterTable, ForeignKeyOnAPartitionedTableHasNoNotValidSteps)
{
	Subcommand fk = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::ForeignKey;
		s.first_column = "parent_id";
		s.other = big_table("public.parent");
	});
	Statement st = alter(&fk, 1, "ALTER TABLE t ADD FOREIGN KEY (parent_id) REFERENCES parent");
	st.relation.kind = RelationKind::PartitionedTable;
	Assessments rows = classify(st);
	ASSERT_FALSE(rows.empty());
	EXPECT_TRUE(rows[0].violates());
	EXPECT_TRUE(rows[0].safe_sql.empty());
	EXPECT_FALSE(rows[0].rewritable);
	EXPECT_NE(rows[0].hint.find("each partition"), std::string::npos);
}

TEST(AlterTable, InheritanceChildrenSizesSaturate)
{
	// Found by test/fuzz: summing a parent's and its children's sizes overflowed int64.
	RelationFacts kids[2] = {big_table("public.c1"), big_table("public.c2")};
	kids[0].bytes = INT64_MAX - 10;
	kids[1].bytes = INT64_MAX - 10;
	Subcommand c = sub(AlterKind::AlterColumnType, [](Subcommand &x) { x.type_rewrites = true; });
	Statement s = alter(&c, 1, "ALTER TABLE t ALTER c TYPE bigint");
	s.relation.children = kids;
	s.relation.nchildren = 2;
	Assessments rows = classify(s);
	ASSERT_FALSE(rows.empty());
	EXPECT_EQ(rows[0].bytes, INT64_MAX);
	EXPECT_TRUE(rows[0].violates());
}

TEST(AlterTable, RewritingTypeChangeCallsTheHelperWithItsUsingExpression)
{
	Subcommand c = sub(AlterKind::AlterColumnType, [](Subcommand &x) {
		x.column = "b";
		x.type_text = "integer";
		x.type_rewrites = true;
		x.type_using = true;
	});
	Assessments rows = classify(alter(&c, 1, "ALTER TABLE t ALTER COLUMN b TYPE int USING nullif(b, E'\\\\')::int"));
	ASSERT_FALSE(rows.empty());
	ASSERT_FALSE(rows[0].safe_sql.empty());
	// quotes doubled, a backslash makes it an E'' literal (the same whatever standard_conforming_strings is)
	EXPECT_EQ(rows[0].safe_sql[0], "CALL safemigrate.expand_alter_column_type('public.t', 'b', 'integer', using_expr => "
								   "E'nullif(b, E''\\\\\\\\'')::int');");
	EXPECT_NE(rows[0].hint.find("using_expr => E'nullif"), std::string::npos) << rows[0].hint;
}

TEST(AlterTable, AttachPartitionScansUnlessImplied)
{
	Subcommand att = sub(AlterKind::AttachPartition, [](Subcommand &s) { s.other = big_table("public.p1"); });
	Assessments rows = classify(alter(&att, 1));
	ASSERT_EQ(rows.size(), 2u);
	EXPECT_EQ(rows[0].lock, LockMode::ShareUpdateExclusive);
	EXPECT_EQ(rows[1].lock, LockMode::AccessExclusive);
	EXPECT_TRUE(rows[1].scans);
	EXPECT_STREQ(rows[1].rule->id, "attach-partition-scan");
	att.partition_constraint_implied = true;
	rows = classify(alter(&att, 1));
	EXPECT_FALSE(rows[1].scans);
	EXPECT_FALSE(rows[1].violates());
}

TEST(AlterTable, SetNotNullRecipeHasFourSteps)
{
	Subcommand nn = sub(AlterKind::SetNotNull, [](Subcommand &s) { s.column = "email"; });
	Assessments rows = classify(alter(&nn, 1, "ALTER TABLE t ALTER COLUMN email SET NOT NULL"));
	ASSERT_EQ(rows[0].safe_sql.size(), 4u);
	EXPECT_EQ(rows[0].safe_sql[0], "ALTER TABLE t ADD CONSTRAINT t_email_not_null CHECK (email IS NOT NULL) NOT VALID;");
	EXPECT_EQ(rows[0].safe_sql[3], "ALTER TABLE t DROP CONSTRAINT t_email_not_null;");
}

TEST(AlterTable, TypeChangeWithoutRewriteStillRebuildsOrRechecks)
{
	// Validated CHECKs on the column only: drop, change, add back NOT VALID in one transaction, validate.
	std::string_view names[] = {"t_v_len"};
	std::string_view defs[] = {"CHECK ((length((v)::text) < 1000))"};
	Subcommand ty = sub(AlterKind::AlterColumnType, [&](Subcommand &s) {
		s.column = "v";
		s.type_text = "character varying(100)";
		s.text = "ALTER COLUMN v TYPE varchar(100)";
		s.checks_revalidated = 1;
		s.check_names = names;
		s.check_defs = defs;
		s.ncheck_defs = 1;
	});
	Assessments rows = classify(alter(&ty, 1, "ALTER TABLE t ALTER COLUMN v TYPE varchar(100)"));
	ASSERT_TRUE(rows[0].violates());
	EXPECT_FALSE(rows[0].rewrites);
	EXPECT_TRUE(rows[0].scans);
	EXPECT_STREQ(rows[0].rule->id, "alter-column-type-rewrite");
	ASSERT_EQ(rows[0].safe_sql.size(), 6u);
	EXPECT_EQ(rows[0].safe_sql[0], "BEGIN;");
	EXPECT_EQ(rows[0].safe_sql[1], "ALTER TABLE t DROP CONSTRAINT t_v_len;");
	EXPECT_EQ(rows[0].safe_sql[2], "ALTER TABLE t ALTER COLUMN v TYPE varchar(100);");
	EXPECT_EQ(rows[0].safe_sql[3], "ALTER TABLE t ADD CONSTRAINT t_v_len CHECK ((length((v)::text) < 1000)) NOT VALID;");
	EXPECT_EQ(rows[0].safe_sql[5], "ALTER TABLE t VALIDATE CONSTRAINT t_v_len;");
	EXPECT_NE(rows[0].message.find("re-check 1 CHECK constraint(s)"), std::string::npos);

	// A child's own CHECK too (not among the table's): no recipe, expand-contract.
	ty.ncheck_defs = 0;
	rows = classify(alter(&ty, 1, "ALTER TABLE t ALTER COLUMN v TYPE varchar(100)"));
	ASSERT_TRUE(rows[0].violates());
	EXPECT_EQ(rows[0].safe_sql[0], "ALTER TABLE t ADD COLUMN v_new character varying(100);");

	// Indexes and CHECKs: both named.
	ty.indexes_rebuilt = 2;
	rows = classify(alter(&ty, 1, "ALTER TABLE t ALTER COLUMN v TYPE varchar(100)"));
	EXPECT_NE(rows[0].message.find("would rebuild 2 index(es) and re-check 1 CHECK constraint(s) on every row"),
			  std::string::npos);
}

TEST(AlterTable, NotValidLeftByAnInterruptedRunIsContinuedOnlyWhenItIsTheSame)
{
	// c1_a_check exists (another definition): the CHECK gets the next free name.
	std::string_view names[] = {"t_a_check", "t_a_check1", "t_email_not_null"};
	Subcommand chk = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::Check;
		s.first_column = "a";
		s.text = "ADD CHECK (a > 0)";
	});
	Statement st = alter(&chk, 1, "ALTER TABLE t ADD CHECK (a > 0)");
	st.constraint_names = names;
	st.nconstraint_names = 3;
	Assessments rows = classify(st);
	ASSERT_EQ(rows[0].safe_sql.size(), 2u);
	EXPECT_EQ(rows[0].safe_sql[0], "ALTER TABLE t ADD CONSTRAINT t_a_check2 CHECK (a > 0) NOT VALID;");
	EXPECT_EQ(rows[0].safe_sql[1], "ALTER TABLE t VALIDATE CONSTRAINT t_a_check2;");
	EXPECT_TRUE(rows[0].rewritable);

	// The same definition, left NOT VALID under the name the statement gives it: only validated.
	std::string_view same[] = {"t_a_check1"};
	chk.same_not_valid = same;
	chk.nsame_not_valid = 1;
	rows = classify(st);
	ASSERT_EQ(rows[0].safe_sql.size(), 1u);
	EXPECT_EQ(rows[0].safe_sql[0], "ALTER TABLE t VALIDATE CONSTRAINT t_a_check1;");

	// The same definition under a name the statement would not give: added anew.
	std::string_view other[] = {"my_check"};
	chk.same_not_valid = other;
	rows = classify(st);
	ASSERT_EQ(rows[0].safe_sql.size(), 2u);

	// SET NOT NULL: t_email_not_null is taken by something else; its own name is free.
	Subcommand nn = sub(AlterKind::SetNotNull, [](Subcommand &s) { s.column = "email"; });
	Statement sn = alter(&nn, 1, "ALTER TABLE t ALTER COLUMN email SET NOT NULL");
	sn.constraint_names = names;
	sn.nconstraint_names = 3;
	rows = classify(sn);
	ASSERT_EQ(rows[0].safe_sql.size(), 4u);
	EXPECT_EQ(rows[0].safe_sql[0], "ALTER TABLE t ADD CONSTRAINT t_email_not_null1 CHECK (email IS NOT NULL) NOT VALID;");
	EXPECT_EQ(rows[0].safe_sql[3], "ALTER TABLE t DROP CONSTRAINT t_email_not_null1;");
	std::string_view left[] = {"t_email_not_null1"};
	nn.same_not_valid = left;
	nn.nsame_not_valid = 1;
	rows = classify(sn);
	ASSERT_EQ(rows[0].safe_sql.size(), 3u);
	EXPECT_EQ(rows[0].safe_sql[0], "ALTER TABLE t VALIDATE CONSTRAINT t_email_not_null1;");
}

TEST(AlterTable, AttachBuildingIndexesIsNotInstant)
{
	Subcommand att = sub(AlterKind::AttachPartition, [](Subcommand &s) {
		s.other = big_table("public.events_1");
		s.partition_constraint_implied = true;
		s.indexes_built = 2;
	});
	Assessments rows = classify(alter(&att, 1, "ALTER TABLE events ATTACH PARTITION events_1 FOR VALUES FROM (0) TO (10)"));
	ASSERT_GE(rows.size(), 2u);
	EXPECT_TRUE(rows[1].scans);
	ASSERT_NE(rows[1].rule, nullptr);
	EXPECT_STREQ(rows[1].rule->id, "attach-partition-scan");
	EXPECT_NE(rows[1].reason.find("2 indexes of the parent it lacks"), std::string::npos) << rows[1].reason;
	EXPECT_NE(rows[1].hint.find("CREATE INDEX CONCURRENTLY"), std::string::npos);
	att.indexes_built = 0;
	rows = classify(alter(&att, 1, "ALTER TABLE events ATTACH PARTITION events_1 FOR VALUES FROM (0) TO (10)"));
	EXPECT_FALSE(rows[1].scans);
	EXPECT_FALSE(rows[1].violates());
}

TEST(AlterTable, ConstraintNamesAsPostgresReadsThem)
{
	// An unquoted name folds to lower case; a quoted one keeps its case, quoted once.
	Subcommand chk = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::Check;
		s.first_column = "v";
		s.text = "ADD CONSTRAINT MyCheck CHECK (v > 0)";
	});
	Assessments rows = classify(alter(&chk, 1, "ALTER TABLE t ADD CONSTRAINT MyCheck CHECK (v > 0)"));
	ASSERT_EQ(rows[0].safe_sql.size(), 2u);
	EXPECT_EQ(rows[0].safe_sql[0], "ALTER TABLE t ADD CONSTRAINT MyCheck CHECK (v > 0) NOT VALID;");
	EXPECT_EQ(rows[0].safe_sql[1], "ALTER TABLE t VALIDATE CONSTRAINT mycheck;");
	// A table whose name needs quotes: the default name is quoted once.
	Subcommand unnamed = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::Check;
		s.first_column = "amount";
		s.text = "ADD CHECK (amount > 0)";
	});
	Statement st = alter(&unnamed, 1, "ALTER TABLE \"Orders\" ADD CHECK (amount > 0)");
	st.relation = big_table("public.\"Orders\"");
	st.relation.name = "Orders";
	rows = classify(st);
	ASSERT_EQ(rows[0].safe_sql.size(), 2u);
	EXPECT_NE(rows[0].safe_sql[0].find("ADD CONSTRAINT \"Orders_amount_check\" CHECK"), std::string::npos)
		<< rows[0].safe_sql[0];
	EXPECT_EQ(rows[0].safe_sql[0].find("\"\"Orders"), std::string::npos) << rows[0].safe_sql[0];
}

TEST(AlterTable, DefaultNamesAreCutBetweenCharacters)
{
	// 30 two-byte characters: the name is shortened as makeObjectName() does, never inside a character.
	std::string table;
	for (int i = 0; i < 30; ++i)
		table += "\xC3\xA9";
	Subcommand nn = sub(AlterKind::SetNotNull, [](Subcommand &s) { s.column = "co"; });
	Statement st = alter(&nn, 1, "ALTER TABLE t ALTER COLUMN co SET NOT NULL");
	std::string qualified = "public.\"" + table + "\"";
	st.relation = big_table(qualified);
	st.relation.name = table;
	Assessments rows = classify(st);
	ASSERT_EQ(rows[0].safe_sql.size(), 4u);
	const std::string &step = rows[0].safe_sql[0];
	std::size_t at = step.find("ADD CONSTRAINT \"");
	ASSERT_NE(at, std::string::npos) << step;
	std::size_t from = at + 16, to = step.find('"', from);
	std::string name = step.substr(from, to - from);
	EXPECT_LE(name.size(), 63u);
	EXPECT_EQ(name.substr(name.size() - 12), "_co_not_null") << name;
	// every lead byte has all its continuation bytes
	for (std::size_t i = 0; i < name.size(); ++i)
	{
		if (static_cast<unsigned char>(name[i]) == 0xC3)
		{
			EXPECT_TRUE(i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) == 0xA9) << name;
		}
	}
	// keywords are quoted
	Subcommand chk = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::Check;
		s.first_column = "v";
		s.text = "ADD CONSTRAINT \"check\" CHECK (v > 0)";
	});
	rows = classify(alter(&chk, 1, "ALTER TABLE t ADD CONSTRAINT \"check\" CHECK (v > 0)"));
	ASSERT_EQ(rows[0].safe_sql.size(), 2u);
	EXPECT_EQ(rows[0].safe_sql[1], "ALTER TABLE t VALIDATE CONSTRAINT \"check\";");
}

TEST(AlterTable, CheckWithComparisonsIsRewritten)
{
	// "<" in the user's expression is not a placeholder of the steps.
	Subcommand chk = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::Check;
		s.first_column = "a";
		s.text = "ADD CONSTRAINT a_range CHECK (a >= 0 AND a < 10)";
	});
	Assessments rows = classify(alter(&chk, 1, "ALTER TABLE t ADD CONSTRAINT a_range CHECK (a >= 0 AND a < 10)"));
	EXPECT_TRUE(rows[0].rewritable);
}

TEST(AlterTable, UniqueStepsKeepEveryClause)
{
	Subcommand u = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::Unique;
		s.columns = "\"Id\", v";
		s.name_columns = "Id_v";
		s.index_clauses = " INCLUDE (w) NULLS NOT DISTINCT WITH (fillfactor = '80')";
		s.constraint_clauses = " DEFERRABLE INITIALLY DEFERRED";
	});
	Assessments rows = classify(alter(&u, 1, "ALTER TABLE t ADD UNIQUE (\"Id\", v) ..."));
	ASSERT_EQ(rows[0].safe_sql.size(), 2u);
	EXPECT_EQ(rows[0].safe_sql[0], "CREATE UNIQUE INDEX CONCURRENTLY \"t_Id_v_key\" ON public.t (\"Id\", v) INCLUDE (w) "
								   "NULLS NOT DISTINCT WITH (fillfactor = '80');");
	EXPECT_EQ(rows[0].safe_sql[1],
			  "ALTER TABLE t ADD CONSTRAINT \"t_Id_v_key\" UNIQUE USING INDEX \"t_Id_v_key\" DEFERRABLE INITIALLY DEFERRED;");
}

TEST(Statements, RefreshWithNoDataIsNotARefresh)
{
	Statement s;
	s.kind = StatementKind::RefreshMatView;
	s.command = "REFRESH MATERIALIZED VIEW";
	s.text = "REFRESH MATERIALIZED VIEW mv WITH NO DATA";
	s.relation = big_table("public.mv");
	s.relation.kind = RelationKind::MaterializedView;
	s.has_unique_index = true;
	s.no_data = true;
	Assessments rows = classify(s);
	ASSERT_FALSE(rows.empty());
	EXPECT_FALSE(rows[0].violates());
	EXPECT_FALSE(rows[0].rewritable);
	s.no_data = false;
	EXPECT_TRUE(classify(s)[0].violates());
}

TEST(AlterTable, UniqueUsesExistingIndexWhenThereIsOne)
{
	Subcommand u = sub(AlterKind::AddConstraint, [](Subcommand &s) {
		s.constraint = ConstraintKind::Unique;
		s.columns = "email";
		s.existing_unique_index = "t_email_idx";
	});
	Assessments rows = classify(alter(&u, 1, "ALTER TABLE t ADD UNIQUE (email)"));
	ASSERT_EQ(rows[0].safe_sql.size(), 1u);
	EXPECT_EQ(rows[0].safe_sql[0], "ALTER TABLE t ADD CONSTRAINT t_email_key UNIQUE USING INDEX t_email_idx;");
}

TEST(AlterTable, ExemptionsAndDeclaration)
{
	Subcommand drop = sub(AlterKind::DropColumn);
	Statement s = alter(&drop, 1, "ALTER TABLE t DROP COLUMN c");
	s.relation.bytes = 0; // an empty table still has clients
	EXPECT_TRUE(classify(s)[0].violates());
	s.relation.created_in_transaction = true;
	EXPECT_FALSE(classify(s)[0].violates());
	s.relation.created_in_transaction = false;
	s.text = "/* safemigrate: expand-contract */ ALTER TABLE t DROP COLUMN c";
	Assessments rows = classify(s);
	EXPECT_FALSE(rows[0].violates());
	EXPECT_NE(rows[0].reason.find("declared expand-contract"), std::string::npos);

	// A declaration does not excuse a rewrite.
	Subcommand type = sub(AlterKind::AlterColumnType, [](Subcommand &x) { x.type_rewrites = true; });
	Statement t = alter(&type, 1, "/* safemigrate: expand-contract */ ALTER TABLE t ALTER c TYPE bigint");
	EXPECT_TRUE(classify(t)[0].violates());
	// A header declaration in the whole query string counts too.
	s.text = "ALTER TABLE t DROP COLUMN c";
	s.query_text = "-- safemigrate: expand-contract\nALTER TABLE t DROP COLUMN c; SELECT 1";
	EXPECT_FALSE(classify(s)[0].violates());
}

struct StatementCase
{
	const char *name;
	StatementKind kind;
	LockMode lock;
	bool rewrites;
	const char *rule;
};

void
PrintTo(const StatementCase &c, std::ostream *os)
{
	*os << c.name;
}

class OtherStatement : public ::testing::TestWithParam<StatementCase>
{};

TEST_P(OtherStatement, LockRewriteRule)
{
	const StatementCase &c = GetParam();
	Statement s;
	s.kind = c.kind;
	s.command = "X";
	s.text = "";
	s.relation = big_table();
	if (c.kind == StatementKind::LockTable)
		s.lock_mode = LockMode::AccessExclusive; // LOCK TABLE's mode
	Assessments rows = classify(s);
	ASSERT_GE(rows.size(), 1u);
	EXPECT_STREQ(lock_mode_name(rows[0].lock), lock_mode_name(c.lock)) << c.name;
	EXPECT_EQ(rows[0].rewrites, c.rewrites) << c.name;
	EXPECT_EQ(std::string(rows[0].rule ? rows[0].rule->id : ""), c.rule) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
	Pg15, OtherStatement,
	::testing::Values(
		StatementCase{"rename_table", StatementKind::RenameTable, AE, false, "rename-table"},
		StatementCase{"rename_index", StatementKind::RenameIndex, SUE, false, ""},
		StatementCase{"rename_column", StatementKind::RenameColumn, AE, false, "rename-column"},
		StatementCase{"rename_constraint", StatementKind::RenameConstraint, AE, false, ""},
		StatementCase{"set_schema", StatementKind::SetSchema, AE, false, "set-schema"},
		StatementCase{"drop_table", StatementKind::DropTable, AE, false, "drop-table"},
		StatementCase{"drop_view", StatementKind::DropView, AE, false, "drop-view"},
		StatementCase{"truncate", StatementKind::Truncate, AE, true, "truncate-table"},
		StatementCase{"cluster", StatementKind::Cluster, AE, true, "cluster-rewrite"},
		StatementCase{"vacuum_full", StatementKind::VacuumFull, AE, true, "vacuum-full-rewrite"},
		StatementCase{"vacuum", StatementKind::Vacuum, SUE, false, ""},
		StatementCase{"refresh", StatementKind::RefreshMatView, AE, true, "refresh-matview-blocking"},
		StatementCase{"create_trigger", StatementKind::CreateTrigger, SRE, false, ""},
		StatementCase{"catalog_change", StatementKind::CatalogChange, AE, false, ""},
		StatementCase{"create_rule", StatementKind::CreateRule, AE, false, ""},
		StatementCase{"lock_table", StatementKind::LockTable, AE, false, "lock-table-blocking"},
		StatementCase{"comment", StatementKind::Comment, SUE, false, ""},
		StatementCase{"create_statistics", StatementKind::CreateStatistics, SUE, false, ""},
		StatementCase{"grant", StatementKind::Grant, LockMode::None, false, ""},
		StatementCase{"enum_add_value", StatementKind::AlterEnumAddValue, LockMode::None, false, ""},
		StatementCase{"enum_rename_value", StatementKind::AlterEnumRenameValue, LockMode::None, false,
					  "rename-enum-value"},
		StatementCase{"not_ddl", StatementKind::NotDdl, LockMode::None, false, ""}),
	[](const ::testing::TestParamInfo<StatementCase> &p) { return std::string(p.param.name); });

TEST(Statements, CreatePartitionOfLocksTheParent)
{
	Statement s;
	s.kind = StatementKind::CreatePartitionOf;
	s.command = "CREATE TABLE";
	s.relation.qualified_name = "public.ev_2027";
	s.other = big_table("public.ev");
	s.other.kind = RelationKind::PartitionedTable;
	Assessments rows = classify(s);
	EXPECT_EQ(rows[0].relation, "public.ev");
	EXPECT_EQ(rows[0].lock, LockMode::AccessExclusive);
	EXPECT_STREQ(rows[0].rule->id, "create-partition-locks-parent");
}

TEST(Statements, StrongestCategory)
{
	Subcommand subs[] = {sub(AlterKind::AddColumn), sub(AlterKind::DropColumn)};
	Assessments rows = classify(alter(subs, 2));
	EXPECT_EQ(strongest_category(rows), Category::ExpandContract);
	Subcommand plain = sub(AlterKind::AddColumn);
	EXPECT_EQ(strongest_category(classify(alter(&plain, 1))), Category::InstantSafe);
}

TEST(Policy, DecideNamesEveryBrokenRule)
{
	Subcommand subs[] = {sub(AlterKind::SetNotNull),
						 sub(AlterKind::AddColumn, [](Subcommand &s) { s.has_default = s.default_volatile = true; })};
	Statement s = alter(subs, 2, "ALTER TABLE t ALTER c SET NOT NULL, ADD COLUMN d float8 DEFAULT random()");
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_STREQ(v.rule_id, "set-not-null-scan");
	EXPECT_NE(v.detail.find("also breaks rule add-column-volatile-default"), std::string::npos);
	EXPECT_EQ(v.lock, LockMode::AccessExclusive);
}

TEST(Policy, HugeSizeOfANeverAnalyzedTableDoesNotOverflow)
{
	// Found by test/fuzz: (bytes + 8191) overflowed int64 for a size near its maximum.
	Subcommand c = sub(AlterKind::SetNotNull);
	Statement s = alter(&c, 1, "ALTER TABLE t ALTER c SET NOT NULL");
	s.relation.estimated_rows = -1;
	s.relation.size_known = true;
	s.relation.bytes = INT64_MAX - 150;
	EXPECT_EQ(evaluate(s, Settings{}).action, Action::Rewrite); // not exempt as a small table
}

TEST(Policy, SeveralSubcommandsAreSplitIntoSteps)
{
	Subcommand subs[] = {sub(AlterKind::AddColumn),
						 sub(AlterKind::AddConstraint, [](Subcommand &s) { s.constraint = ConstraintKind::Check; })};
	Statement s = alter(subs, 2, "ALTER TABLE t ADD COLUMN d int, ADD CONSTRAINT t_d CHECK (c > 0)");
	s.top_level = true;
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Rewrite);
	ASSERT_EQ(v.safe_steps.size(), 3u);
	EXPECT_EQ(v.safe_steps[0], "ALTER TABLE t ADD COLUMN d int;");
	EXPECT_EQ(v.safe_steps[1], "ALTER TABLE t ADD CONSTRAINT t_d CHECK (c > 0) NOT VALID;");
	EXPECT_EQ(v.safe_steps[2], "ALTER TABLE t VALIDATE CONSTRAINT t_d;");

	// Inside a transaction block: rejected, with the whole plan in the hint.
	s.in_transaction_block = true;
	v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_EQ(v.safe_steps.size(), 3u);
	EXPECT_NE(v.hint.find("The whole statement, split into steps each in its own transaction: ALTER TABLE t ADD "
						  "COLUMN d int; ALTER TABLE t ADD CONSTRAINT t_d CHECK (c > 0) NOT VALID; ALTER TABLE t "
						  "VALIDATE CONSTRAINT t_d;"),
			  std::string::npos);
}

TEST(Policy, SplitStepsRunInPostgresPassOrder)
{
	// PostgreSQL adds the column (AT_PASS_ADD_COL) before the constraint that names it (AT_PASS_ADD_CONSTR),
	// and type changes (AT_PASS_ALTER_TYPE) before both, whatever order the statement writes them in.
	Subcommand subs[] = {sub(AlterKind::AddConstraint, [](Subcommand &s) { s.constraint = ConstraintKind::Check; }),
						 sub(AlterKind::AddColumn),
						 sub(AlterKind::AlterColumnType, [](Subcommand &s) { s.column = "old"; })};
	Statement s = alter(subs, 3, "ALTER TABLE t ADD CONSTRAINT t_c CHECK (c > 0), ADD COLUMN d int, ALTER old TYPE varchar(20)");
	s.top_level = true;
	std::optional<SafeSteps> plan = split_plan(assess(s, Settings{}));
	ASSERT_TRUE(plan.has_value());
	ASSERT_EQ(plan->size(), 4u);
	EXPECT_EQ((*plan)[0], "ALTER TABLE t ALTER old TYPE varchar(20);");
	EXPECT_EQ((*plan)[1], "ALTER TABLE t ADD COLUMN d int;");
	EXPECT_EQ((*plan)[2], "ALTER TABLE t ADD CONSTRAINT t_c CHECK (c > 0) NOT VALID;");
	EXPECT_EQ((*plan)[3], "ALTER TABLE t VALIDATE CONSTRAINT t_c;");
}

TEST(Policy, SplitNeedsStepsForEveryBrokenRule)
{
	// A volatile default has no steps the hook could run (expand-contract): no plan, rejected.
	Subcommand subs[] = {sub(AlterKind::AddConstraint, [](Subcommand &s) { s.constraint = ConstraintKind::Check; }),
						 sub(AlterKind::AddColumn, [](Subcommand &s) { s.has_default = s.default_volatile = true; })};
	Statement s = alter(subs, 2, "ALTER TABLE t ADD CONSTRAINT t_c CHECK (c > 0), ADD COLUMN d float8 DEFAULT random()");
	s.top_level = true;
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_EQ(v.hint.find("The whole statement"), std::string::npos);

	// Without the statement's text the subcommands cannot be written out alone.
	Subcommand two[] = {sub(AlterKind::AddColumn),
						sub(AlterKind::AddConstraint, [](Subcommand &c) { c.constraint = ConstraintKind::Check; })};
	Statement blind = alter(two, 2);
	blind.top_level = true;
	EXPECT_EQ(evaluate(blind, Settings{}).action, Action::Reject);
	EXPECT_FALSE(split_plan(assess(blind, Settings{})).has_value());
}

TEST(Policy, SplitKeepsSafeSubcommandsAsWritten)
{
	// Nothing breaks a rule: no plan is needed, the statement runs as written.
	Subcommand subs[] = {sub(AlterKind::AddColumn), sub(AlterKind::AddColumn)};
	Statement s = alter(subs, 2, "ALTER TABLE t ADD COLUMN a int, ADD COLUMN b text");
	s.top_level = true;
	EXPECT_EQ(evaluate(s, Settings{}).action, Action::Allow);
	std::optional<SafeSteps> plan = split_plan(assess(s, Settings{}));
	ASSERT_TRUE(plan.has_value());
	ASSERT_EQ(plan->size(), 2u);
	EXPECT_EQ((*plan)[1], "ALTER TABLE t ADD COLUMN b text;");
}

} // namespace
