/*-------------------------------------------------------------------------
 *
 * backfill.cpp
 *	  Pure parts of safemigrate.backfill() (see backfill.hpp).
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/backfill.hpp"

#include "core/sql_text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace safemigrate::core {

namespace {

/* "(k1, k2)" or "k1" */
std::string
key_list(const std::vector<BackfillKey> &keys, std::string_view prefix = "")
{
	std::string s;
	for (std::size_t i = 0; i < keys.size(); ++i)
		s += (i ? ", " : "") + std::string(prefix) + keys[i].name;
	return keys.size() == 1 ? s : "(" + s + ")";
}

/* "($1::integer, $2::text)" with parameters numbered from first */
std::string
param_list(const std::vector<BackfillKey> &keys, int first)
{
	std::string s;
	for (std::size_t i = 0; i < keys.size(); ++i)
		s += (i ? ", " : "") + ("$" + std::to_string(first + static_cast<int>(i))) + "::" + keys[i].type;
	return keys.size() == 1 ? s : "(" + s + ")";
}

/*
 * The key queries read the table as "r" and name the key columns r.k: an
 * unqualified name in ORDER BY would mean the output column of the same name,
 * which is the key cast to text (and text order is not key order).
 */
std::string
text_columns(const std::vector<BackfillKey> &keys)
{
	std::string s;
	for (std::size_t i = 0; i < keys.size(); ++i)
		s += (i ? ", r." : "r.") + keys[i].name + "::text";
	return s;
}

std::string
order_by(const std::vector<BackfillKey> &keys, bool desc)
{
	std::string s;
	for (std::size_t i = 0; i < keys.size(); ++i)
		s += (i ? ", r." : "r.") + keys[i].name + (desc ? " DESC" : "");
	return s;
}

/*
 * The caller's texts are put on lines of their own: a "--" comment at the end
 * of the SET list then cannot swallow the key bounds that follow it.
 */
std::string
condition(std::string_view where_clause)
{
	return where_clause.empty() ? std::string() : "\n  AND (\n" + std::string(where_clause) + "\n)";
}

std::string
update_head(std::string_view table, std::string_view set_clause, bool only = false)
{
	return (only ? "UPDATE ONLY " : "UPDATE ") + std::string(table) + " SET\n" + std::string(set_clause) + "\nWHERE ";
}

/* Shared checks of both texts; "" if fine. */
std::string
common_problem(std::string_view text, std::string_view what, bool is_set)
{
	int depth = 0;
	auto toks = tokenize(text);
	if (toks.empty())
		return std::string(what) + " is empty";
	/* Not closed in its own text, it would run on into the statement's next part (the other text, the key bounds). */
	if (std::string_view part = unterminated_part(text); !part.empty())
		return std::string(what) + " has an unterminated " + std::string(part);
	for (std::size_t i = 0; i < toks.size(); ++i)
	{
		const Token &t = toks[i];
		std::string_view s = t.text(text);
		if (t.kind == Token::Kind::Punct)
		{
			if (s == "(")
				++depth;
			else if (s == ")" && --depth < 0)
				return std::string(what) + " has an unbalanced \")\"";
			else if (s == ";")
				return std::string(what) + " must not contain \";\": it is one part of the batch statement";
			else if (s == "$" && i + 1 < toks.size() && toks[i + 1].kind == Token::Kind::Number &&
					 toks[i + 1].begin == t.end)
				return std::string(what) + " must not use parameter references such as $1";
		}
		else if (is_set && depth == 0 && t.kind == Token::Kind::Word)
		{
			for (std::string_view kw : {"WHERE", "FROM", "RETURNING"})
				if (is_keyword(text, t, kw))
					return std::string(what) + " must be only the list of assignments, without " + std::string(kw) +
						   (kw == "WHERE" ? ": pass the condition as where_clause" : "");
		}
	}
	/* "$1" may also be scanned as one token by the tokenizer. */
	for (std::size_t p = text.find('$'); p != std::string_view::npos; p = text.find('$', p + 1))
	{
		bool inside = false;
		for (const Token &t : toks)
			if ((t.kind == Token::Kind::String || t.kind == Token::Kind::QuotedIdent) && p >= t.begin && p < t.end)
				inside = true; /* '$1' and a column named "$1" are not parameters */
		if (!inside && p + 1 < text.size() && text[p + 1] >= '0' && text[p + 1] <= '9' &&
			(p == 0 || !(std::isalnum(static_cast<unsigned char>(text[p - 1])) || text[p - 1] == '_')))
			return std::string(what) + " must not use parameter references such as $1";
	}
	if (depth != 0)
		return std::string(what) + " has an unbalanced \"(\"";
	return std::string();
}

} // namespace

