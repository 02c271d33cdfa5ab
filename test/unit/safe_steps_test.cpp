// Unit tests of the exact safe SQL where the hints gave prose or placeholders:
// ADD COLUMN with inline constraints (the column first, then each constraint as
// its rule adds it), ADD PRIMARY KEY on nullable columns (safemigrate.set_not_null()
// for each), and CREATE INDEX on a partitioned table (one line per partition).
#include "alter_statement.hpp"

#include "core/policy.hpp"
#include "core/rules.hpp"
#include "core/sql_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace safemigrate::core;
using safemigrate::core::test::alter;

namespace {

Settings
enforce()
{
	Settings st;
	st.mode = Mode::Enforce;
	st.rewrite = true;
	st.small_table_rows = 0;
	return st;
}

/* The offset of what in text, relative to the column's name (at column in text), as the boundary gives it. */
int
at(std::string_view text, std::string_view column, std::string_view what)
{
	return static_cast<int>(text.find(what)) - static_cast<int>(text.find(column));
}

/* An inline constraint of the ADD COLUMN in text, from the first what to the first next ("" : to the end). */
InlineConstraint
inline_constraint(std::string_view text, std::string_view column, ConstraintKind kind, std::string_view what,
				  std::string_view next = "")
{
	InlineConstraint ic;
	ic.kind = kind;
	ic.middle = column.substr(0, column.find(' '));
	ic.begin = at(text, column, what);
	ic.end = next.empty() ? -1 : at(text, column, next);
	return ic;
}

Subcommand
add_column(std::string_view column, const InlineConstraint *ics, int n, ConstraintKind strongest)
{
	Subcommand c;
	c.kind = AlterKind::AddColumn;
	c.column = column;
	c.type_text = "integer";
	c.inline_constraints = ics;
	c.ninline_constraints = n;
	c.inline_constraint = strongest; /* (the boundary's: an index over a foreign key over a CHECK) */
	return c;
}

std::vector<std::string>
steps(const Verdict &v)
{
	return std::vector<std::string>(v.safe_steps.begin(), v.safe_steps.end());
}

} // namespace

TEST(AddColumnSteps, CheckBecomesNotValidThenValidate)
{
	const char *text = "ALTER TABLE t ADD COLUMN d int CHECK (d > 0)";
	InlineConstraint ic = inline_constraint(text, "d int", ConstraintKind::Check, "CHECK");
	Subcommand c = add_column("d", &ic, 1, ConstraintKind::Check);
	Statement s = alter(&c, 1, text);
	Verdict v = evaluate(s, enforce());
	EXPECT_STREQ(v.rule_id, "add-check-validating");
	EXPECT_EQ(v.action, Action::Reject); /* the VALIDATE may fail after the column is committed: not run as steps */
	EXPECT_EQ(steps(v), (std::vector<std::string>{"ALTER TABLE t ADD COLUMN d int;",
												   "ALTER TABLE t ADD CONSTRAINT t_d_check CHECK (d > 0) NOT VALID;",
												   "ALTER TABLE t VALIDATE CONSTRAINT t_d_check;"}));
	EXPECT_EQ(v.hint.rfind("Run instead: ALTER TABLE t ADD COLUMN d int; ALTER TABLE t ADD CONSTRAINT t_d_check CHECK "
						   "(d > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT t_d_check;  Each in its own "
						   "transaction",
						   0),
			  0u)
		<< v.hint;
	/* the assessment check() shows has them too */
	Assessments rows = assess(s, enforce());
	ASSERT_FALSE(rows.empty());
	EXPECT_EQ(rows.front().safe_sql.size(), 3u);
	EXPECT_FALSE(rows.front().steps_ok);
}

