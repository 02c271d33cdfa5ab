// Review 4 of the ALTER TABLE rewrite planning (split_plan and the rules'
// steps): what must not be split, the names of unnamed constraints, what
// PostgreSQL rejects before it builds anything, and the rest of an
// interrupted SET NOT NULL.
#include "core/classify.hpp"
#include "core/policy.hpp"
#include "alter_statement.hpp"

#include <gtest/gtest.h>
#include <string>

using namespace safemigrate::core;

namespace {

using test::alter;

Subcommand
check(std::string_view column, bool not_valid = false)
{
	Subcommand c;
	c.kind = AlterKind::AddConstraint;
	c.constraint = ConstraintKind::Check;
	c.not_valid = not_valid;
	c.first_column = column;
	c.name_columns = column;
	c.name_columns_known = true;
	return c;
}

Subcommand
add_column(std::string_view column, bool has_default = false)
{
	Subcommand c;
	c.kind = AlterKind::AddColumn;
	c.column = column;
	c.has_default = has_default;
	return c;
}

TEST(SplitReview, EveryFirstPassDropKeepsTheStatementWhole)
{
	// DROP NOT NULL committed alone, then the CHECK's validation fails: PostgreSQL would have changed nothing.
	Subcommand drop_not_null;
	drop_not_null.kind = AlterKind::DropNotNull;
	drop_not_null.column = "qty";
	Subcommand subs[] = {drop_not_null, check("qty")};
	Statement s = alter(subs, 2, "ALTER TABLE t ALTER COLUMN qty DROP NOT NULL, ADD CONSTRAINT t_qty_pos CHECK (qty > 0)");
	EXPECT_FALSE(split_plan(assess(s, Settings{})).has_value());
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_NE(v.hint.find("The statement is not split into steps: its drop would be committed before a step"),
			  std::string::npos);

	// DROP DEFAULT is a drop too; SET DEFAULT is not.
	Subcommand drop_default;
	drop_default.kind = AlterKind::ColumnDefault;
	drop_default.column = "qty";
	Subcommand more[] = {drop_default, check("qty")};
	Statement d = alter(more, 2, "ALTER TABLE t ALTER qty DROP DEFAULT, ADD CONSTRAINT t_qty_pos CHECK (qty > 0)");
	EXPECT_FALSE(split_plan(assess(d, Settings{})).has_value());
	more[0].has_default = true;
	Statement sd = alter(more, 2, "ALTER TABLE t ALTER qty SET DEFAULT 1, ADD CONSTRAINT t_qty_pos CHECK (qty > 0)");
	EXPECT_TRUE(split_plan(assess(sd, Settings{})).has_value());
}

TEST(SplitReview, ConstraintOnANewColumnIsNotSplit)
{
	// The new column's default breaks the CHECK: split, the column and a NOT VALID check would stay committed.
	Subcommand subs[] = {add_column("status", true), check("status")};
	subs[1].added_column = "status";
	Statement s = alter(subs, 2,
						"ALTER TABLE t ADD COLUMN status text DEFAULT 'new', ADD CONSTRAINT t_status_chk CHECK "
						"(status IN ('open', 'closed'))");
	EXPECT_FALSE(split_plan(assess(s, Settings{})).has_value());
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_STREQ(v.rule_id, "add-check-validating");
	ASSERT_EQ(v.safe_steps.size(), 3u);
	EXPECT_EQ(v.safe_steps[0], "ALTER TABLE t ADD COLUMN status text DEFAULT 'new';");
	EXPECT_EQ(v.safe_steps[1],
			  "ALTER TABLE t ADD CONSTRAINT t_status_chk CHECK (status IN ('open', 'closed')) NOT VALID;");
	EXPECT_EQ(v.safe_steps[2], "ALTER TABLE t VALIDATE CONSTRAINT t_status_chk;");
	EXPECT_NE(v.hint.find("The statement also adds column \"status\""), std::string::npos);

	// SET NOT NULL of a column the statement adds: the same.
	Subcommand nn;
	nn.kind = AlterKind::SetNotNull;
	nn.column = "k4";
	Subcommand two[] = {add_column("k4"), nn};
	Statement n = alter(two, 2, "ALTER TABLE t ADD COLUMN k4 int, ALTER k4 SET NOT NULL");
	Verdict vn = evaluate(n, Settings{});
	EXPECT_EQ(vn.action, Action::Reject);
	ASSERT_EQ(vn.safe_steps.size(), 5u);
	EXPECT_EQ(vn.safe_steps[0], "ALTER TABLE t ADD COLUMN k4 int;");

	// UNIQUE on a new column without a default: all NULL, the build cannot fail; split.  With a default: not.
	Subcommand uq;
	uq.kind = AlterKind::AddConstraint;
	uq.constraint = ConstraintKind::Unique;
	uq.columns = "e";
	uq.name_columns = "e";
	uq.free_index_name = "t_e_key";
	uq.added_column = "e";
	Subcommand unique[] = {add_column("e"), uq};
	Statement u = alter(unique, 2, "ALTER TABLE t ADD COLUMN e int, ADD UNIQUE (e)");
	EXPECT_EQ(evaluate(u, Settings{}).action, Action::Rewrite);
	unique[0].has_default = true;
	Statement ud = alter(unique, 2, "ALTER TABLE t ADD COLUMN e int DEFAULT 0, ADD UNIQUE (e)");
	EXPECT_EQ(evaluate(ud, Settings{}).action, Action::Reject);

	// A one-column FOREIGN KEY of a new column without a default: all NULL, cannot fail; split.
	Subcommand fk;
	fk.kind = AlterKind::AddConstraint;
	fk.constraint = ConstraintKind::ForeignKey;
	fk.columns = "cust";
	fk.first_column = "cust";
	fk.name_columns = "cust";
	fk.name_columns_known = true;
	fk.added_column = "cust";
	Subcommand fks[] = {add_column("cust"), fk};
	Statement f = alter(fks, 2, "ALTER TABLE t ADD COLUMN cust int, ADD FOREIGN KEY (cust) REFERENCES p (id)");
	EXPECT_EQ(evaluate(f, Settings{}).action, Action::Rewrite);
	fks[0].has_default = true;
	Statement fd = alter(fks, 2, "ALTER TABLE t ADD COLUMN cust int DEFAULT 0, ADD FOREIGN KEY (cust) REFERENCES p (id)");
	EXPECT_EQ(evaluate(fd, Settings{}).action, Action::Reject);

	// A constraint on a column the table has already: split as before.
	Subcommand other[] = {add_column("status", true), check("total")};
	Statement o = alter(other, 2, "ALTER TABLE t ADD COLUMN status text DEFAULT 'new', ADD CHECK (total > 0)");
	EXPECT_EQ(evaluate(o, Settings{}).action, Action::Rewrite);
}

TEST(SplitReview, UnnamedConstraintsGetPostgresNamesInPassOrder)
{
	// PostgreSQL alone: t_v_check for the first, t_v_check1 for the second.
	Subcommand subs[] = {check("v", true), check("v")};
	Statement s = alter(subs, 2, "ALTER TABLE t ADD CHECK (v > 0) NOT VALID, ADD CHECK (v < 1000000)");
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Rewrite);
	ASSERT_EQ(v.safe_steps.size(), 3u);
	EXPECT_EQ(v.safe_steps[0], "ALTER TABLE t ADD CONSTRAINT t_v_check CHECK (v > 0) NOT VALID;");
	EXPECT_EQ(v.safe_steps[1], "ALTER TABLE t ADD CONSTRAINT t_v_check1 CHECK (v < 1000000) NOT VALID;");
	EXPECT_EQ(v.safe_steps[2], "ALTER TABLE t VALIDATE CONSTRAINT t_v_check1;");

