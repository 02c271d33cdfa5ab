// Unit tests of the pure parts of safemigrate.backfill(): batch statements,
// checks of the caller's texts, batch-size adaptation.
#include "core/backfill.hpp"
#include "core/sql_text.hpp"

#include <gtest/gtest.h>

using namespace safemigrate::core;

TEST(Backfill, KeysetSqlSingleKey)
{
	KeysetSql s = keyset_sql("public.t", {{"id", "bigint"}}, "b = a", "b IS NULL");
	EXPECT_EQ(s.upper, "SELECT r.id::text FROM public.t AS r ORDER BY r.id DESC LIMIT 1");
	EXPECT_EQ(s.next_first,
			  "SELECT r.id::text FROM public.t AS r WHERE r.id <= $1::bigint ORDER BY r.id OFFSET $2 LIMIT 1");
	EXPECT_EQ(s.next_after, "SELECT r.id::text FROM public.t AS r WHERE r.id > $1::bigint AND r.id <= $2::bigint "
							"ORDER BY r.id OFFSET $3 LIMIT 1");
	EXPECT_EQ(s.update_first, "UPDATE public.t SET\nb = a\nWHERE id <= $1::bigint\n  AND (\nb IS NULL\n)");
	EXPECT_EQ(s.update_after,
			  "UPDATE public.t SET\nb = a\nWHERE id > $1::bigint AND id <= $2::bigint\n  AND (\nb IS NULL\n)");
}

TEST(Backfill, KeysetSqlCompositeKeyUsesRowComparison)
{
	KeysetSql s = keyset_sql("s.\"T\"", {{"a", "integer"}, {"\"B\"", "text"}}, "c = 1", "");
	EXPECT_EQ(s.upper, "SELECT r.a::text, r.\"B\"::text FROM s.\"T\" AS r ORDER BY r.a DESC, r.\"B\" DESC LIMIT 1");
	EXPECT_EQ(s.next_after, "SELECT r.a::text, r.\"B\"::text FROM s.\"T\" AS r WHERE (r.a, r.\"B\") > ($1::integer, "
							"$2::text) AND (r.a, r.\"B\") <= ($3::integer, $4::text) ORDER BY r.a, r.\"B\" OFFSET $5 LIMIT 1");
	EXPECT_EQ(s.update_after,
			  "UPDATE s.\"T\" SET\nc = 1\nWHERE (a, \"B\") > ($1::integer, $2::text) AND (a, \"B\") <= ($3::integer, $4::text)");
	EXPECT_EQ(s.update_first, "UPDATE s.\"T\" SET\nc = 1\nWHERE (a, \"B\") <= ($1::integer, $2::text)");
}

// The key is ordered as the key, not as its text: ORDER BY names the table's column, not the text output column.
TEST(Backfill, KeyQueriesOrderByTheTableColumn)
{
	KeysetSql s = keyset_sql("t", {{"id", "integer"}}, "b = a", "");
	EXPECT_NE(s.upper.find("ORDER BY r.id DESC"), std::string::npos);
	EXPECT_EQ(s.upper.find("ORDER BY id"), std::string::npos);
}

TEST(Backfill, TidSql)
{
	EXPECT_EQ(tid_update_sql("t", "b = a", ""),
			  "UPDATE ONLY t SET\nb = a\nWHERE ctid >= $1::pg_catalog.tid AND ctid < $2::pg_catalog.tid");
	EXPECT_EQ(tid_update_sql("t", "b = a", "b <> a"),
			  "WITH u AS (\nUPDATE ONLY t SET\nb = a\nWHERE ctid >= $1::pg_catalog.tid AND ctid < $2::pg_catalog.tid"
			  "\n  AND (\nb <> a\n)\nRETURNING (\nb <> a\n) AS still)\nSELECT pg_catalog.count(*), "
			  "pg_catalog.count(*) FILTER (WHERE still) FROM u");
}

