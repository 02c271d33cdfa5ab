// test/fuzz/core_fuzz.cpp: libFuzzer target for the pure core.
//
// The fuzzer's bytes become structured facts (a Statement with relations,
// children, partners, subcommands, texts, and Settings) and raw SQL texts;
// every entry point the boundary calls runs on them: classify, the policy
// (assess, decide, evaluate, split_plan), the audit summary and log line, and
// the SQL text edits.  Built with -fsanitize=fuzzer,address,undefined by
// test/fuzz/run.sh; any crash, leak, sanitizer report or exception other than
// std::bad_alloc is a finding.
#include "core/audit.hpp"
#include "core/classify.hpp"
#include "core/policy.hpp"
#include "core/sql_text.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <new>
#include <string>
#include <vector>

using namespace safemigrate::core;

namespace {

template <typename E>
E
pick(FuzzedDataProvider &p, E last)
{
	return static_cast<E>(p.ConsumeIntegralInRange<int>(0, static_cast<int>(last)));
}

struct Arena
{
	std::deque<std::string> strings;
	std::deque<std::vector<RelationFacts>> relations;
	std::deque<std::vector<InlineConstraint>> inline_constraints;
	std::deque<std::vector<std::string_view>> views;
	std::deque<std::vector<IndexPartition>> plans;

