// Unit tests of the text edits behind the safe alternatives of the classifier.
#include "core/sql_text.hpp"
#include "core/rules.hpp"

#include <gtest/gtest.h>

using namespace safemigrate::core;

TEST(SplitAlterTable, PrefixAndTopLevelSubcommands)
{
	auto p = split_alter_table("ALTER TABLE IF EXISTS ONLY \"My\".t * ADD COLUMN a numeric(10, 2), "
							   "ADD CONSTRAINT c CHECK (a IN (1, 2)), DROP COLUMN b;");
	ASSERT_TRUE(p.has_value());
	EXPECT_EQ(p->prefix, "ALTER TABLE IF EXISTS ONLY \"My\".t *");
	ASSERT_EQ(p->parts.size(), 3u);
	EXPECT_EQ(p->parts[0], "ADD COLUMN a numeric(10, 2)");
	EXPECT_EQ(p->parts[1], "ADD CONSTRAINT c CHECK (a IN (1, 2))");
	EXPECT_EQ(p->parts[2], "DROP COLUMN b");
	EXPECT_FALSE(split_alter_table("CREATE TABLE t (a int)").has_value());
	// A trailing -- comment is not part of a subcommand: NOT VALID appended to it would be commented out.
	auto c = split_alter_table("ALTER TABLE t\n  ADD CONSTRAINT p CHECK (v > 0) -- positive\n, ADD COLUMN x int -- new\n;");
	ASSERT_TRUE(c.has_value());
	ASSERT_EQ(c->parts.size(), 2u);
	EXPECT_EQ(c->parts[0], "ADD CONSTRAINT p CHECK (v > 0)");
	EXPECT_EQ(c->parts[1], "ADD COLUMN x int");
	EXPECT_EQ(with_not_valid("ADD CONSTRAINT p CHECK (v > 0) -- positive"), "ADD CONSTRAINT p CHECK (v > 0) NOT VALID");
	EXPECT_EQ(*create_index_concurrently("CREATE INDEX t_a_idx ON t (a) -- for lookups"),
			  "CREATE INDEX CONCURRENTLY t_a_idx ON t (a)");
	EXPECT_EQ(*reindex_concurrently("REINDEX INDEX t_pkey -- periodic"), "REINDEX INDEX CONCURRENTLY t_pkey");
	auto m = split_alter_table("alter materialized view mv set (fillfactor = 50)");
	ASSERT_TRUE(m.has_value());
	EXPECT_EQ(m->prefix, "alter materialized view mv");
}

TEST(DropIndexNames, OnePerIndexWithIfExistsAndCascade)
{
	bool cascade = false;
	auto names = drop_index_names("DROP INDEX IF EXISTS a, s.b CASCADE", &cascade);
	ASSERT_EQ(names.size(), 2u);
	EXPECT_EQ(names[0], "IF EXISTS a");
	EXPECT_EQ(names[1], "IF EXISTS s.b");
	EXPECT_TRUE(cascade);
	names = drop_index_names("drop index \"X\"", &cascade);
	ASSERT_EQ(names.size(), 1u);
	EXPECT_EQ(names[0], "\"X\"");
	EXPECT_FALSE(cascade);
}

TEST(ConcurrentlyEdits, ReindexAndRefresh)
{
	EXPECT_EQ(*reindex_concurrently("REINDEX (VERBOSE) TABLE t"), "REINDEX (VERBOSE) TABLE CONCURRENTLY t");
	EXPECT_EQ(*reindex_concurrently("reindex index i;"), "reindex index CONCURRENTLY i");
	EXPECT_FALSE(reindex_concurrently("REINDEX SYSTEM db").has_value());
	EXPECT_EQ(*refresh_concurrently("REFRESH MATERIALIZED VIEW mv WITH DATA"),
			  "REFRESH MATERIALIZED VIEW CONCURRENTLY mv WITH DATA");
}

TEST(ConstraintEdits, NotValidAndNames)
{
	EXPECT_EQ(with_not_valid("ADD CHECK (a > 0)"), "ADD CHECK (a > 0) NOT VALID");
	EXPECT_EQ(with_not_valid("ADD CHECK (a > 0) not valid"), "ADD CHECK (a > 0) not valid");
	EXPECT_EQ(constraint_name_of("ADD CONSTRAINT \"Fk\" FOREIGN KEY (a) REFERENCES b"), "\"Fk\"");
	EXPECT_EQ(constraint_name_of("ADD FOREIGN KEY (a) REFERENCES b"), "");
	EXPECT_EQ(with_constraint_name("ADD FOREIGN KEY (a) REFERENCES b", "t_a_fkey"),
			  "ADD CONSTRAINT t_a_fkey FOREIGN KEY (a) REFERENCES b");
	EXPECT_EQ(with_constraint_name("ADD CONSTRAINT x CHECK (true)", "y"), "ADD CONSTRAINT x CHECK (true)");
	EXPECT_EQ(quote_ident("plain_1"), "plain_1");
	EXPECT_EQ(quote_ident("Mixed"), "\"Mixed\"");
	EXPECT_EQ(quote_ident("a\"b"), "\"a\"\"b\"");
}