namespace {

/* Do all key columns have the same operators? */
bool
uniform_operators(const std::vector<BackfillKey> &keys)
{
	for (const BackfillKey &k : keys)
		if (k.lt != keys[0].lt || k.le != keys[0].le || k.eq != keys[0].eq || k.gt != keys[0].gt)
			return false;
	return true;
}

/*
 * (k1, ..., kn) > (p1, ..., pn) or <= spelled out column by column, each
 * with its own operators: k1 > p1 OR (k1 = p1 AND (...)), the last column
 * with the comparison itself; the lexicographic order of a row comparison.
 */
std::string
spelled_out(const std::vector<BackfillKey> &keys, std::string_view prefix, int first, bool greater, std::size_t i = 0)
{
	const BackfillKey &k = keys[i];
	std::string col = std::string(prefix) + k.name;
	std::string param = "$" + std::to_string(first + static_cast<int>(i)) + "::" + k.type;
	if (i + 1 == keys.size())
		return col + " " + (greater ? k.gt : k.le) + " " + param;
	return "(" + col + " " + (greater ? k.gt : k.lt) + " " + param + " OR (" + col + " " + k.eq + " " + param +
		   " AND " + spelled_out(keys, prefix, first, greater, i + 1) + "))";
}

} // namespace

KeysetSql
keyset_sql(std::string_view table, const std::vector<BackfillKey> &keys, std::string_view set_clause,
		   std::string_view where_clause)
{
	const int n = static_cast<int>(keys.size());
	const bool row = keys.empty() || keys[0].le.empty() || uniform_operators(keys);
	const std::string le_op = keys.empty() || keys[0].le.empty() ? "<=" : keys[0].le;
	const std::string gt_op = keys.empty() || keys[0].gt.empty() ? ">" : keys[0].gt;
	const std::string k = key_list(keys);
	const std::string rk = key_list(keys, "r.");
	/* key (with prefix) > or <= the parameters from first */
	auto cmp = [&](std::string_view prefix, const std::string &list, int first, bool greater) {
		if (row)
			return list + " " + (greater ? gt_op : le_op) + " " + param_list(keys, first);
		return spelled_out(keys, prefix, first, greater);
	};
	/*
	 * Spelled out, the conditions give the key's index no range: the first
	 * column's bounds, which they imply, do (an index scan of the batch, not
	 * of the whole table).  "" for a row comparison, which has its range.
	 */
	auto first_bound = [&](std::string_view prefix, int first, bool greater) {
		if (row || keys[0].ge.empty())
			return std::string();
		return std::string(prefix) + keys[0].name + " " + (greater ? keys[0].ge : keys[0].le) + " $" +
			   std::to_string(first) + "::" + keys[0].type + " AND ";
	};
	const std::string t = std::string(table) + " AS r";
	KeysetSql sql;
	sql.upper = "SELECT " + text_columns(keys) + " FROM " + t + " ORDER BY " + order_by(keys, true) + " LIMIT 1";
	sql.next_first = "SELECT " + text_columns(keys) + " FROM " + t + " WHERE " + first_bound("r.", 1, false) +
					 cmp("r.", rk, 1, false) +
					 " ORDER BY " + order_by(keys, false) + " OFFSET $" + std::to_string(n + 1) + " LIMIT 1";
	sql.next_after = "SELECT " + text_columns(keys) + " FROM " + t + " WHERE " + first_bound("r.", 1, true) +
					 first_bound("r.", n + 1, false) + cmp("r.", rk, 1, true) + " AND " + cmp("r.", rk, n + 1, false) + " ORDER BY " + order_by(keys, false) + " OFFSET $" +
					 std::to_string(2 * n + 1) + " LIMIT 1";
	sql.update_first = update_head(table, set_clause) + first_bound("", 1, false) + cmp("", k, 1, false) +
					   condition(where_clause);
	sql.update_after = update_head(table, set_clause) + first_bound("", 1, true) + first_bound("", n + 1, false) +
					   cmp("", k, 1, true) + " AND " + cmp("", k, n + 1, false) + condition(where_clause);
	/* Counted in the statement: a batch's rows are never all held in memory. */
	/*
	 * Moved past the batch (hi) but not past the job's last key (upper, the
	 * parameters after the UPDATE's): a later batch would update it again.  A
	 * key moved beyond the job's range, or back into the done part, is not
	 * visited again.
	 */
	auto checked = [&](const std::string &update, int hi) {
		return "WITH u AS (\n" + update + "\nRETURNING " + cmp("", k, hi, true) + " AND " + cmp("", k, hi + n, false) +
			   " AS moved)\nSELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE moved) FROM u";
	};
	sql.update_first_checked = checked(sql.update_first, 1);
	sql.update_after_checked = checked(sql.update_after, n + 1);
	return sql;
}

