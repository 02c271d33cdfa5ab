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
	{"add-check-validating", "SM005", Category::Concurrent,
	 "ADD CONSTRAINT ... CHECK without NOT VALID scans the whole table under an AccessExclusiveLock, "
	 "blocking reads and writes.", false},
	{"add-column-rewrite", "SM011", Category::ExpandContract,
	 "ADD COLUMN of an identity, stored generated or constrained-domain column rewrites the whole "
	 "table under an AccessExclusiveLock.", false},
	{"add-column-volatile-default", "SM010", Category::ExpandContract,
	 "ADD COLUMN with a volatile default (random(), clock_timestamp(), gen_random_uuid(), nextval(), "
	 "serial types) rewrites the whole table under an AccessExclusiveLock; non-volatile defaults are "
	 "instant.", false},
	{"add-exclusion-blocking", "SM009", Category::ExpandContract,
	 "ADD CONSTRAINT ... EXCLUDE builds its index under an AccessExclusiveLock, and there is no "
	 "concurrent form.", false},
	{"add-foreign-key-validating", "SM004", Category::Concurrent,
	 "ADD FOREIGN KEY without NOT VALID scans the table under a ShareRowExclusiveLock on both tables, "
	 "blocking their writes.", false},
	{"add-primary-key-blocking", "SM008", Category::Concurrent,
	 "ADD PRIMARY KEY builds its index under an AccessExclusiveLock, blocking reads and writes.", false},
	{"add-unique-blocking", "SM007", Category::Concurrent,
	 "ADD UNIQUE builds its index under an AccessExclusiveLock, blocking reads and writes.", false},
	{"alter-column-type-rewrite", "SM012", Category::ExpandContract,
	 "ALTER COLUMN TYPE that is not binary-coercible rewrites the whole table and its indexes under an "
	 "AccessExclusiveLock.", false},
	{"alter-domain-validating", "SM031", Category::ExpandContract,
	 "ALTER DOMAIN ... ADD CONSTRAINT (without NOT VALID), VALIDATE CONSTRAINT or SET NOT NULL checks "
	 "every column of the domain under a ShareLock on each table, blocking its writes.", false},
	{"attach-partition-scan", "SM013", Category::Concurrent,
	 "ATTACH PARTITION scans the new partition under an AccessExclusiveLock unless a valid CHECK "
	 "constraint already implies the partition bound.", false},
	{"cluster-rewrite", "SM014", Category::ExpandContract,
	 "CLUSTER rewrites the whole table and its indexes under an AccessExclusiveLock.", false},
	{"create-index-blocking", "SM001", Category::Concurrent,
	 "CREATE INDEX without CONCURRENTLY on a table that holds data blocks writes for the whole "
	 "build.", false},
	{"create-partition-locks-parent", "SM015", Category::Concurrent,
	 "CREATE TABLE ... PARTITION OF takes an AccessExclusiveLock on the parent table, blocking reads "
	 "and writes of every partition.", false},
	{"declaration-required", "SM033", Category::InstantSafe,
	 "With safemigrate.require_declaration on, DDL on an existing table must declare its category in a "
	 "comment: /* safemigrate: instant-safe | concurrent | expand-contract */.", false},
	{"declared-category-mismatch", "SM032", Category::InstantSafe,
	 "The statement declares a weaker category than what it really does (e.g. instant-safe, but it "
	 "scans or rewrites the table).", false},
	{"detach-partition-blocking", "SM016", Category::Concurrent,
	 "DETACH PARTITION without CONCURRENTLY takes an AccessExclusiveLock on the parent table.", false},
	{"drop-column", "SM017", Category::ExpandContract,
	 "DROP COLUMN breaks running application code that still reads or writes the column.", true},
	{"drop-index-blocking", "SM002", Category::Concurrent,
	 "DROP INDEX without CONCURRENTLY takes an AccessExclusiveLock on the table, blocking reads and "
	 "writes.", false},
	{"drop-table", "SM018", Category::ExpandContract,
	 "DROP TABLE breaks running application code that still uses the table.", true},
	{"drop-view", "SM030", Category::ExpandContract,
	 "DROP VIEW breaks running application code that still uses the view.", true},
	{"lock-table-blocking", "SM019", Category::ExpandContract,
	 "LOCK TABLE in SHARE mode or stronger blocks writes, and ACCESS EXCLUSIVE blocks reads, until "
	 "the transaction ends.", false},
	{"refresh-matview-blocking", "SM020", Category::Concurrent,
	 "REFRESH MATERIALIZED VIEW without CONCURRENTLY takes an AccessExclusiveLock, blocking reads of "
	 "the view for the whole refresh.", false},
	{"reindex-blocking", "SM003", Category::Concurrent,
	 "REINDEX without CONCURRENTLY blocks writes, and queries that would use the index, for the whole "
	 "rebuild.", false},
	{"rename-column", "SM021", Category::ExpandContract,
	 "RENAME COLUMN breaks running application code that still uses the old name.", true},
	{"rename-enum-value", "SM022", Category::ExpandContract,
	 "ALTER TYPE ... RENAME VALUE breaks running application code that still writes the old value.", true},
	{"rename-table", "SM023", Category::ExpandContract,
	 "RENAME TO breaks running application code that still uses the old name.", true},
	{"set-access-method-rewrite", "SM025", Category::ExpandContract,
	 "SET ACCESS METHOD rewrites the whole table under an AccessExclusiveLock.", false},
	{"set-logged-rewrite", "SM024", Category::ExpandContract,
	 "SET LOGGED / SET UNLOGGED rewrites the whole table under an AccessExclusiveLock.", false},
	{"set-not-null-scan", "SM006", Category::Concurrent,
	 "SET NOT NULL scans the whole table under an AccessExclusiveLock unless a valid CHECK "
	 "constraint already proves the column is not null.", false},
	{"set-schema", "SM026", Category::ExpandContract,
	 "SET SCHEMA breaks running application code that still uses the old qualified name.", true},
	{"set-tablespace-copy", "SM027", Category::ExpandContract,
	 "SET TABLESPACE copies the whole table under an AccessExclusiveLock.", false},
	{"truncate-table", "SM028", Category::ExpandContract,
	 "TRUNCATE takes an AccessExclusiveLock and removes every row, which running application code "
	 "may still need.", false},
	{"vacuum-full-rewrite", "SM029", Category::ExpandContract,
	 "VACUUM FULL rewrites the whole table and its indexes under an AccessExclusiveLock.", false},
};

static_assert(std::size(kRules) <= kMaxRules, "raise kMaxRules");

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