TEST(AddColumnSteps, SeveralInlineConstraintsKeepTheDefinitionAndTheNames)
{
	/* The column keeps its type as written, COLLATE, DEFAULT and NOT NULL; a user's CONSTRAINT name is kept. */
	const char *text = "ALTER TABLE ONLY t ADD COLUMN IF NOT EXISTS \"G\" text COLLATE \"C\" DEFAULT 'x' "
					   "CONSTRAINT g_ok CHECK (\"G\" <> '') NOT NULL UNIQUE DEFERRABLE INITIALLY DEFERRED "
					   "CHECK (length(\"G\") < 10) REFERENCES p (name) ON DELETE CASCADE";
	InlineConstraint ics[4] = {
		inline_constraint(text, "\"G\" text", ConstraintKind::Check, "CONSTRAINT g_ok", "NOT NULL"),
		inline_constraint(text, "\"G\" text", ConstraintKind::Unique, "UNIQUE", "CHECK (length"),
		inline_constraint(text, "\"G\" text", ConstraintKind::Check, "CHECK (length", "REFERENCES"),
		inline_constraint(text, "\"G\" text", ConstraintKind::ForeignKey, "REFERENCES"),
	};
	ics[0].name = "g_ok";
	ics[1].constraint_clauses = " DEFERRABLE INITIALLY DEFERRED";
	ics[1].free_index_name = "t_G_key";
	for (InlineConstraint &ic : ics)
		ic.middle = "G";
	Subcommand c = add_column("G", ics, 4, ConstraintKind::Unique);
	c.has_default = true;
	c.not_null = c.written_not_null = true;
	Statement s = alter(&c, 1, text);
	s.only = true;
	Verdict v = evaluate(s, enforce());
	EXPECT_STREQ(v.rule_id, "add-unique-blocking");
	EXPECT_EQ(steps(v),
			  (std::vector<std::string>{
				  "ALTER TABLE ONLY t ADD COLUMN IF NOT EXISTS \"G\" text COLLATE \"C\" DEFAULT 'x' NOT NULL;",
				  "CREATE UNIQUE INDEX CONCURRENTLY \"t_G_key\" ON public.t (\"G\");",
				  "ALTER TABLE ONLY t ADD CONSTRAINT \"t_G_key\" UNIQUE USING INDEX \"t_G_key\" DEFERRABLE INITIALLY "
				  "DEFERRED;",
				  "ALTER TABLE ONLY t ADD CONSTRAINT g_ok CHECK (\"G\" <> '') NOT VALID;",
				  "ALTER TABLE ONLY t ADD CONSTRAINT \"t_G_check\" CHECK (length(\"G\") < 10) NOT VALID;",
				  "ALTER TABLE ONLY t ADD CONSTRAINT \"t_G_fkey\" FOREIGN KEY (\"G\") REFERENCES p (name) ON DELETE "
				  "CASCADE NOT VALID;",
				  "ALTER TABLE ONLY t VALIDATE CONSTRAINT g_ok;",
				  "ALTER TABLE ONLY t VALIDATE CONSTRAINT \"t_G_check\";",
				  "ALTER TABLE ONLY t VALIDATE CONSTRAINT \"t_G_fkey\";",
			  }));
}

TEST(AddColumnSteps, PrimaryKeyMakesTheColumnNotNullFirst)
{
	const char *text = "ALTER TABLE t ADD COLUMN k bigint DEFAULT 0 PRIMARY KEY WITH (fillfactor = 70)";
	InlineConstraint ic = inline_constraint(text, "k bigint", ConstraintKind::PrimaryKey, "PRIMARY");
	ic.index_clauses = " WITH (fillfactor = '70')";
	Subcommand c = add_column("k", &ic, 1, ConstraintKind::PrimaryKey);
	c.has_default = c.not_null = true; /* (implied by the key, not written) */
	Statement s = alter(&c, 1, text);
	Verdict v = evaluate(s, enforce());
	EXPECT_STREQ(v.rule_id, "add-primary-key-blocking");
	EXPECT_EQ(steps(v), (std::vector<std::string>{
							"ALTER TABLE t ADD COLUMN k bigint DEFAULT 0 NOT NULL;",
							"CREATE UNIQUE INDEX CONCURRENTLY t_pkey ON public.t (k) WITH (fillfactor = '70');",
							"ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_pkey;"}));
	/* a name the statement's other constraints took is numbered on, as PostgreSQL does */
	EXPECT_NE(v.hint.find("CREATE UNIQUE INDEX CONCURRENTLY blocks no writes"), std::string::npos) << v.hint;
}

