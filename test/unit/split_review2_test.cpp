// Review 5 of the ALTER TABLE rewrite planning: what PostgreSQL refuses when
// it names the statement's constraints is never split (judged as usual), and the
// names an ADD COLUMN's inline constraints take come before the table
// constraints' names.
#include "core/classify.hpp"
#include "core/policy.hpp"
#include "alter_statement.hpp"

#include <gtest/gtest.h>
#include <string>

using namespace safemigrate::core;

namespace {

using test::alter;

Subcommand
constraint(ConstraintKind kind, std::string_view columns, std::string_view name = "")
{
	Subcommand c;
	c.kind = AlterKind::AddConstraint;
	c.constraint = kind;
	c.name = name;
	c.columns = columns;
	c.first_column = columns;
	c.name_columns = columns;
	c.name_columns_known = kind == ConstraintKind::Check || kind == ConstraintKind::ForeignKey;
	if (name.empty() && kind == ConstraintKind::PrimaryKey)
		c.free_index_name = "t_pkey";
	else if (name.empty() && kind == ConstraintKind::Unique)
		c.free_index_name = std::string_view(columns) == "a" ? "t_a_key" : "t_id_key";
	c.other.qualified_name = "public.r";
	c.other.name = "r";
	return c;
}

/*
 * What PostgreSQL would refuse by the names it chooses is a prediction: the
 * statement is judged as usual (on this big table: rejected) but never split
 * or rewritten, and the hint names PostgreSQL's error.  (A wrong prediction
 * is then a refusal, never a blocking statement let through.)
 */
void
expect_refused_not_split(const Subcommand *subs, int n, std::string_view text, const std::string &error)
{
	Statement s = alter(subs, n, text);
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject) << text;
	EXPECT_NE(v.hint.find("PostgreSQL would refuse the statement as written (" + error + ")"), std::string::npos)
		<< text << ": " << v.hint;
	EXPECT_TRUE(v.safe_steps.empty()) << text;
}

TEST(SplitReview2, TwoPrimaryKeysAreRefusedNotSplit)
{
	Subcommand subs[] = {constraint(ConstraintKind::PrimaryKey, "id"), constraint(ConstraintKind::PrimaryKey, "a")};
	expect_refused_not_split(subs, 2, "ALTER TABLE t ADD PRIMARY KEY (id), ADD PRIMARY KEY (a)",
							"multiple primary keys for table \"t\" are not allowed");
}

TEST(SplitReview2, ANameGivenTwiceIsRefusedNotSplit)
{
	Subcommand subs[] = {constraint(ConstraintKind::Check, "a", "c1"), constraint(ConstraintKind::Check, "id", "c1")};
	expect_refused_not_split(subs, 2, "ALTER TABLE t ADD CONSTRAINT c1 CHECK (a > 0), ADD CONSTRAINT c1 CHECK (id > 0)",
							"constraint \"c1\" for relation \"t\" already exists");
}

TEST(SplitReview2, ANameGivenThatAnUnnamedOneGetsFirstIsRefusedNotSplit)
{
	// The UNIQUE's index is named first (its pass comes before the CHECK's), whatever the written order.
	Subcommand a[] = {constraint(ConstraintKind::Unique, "a"), constraint(ConstraintKind::Check, "a", "t_a_key")};
	expect_refused_not_split(a, 2, "ALTER TABLE t ADD UNIQUE (a), ADD CONSTRAINT t_a_key CHECK (a > 0)",
							"constraint \"t_a_key\" for relation \"t\" already exists");
	Subcommand b[] = {constraint(ConstraintKind::Check, "a", "t_a_key"), constraint(ConstraintKind::Unique, "a")};
	expect_refused_not_split(b, 2, "ALTER TABLE t ADD CONSTRAINT t_a_key CHECK (a > 0), ADD UNIQUE (a)",
							"constraint \"t_a_key\" for relation \"t\" already exists");
	Subcommand c[] = {constraint(ConstraintKind::Unique, "a"), constraint(ConstraintKind::Unique, "id", "t_a_key")};
	expect_refused_not_split(c, 2, "ALTER TABLE t ADD UNIQUE (a), ADD CONSTRAINT t_a_key UNIQUE (id)",
							"relation \"t_a_key\" already exists");
}

TEST(SplitReview2, AnIndexNameARelationHasIsRefusedNotSplit)
{
	Subcommand taken = constraint(ConstraintKind::Unique, "a", "t_taken");
	taken.index_name_taken = true;
	Subcommand subs[] = {constraint(ConstraintKind::Unique, "id", "ok1"), taken};
	expect_refused_not_split(subs, 2, "ALTER TABLE t ADD CONSTRAINT ok1 UNIQUE (id), ADD CONSTRAINT t_taken UNIQUE (a)",
							"relation \"t_taken\" already exists");
}