	// Written in the other order, the names follow the statement's order within the pass.
	Subcommand rev[] = {check("v"), check("v", true)};
	Statement r = alter(rev, 2, "ALTER TABLE t ADD CHECK (v < 1000000), ADD CHECK (v > 0) NOT VALID");
	Verdict vr = evaluate(r, Settings{});
	ASSERT_EQ(vr.safe_steps.size(), 3u);
	EXPECT_EQ(vr.safe_steps[0], "ALTER TABLE t ADD CONSTRAINT t_v_check CHECK (v < 1000000) NOT VALID;");
	EXPECT_EQ(vr.safe_steps[1], "ALTER TABLE t VALIDATE CONSTRAINT t_v_check;");
	EXPECT_EQ(vr.safe_steps[2], "ALTER TABLE t ADD CONSTRAINT t_v_check1 CHECK (v > 0) NOT VALID;");
}

TEST(SplitReview, WhatPostgresRejectsAtOnceIsNeverRewritten)
{
	// A second primary key (PostgreSQL's 42P16): not rewritten into a unique index built first; judged, refused here.
	Subcommand pk;
	pk.kind = AlterKind::AddConstraint;
	pk.constraint = ConstraintKind::PrimaryKey;
	pk.columns = "k";
	pk.first_column = "k";
	pk.name_columns = "k";
	pk.free_index_name = "t_pkey1";
	pk.table_has_primary_key = true;
	Statement s = alter(&pk, 1, "ALTER TABLE t ADD PRIMARY KEY (k)");
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_NE(v.hint.find("multiple primary keys for table \"t\" are not allowed"), std::string::npos);
	EXPECT_TRUE(v.safe_steps.empty());

	// ... unless the statement drops a constraint first (the old key, maybe): judged as usual.
	Subcommand drop;
	drop.kind = AlterKind::DropConstraint;
	drop.name = "t_pkey";
	Subcommand both[] = {drop, pk};
	Statement d = alter(both, 2, "ALTER TABLE t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (k)");
	EXPECT_EQ(evaluate(d, Settings{}).action, Action::Reject);

	// A UNIQUE named as a constraint the table has: PostgreSQL's 42710.
	Subcommand uq;
	uq.kind = AlterKind::AddConstraint;
	uq.constraint = ConstraintKind::Unique;
	uq.name = "t_x";
	uq.columns = "id";
	uq.name_taken = true;
	Statement u = alter(&uq, 1, "ALTER TABLE t ADD CONSTRAINT t_x UNIQUE (id)");
	Verdict vu = evaluate(u, Settings{});
	EXPECT_EQ(vu.action, Action::Reject);
	EXPECT_NE(vu.hint.find("constraint \"t_x\" for relation \"t\" already exists"), std::string::npos);
	uq.name_taken = false;
	EXPECT_EQ(evaluate(u, Settings{}).action, Action::Rewrite);
}

