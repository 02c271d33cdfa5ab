// Checks every rule of the catalogue: unique ids, well-formed SQLSTATEs, message style.
#include "core/lock_mode.hpp"
#include "core/policy.hpp"
#include "core/rules.hpp"

#include <cctype>
#include <cstring>
#include <gtest/gtest.h>
#include <set>
#include <string>

using namespace safemigrate::core;

TEST(Catalogue, IdsAreSortedUniqueKebabCase)
{
	std::size_t n = 0;
	const RuleInfo *rules = rule_catalogue(&n);
	ASSERT_GT(n, 0u);
	std::set<std::string> ids, states;
	for (std::size_t i = 0; i < n; ++i)
	{
		std::string id = rules[i].id;
		for (char c : id)
			EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '-') << id;
		if (i > 0)
		{
			EXPECT_LT(std::strcmp(rules[i - 1].id, rules[i].id), 0) << "catalogue not sorted at " << id;
		}
		EXPECT_TRUE(ids.insert(id).second) << "duplicate id " << id;
		EXPECT_EQ(find_rule(id), &rules[i]);

		std::string st = rules[i].sqlstate;
		ASSERT_EQ(st.size(), 5u) << id;
		EXPECT_EQ(st.substr(0, 2), "SM") << id;
		for (char c : st)
			EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c)));
		EXPECT_TRUE(states.insert(st).second) << "duplicate SQLSTATE " << st;

		std::string d = rules[i].description;
		EXPECT_TRUE(std::isupper(static_cast<unsigned char>(d[0]))) << id;
		EXPECT_EQ(d.back(), '.') << id;
		EXPECT_NE(std::string(category_name(rules[i].category)), "");
	}
	EXPECT_EQ(find_rule("no-such-rule"), nullptr);
}

// Primary message: no capital first letter, no trailing period.  Detail and hint:
// complete sentences ending with a period (PostgreSQL's error message style guide).
TEST(Catalogue, RejectionTextsFollowMessageStyle)
{
	Statement s;
	s.kind = StatementKind::CreateIndex;
	s.text = "CREATE INDEX i ON t (a)";
	s.relation.qualified_name = "public.t";
	s.relation.size_known = true;
	s.relation.bytes = 8192;
	for (RelationKind k : {RelationKind::Table, RelationKind::PartitionedTable, RelationKind::MaterializedView})
	{
		s.relation.kind = k;
		Settings st;
		st.rewrite = false;
		st.small_table_rows = 0;
		Verdict v = evaluate(s, st);
		ASSERT_EQ(v.action, Action::Reject);
		EXPECT_FALSE(std::isupper(static_cast<unsigned char>(v.message[0]))) << v.message;
		EXPECT_NE(v.message.back(), '.') << v.message;
		EXPECT_TRUE(std::isupper(static_cast<unsigned char>(v.detail[0]))) << v.detail;
		EXPECT_EQ(v.detail.back(), '.') << v.detail;
		EXPECT_TRUE(std::isupper(static_cast<unsigned char>(v.hint[0]))) << v.hint;
		EXPECT_TRUE(v.hint.back() == '.' || v.hint.back() == ';') << v.hint;
		EXPECT_NE(find_rule(v.rule_id), nullptr);
	}
}

TEST(LockModes, NamesAndConflictsMatchPostgres)
{
	EXPECT_STREQ(lock_mode_name(LockMode::Share), "ShareLock");
	EXPECT_STREQ(lock_mode_name(LockMode::AccessExclusive), "AccessExclusiveLock");
	EXPECT_STREQ(lock_mode_name(LockMode::ShareUpdateExclusive), "ShareUpdateExclusiveLock");
	EXPECT_FALSE(lock_blocks_writes(LockMode::ShareUpdateExclusive));
	EXPECT_TRUE(lock_blocks_writes(LockMode::Share));
	EXPECT_FALSE(lock_blocks_reads(LockMode::Exclusive));
	EXPECT_TRUE(lock_blocks_reads(LockMode::AccessExclusive));
}

TEST(LockModes, ConflictTableIsPostgresOwnAndSymmetric)
{
	using L = LockMode;
	EXPECT_TRUE(lock_conflicts(L::AccessExclusive, L::AccessShare));
	EXPECT_FALSE(lock_conflicts(L::Exclusive, L::AccessShare));
	EXPECT_TRUE(lock_conflicts(L::Share, L::RowExclusive));
	EXPECT_FALSE(lock_conflicts(L::Share, L::Share));
	EXPECT_TRUE(lock_conflicts(L::ShareUpdateExclusive, L::ShareUpdateExclusive));
	EXPECT_FALSE(lock_conflicts(L::ShareUpdateExclusive, L::RowExclusive));
	EXPECT_TRUE(lock_conflicts(L::ShareRowExclusive, L::ShareRowExclusive));
	for (int a = 1; a <= 8; ++a)
		for (int b = 1; b <= 8; ++b)
			EXPECT_EQ(lock_conflicts(static_cast<L>(a), static_cast<L>(b)),
					  lock_conflicts(static_cast<L>(b), static_cast<L>(a)));
}