TEST(SplitReview2, ANameGivenFirstIsAvoidedByTheUnnamedOnes)
{
	Subcommand u[] = {constraint(ConstraintKind::Unique, "id", "t_a_key"), constraint(ConstraintKind::Unique, "a")};
	Statement s = alter(u, 2, "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (id), ADD UNIQUE (a)");
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Rewrite);
	ASSERT_EQ(v.safe_steps.size(), 4u);
	EXPECT_EQ(v.safe_steps[2], "CREATE UNIQUE INDEX CONCURRENTLY t_a_key1 ON public.t (a);");

	Subcommand c[] = {constraint(ConstraintKind::Check, "id", "t_id_check"), constraint(ConstraintKind::Check, "id")};
	c[0].not_valid = true;
	Statement sc = alter(c, 2, "ALTER TABLE t ADD CONSTRAINT t_id_check CHECK (id > 0) NOT VALID, ADD CHECK (id < 9)");
	Verdict vc = evaluate(sc, Settings{});
	EXPECT_EQ(vc.action, Action::Rewrite);
	ASSERT_EQ(vc.safe_steps.size(), 3u);
	EXPECT_EQ(vc.safe_steps[1], "ALTER TABLE t ADD CONSTRAINT t_id_check1 CHECK (id < 9) NOT VALID;");
}

TEST(SplitReview2, InlineConstraintsOfAddColumnAreNamedFirst)
{
	InlineConstraint fk;
	fk.kind = ConstraintKind::ForeignKey;
	fk.middle = "a_b";
	Subcommand col;
	col.kind = AlterKind::AddColumn;
	col.column = "a_b";
	col.inline_constraint = ConstraintKind::ForeignKey;
	col.inline_constraints = &fk;
	col.ninline_constraints = 1;
	Subcommand table_fk = constraint(ConstraintKind::ForeignKey, "a, b");
	table_fk.name_columns = "a_b";
	Subcommand subs[] = {col, table_fk};
	Statement s = alter(subs, 2,
						"ALTER TABLE t ADD COLUMN a_b int REFERENCES r, ADD FOREIGN KEY (a, b) REFERENCES r (x, y)");
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Rewrite);
	ASSERT_EQ(v.safe_steps.size(), 3u);
	EXPECT_EQ(v.safe_steps[0], "ALTER TABLE t ADD COLUMN a_b int REFERENCES r;");
	EXPECT_EQ(v.safe_steps[1], "ALTER TABLE t ADD CONSTRAINT t_a_b_fkey1 FOREIGN KEY (a, b) REFERENCES r (x, y) NOT VALID;");
	EXPECT_EQ(v.safe_steps[2], "ALTER TABLE t VALIDATE CONSTRAINT t_a_b_fkey1;");

	// An inline primary key and a table one: two primary keys.
	InlineConstraint pk;
	pk.kind = ConstraintKind::PrimaryKey;
	pk.middle = "k";
	Subcommand pcol;
	pcol.kind = AlterKind::AddColumn;
	pcol.column = "k";
	pcol.inline_constraints = &pk;
	pcol.ninline_constraints = 1;
	Subcommand two[] = {pcol, constraint(ConstraintKind::PrimaryKey, "id")};
	expect_refused_not_split(two, 2, "ALTER TABLE t ADD COLUMN k int PRIMARY KEY, ADD PRIMARY KEY (id)",
							"multiple primary keys for table \"t\" are not allowed");

	// An inline constraint's name given again by a table constraint.
	InlineConstraint named;
	named.kind = ConstraintKind::Check;
	named.name = "c1";
	Subcommand ncol;
	ncol.kind = AlterKind::AddColumn;
	ncol.column = "n";
	ncol.inline_constraints = &named;
	ncol.ninline_constraints = 1;
	Subcommand again[] = {ncol, constraint(ConstraintKind::Check, "id", "c1")};
	expect_refused_not_split(again, 2, "ALTER TABLE t ADD COLUMN n int CONSTRAINT c1 CHECK (n > 0), ADD CONSTRAINT c1 CHECK (id > 0)",
							"constraint \"c1\" for relation \"t\" already exists");
}

} // namespace

namespace {

TEST(SplitReview2, WithADropOnlyNamesGivenAreCompared)
{
	// The drop frees t_a_check: PostgreSQL names the unnamed CHECK t_a_check, and t_a_check1 is free.
	Subcommand drop;
	drop.kind = AlterKind::DropConstraint;
	drop.name = "t_a_check";
	Subcommand unnamed = constraint(ConstraintKind::Check, "a");
	Subcommand named = constraint(ConstraintKind::Check, "a", "t_a_check1");
	Subcommand subs[] = {drop, unnamed, named};
	Statement s = alter(subs, 3, "ALTER TABLE t DROP CONSTRAINT t_a_check, ADD CHECK (a > 0), ADD CONSTRAINT t_a_check1 CHECK (a < 9)");
	std::string_view existing[] = {"t_a_check"};
	s.constraint_names = existing;
	s.nconstraint_names = 1;
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject); // judged as usual (a drop before a validation: not split)
	EXPECT_EQ(v.hint.find("PostgreSQL would refuse"), std::string::npos);

	// A name given twice is refused all the same.
	Subcommand twice[] = {drop, named, named};
	Verdict vt = evaluate(alter(twice, 3, "ALTER TABLE t DROP CONSTRAINT t_a_check, ADD CONSTRAINT t_a_check1 CHECK (a < 9), "
										  "ADD CONSTRAINT t_a_check1 CHECK (a < 9)"),
						  Settings{});
	EXPECT_EQ(vt.action, Action::Reject);
	EXPECT_NE(vt.hint.find("PostgreSQL would refuse the statement as written"), std::string::npos);
}

} // namespace