TEST(Backfill, LineCommentInSetListCannotSwallowTheBounds)
{
	KeysetSql s = keyset_sql("t", {{"id", "int"}}, "b = a -- all of them", "");
	EXPECT_NE(s.update_after.find("-- all of them\nWHERE id > $1::int"), std::string::npos);
}

TEST(Backfill, SetClauseProblems)
{
	EXPECT_EQ(set_clause_problem("b = a, c = coalesce(c, 0) + 1"), "");
	EXPECT_EQ(set_clause_problem("b = (SELECT max(x) FROM u WHERE u.id = t.id)"), "");
	EXPECT_EQ(set_clause_problem("b = 'WHERE; $1'"), "");
	EXPECT_EQ(set_clause_problem("b = $x$;$x$"), "");
	EXPECT_EQ(set_clause_problem("   "), "set_clause is empty");
	EXPECT_EQ(set_clause_problem("b = a WHERE b IS NULL"),
			  "set_clause must be only the list of assignments, without WHERE: pass the condition as where_clause");
	EXPECT_EQ(set_clause_problem("b = u.x FROM u"), "set_clause must be only the list of assignments, without FROM");
	EXPECT_EQ(set_clause_problem("b = a RETURNING *"),
			  "set_clause must be only the list of assignments, without RETURNING");
	EXPECT_EQ(set_clause_problem("b = a; DELETE FROM t"),
			  "set_clause must not contain \";\": it is one part of the batch statement");
	EXPECT_EQ(set_clause_problem("b = $1"), "set_clause must not use parameter references such as $1");
	// a column named "$1" (or a string '$1') is not a parameter
	EXPECT_EQ(set_clause_problem("\"$1_new\" = \"$1\""), "");
	EXPECT_EQ(set_clause_problem("b = '$1'"), "");
	EXPECT_EQ(set_clause_problem("b = (a"), "set_clause has an unbalanced \"(\"");
	EXPECT_EQ(set_clause_problem("b = a)"), "set_clause has an unbalanced \")\"");
}

TEST(Backfill, WhereClauseProblems)
{
	EXPECT_EQ(where_clause_problem("b IS NULL AND a IN (SELECT x FROM u WHERE y)"), "");
	EXPECT_EQ(where_clause_problem("b IS NULL) OR (true"), "where_clause has an unbalanced \")\"");
	EXPECT_EQ(where_clause_problem("true; DROP TABLE t"),
			  "where_clause must not contain \";\": it is one part of the batch statement");
	EXPECT_EQ(where_clause_problem(""), "where_clause is empty");
}

/* Texts that do not close what they open would run on into the next part of the batch statement. */
TEST(Backfill, UnterminatedPartsAreRefused)
{
	EXPECT_EQ(set_clause_problem("n = n + 1 /*"), "set_clause has an unterminated comment");
	EXPECT_EQ(set_clause_problem("n = n + 1 /* a /* b */"), "set_clause has an unterminated comment");
	EXPECT_EQ(where_clause_problem("' */ , v = (v --'"), "");
	EXPECT_EQ(where_clause_problem("b = 'x"), "where_clause has an unterminated string");
	EXPECT_EQ(where_clause_problem("b = 'it''s"), "where_clause has an unterminated string");
	EXPECT_EQ(where_clause_problem("b = E'x\\'"), "where_clause has an unterminated string");
	EXPECT_EQ(where_clause_problem("\"b = 1"), "where_clause has an unterminated quoted identifier");
	EXPECT_EQ(set_clause_problem("b = $x$abc"), "set_clause has an unterminated dollar-quoted string");
	EXPECT_EQ(set_clause_problem("b = 'it''s', c = E'\\'', d = $q$'$q$ /* ok */ -- fine"), "");
	EXPECT_EQ(unterminated_part("x = 'a' || \"q\"\"\" || e'\\''"), "");
	EXPECT_EQ(unterminated_part("name'"), "string");
}