TEST(AddColumnSteps, ReferencesWithoutDefaultStaysOnTheColumn)
{
	/* a column without a default is all NULL: its REFERENCES is not validated and stays in the first step */
	const char *text = "ALTER TABLE t ADD d int REFERENCES p /* why */ CHECK (d <> 7)";
	InlineConstraint ics[2] = {inline_constraint(text, "d int", ConstraintKind::ForeignKey, "REFERENCES", "CHECK"),
							   inline_constraint(text, "d int", ConstraintKind::Check, "CHECK")};
	/* (the boundary names the foreign key the strongest: the CHECK still scans) */
	Subcommand c = add_column("d", ics, 2, ConstraintKind::ForeignKey);
	Statement s = alter(&c, 1, text);
	Verdict v = evaluate(s, enforce());
	EXPECT_STREQ(v.rule_id, "add-check-validating");
	EXPECT_EQ(steps(v), (std::vector<std::string>{"ALTER TABLE t ADD d int REFERENCES p;",
												   "ALTER TABLE t ADD CONSTRAINT t_d_check CHECK (d <> 7) NOT VALID;",
												   "ALTER TABLE t VALIDATE CONSTRAINT t_d_check;"}));
}

TEST(AddColumnSteps, ForeignKeyWithDefaultIsValidatedApart)
{
	const char *text = "ALTER TABLE t ADD COLUMN f int DEFAULT 1 REFERENCES p -- the owner\n";
	InlineConstraint ic = inline_constraint(text, "f int", ConstraintKind::ForeignKey, "REFERENCES");
	Subcommand c = add_column("f", &ic, 1, ConstraintKind::ForeignKey);
	c.has_default = true;
	Statement s = alter(&c, 1, text);
	Verdict v = evaluate(s, enforce());
	EXPECT_STREQ(v.rule_id, "add-foreign-key-validating");
	EXPECT_EQ(steps(v), (std::vector<std::string>{
							"ALTER TABLE t ADD COLUMN f int DEFAULT 1;",
							"ALTER TABLE t ADD CONSTRAINT t_f_fkey FOREIGN KEY (f) REFERENCES p NOT VALID;",
							"ALTER TABLE t VALIDATE CONSTRAINT t_f_fkey;"}));
}

TEST(AddColumnSteps, NamesTakenByTheSchemaOrTheStatementAreNumberedOn)
{
	const char *text = "ALTER TABLE t ADD COLUMN d int CHECK (d > 0), ADD CONSTRAINT x CHECK (id > 0)";
	InlineConstraint ic = inline_constraint(text, "d int", ConstraintKind::Check, "CHECK", ",");
	ic.end = -1; /* the subcommand's text ends before the comma */
	Subcommand subs[2];
	subs[0] = add_column("d", &ic, 1, ConstraintKind::Check);
	subs[1].kind = AlterKind::AddConstraint;
	subs[1].constraint = ConstraintKind::Check;
	subs[1].name = "x";
	subs[1].not_valid = true;
	Statement s = alter(subs, 2, text);
	std::string_view names[] = {"t_d_check"};
	s.constraint_names = names;
	s.nconstraint_names = 1;
	Verdict v = evaluate(s, enforce());
	ASSERT_GE(v.safe_steps.size(), 3u);
	EXPECT_EQ(v.safe_steps[1], "ALTER TABLE t ADD CONSTRAINT t_d_check1 CHECK (d > 0) NOT VALID;");
	/* not split: the statement's other subcommand is named as a statement of its own */
	EXPECT_NE(v.hint.find("run them as statements of their own: ALTER TABLE t ADD CONSTRAINT x CHECK (id > 0);"),
			  std::string::npos)
		<< v.hint;
}

