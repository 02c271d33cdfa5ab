// Unit tests of the statement-text edits behind every safe alternative.
#include "core/sql_text.hpp"

#include <gtest/gtest.h>

using namespace safemigrate::core;

TEST(SqlText, TrimStatement)
{
	EXPECT_EQ(trim_statement("  CREATE INDEX i ON t (a) ;; \n"), "CREATE INDEX i ON t (a)");
	EXPECT_EQ(trim_statement(""), "");
	EXPECT_EQ(trim_statement(" ; "), "");
}

TEST(SqlText, TokenizeSkipsCommentsAndQuotes)
{
	std::string_view sql = "/* a /* nested */ comment */ CREATE -- line\n \"In Dex\" 'it''s' $x$ ; $x$ E'\\'' 1.5e3 (";
	auto toks = tokenize(sql);
	ASSERT_EQ(toks.size(), 7u);
	EXPECT_TRUE(is_keyword(sql, toks[0], "CREATE"));
	EXPECT_EQ(toks[1].kind, Token::Kind::QuotedIdent);
	EXPECT_EQ(toks[1].text(sql), "\"In Dex\"");
	EXPECT_EQ(toks[2].text(sql), "'it''s'");
	EXPECT_EQ(toks[3].text(sql), "$x$ ; $x$");
	EXPECT_EQ(toks[4].text(sql), "E'\\''");
	EXPECT_EQ(toks[5].kind, Token::Kind::Number);
	EXPECT_EQ(toks[6].kind, Token::Kind::Punct);
}

TEST(SqlText, KeywordMatchIgnoresCaseOnly)
{
	std::string_view sql = "create Index indexes";
	auto toks = tokenize(sql);
	EXPECT_TRUE(is_keyword(sql, toks[0], "CREATE"));
	EXPECT_TRUE(is_keyword(sql, toks[1], "INDEX"));
	EXPECT_FALSE(is_keyword(sql, toks[2], "INDEX"));
}

struct ConcurrentlyCase
{
	const char *in;
	const char *out; // nullptr: not a CREATE INDEX text
};

class CreateIndexConcurrently : public ::testing::TestWithParam<ConcurrentlyCase>
{};

TEST_P(CreateIndexConcurrently, InsertsAfterIndexKeyword)
{
	const ConcurrentlyCase &c = GetParam();
	auto got = create_index_concurrently(c.in);
	if (c.out == nullptr)
		EXPECT_FALSE(got.has_value());
	else
	{
		ASSERT_TRUE(got.has_value());
		EXPECT_EQ(*got, c.out);
	}
}

INSTANTIATE_TEST_SUITE_P(
	Cases, CreateIndexConcurrently,
	::testing::Values(
		ConcurrentlyCase{"CREATE INDEX i ON t (a)", "CREATE INDEX CONCURRENTLY i ON t (a)"},
		ConcurrentlyCase{"create unique index on t using btree (lower(b)) where c > 0;",
						 "create unique index CONCURRENTLY on t using btree (lower(b)) where c > 0"},
		ConcurrentlyCase{"/* migration 42 */\n  CREATE\tINDEX IF NOT EXISTS \"I\" ON s.t (a) INCLUDE (b) WITH (fillfactor = 70)",
						 "/* migration 42 */\n  CREATE\tINDEX CONCURRENTLY IF NOT EXISTS \"I\" ON s.t (a) INCLUDE (b) WITH (fillfactor = 70)"},
		ConcurrentlyCase{"CREATE SCHEMA s CREATE TABLE t (a int) CREATE INDEX ON t (a)", nullptr},
		ConcurrentlyCase{"CREATE TABLE t (a int)", nullptr},
		ConcurrentlyCase{"", nullptr}),
	[](const ::testing::TestParamInfo<ConcurrentlyCase> &p) { return "case" + std::to_string(p.index); });

TEST(SqlText, CreateIndexOnOnly)
{
	EXPECT_EQ(*create_index_on_only("CREATE INDEX ev_idx ON events (at)"),
			  "CREATE INDEX ev_idx ON ONLY events (at)");
	EXPECT_EQ(*create_index_on_only("CREATE UNIQUE INDEX IF NOT EXISTS \"on\" ON ONLY e (a)"),
			  "CREATE UNIQUE INDEX IF NOT EXISTS \"on\" ON ONLY e (a)");
	EXPECT_FALSE(create_index_on_only("CREATE TABLE t (a int)").has_value());
}
