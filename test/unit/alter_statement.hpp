// An ALTER TABLE statement on a big table public.t (64 MB, a million rows),
// top level, for the rewrite-planning tests.
#pragma once

#include "core/statement.hpp"

#include <string_view>

namespace safemigrate::core::test {

inline Statement
alter(const Subcommand *subs, int n, std::string_view text)
{
	Statement s;
	s.kind = StatementKind::AlterTable;
	s.command = "ALTER TABLE";
	s.text = text;
	s.relation.qualified_name = "public.t";
	s.relation.name = "t";
	s.relation.size_known = true;
	s.relation.bytes = 64LL * 1024 * 1024;
	s.relation.estimated_rows = 1e6;
	s.subcommands = subs;
	s.nsubcommands = n;
	s.top_level = true;
	return s;
}

} // namespace safemigrate::core::test