	std::string_view str(FuzzedDataProvider &p, std::size_t max = 48)
	{
		strings.push_back(p.ConsumeRandomLengthString(max));
		return strings.back();
	}
};

LockMode
lock(FuzzedDataProvider &p)
{
	return pick(p, LockMode::AccessExclusive);
}

RelationFacts
relation(FuzzedDataProvider &p, Arena &a, int depth)
{
	RelationFacts r;
	r.qualified_name = a.str(p);
	r.name = a.str(p, 16);
	r.kind = pick(p, RelationKind::Other);
	r.exists = p.ConsumeBool();
	r.temporary = p.ConsumeBool();
	r.created_in_transaction = p.ConsumeBool();
	r.created_in_script = p.ConsumeBool();
	r.size_known = p.ConsumeBool();
	r.bytes = p.ConsumeIntegral<std::int64_t>();
	r.estimated_rows = p.ConsumeFloatingPoint<double>();
	r.partitions = p.ConsumeIntegralInRange<int>(-1, 1000);
	r.has_storage = p.ConsumeBool();
	r.lock = lock(p);
	if (depth < 2 && p.ConsumeBool())
	{
		int n = p.ConsumeIntegralInRange<int>(0, 3);
		std::vector<RelationFacts> &kids = a.relations.emplace_back(); /* deque: stays where it is */
		for (int i = 0; i < n; ++i)
			kids.push_back(relation(p, a, depth + 1));
		r.children = kids.data();
		r.nchildren = n;
	}
	return r;
}

Subcommand
subcommand(FuzzedDataProvider &p, Arena &a)
{
	Subcommand c;
	c.kind = pick(p, AlterKind::Other);
	c.text = a.str(p, 96);
	c.column = a.str(p, 16);
	c.name = a.str(p, 16);
	c.has_default = p.ConsumeBool();
	c.default_volatile = p.ConsumeBool();
	c.identity = p.ConsumeBool();
	c.serial = p.ConsumeBool();
	c.generated_stored = p.ConsumeBool();
	c.domain_constraints = p.ConsumeBool();
	c.not_null = p.ConsumeBool();
	c.default_text = a.str(p, 24);
	c.inline_constraint = pick(p, ConstraintKind::Exclusion);
	c.constraint = pick(p, ConstraintKind::Exclusion);
	c.not_valid = p.ConsumeBool();
	c.using_index = p.ConsumeBool();
	c.columns = a.str(p, 24);
	c.first_column = a.str(p, 16);
	c.pk_columns_nullable = p.ConsumeBool();
	c.fk_columns_indexed = p.ConsumeBool();
	c.existing_unique_index = a.str(p, 16);
	c.type_rewrites = p.ConsumeBool();
	c.indexes_rebuilt = p.ConsumeIntegralInRange<int>(0, 5);
	c.type_text = a.str(p, 16);
	c.already_not_null = p.ConsumeBool();
	c.not_null_implied = p.ConsumeBool();
	c.concurrent = p.ConsumeBool();
	c.partition_constraint_implied = p.ConsumeBool();
	c.other = relation(p, a, 1);
	c.has_default_partition = p.ConsumeBool();
	c.default_partition = relation(p, a, 2);
	c.changes_storage = p.ConsumeBool();
	c.reloptions_lock = lock(p);
	c.no_inherit = p.ConsumeBool();
	c.written_not_null = p.ConsumeBool();
	// Inline constraints with offsets that may not fit the text (the core checks them).
	std::vector<InlineConstraint> &inl = a.inline_constraints.emplace_back();
	for (int i = p.ConsumeIntegralInRange<int>(0, 3); i > 0; --i)
	{
		InlineConstraint ic;
		ic.kind = pick(p, ConstraintKind::Exclusion);
		ic.name = a.str(p, 8);
		ic.middle = a.str(p, 8);
		ic.begin = p.ConsumeIntegralInRange<int>(-2, 120);
		ic.end = p.ConsumeIntegralInRange<int>(-2, 120);
		ic.free_index_name = a.str(p, 8);
		ic.index_clauses = a.str(p, 16);
		ic.constraint_clauses = a.str(p, 16);
		inl.push_back(ic);
	}
	c.inline_constraints = inl.data();
	c.ninline_constraints = static_cast<int>(inl.size());
	std::vector<std::string_view> &keys = a.views.emplace_back();
	for (int i = p.ConsumeIntegralInRange<int>(0, 2); i > 0; --i)
		keys.push_back(a.str(p, 8));
	c.nullable_keys = keys.data();
	c.nnullable_keys = static_cast<int>(keys.size());
	int n = p.ConsumeIntegralInRange<int>(0, 2);
	std::vector<RelationFacts> &partners = a.relations.emplace_back();
	for (int i = 0; i < n; ++i)
		partners.push_back(relation(p, a, 2));
	c.partners = partners.data();
	c.npartners = n;
	return c;
}

void
run(const uint8_t *data, std::size_t size)
{
	FuzzedDataProvider p(data, size);
	Arena a;

	// Raw SQL text through every text edit.
	std::string sql = p.ConsumeRandomLengthString(512);
	(void) tokenize(sql, p.ConsumeIntegralInRange<std::size_t>(0, 64));
	(void) trim_statement(sql);
	(void) create_index_concurrently(sql);
	(void) create_index_on_only(sql);
	bool cascade = false;
	(void) drop_index_names(sql, &cascade);
	(void) reindex_concurrently(sql);
	(void) refresh_concurrently(sql);
	(void) split_alter_table(sql);
	(void) with_not_valid(sql);
	(void) constraint_name_of(sql);
	(void) with_constraint_name(sql, a.str(p, 16));
	(void) create_index_named(sql, a.str(p, 16));
	(void) create_index_tail(sql);
	(void) add_column_name_offset(sql);
	(void) constraint_body(sql);
	std::size_t cut_b = p.ConsumeIntegralInRange<std::size_t>(0, 600);
	std::size_t cut_e = p.ConsumeIntegralInRange<std::size_t>(0, 600);
	(void) without_ranges(sql, {{cut_b, cut_e}, {cut_e, cut_b}});
	(void) declared_category(sql);
	(void) override_rules(sql);
	(void) declared_header_category(sql);
	(void) quote_ident(sql);
	(void) truncate_utf8(sql, p.ConsumeIntegralInRange<std::size_t>(0, 600));

	// Structured facts through the classifier and the policy.
	Statement s;
	s.kind = pick(p, StatementKind::MoveAllTablespace);
	s.command = a.str(p, 24);
	s.text = p.ConsumeBool() ? std::string_view(sql) : a.str(p, 128);
	s.query_text = a.str(p, 64);
	s.top_level = p.ConsumeBool();
	s.in_transaction_block = p.ConsumeBool();
	s.server_version_num = p.ConsumeIntegralInRange<int>(130000, 179999);
	s.relation = relation(p, a, 0);
	s.other = relation(p, a, 1);
	s.create_index.concurrent = p.ConsumeBool();
	s.create_index.unique = p.ConsumeBool();
	s.create_index.if_not_exists = p.ConsumeBool();
	s.create_index.already_exists = p.ConsumeBool();
	s.create_index.index_name = a.str(p, 16);
	s.create_index.chosen_name = a.str(p, 16);
	s.create_index.qualified_index_name = a.str(p, 16);
	s.create_index.plan_unmatched = p.ConsumeBool();
	s.create_index.partition_builds = p.ConsumeIntegralInRange<int>(-1, 3);
	// A partitioned CREATE INDEX's plan, parents possibly out of order (the core checks them).
	std::vector<IndexPartition> &plan = a.plans.emplace_back();
	for (int i = p.ConsumeIntegralInRange<int>(0, 24); i > 0; --i)
	{
		IndexPartition e;
		e.table = a.str(p, 8);
		e.parent = p.ConsumeIntegralInRange<int>(-2, 24);
		e.partitioned = p.ConsumeBool();
		e.foreign = p.ConsumeBool();
		e.existing = p.ConsumeBool() ? a.str(p, 8) : std::string_view();
		e.index_name = a.str(p, 8);
		e.qualified_index = a.str(p, 8);
		plan.push_back(e);
	}
	s.create_index.plan = plan.data();
	s.create_index.nplan = p.ConsumeBool() ? static_cast<int>(plan.size()) : -1;
	std::vector<Subcommand> subs;
	int nsubs = p.ConsumeIntegralInRange<int>(0, 4);
	for (int i = 0; i < nsubs; ++i)
		subs.push_back(subcommand(p, a));
	s.subcommands = subs.data();
	s.nsubcommands = nsubs;
	s.concurrent = p.ConsumeBool();
	s.has_unique_index = p.ConsumeBool();
	s.lock_mode = lock(p);
	s.new_name = a.str(p, 16);
	s.old_name = a.str(p, 16);
	std::vector<RelationFacts> &targets = a.relations.emplace_back();
	int nrel = p.ConsumeIntegralInRange<int>(0, 3);
	for (int i = 0; i < nrel; ++i)
		targets.push_back(relation(p, a, 1));
	s.relations = targets.data();
	s.nrelations = nrel;
	s.only = p.ConsumeBool();
	std::vector<std::string_view> not_valid;
	for (int i = p.ConsumeIntegralInRange<int>(0, 2); i > 0; --i)
		not_valid.push_back(a.str(p, 16));
	s.constraint_names = not_valid.data();
	s.nconstraint_names = static_cast<int>(not_valid.size());
	s.row_trigger = p.ConsumeBool();
	s.cascade = p.ConsumeBool();
	std::vector<RelationFacts> &stmt_partners = a.relations.emplace_back();
	int npart = p.ConsumeIntegralInRange<int>(0, 2);
	for (int i = 0; i < npart; ++i)
		stmt_partners.push_back(relation(p, a, 1));
	s.partners = stmt_partners.data();
	s.npartners = npart;
	s.partner_lock = lock(p);
	s.partners_scanned = p.ConsumeBool();

	Settings st;
	st.mode = pick(p, Mode::Enforce);
	st.rewrite = p.ConsumeBool();
	st.small_table_rows = p.ConsumeFloatingPoint<double>();
	st.small_table_bytes = p.ConsumeIntegral<std::int64_t>();
	std::vector<std::string_view> allow;
	for (int i = p.ConsumeIntegralInRange<int>(0, 2); i > 0; --i)
		allow.push_back(a.str(p, 32));
	st.allow = allow.data();
	st.nallow = static_cast<int>(allow.size());
	st.may_override = p.ConsumeBool();
	st.require_declaration = p.ConsumeBool();

	Assessments rows = classify(s);
	(void) strongest_category(rows);
	Assessments assessed = assess(s, st);
	for (const Assessment &r : assessed)
		(void) row_action(s, r, st);
	Verdict v = decide(s, assessed, st);
	(void) evaluate(s, st);
	(void) split_plan(assessed);
	AuditSummary sum = summarize(assessed);
	AuditLogFields lf;
	lf.id = p.ConsumeIntegral<long long>();
	lf.action = audit_action_name(static_cast<AuditAction>(p.ConsumeIntegral<char>()));
	lf.outcome = audit_outcome_name(static_cast<AuditOutcome>(p.ConsumeIntegral<char>()));
	lf.duration_ms = p.ConsumeFloatingPoint<double>();
	lf.objects = sum.objects;
	lf.rules = sum.rules;
	lf.statement = v.message;
	(void) format_audit_log_line(lf);
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size)
{
	try
	{
		run(data, size);
	}
	catch (const std::bad_alloc &)
	{
		// Out of memory is the one exception the boundary expects from the core.
	}
	return 0;
}
