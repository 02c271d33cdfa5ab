// Unit tests of the create-index-blocking rule and of safemigrate.mode.
#include "core/policy.hpp"
#include "core/rules.hpp"

#include <gtest/gtest.h>

using namespace safemigrate::core;

namespace {

Statement
create_index(std::string_view text = "CREATE INDEX appt_patient_idx ON appointments (patient_id)")
{
	Statement s;
	s.kind = StatementKind::CreateIndex;
	s.text = text;
	s.relation.qualified_name = "public.appointments";
	s.relation.size_known = true;
	s.relation.bytes = 180LL * 1024 * 1024;
	s.relation.estimated_rows = 2000000;
	s.create_index.index_name = "appt_patient_idx";
	return s;
}

Settings
mode(Mode m)
{
	Settings st;
	st.mode = m;
	st.rewrite = false;
	st.small_table_rows = 0; // judge the small fixtures like big tables
	return st;
}

} // namespace

TEST(CreateIndexRule, RejectsBlockingBuildOnTableWithData)
{
	Verdict v = evaluate(create_index(), mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_STREQ(v.rule_id, "create-index-blocking");
	EXPECT_STREQ(v.sqlstate, "SM001");
	EXPECT_EQ(v.lock, LockMode::Share);
	EXPECT_EQ(v.message,
			  "create-index-blocking: CREATE INDEX on table \"public.appointments\" would block writes");
	EXPECT_EQ(v.detail,
			  "CREATE INDEX without CONCURRENTLY takes a ShareLock on \"public.appointments\" "
			  "(about 2000000 rows, 180 MB): INSERT, UPDATE and DELETE wait until the whole table "
			  "has been read and the index built.  Reads are not blocked.");
	EXPECT_EQ(v.hint,
			  "Run instead: CREATE INDEX CONCURRENTLY appt_patient_idx ON appointments (patient_id);");
	ASSERT_EQ(v.safe_steps.size(), 1u);
	EXPECT_EQ(v.safe_steps[0], "CREATE INDEX CONCURRENTLY appt_patient_idx ON appointments (patient_id);");
}

TEST(CreateIndexRule, WarnModeDowngradesToWarning)
{
	Verdict v = evaluate(create_index(), mode(Mode::Warn));
	EXPECT_EQ(v.action, Action::Warn);
	EXPECT_STREQ(v.rule_id, "create-index-blocking");
}

TEST(CreateIndexRule, OffModeAllowsEverything)
{
	Verdict v = evaluate(create_index(), mode(Mode::Off));
	EXPECT_EQ(v.action, Action::Allow);
	EXPECT_STREQ(v.rule_id, "");
}

TEST(CreateIndexRule, UniqueAndUnknownRowCount)
{
	Statement s = create_index("create unique index u on t (a)");
	s.create_index.unique = true;
	s.relation.estimated_rows = -1; // never analyzed
	s.relation.bytes = 8192;
	Verdict v = evaluate(s, mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_NE(v.message.find("CREATE UNIQUE INDEX on table"), std::string::npos);
	EXPECT_NE(v.detail.find("(8192 bytes)"), std::string::npos);
	EXPECT_EQ(v.hint, "Run instead: create unique index CONCURRENTLY u on t (a);");
}

TEST(CreateIndexRule, HintSaysConcurrentlyCannotRunInTransactionBlock)
{
	Statement s = create_index();
	s.in_transaction_block = true;
	Verdict v = evaluate(s, mode(Mode::Enforce));
	EXPECT_NE(v.hint.find("cannot run inside a transaction block"), std::string::npos);
	s.in_transaction_block = false;
	s.top_level = false;
	EXPECT_NE(evaluate(s, mode(Mode::Enforce)).hint.find("or a function"), std::string::npos);
}

TEST(CreateIndexRule, MaterializedViewNamesRefreshAsTheBlockedWrite)
{
	Statement s = create_index();
	s.relation.kind = RelationKind::MaterializedView;
	Verdict v = evaluate(s, mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_NE(v.message.find("on materialized view"), std::string::npos);
	EXPECT_NE(v.detail.find("REFRESH MATERIALIZED VIEW waits"), std::string::npos);
}

TEST(CreateIndexRule, PartitionedTableGetsPerPartitionRecipe)
{
	Statement s = create_index("CREATE INDEX ev_at ON events (at)");
	s.relation.kind = RelationKind::PartitionedTable;
	s.relation.partitions = 12;
	s.create_index.index_name = "ev_at";
	Verdict v = evaluate(s, mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_NE(v.detail.find("and each of its 12 partitions"), std::string::npos);
	ASSERT_EQ(v.safe_steps.size(), 2u);
	EXPECT_EQ(v.safe_steps[0], "CREATE INDEX ev_at ON ONLY events (at);");
	EXPECT_NE(v.safe_steps[1].find("ALTER INDEX ev_at ATTACH PARTITION"), std::string::npos);
}

TEST(CreateIndexRule, PartitionedTableWithEveryPartitionIndexedBuildsNothing)
{
	Statement s = create_index("CREATE INDEX ev_at ON events (at)");
	s.relation.kind = RelationKind::PartitionedTable;
	s.relation.partitions = 2;
	RelationFacts children[2];
	children[0].qualified_name = "public.events_1";
	children[1].qualified_name = "public.events_2";
	for (RelationFacts &c : children)
	{
		c.exists = c.has_storage = c.size_known = true;
		c.bytes = 1 << 30;
	}
	s.relation.children = children;
	s.relation.nchildren = 2;
	s.create_index.index_name = "ev_at";
	s.create_index.partition_builds = 0;
	Verdict v = evaluate(s, mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Allow);
	EXPECT_STREQ(v.rule_id, "");
	EXPECT_NE(v.reason.find("attaches them and builds none"), std::string::npos) << v.reason;
	/* the partitions are still locked (briefly): the lock protocol takes them first */
	Assessments rows = classify(s);
	ASSERT_EQ(rows.size(), 3u);
	for (const Assessment &a : rows)
	{
		EXPECT_EQ(a.lock, LockMode::Share);
		EXPECT_FALSE(a.scans) << a.relation;
	}

	std::string_view built[1] = {"public.events_2"};
	s.create_index.partition_builds = 1;
	s.create_index.built_partitions = built;
	s.create_index.nbuilt_partitions = 1;
	children[1].bytes = 3 << 20;
	v = evaluate(s, mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_NE(v.detail.find("the 1 partitions without a matching index"), std::string::npos) << v.detail;
	EXPECT_NE(v.detail.find("3072 kB"), std::string::npos) << v.detail; /* the size of what is built */
	EXPECT_NE(v.hint.find("this statement then attaches them and builds nothing"), std::string::npos);
	rows = classify(s);
	ASSERT_EQ(rows.size(), 3u);
	EXPECT_FALSE(rows[1].scans); /* events_1 has its index */
	EXPECT_TRUE(rows[2].scans);

	/* what is built is new: exempt, however big the partitions that only attach */
	children[1].created_in_transaction = true;
	v = evaluate(s, mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Allow);
	EXPECT_NE(v.reason.find("only the partitions without a matching index of their own get one built "
							"(public.events_2)"),
			  std::string::npos)
		<< v.reason;
}

struct Exemption
{
	const char *name;
	void (*apply)(Statement &);
	const char *reason_part;
};

class CreateIndexExemption : public ::testing::TestWithParam<Exemption>
{};

TEST_P(CreateIndexExemption, IsAllowedWithReason)
{
	Statement s = create_index();
	GetParam().apply(s);
	Verdict v = evaluate(s, mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Allow);
	EXPECT_STREQ(v.rule_id, "");
	EXPECT_NE(v.reason.find(GetParam().reason_part), std::string::npos) << v.reason;
}

INSTANTIATE_TEST_SUITE_P(
	Cases, CreateIndexExemption,
	::testing::Values(
		Exemption{"concurrent", [](Statement &s) { s.create_index.concurrent = true; },
				  "does not block"},
		Exemption{"empty", [](Statement &s) { s.relation.bytes = 0; }, "empty"},
		Exemption{"created_here", [](Statement &s) { s.relation.created_in_transaction = true; },
				  "created in this transaction"},
		Exemption{"temporary", [](Statement &s) { s.relation.temporary = true; }, "temporary"},
		Exemption{"missing", [](Statement &s) { s.relation.exists = false; }, "does not exist"},
		Exemption{"if_not_exists_noop",
				  [](Statement &s) {
					  s.create_index.if_not_exists = true;
					  s.create_index.already_exists = true;
				  },
				  "no-op"},
		Exemption{"foreign_table", [](Statement &s) { s.relation.kind = RelationKind::Other; },
				  "PostgreSQL reports"}),
	[](const ::testing::TestParamInfo<Exemption> &p) { return std::string(p.param.name); });

TEST(CreateIndexRule, SizeUnknownIsNotTreatedAsEmpty)
{
	Statement s = create_index();
	s.relation.size_known = false;
	s.relation.bytes = 0;
	EXPECT_EQ(evaluate(s, mode(Mode::Enforce)).action, Action::Reject);
}

TEST(Policy, OtherStatementsAreAllowed)
{
	Statement s;
	Verdict v = evaluate(s, mode(Mode::Enforce));
	EXPECT_EQ(v.action, Action::Allow);
	EXPECT_EQ(v.lock, LockMode::None);
}

TEST(Format, SizesRoundLikePgSizePretty)
{
	EXPECT_EQ(format_size(0), "0 bytes");
	EXPECT_EQ(format_size(10239), "10239 bytes");
	EXPECT_EQ(format_size(10240), "10 kB");
	EXPECT_EQ(format_size(180LL * 1024 * 1024), "180 MB");
	EXPECT_EQ(format_size(20LL * 1024 * 1024 * 1024), "20 GB");
}

TEST(Policy, RewritesToConcurrentlyOnlyAtTopLevelOutsideTransactionBlock)
{
	Settings st;
	Statement s = create_index();
	Verdict v = evaluate(s, st);
	EXPECT_EQ(v.action, Action::Rewrite);
	ASSERT_EQ(v.safe_steps.size(), 1u);
	EXPECT_EQ(v.safe_steps[0], "CREATE INDEX CONCURRENTLY appt_patient_idx ON appointments (patient_id);");
	s.in_transaction_block = true;
	EXPECT_EQ(evaluate(s, st).action, Action::Reject);
	s.in_transaction_block = false;
	s.top_level = false;
	EXPECT_EQ(evaluate(s, st).action, Action::Reject);
	s.top_level = true;
	st.rewrite = false;
	EXPECT_EQ(evaluate(s, st).action, Action::Reject);
}

TEST(Policy, SmallTablesAllowListAndOverride)
{
	Settings st;
	st.rewrite = false;
	Statement s = create_index();
	s.relation.estimated_rows = 500;
	s.relation.bytes = 64 * 1024;
	Verdict v = evaluate(s, st);
	EXPECT_EQ(v.action, Action::Allow);
	EXPECT_NE(v.reason.find("small table"), std::string::npos);
	st.small_table_rows = 100; // 500 rows is no longer small
	EXPECT_EQ(evaluate(s, st).action, Action::Reject);
	// Never analyzed: 8 pages can hold at most 8 * 291 rows, which bounds the estimate.
	s.relation.estimated_rows = -1;
	st.small_table_rows = 8 * 291 + 1;
	EXPECT_EQ(evaluate(s, st).action, Action::Allow);
	st.small_table_rows = 8 * 291;
	EXPECT_EQ(evaluate(s, st).action, Action::Reject);
	st.small_table_rows = 100;

	std::string_view allow[] = {"create-index-blocking"};
	st.allow = allow;
	st.nallow = 1;
	EXPECT_EQ(evaluate(s, st).action, Action::Allow);
	st.nallow = 0;

	s.text = "/* safemigrate:allow create-index-blocking */ CREATE INDEX i ON t (a)";
	v = evaluate(s, st);
	EXPECT_EQ(v.action, Action::Reject) << "the override needs the role";
	EXPECT_NE(v.detail.find("safemigrate_override"), std::string::npos);
	st.may_override = true;
	EXPECT_EQ(evaluate(s, st).action, Action::Allow);
}

TEST(Policy, DeclaredCategoryMustNotBeWeaker)
{
	Settings st;
	st.rewrite = false;
	Statement s = create_index("/* safemigrate: instant-safe */ CREATE INDEX i ON t (a)");
	Verdict v = evaluate(s, st);
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_NE(v.detail.find("declared-category-mismatch"), std::string::npos);
	s.text = "/* safemigrate: concurrent */ CREATE INDEX CONCURRENTLY i ON t (a)";
	s.create_index.concurrent = true;
	EXPECT_EQ(evaluate(s, st).action, Action::Allow);
	s.text = "/* safemigrate: instant-safe */ CREATE INDEX CONCURRENTLY i ON t (a)";
	v = evaluate(s, st);
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_STREQ(v.rule_id, "declared-category-mismatch");

	s.text = "CREATE INDEX CONCURRENTLY i ON t (a)";
	st.require_declaration = true;
	v = evaluate(s, st);
	EXPECT_STREQ(v.rule_id, "declaration-required");
	s.text = "-- safemigrate: concurrent\nCREATE INDEX CONCURRENTLY i ON t (a)";
	EXPECT_EQ(evaluate(s, st).action, Action::Allow);
}
