// Unit tests of the audit's pure part: the condensed classification and the
// server log line.
#include "core/audit.hpp"
#include "core/classify.hpp"
#include "core/rules.hpp"

#include <gtest/gtest.h>

namespace core = safemigrate::core;

namespace {

core::Assessment
row(const char *relation, core::LockMode lock, core::Category category, const char *rule_id, bool exempt = false)
{
	core::Assessment a;
	a.command = "ALTER TABLE";
	a.relation = relation;
	a.lock = lock;
	a.category = category;
	a.rule = rule_id ? core::find_rule(rule_id) : nullptr;
	a.exempt = exempt;
	a.rows = 1234;
	return a;
}

} // namespace

TEST(AuditSummary, EmptyIsUnclassifiedSafe)
{
	core::Assessments rows;
	core::AuditSummary s = core::summarize(rows);
	EXPECT_TRUE(s.classified);
	EXPECT_EQ(s.category, core::Category::InstantSafe);
	EXPECT_EQ(s.rules, "");
	EXPECT_EQ(s.objects, "");
	EXPECT_LT(s.estimated_rows, 0);
}

TEST(AuditSummary, StrongestCategoryRulesOnceObjectsOnce)
{
	core::Assessments rows;
	rows.push_back(row("public.a", core::LockMode::AccessExclusive, core::Category::ExpandContract, "rename-column"));
	rows.push_back(row("public.b", core::LockMode::ShareRowExclusive, core::Category::Concurrent, "add-foreign-key-validating"));
	rows.push_back(row("public.a", core::LockMode::AccessExclusive, core::Category::ExpandContract, "rename-column"));
	core::AuditSummary s = core::summarize(rows);
	EXPECT_EQ(s.category, core::Category::ExpandContract);
	EXPECT_EQ(s.rules, "rename-column, add-foreign-key-validating");
	EXPECT_EQ(s.objects, "public.a, public.b");
	EXPECT_EQ(s.lock_modes, "public.a: AccessExclusiveLock, public.b: ShareRowExclusiveLock");
	EXPECT_DOUBLE_EQ(s.estimated_rows, 1234);
}

TEST(AuditSummary, ExemptRulesAreNotListedOverriddenAre)
{
	core::Assessments rows;
	rows.push_back(row("public.small", core::LockMode::Share, core::Category::Concurrent, "create-index-blocking", true));
	EXPECT_EQ(core::summarize(rows).rules, "");
	rows[0].overridden = true;
	core::AuditSummary s = core::summarize(rows);
	EXPECT_EQ(s.rules, "create-index-blocking");
	EXPECT_TRUE(s.overridden);
}

TEST(AuditSummary, SimilarRelationNamesAreDistinct)
{
	core::Assessments rows;
	rows.push_back(row("public.ab", core::LockMode::None, core::Category::InstantSafe, nullptr));
	rows.push_back(row("public.a", core::LockMode::None, core::Category::InstantSafe, nullptr));
	rows.push_back(row("public.ab", core::LockMode::None, core::Category::InstantSafe, nullptr));
	EXPECT_EQ(core::summarize(rows).objects, "public.ab, public.a");
	EXPECT_EQ(core::summarize(rows).lock_modes, "");
}

TEST(AuditTruncate, KeepsWholeCharacters)
{
	EXPECT_EQ(core::truncate_utf8("abc", 10), 3u);
	EXPECT_EQ(core::truncate_utf8("abcdef", 4), 4u);
	// "aé" = 61 C3 A9: cutting after 2 bytes would split é.
	EXPECT_EQ(core::truncate_utf8("a\xC3\xA9z", 2), 1u);
	EXPECT_EQ(core::truncate_utf8("a\xC3\xA9z", 3), 3u);
	// A 4-byte character (U+1F600) cut anywhere inside is dropped whole.
	EXPECT_EQ(core::truncate_utf8("\xF0\x9F\x98\x80x", 3), 0u);
	EXPECT_EQ(core::truncate_utf8("", 0), 0u);
}

TEST(AuditLogLine, QuotesValuesWithSpacesAndQuotes)
{
	core::AuditLogFields f;
	f.id = 42;
	f.action = "rejected";
	f.outcome = "aborted";
	f.duration_ms = 1.5;
	f.database = "app";
	f.user = "alice";
	f.command_tag = "CREATE INDEX";
	f.rules = "create-index-blocking";
	f.sqlstate = "SM001";
	f.statement = "CREATE INDEX \"i\" ON t (a)\nWHERE a > 0";
	std::string line = core::format_audit_log_line(f);
	EXPECT_EQ(line, "pg_safemigrate audit: id=42 action=rejected outcome=aborted duration_ms=1.500 "
					"lock_wait_ms=0.000 retries=0 database=app user=alice command=\"CREATE INDEX\" "
					"rules=create-index-blocking sqlstate=SM001 "
					"statement=\"CREATE INDEX \"\"i\"\" ON t (a) WHERE a > 0\"");
}

TEST(AuditLogLine, StepsNameTheirAttempt)
{
	core::AuditLogFields f;
	f.id = 7;
	f.attempt_id = 6;
	f.step = 2;
	f.action = "allowed";
	f.outcome = "committed";
	f.statement = "x";
	std::string line = core::format_audit_log_line(f);
	EXPECT_NE(line.find(" attempt_id=6 step=2 "), std::string::npos);
	EXPECT_NE(line.find(" database=\"\" "), std::string::npos);
}

TEST(AuditNames, EveryActionAndOutcomeHasAName)
{
	EXPECT_STREQ(core::audit_action_name(core::AuditAction::Overridden), "overridden");
	EXPECT_STREQ(core::audit_action_name(core::AuditAction::Failed), "failed");
	EXPECT_STREQ(core::audit_outcome_name(core::AuditOutcome::Prepared), "prepared");
}