TEST(AddColumnSteps, UnknownTextKeepsTheAdvice)
{
	const char *text = "ALTER TABLE t ADD COLUMN d int CHECK (d > 0)";
	InlineConstraint ic;
	ic.kind = ConstraintKind::Check;
	ic.middle = "d"; /* no offsets from the boundary */
	Subcommand c = add_column("d", &ic, 1, ConstraintKind::Check);
	Verdict v = evaluate(alter(&c, 1, text), enforce());
	EXPECT_TRUE(v.safe_steps.empty());
	EXPECT_EQ(v.hint, "Add the column without the constraint, then add the CHECK with NOT VALID and VALIDATE "
					  "CONSTRAINT in a separate transaction.");
	/* offsets that do not fit the text: the advice, no broken step */
	ic.begin = 200;
	v = evaluate(alter(&c, 1, text), enforce());
	EXPECT_TRUE(v.safe_steps.empty());
	ic.begin = at(text, "d int", "int"); /* not a constraint's text */
	v = evaluate(alter(&c, 1, text), enforce());
	EXPECT_TRUE(v.safe_steps.empty());
}

TEST(AddColumnSteps, PartitionedTableSaysWhatHasNoConcurrentForm)
{
	const char *text = "ALTER TABLE t ADD COLUMN e int UNIQUE CHECK (e > 0)";
	InlineConstraint ics[2] = {inline_constraint(text, "e int", ConstraintKind::Unique, "UNIQUE", "CHECK"),
							   inline_constraint(text, "e int", ConstraintKind::Check, "CHECK")};
	Subcommand c = add_column("e", ics, 2, ConstraintKind::Unique);
	Statement s = alter(&c, 1, text);
	s.relation.kind = RelationKind::PartitionedTable;
	Verdict v = evaluate(s, enforce());
	ASSERT_EQ(v.safe_steps.size(), 4u);
	EXPECT_EQ(v.safe_steps[0], "ALTER TABLE t ADD COLUMN e int;");
	EXPECT_EQ(v.safe_steps[1], "ALTER TABLE t ADD CONSTRAINT t_e_check CHECK (e > 0) NOT VALID;");
	EXPECT_EQ(v.safe_steps[3].rfind("--  PostgreSQL 15 cannot build a unique index concurrently", 0), 0u);
	EXPECT_NE(v.hint.find("then ALTER TABLE t ADD CONSTRAINT t_e_key UNIQUE (e) only attaches them."),
			  std::string::npos)
		<< v.hint;
}

TEST(AddPrimaryKeySteps, NullableKeyColumnsGetSetNotNullCalls)
{
	Subcommand c;
	c.kind = AlterKind::AddConstraint;
	c.constraint = ConstraintKind::PrimaryKey;
	c.columns = "\"Id\", b";
	c.first_column = "Id";
	c.name_columns = "Id_b";
	c.pk_columns_nullable = true;
	std::string_view nullable[] = {"Id", "it's"};
	c.nullable_keys = nullable;
	c.nnullable_keys = 2;
	c.free_index_name = "My T_pkey";
	Statement s = alter(&c, 1, "ALTER TABLE \"My T\" ADD PRIMARY KEY (\"Id\", b)");
	s.relation.qualified_name = "public.\"My T\"";
	s.relation.name = "My T";
	Verdict v = evaluate(s, enforce());
	EXPECT_STREQ(v.rule_id, "add-primary-key-blocking");
	EXPECT_EQ(v.action, Action::Reject);
	EXPECT_EQ(steps(v), (std::vector<std::string>{
							"CALL safemigrate.set_not_null('public.\"My T\"', 'Id');",
							"CALL safemigrate.set_not_null('public.\"My T\"', 'it''s');",
							"CREATE UNIQUE INDEX CONCURRENTLY \"My T_pkey\" ON public.\"My T\" (\"Id\", b);",
							"ALTER TABLE \"My T\" ADD CONSTRAINT \"My T_pkey\" PRIMARY KEY USING INDEX \"My T_pkey\";"}));
	EXPECT_NE(v.hint.find("each call in its own transaction: CALL safemigrate.set_not_null('public.\"My T\"', 'Id'); "
						  "CALL safemigrate.set_not_null('public.\"My T\"', 'it''s');  Then: Run instead: CREATE UNIQUE"),
			  std::string::npos)
		<< v.hint;
}