TEST(DeclaredCategory, BothCommentFormsAndNothingElse)
{
	EXPECT_EQ(declared_category("-- safemigrate: concurrent\nCREATE INDEX ..."),
			  static_cast<int>(Category::Concurrent));
	EXPECT_EQ(declared_category("/* SafeMigrate:expand-contract */ DROP TABLE t"),
			  static_cast<int>(Category::ExpandContract));
	EXPECT_EQ(declared_category("/* safemigrate: instant-safe */"), static_cast<int>(Category::InstantSafe));
	EXPECT_FALSE(declared_category("SELECT '-- safemigrate: expand-contract'").has_value());
	// An E'' string ends at its unescaped quote, not at \'.
	EXPECT_FALSE(declared_category("ALTER TABLE t ALTER c SET DEFAULT E'\\' /* safemigrate: expand-contract */ '")
					 .has_value());
	EXPECT_TRUE(declared_category("SELECT E'x' /* safemigrate: expand-contract */").has_value());
	EXPECT_FALSE(declared_category("-- safemigrate: expand-contractual").has_value());
	EXPECT_FALSE(declared_category("DROP TABLE t").has_value());
}

TEST(MaskLiterals, StringsAndCommentsGoNamesAndNumbersStay)
{
	using safemigrate::core::mask_literals;
	EXPECT_EQ(mask_literals("ALTER ROLE bob PASSWORD 'hunter2'"), "ALTER ROLE bob PASSWORD '...'");
	EXPECT_EQ(mask_literals("SELECT E'a\\'b', $x$ secret $x$, \"it's\" FROM t WHERE id = 42 -- key"),
			  "SELECT '...', '...', \"it's\" FROM t WHERE id = 42 ");
	// A backslash in a plain string: where it ends depends on standard_conforming_strings, so the rest
	// is masked ('C:\' is whole with it on; 'it\'s secret' is one string with it off).
	EXPECT_EQ(mask_literals("SELECT 'it\\'s secret' /* k */"), "SELECT '...'");
	EXPECT_EQ(mask_literals("INSERT INTO t VALUES (1, 'C:\\'), (2, 'sk_live_SECRET')"), "INSERT INTO t VALUES (1, '...'");
	// Cut off by track_activity_query_size: the open string is masked to the end.
	EXPECT_EQ(mask_literals("CREATE USER MAPPING FOR u SERVER s OPTIONS (password 'abc"),
			  "CREATE USER MAPPING FOR u SERVER s OPTIONS (password '...'");
	EXPECT_EQ(mask_literals("SELECT $1, U&'d\\0061t'"), "SELECT $1, U&'...'");
	// A -- comment ends at a carriage return too; a dollar quote may follow a number or a parameter.
	EXPECT_EQ(mask_literals("UPDATE a SET k = --\r'\nsk_live_SECRET' WHERE id = 1"), "UPDATE a SET k = '...' WHERE id = 1");
	EXPECT_EQ(mask_literals("ALTER ROLE app PASSWORD 1$$hunter2$$"), "ALTER ROLE app PASSWORD 1'...'");
	EXPECT_EQ(mask_literals("SELECT a$b, $2$x$"), "SELECT a$b, $2'...'");
}

TEST(UsingExpression, CutOutAsWrittenOrNothing)
{
	EXPECT_EQ(*using_expression("ALTER COLUMN b TYPE int USING b::int"), "b::int");
	EXPECT_EQ(*using_expression("alter b set data type numeric(10, 2) collate \"C\" using round(b, 2)"), "round(b, 2)");
	// a USING inside parentheses or a string is not the clause; a comment before the expression is left out
	EXPECT_EQ(*using_expression("ALTER b TYPE text USING /* why */ coalesce(b::text, 'USING')"),
			  "coalesce(b::text, 'USING')");
	EXPECT_EQ(*using_expression("ALTER b TYPE int USING nullif(b, E'\\\\x')::int -- trailing"), "nullif(b, E'\\\\x')::int");
	// a comment inside it would end up inside the helper's expression: nothing
	EXPECT_FALSE(using_expression("ALTER b TYPE int USING b -- why\n + 1").has_value());
	EXPECT_FALSE(using_expression("ALTER b TYPE int USING b /* x */ + 1").has_value());
	EXPECT_FALSE(using_expression("ALTER b TYPE int").has_value());
	EXPECT_FALSE(using_expression("ALTER b TYPE int USING").has_value());
}
