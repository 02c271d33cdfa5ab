/*-------------------------------------------------------------------------
 *
 * rules.cpp
 *	  The rule catalogue.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/rules.hpp"

#include <boost/container/flat_map.hpp>
#include <iterator>

namespace safemigrate::core {

namespace {

/* Keep sorted by id; SQLSTATEs are never reused once published. */
constexpr RuleInfo kRules[] = {
	{"create-index-blocking", "SM001", Category::Concurrent,
	 "CREATE INDEX without CONCURRENTLY on a table that holds data blocks writes for the whole "
	 "build."},
};

} // namespace

const char *
category_name(Category category) noexcept
{
	switch (category)
	{
		case Category::InstantSafe:
			return "instant-safe";
		case Category::Concurrent:
			return "concurrent";
		case Category::ExpandContract:
			return "expand-contract";
	}
	return "";
}

const RuleInfo *
rule_catalogue(std::size_t *count) noexcept
{
	*count = std::size(kRules);
	return kRules;
}

const RuleInfo *
find_rule(std::string_view id)
{
	/*
	 * A flat_map gives sorted, contiguous storage: look-ups are a binary
	 * search and iteration order is deterministic.  Built once, on first use
	 * (inside a fence, where a bad_alloc is caught).
	 */
	static const boost::container::flat_map<std::string_view, const RuleInfo *> index = [] {
		boost::container::flat_map<std::string_view, const RuleInfo *> m;
		m.reserve(std::size(kRules));
		for (const RuleInfo &r : kRules)
			m.emplace(r.id, &r);
		return m;
	}();
	auto it = index.find(id);
	return it == index.end() ? nullptr : it->second;
}

} // namespace safemigrate::core