TEST(Backfill, BatchSizeMovesTowardsTheTarget)
{
	BatchSizing sz{100, 50000, 200};
	EXPECT_EQ(adapt_batch_size(5000, 200, sz), 5000);
	EXPECT_EQ(adapt_batch_size(5000, 250, sz), 4000);
	EXPECT_EQ(adapt_batch_size(5000, 160, sz), 6250);
}

TEST(Backfill, BatchSizeChangesAtMostTwofoldPerBatch)
{
	BatchSizing sz{100, 50000, 200};
	EXPECT_EQ(adapt_batch_size(5000, 10, sz), 10000);
	EXPECT_EQ(adapt_batch_size(5000, 0, sz), 10000);
	EXPECT_EQ(adapt_batch_size(5000, 5000, sz), 2500);
}

TEST(Backfill, BatchSizeStaysWithinBounds)
{
	BatchSizing sz{1000, 8000, 200};
	EXPECT_EQ(adapt_batch_size(6000, 1, sz), 8000);
	EXPECT_EQ(adapt_batch_size(1500, 10000, sz), 1000);
	BatchSizing fixed{100, 100, 200};
	EXPECT_EQ(adapt_batch_size(100, 1, fixed), 100);
	EXPECT_EQ(adapt_batch_size(100, 1e6, fixed), 100);
}

TEST(Backfill, PagesForRows)
{
	EXPECT_EQ(pages_for_rows(5000, 100), 50);
	EXPECT_EQ(pages_for_rows(5001, 100), 51);
	EXPECT_EQ(pages_for_rows(10, 100), 1);
	EXPECT_EQ(pages_for_rows(10, 0), 10);
}

TEST(Backfill, FormatMs)
{
	EXPECT_EQ(format_ms(230.4), "230 ms");
	EXPECT_EQ(format_ms(1500), "1.5 s");
	EXPECT_EQ(format_ms(125000), "2 min 5 s");
}

TEST(BackfillSql, CheckedUpdatesCountRowsWhoseKeyMovedPastTheBatch)
{
	KeysetSql s = keyset_sql("s.t", {{"a", "integer"}, {"\"B\"", "text"}}, "c = 1", "c IS NULL");
	/*
	 * the same UPDATE, its new keys compared with the batch's upper bound (the
	 * first batch: $1, $2) and the job's last key (then $3, $4)
	 */
	EXPECT_EQ(s.update_first_checked,
			  "WITH u AS (\n" + s.update_first +
				  "\nRETURNING (a, \"B\") > ($1::integer, $2::text) AND (a, \"B\") <= ($3::integer, $4::text) AS moved)\n"
				  "SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE moved) FROM u");
	/* later batches: the upper bound is the second pair ($3, $4), the job's last key the third */
	EXPECT_NE(s.update_after_checked.find(s.update_after), std::string::npos);
	EXPECT_NE(s.update_after_checked.find(
				  "RETURNING (a, \"B\") > ($3::integer, $4::text) AND (a, \"B\") <= ($5::integer, $6::text) AS moved"),
			  std::string::npos);
}

TEST(BackfillSql, KeysWithOperatorsOfDifferentSchemasAreComparedColumnByColumn)
{
	BackfillKey a{"a", "integer", "OPERATOR(pg_catalog.<)", "OPERATOR(pg_catalog.<=)", "OPERATOR(pg_catalog.=)",
				  "OPERATOR(pg_catalog.>)"};
	BackfillKey b{"b", "public.citext", "OPERATOR(public.<)", "OPERATOR(public.<=)", "OPERATOR(public.=)",
				  "OPERATOR(public.>)"};
	KeysetSql s = keyset_sql("t", {a, b}, "n = n + 1", "");
	EXPECT_EQ(s.update_first, "UPDATE t SET\nn = n + 1\nWHERE (a OPERATOR(pg_catalog.<) $1::integer OR (a "
							  "OPERATOR(pg_catalog.=) $1::integer AND b OPERATOR(public.<=) $2::public.citext))");
	EXPECT_NE(s.update_after.find("WHERE (a OPERATOR(pg_catalog.>) $1::integer OR (a OPERATOR(pg_catalog.=) $1::integer "
								  "AND b OPERATOR(public.>) $2::public.citext)) AND (a OPERATOR(pg_catalog.<) "
								  "$3::integer"),
			  std::string::npos)
		<< s.update_after;
	/* the same operators for every column: one row comparison */
	BackfillKey c = a;
	c.name = "c";
	KeysetSql r = keyset_sql("t", {a, c}, "n = n + 1", "");
	EXPECT_EQ(r.update_first, "UPDATE t SET\nn = n + 1\nWHERE (a, c) OPERATOR(pg_catalog.<=) ($1::integer, $2::integer)");
}