std::string
tid_update_sql(std::string_view table, std::string_view set_clause, std::string_view where_clause)
{
	/* ONLY: the block ranges are the table's own; an inheritance child's rows have other ctids. */
	/*
	 * RETURNING the where_clause for the new row versions: when it still
	 * holds for a row just updated, it does not mark rows done, and the job
	 * must not pass over the table again (backfill.cpp run_loop).
	 */
	std::string update = update_head(table, set_clause, true) +
						 "ctid >= $1::pg_catalog.tid AND ctid < $2::pg_catalog.tid" + condition(where_clause);
	if (where_clause.empty())
		return update;
	/* Counted in the statement: a batch's rows are never all held in memory. */
	return "WITH u AS (\n" + update + "\nRETURNING (\n" + std::string(where_clause) +
		   "\n) AS still)\nSELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE still) FROM u";
}

std::string
set_clause_problem(std::string_view set_clause)
{
	return common_problem(set_clause, "set_clause", true);
}

std::string
where_clause_problem(std::string_view where_clause)
{
	return common_problem(where_clause, "where_clause", false);
}

bool
set_clause_has_time_literal(std::string_view set_clause)
{
	for (const Token &t : tokenize(set_clause))
	{
		if (t.kind != Token::Kind::String)
			continue;
		std::string_view s = t.text(set_clause);
		/* The string's content: after E'/U&' or $tag$, before the closing quote or tag. */
		std::size_t open = s.find_first_of("'$");
		if (open == std::string_view::npos)
			continue;
		std::size_t begin = open + 1;
		std::size_t end = s.size() > begin ? s.size() - 1 : begin;
		if (s[open] == '$')
		{
			std::size_t tag_end = s.find('$', open + 1);
			if (tag_end == std::string_view::npos)
				continue;
			begin = tag_end + 1;
			std::size_t tag_len = tag_end - open + 1;
			end = s.size() >= begin + tag_len ? s.size() - tag_len : begin;
		}
		/* Its first word, after white space. */
		std::size_t i = begin;
		while (i < end && std::isspace(static_cast<unsigned char>(s[i])))
			++i;
		std::string word;
		while (i < end && std::isalpha(static_cast<unsigned char>(s[i])))
			word += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i++])));
		if (i < end && !std::isspace(static_cast<unsigned char>(s[i])))
			continue; /* "nowhere", "today's": not the word alone */
		for (std::string_view w : {"now", "today", "tomorrow", "yesterday"})
			if (word == w)
				return true;
	}
	return false;
}

int
adapt_batch_size(int current, double elapsed_ms, const BatchSizing &sizing)
{
	double factor = elapsed_ms > 0 ? sizing.target_ms / elapsed_ms : 2.0;
	factor = std::clamp(factor, 0.5, 2.0);
	double next = std::round(static_cast<double>(current) * factor);
	next = std::clamp(next, static_cast<double>(sizing.min_rows), static_cast<double>(sizing.max_rows));
	return static_cast<int>(next);
}

long
pages_for_rows(long rows, double rows_per_page)
{
	if (!(rows_per_page > 0))
		rows_per_page = 1;
	double pages = std::ceil(static_cast<double>(rows) / rows_per_page);
	return pages < 1 ? 1 : static_cast<long>(std::min(pages, 1e9));
}

std::string
format_ms(double ms)
{
	char buf[64];
	if (ms < 1000)
		std::snprintf(buf, sizeof buf, "%.0f ms", ms);
	else if (ms < 60000)
		std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
	else
		std::snprintf(buf, sizeof buf, "%.0f min %.0f s", std::floor(ms / 60000), std::fmod(ms, 60000) / 1000);
	return buf;
}

} // namespace safemigrate::core