TEST(AddPrimaryKeySteps, UsingIndexOnNullableColumns)
{
	Subcommand c;
	c.kind = AlterKind::AddConstraint;
	c.constraint = ConstraintKind::PrimaryKey;
	c.using_index = true;
	c.using_index_name = "t_id_uq";
	c.pk_columns_nullable = true;
	std::string_view nullable[] = {"id"};
	c.nullable_keys = nullable;
	c.nnullable_keys = 1;
	Statement s = alter(&c, 1, "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_id_uq");
	Verdict v = evaluate(s, enforce());
	EXPECT_STREQ(v.rule_id, "set-not-null-scan");
	EXPECT_EQ(steps(v), (std::vector<std::string>{"CALL safemigrate.set_not_null('public.t', 'id');",
												   "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_id_uq;"}));
}

namespace {

Statement
partitioned_index(std::string_view text, std::vector<IndexPartition> &plan)
{
	Statement s;
	s.kind = StatementKind::CreateIndex;
	s.text = text;
	s.relation.qualified_name = "public.ev";
	s.relation.name = "ev";
	s.relation.kind = RelationKind::PartitionedTable;
	s.relation.size_known = true;
	s.relation.bytes = 1LL << 30;
	s.relation.estimated_rows = 1e7;
	s.relation.partitions = static_cast<int>(plan.size());
	s.create_index.qualified_index_name = "public.ev_at_idx";
	s.create_index.plan = plan.data();
	s.create_index.nplan = static_cast<int>(plan.size());
	s.top_level = true;
	return s;
}

IndexPartition
leaf(std::string_view table, std::string_view name, std::string_view qualified, int parent = -1)
{
	IndexPartition e;
	e.table = table;
	e.index_name = name;
	e.qualified_index = qualified;
	e.parent = parent;
	return e;
}

} // namespace

TEST(PartitionedIndexSteps, OneLinePerPartitionNamedAsPostgreSQLWould)
{
	std::vector<IndexPartition> plan = {
		leaf("public.ev_2023", "ev_2023_at_idx", "public.ev_2023_at_idx"),
		leaf("s2.ev_2024", "ev_2024_at_idx", "s2.ev_2024_at_idx"), /* partitioned, below */
		leaf("s2.ev_2024_a", "ev_2024_a_at_idx", "s2.ev_2024_a_at_idx", 1),
		leaf("public.ev_2024_b", "", "", 1),
		leaf("public.ev_2025", "", ""),
	};
	plan[1].partitioned = true;
	plan[3].existing = "public.ev_2024_b_own";
	plan[4].existing = "public.\"Ev 2025\"";
	Statement s = partitioned_index("CREATE INDEX ON ev USING btree (at) INCLUDE (id) WHERE at > '2020-01-01'", plan);
	s.create_index.chosen_name = "ev_at_idx";
	Verdict v = evaluate(s, enforce());
	EXPECT_EQ(v.action, Action::Reject);
	const std::string tail = " USING btree (at) INCLUDE (id) WHERE at > '2020-01-01';";
	EXPECT_EQ(steps(v), (std::vector<std::string>{
							"CREATE INDEX ev_at_idx ON ONLY ev" + tail,
							"CREATE INDEX CONCURRENTLY ev_2023_at_idx ON public.ev_2023" + tail,
							"ALTER INDEX public.ev_at_idx ATTACH PARTITION public.ev_2023_at_idx;",
							"CREATE INDEX ev_2024_at_idx ON ONLY s2.ev_2024" + tail,
							"CREATE INDEX CONCURRENTLY ev_2024_a_at_idx ON s2.ev_2024_a" + tail,
							"ALTER INDEX s2.ev_2024_at_idx ATTACH PARTITION s2.ev_2024_a_at_idx;",
							"ALTER INDEX s2.ev_2024_at_idx ATTACH PARTITION public.ev_2024_b_own;",
							"ALTER INDEX public.ev_at_idx ATTACH PARTITION s2.ev_2024_at_idx;",
							"ALTER INDEX public.ev_at_idx ATTACH PARTITION public.\"Ev 2025\";"}));
	for (const std::string &step : v.safe_steps)
		EXPECT_EQ(v.hint.find(step) != std::string::npos, true) << step;
	EXPECT_EQ(v.hint.find("<partition"), std::string::npos);
	EXPECT_EQ(v.hint.find("... and"), std::string::npos);
}