TEST(SplitReview, SetNotNullLeavesAValidatedCheckToItsAuthor)
{
	/*
	 * A validated CHECK (v IS NOT NULL) of the helper's name lets SET NOT NULL
	 * skip the scan: the statement runs as it is, the CHECK is not dropped (it
	 * may be the user's own step of the documented recipe, whose next
	 * statement drops it).
	 */
	static const std::string_view helper[] = {"t_v_not_null"};
	Subcommand nn;
	nn.kind = AlterKind::SetNotNull;
	nn.column = "v";
	nn.not_null_implied = true;
	nn.same_not_valid = helper;
	nn.nsame_not_valid = 1;
	Verdict v = evaluate(alter(&nn, 1, "ALTER TABLE t ALTER COLUMN v SET NOT NULL"), Settings{});
	EXPECT_EQ(v.action, Action::Allow);
	EXPECT_TRUE(v.safe_steps.empty());
}

} // namespace

// A statement that is not split (an expand-contract subcommand): the hint also gives its other subcommands,
// each as a statement of its own, so that following it leaves nothing out.
TEST(SplitReview, UnsplitStatementNamesItsOtherSubcommands)
{
	Subcommand subs[2];
	subs[0].kind = AlterKind::AlterColumnType;
	subs[0].column = "a";
	subs[0].type_text = "bigint";
	subs[0].type_rewrites = true;
	subs[1] = add_column("c");
	Statement s = alter(subs, 2, "ALTER TABLE t ALTER COLUMN a TYPE bigint, ADD COLUMN c int");
	Verdict v = evaluate(s, Settings{});
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_NE(v.hint.find("CALL safemigrate.expand_alter_column_type('public.t', 'a', 'bigint')"), std::string::npos)
		<< v.hint;
	EXPECT_NE(v.hint.find("run them as statements of their own: ALTER TABLE t ADD COLUMN c int;"), std::string::npos)
		<< v.hint;
	// alone, nothing to add
	Statement one = alter(subs, 1, "ALTER TABLE t ALTER COLUMN a TYPE bigint");
	EXPECT_EQ(evaluate(one, Settings{}).hint.find("other subcommands"), std::string::npos);
}
