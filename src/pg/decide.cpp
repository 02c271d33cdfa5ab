/*-------------------------------------------------------------------------
 *
 * decide.cpp
 *	  Run the core's decision inside a fence and copy it out as plain data.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "core/audit.hpp"
#include "core/policy.hpp"
#include "core/sql_text.hpp"
#include "pg/decide.hpp"

#include "pg/postgres.hpp"

namespace safemigrate::pg {

/* Declared in fence.hpp: allocation failure becomes std::bad_alloc, which the surrounding fence catches. */
char *
sm_copy_out(MemoryContextData *cxt, const std::string &s)
{
	if (s.size() + 1 > MaxAllocSize)
		throw std::bad_array_new_length();
	char *p = static_cast<char *>(MemoryContextAllocExtended(cxt, s.size() + 1, MCXT_ALLOC_NO_OOM));
	if (p == nullptr)
		throw std::bad_alloc();
	std::memcpy(p, s.data(), s.size() + 1);
	return p;
}

bool
sm_declares_expand_contract(const char *statement, const char *query_string) noexcept
{
	try
	{
		const int ec = static_cast<int>(core::Category::ExpandContract);
		std::optional<int> d = statement != nullptr ? core::declared_category(statement) : std::nullopt;
		if (!d && query_string != nullptr)
			d = core::declared_header_category(std::string_view(query_string, strnlen(query_string, 8192)));
		return d && *d == ec;
	}
	catch (...)
	{
		return false;
	}
}

bool
sm_override_names(const char *statement, const char *rule_id) noexcept
{
	try
	{
		if (statement == nullptr)
			return false;
		std::vector<std::string> ids = core::override_rules(statement);
		return std::find(ids.begin(), ids.end(), rule_id) != ids.end();
	}
	catch (...)
	{
		return false;
	}
}

char *
sm_masked_query(const char *query) noexcept
{
	try
	{
		return sm_copy_out(CurrentMemoryContext, core::mask_literals(query != nullptr ? query : ""));
	}
	catch (...)
	{
		return nullptr;
	}
}

const char *
sm_directive_comments(const char *statement, const char *header) noexcept
{
	try
	{
		return sm_copy_out(CurrentMemoryContext, core::directive_comments(statement != nullptr ? statement : "",
																		   header != nullptr ? header : ""));
	}
	catch (...)
	{
		return "";
	}
}

/* noexcept fence; must not call PostgreSQL except the no-OOM allocator. */
bool
sm_decide(const core::Statement &stmt, const core::Settings &settings, MemoryContextData *cxt,
		  SmVerdict *out, FenceError *err) noexcept
{
	return fence(
		[&] {
			core::Assessments rows = core::assess(stmt, settings);
			core::Verdict v = core::decide(stmt, rows, settings);
			/* What the lock protocol pre-locks: each relation once, its strongest lock, in row order. */
			out->nlocks = 0;
			out->lock_relations = static_cast<char **>(
				MemoryContextAllocExtended(cxt, sizeof(char *) * (rows.size() + 1), MCXT_ALLOC_NO_OOM));
			out->lock_modes = static_cast<core::LockMode *>(
				MemoryContextAllocExtended(cxt, sizeof(core::LockMode) * (rows.size() + 1), MCXT_ALLOC_NO_OOM));
			if (out->lock_relations == nullptr || out->lock_modes == nullptr)
				throw std::bad_alloc();
			for (const core::Assessment &a : rows)
			{
				if (a.relation.empty() || a.lock <= core::LockMode::ShareUpdateExclusive)
					continue;
				int k = 0;
				while (k < out->nlocks && a.relation != out->lock_relations[k])
					++k;
				if (k == out->nlocks)
				{
					out->lock_relations[k] = sm_copy_out(cxt, a.relation);
					out->lock_modes[k] = a.lock;
					out->nlocks++;
				}
				else if (a.lock > out->lock_modes[k])
					out->lock_modes[k] = a.lock;
			}
			out->action = v.action;
			out->rule_id = v.rule_id;
			out->sqlstate = v.sqlstate;
			out->lock = v.lock;
			out->main_lock = v.main_lock;
			out->reason = sm_copy_out(cxt, v.reason);
			out->message = sm_copy_out(cxt, v.message);
			out->detail = sm_copy_out(cxt, v.detail);
			out->hint = sm_copy_out(cxt, v.hint);
			out->nsteps = static_cast<int>(v.safe_steps.size());
			out->steps = static_cast<char **>(MemoryContextAllocExtended(
				cxt, sizeof(char *) * (v.safe_steps.size() + 1), MCXT_ALLOC_NO_OOM));
			if (out->steps == nullptr)
				throw std::bad_alloc();
			for (std::size_t i = 0; i < v.safe_steps.size(); ++i)
				out->steps[i] = sm_copy_out(cxt, v.safe_steps[i]);
			core::AuditSummary sum = core::summarize(rows);
			out->category = rows.empty() ? nullptr : core::category_name(sum.category);
			out->rewrites = sum.rewrites;
			out->overridden = sum.overridden;
			out->estimated_rows = sum.estimated_rows;
			out->rules = sm_copy_out(cxt, sum.rules);
			out->objects = sm_copy_out(cxt, sum.objects);
			out->lock_summary = sm_copy_out(cxt, sum.lock_modes);
		},
		err);
}

/* noexcept fence; must not call PostgreSQL except the no-OOM allocator. */
bool
sm_classify(const core::Statement &stmt, const core::Settings &settings, MemoryContextData *cxt,
			SmRow **rows, int *nrows, FenceError *err) noexcept
{
	return fence(
		[&] {
			core::Assessments as = core::assess(stmt, settings);
			SmRow *out = static_cast<SmRow *>(
				MemoryContextAllocExtended(cxt, sizeof(SmRow) * (as.size() + 1), MCXT_ALLOC_NO_OOM));
			if (out == nullptr)
				throw std::bad_alloc();
			for (std::size_t i = 0; i < as.size(); ++i)
			{
				const core::Assessment &a = as[i];
				SmRow &r = out[i];
				r.command = sm_copy_out(cxt, a.command);
				r.relation = a.relation.empty() ? nullptr : sm_copy_out(cxt, a.relation);
				r.lock = a.lock;
				r.rewrites = a.rewrites;
				r.scans = a.scans;
				r.breaks_clients = a.breaks_clients;
				r.category = core::category_name(a.category);
				r.rule_id = a.rule ? a.rule->id : nullptr;
				r.action = core::action_name(core::row_action(stmt, a, settings));
				r.reason = sm_copy_out(cxt, a.reason);
				std::string steps;
				for (const std::string &step : a.safe_sql)
					steps += (steps.empty() ? "" : "\n") + step;
				r.safe_sql = steps.empty() ? nullptr : sm_copy_out(cxt, steps);
			}
			*rows = out;
			*nrows = static_cast<int>(as.size());
		},
		err);
}

const SmRule *
sm_rule_catalogue(int *count) noexcept
{
	/* Built once from the core's constexpr table; a static array of PODs, no allocation. */
	static SmRule rules[core::kMaxRules];
	static int n = -1;
	if (n < 0)
	{
		std::size_t total = 0;
		const core::RuleInfo *info = core::rule_catalogue(&total);
		n = 0;
		for (std::size_t i = 0; i < total && i < std::size(rules); ++i, ++n)
			rules[n] = SmRule{info[i].id, info[i].sqlstate, core::category_name(info[i].category),
							  info[i].description};
	}
	*count = n;
	return rules;
}

} // namespace safemigrate::pg