TEST(PartitionedIndexSteps, UniqueNamedAndInATransactionBlock)
{
	std::vector<IndexPartition> plan = {leaf("public.ev_1", "ev_1_k_idx", "public.ev_1_k_idx")};
	Statement s = partitioned_index("CREATE UNIQUE INDEX IF NOT EXISTS ev_k ON ev (k, at) NULLS NOT DISTINCT", plan);
	s.create_index.index_name = "ev_k";
	s.create_index.unique = true;
	s.create_index.qualified_index_name = "public.ev_k";
	s.in_transaction_block = true;
	Verdict v = evaluate(s, enforce());
	EXPECT_EQ(steps(v), (std::vector<std::string>{
							"CREATE UNIQUE INDEX IF NOT EXISTS ev_k ON ONLY ev (k, at) NULLS NOT DISTINCT;",
							"CREATE UNIQUE INDEX CONCURRENTLY ev_1_k_idx ON public.ev_1 (k, at) NULLS NOT DISTINCT;",
							"ALTER INDEX public.ev_k ATTACH PARTITION public.ev_1_k_idx;"}));
	EXPECT_NE(v.hint.find("cannot run inside a transaction block"), std::string::npos);
}

TEST(PartitionedIndexSteps, HintListsTwentyPartitionsCheckGivesAll)
{
	std::vector<std::string> names;
	for (int i = 0; i < 25; ++i)
		names.push_back("ev_" + std::to_string(i));
	std::vector<std::string> idx, qidx, tables;
	for (const std::string &n : names)
	{
		idx.push_back(n + "_at_idx");
		qidx.push_back("public." + n + "_at_idx");
		tables.push_back("public." + n);
	}
	std::vector<IndexPartition> plan;
	for (int i = 0; i < 25; ++i)
		plan.push_back(leaf(tables[i], idx[i], qidx[i]));
	Statement s = partitioned_index("CREATE INDEX ev_at_idx ON ev (at)", plan);
	s.create_index.index_name = "ev_at_idx";
	Verdict v = evaluate(s, enforce());
	ASSERT_EQ(v.safe_steps.size(), 1u + 2 * 25);
	EXPECT_NE(v.hint.find("ATTACH PARTITION public.ev_19_at_idx; ... and 5 more partitions (safemigrate.check() "
						  "gives every step)."),
			  std::string::npos)
		<< v.hint;
	EXPECT_EQ(v.hint.find("ev_20_at_idx"), std::string::npos);
}