TEST(BackfillSql, SpelledOutKeysBoundTheFirstColumnForTheIndex)
{
	BackfillKey a{"a", "integer", "OPERATOR(pg_catalog.<)", "OPERATOR(pg_catalog.<=)", "OPERATOR(pg_catalog.=)",
				  "OPERATOR(pg_catalog.>)", "OPERATOR(pg_catalog.>=)"};
	BackfillKey b{"b", "public.citext", "OPERATOR(public.<)", "OPERATOR(public.<=)", "OPERATOR(public.=)",
				  "OPERATOR(public.>)", "OPERATOR(public.>=)"};
	KeysetSql s = keyset_sql("t", {a, b}, "n = n + 1", "");
	/* the first column between the batch's bounds ($1 and $3), which the spelled-out conditions imply */
	EXPECT_NE(s.update_after.find("WHERE a OPERATOR(pg_catalog.>=) $1::integer AND a OPERATOR(pg_catalog.<=) "
								  "$3::integer AND (a OPERATOR(pg_catalog.>) $1::integer OR"),
			  std::string::npos)
		<< s.update_after;
	EXPECT_NE(s.update_first.find("WHERE a OPERATOR(pg_catalog.<=) $1::integer AND (a OPERATOR(pg_catalog.<)"),
			  std::string::npos)
		<< s.update_first;
	EXPECT_NE(s.next_after.find("WHERE r.a OPERATOR(pg_catalog.>=) $1::integer AND r.a OPERATOR(pg_catalog.<=) $3::integer AND "),
			  std::string::npos)
		<< s.next_after;
}

TEST(Backfill, TimeLiteralsInSetClause)
{
	/* read when the batch is planned: a value per batch, like now() */
	EXPECT_TRUE(set_clause_has_time_literal("stamped_at = 'now'"));
	EXPECT_TRUE(set_clause_has_time_literal("d = 'TODAY'::date"));
	EXPECT_TRUE(set_clause_has_time_literal("d = date 'Tomorrow', e = 1"));
	EXPECT_TRUE(set_clause_has_time_literal("t = ' yesterday '"));
	EXPECT_TRUE(set_clause_has_time_literal("t = 'tomorrow 10:00'"));
	EXPECT_TRUE(set_clause_has_time_literal("t = E'now'"));
	EXPECT_TRUE(set_clause_has_time_literal("t = $$now$$"));
	EXPECT_TRUE(set_clause_has_time_literal("t = $x$Now$x$"));
	EXPECT_TRUE(set_clause_has_time_literal("a = 1, t = coalesce(t, 'now')"));
	/* other strings, names and comments are not */
	EXPECT_FALSE(set_clause_has_time_literal("note = 'nowhere'"));
	EXPECT_FALSE(set_clause_has_time_literal("note = 'known'"));
	EXPECT_FALSE(set_clause_has_time_literal("t = 'epoch'"));
	EXPECT_FALSE(set_clause_has_time_literal("t = '2026-01-01'"));
	EXPECT_FALSE(set_clause_has_time_literal("\"now\" = today"));
	EXPECT_FALSE(set_clause_has_time_literal("t = t -- 'now'\n"));
	EXPECT_FALSE(set_clause_has_time_literal("t = t /* 'today' */"));
	EXPECT_FALSE(set_clause_has_time_literal("t = now()"));
	EXPECT_FALSE(set_clause_has_time_literal("t = ''"));
}