TEST(PartitionedIndexSteps, ForeignPartitionBuildsFirstThenTheStatement)
{
	std::vector<IndexPartition> plan = {leaf("public.fp_1", "fp_1_id_idx", "public.fp_1_id_idx"),
										leaf("public.fp_2", "", "")};
	plan[1].foreign = true;
	Statement s = partitioned_index("CREATE INDEX ON ev (id)", plan);
	s.create_index.chosen_name = "ev_id_idx";
	Verdict v = evaluate(s, enforce());
	EXPECT_EQ(steps(v), (std::vector<std::string>{"CREATE INDEX CONCURRENTLY fp_1_id_idx ON public.fp_1 (id);",
												   "CREATE INDEX ev_id_idx ON ev (id);"}));
	EXPECT_NE(v.hint.find("would never become valid with a foreign partition"), std::string::npos);
}

TEST(PartitionedIndexSteps, NoPlanOrABrokenOneKeepsThePattern)
{
	std::vector<IndexPartition> plan = {leaf("public.ev_1", "ev_1_at_idx", "public.ev_1_at_idx", 3)};
	Statement s = partitioned_index("CREATE INDEX ev_at ON ev (at)", plan);
	s.create_index.index_name = "ev_at";
	Verdict v = evaluate(s, enforce());
	ASSERT_EQ(v.safe_steps.size(), 2u);
	EXPECT_NE(v.safe_steps[1].find("<partition index>"), std::string::npos);
	s.create_index.nplan = -1;
	v = evaluate(s, enforce());
	ASSERT_EQ(v.safe_steps.size(), 2u);
	EXPECT_NE(v.safe_steps[1].find("<partition>"), std::string::npos);
}

TEST(SqlTextSteps, Helpers)
{
	EXPECT_EQ(*create_index_named("CREATE INDEX ON t (a)", "t_a_idx"), "CREATE INDEX t_a_idx ON t (a)");
	EXPECT_EQ(*create_index_named("create unique index concurrently on t (a);", "Odd Name"),
			  "create unique index concurrently \"Odd Name\" on t (a)");
	EXPECT_EQ(*create_index_named("CREATE INDEX i ON t (a) -- c", "x"), "CREATE INDEX i ON t (a)");
	EXPECT_FALSE(create_index_named("CREATE TABLE t (a int)", "x"));
	EXPECT_EQ(*create_index_tail("CREATE INDEX i ON ONLY s.\"T\" USING gin (a) WHERE b -- c"), "USING gin (a) WHERE b");
	EXPECT_EQ(*create_index_tail("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t* ((a + 1)) INCLUDE (b)"),
			  "((a + 1)) INCLUDE (b)");
	EXPECT_FALSE(create_index_tail("CREATE INDEX i ON t"));
	EXPECT_EQ(add_column_name_offset("ADD COLUMN IF NOT EXISTS d int"), 25u);
	EXPECT_EQ(add_column_name_offset("add \"x\" int"), 4u);
	EXPECT_EQ(add_column_name_offset("DROP COLUMN d"), std::string_view::npos);
	EXPECT_EQ(without_ranges("ADD d int CHECK (d > 0) NOT NULL -- x", {{10, 24}}), "ADD d int NOT NULL");
	EXPECT_EQ(without_ranges("ADD d int -- note\n CHECK (d > 0)", {{19, 32}}), "ADD d int");
	EXPECT_EQ(without_ranges("abc", {{2, 9}}), "abc"); /* out of the text: left as it is */
	EXPECT_EQ(constraint_body("CONSTRAINT c CHECK (a > 0) NO INHERIT  -- x\n"), "CHECK (a > 0) NO INHERIT");
	EXPECT_EQ(constraint_body("CONSTRAINT U&\"d\\0061\" UESCAPE '\\' REFERENCES p"), "REFERENCES p");
	EXPECT_EQ(constraint_body("CONSTRAINT \"check\" UNIQUE"), "UNIQUE");
	EXPECT_EQ(constraint_body("NOT NULL"), "");
	EXPECT_EQ(constraint_body("int CHECK (a > 0)"), ""); /* not where a constraint starts */
}
