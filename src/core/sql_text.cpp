/*-------------------------------------------------------------------------
 *
 * sql_text.cpp
 *	  Tokenizer and text edits for safe alternatives.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/sql_text.hpp"

#include <algorithm>
#include <cctype>

namespace safemigrate::core {

namespace {

bool
is_ident_start(char c) noexcept
{
	return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
		   static_cast<unsigned char>(c) >= 0x80;
}

bool
is_ident_char(char c) noexcept
{
	return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

/*
 * End of the block comment that starts at i; block comments
 * nest in PostgreSQL.  *closed (if given) tells whether it was closed.
 */
std::size_t
skip_block_comment(std::string_view s, std::size_t i, bool *closed) noexcept
{
	int depth = 0;
	while (i < s.size())
	{
		if (s.compare(i, 2, "/*") == 0)
		{
			++depth;
			i += 2;
		}
		else if (s.compare(i, 2, "*/") == 0)
		{
			i += 2;
			if (--depth == 0)
			{
				if (closed != nullptr)
					*closed = true;
				return i;
			}
		}
		else
			++i;
	}
	if (closed != nullptr)
		*closed = false;
	return i;
}

/* Position after the comment or white space run at i, or i if there is none. */
std::size_t
skip_space_and_comments(std::string_view s, std::size_t i) noexcept
{
	for (;;)
	{
		if (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
			++i;
		else if (s.compare(i, 2, "--") == 0)
		{
			while (i < s.size() && s[i] != '\n' && s[i] != '\r') /* (PostgreSQL's lexer ends it at either) */
				++i;
		}
		else if (s.compare(i, 2, "/*") == 0)
			i = skip_block_comment(s, i, nullptr);
		else
			return i;
	}
}

/*
 * End of the quoted run starting at i (s[i] == quote); doubled quotes escape.
 * *closed (if given) tells whether the closing quote was found.
 */
std::size_t
skip_quoted(std::string_view s, std::size_t i, char quote, bool backslash_escapes, bool *closed = nullptr) noexcept
{
	++i;
	while (i < s.size())
	{
		if (backslash_escapes && s[i] == '\\' && i + 1 < s.size())
			i += 2;
		else if (s[i] == quote)
		{
			if (i + 1 < s.size() && s[i + 1] == quote)
				i += 2;
			else
			{
				if (closed != nullptr)
					*closed = true;
				return i + 1;
			}
		}
		else
			++i;
	}
	if (closed != nullptr)
		*closed = false;
	return i;
}

/* If a dollar-quote tag ($$ or $tag$) starts at i, its length; else 0. */
std::size_t
dollar_tag_length(std::string_view s, std::size_t i) noexcept
{
	if (s[i] != '$')
		return 0;
	std::size_t j = i + 1;
	if (j < s.size() && is_ident_start(s[j]))
	{
		while (j < s.size() && is_ident_char(s[j]) && s[j] != '$')
			++j;
	}
	return (j < s.size() && s[j] == '$') ? j + 1 - i : 0;
}

} // namespace

std::vector<Token>
tokenize(std::string_view s, std::size_t max_tokens)
{
	std::vector<Token> out;
	std::size_t i = 0;
	while (out.size() < max_tokens)
	{
		i = skip_space_and_comments(s, i);
		if (i >= s.size())
			break;
		std::size_t start = i;
		char c = s[i];
		Token::Kind kind;
		if ((c == 'E' || c == 'e') && i + 1 < s.size() && s[i + 1] == '\'')
		{
			i = skip_quoted(s, i + 1, '\'', true);
			kind = Token::Kind::String;
		}
		else if (is_ident_start(c))
		{
			while (i < s.size() && is_ident_char(s[i]))
				++i;
			kind = Token::Kind::Word;
		}
		else if (c == '"')
		{
			i = skip_quoted(s, i, '"', false);
			kind = Token::Kind::QuotedIdent;
		}
		else if (c == '\'')
		{
			i = skip_quoted(s, i, '\'', false);
			kind = Token::Kind::String;
		}
		else if (std::size_t tag = dollar_tag_length(s, i))
		{
			std::string_view delim = s.substr(i, tag);
			std::size_t close = s.find(delim, i + tag);
			i = close == std::string_view::npos ? s.size() : close + tag;
			kind = Token::Kind::String;
		}
		else if (std::isdigit(static_cast<unsigned char>(c)))
		{
			while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.'))
				++i;
			kind = Token::Kind::Number;
		}
		else
		{
			++i;
			kind = Token::Kind::Punct;
		}
		out.push_back(Token{kind, start, i});
	}
	return out;
}

/*
 * Can a '$' at i open a dollar quote?  Not inside an identifier (a$b), but
 * after a number or a parameter ($1$$x$$ is $1 and a string to PostgreSQL).
 */
bool
dollar_may_open(std::string_view s, std::size_t i) noexcept
{
	std::size_t j = i;
	while (j > 0 && is_ident_char(s[j - 1]))
		--j;
	return j == i || std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '$';
}

std::string
mask_literals(std::string_view s)
{
	std::string out;
	std::size_t i = 0;
	while (i < s.size())
	{
		std::size_t next = skip_space_and_comments(s, i);
		if (next > i)
		{
			out += ' ';
			i = next;
			continue;
		}
		char c = s[i];
		if ((c == 'E' || c == 'e') && i + 1 < s.size() && s[i + 1] == '\'' && (i == 0 || !is_ident_char(s[i - 1])))
		{
			i = skip_quoted(s, i + 1, '\'', true);
			out += "'...'";
		}
		else if (c == '\'')
		{
			/*
			 * A backslash in a plain string ends it or escapes a quote
			 * depending on standard_conforming_strings, which is the other
			 * session's: from there on nothing is shown.
			 */
			std::size_t end = skip_quoted(s, i, '\'', false);
			bool backslash = s.substr(i, end - i).find('\\') != std::string_view::npos;
			out += "'...'";
			i = backslash ? s.size() : end;
		}
		else if (c == '"')
		{
			std::size_t end = skip_quoted(s, i, '"', false);
			out.append(s.substr(i, end - i));
			i = end;
		}
		else if (std::size_t tag = dollar_may_open(s, i) ? dollar_tag_length(s, i) : 0)
		{
			std::size_t close = s.find(s.substr(i, tag), i + tag);
			i = close == std::string_view::npos ? s.size() : close + tag;
			out += "'...'";
		}
		else
		{
			out += c;
			++i;
		}
	}
	return out;
}

std::size_t
leading_comments_length(std::string_view s) noexcept
{
	return skip_space_and_comments(s, 0);
}

std::string_view
unterminated_part(std::string_view s) noexcept
{
	std::size_t i = 0;
	while (i < s.size())
	{
		char c = s[i];
		bool closed = true;
		if (s.compare(i, 2, "--") == 0)
		{
			while (i < s.size() && s[i] != '\n' && s[i] != '\r')
				++i;
		}
		else if (s.compare(i, 2, "/*") == 0)
		{
			i = skip_block_comment(s, i, &closed);
			if (!closed)
				return "comment";
		}
		else if ((c == 'E' || c == 'e') && i + 1 < s.size() && s[i + 1] == '\'' && (i == 0 || !is_ident_char(s[i - 1])))
		{
			i = skip_quoted(s, i + 1, '\'', true, &closed);
			if (!closed)
				return "string";
		}
		else if (is_ident_start(c))
		{
			while (i < s.size() && is_ident_char(s[i]))
				++i;
		}
		else if (c == '"' || c == '\'')
		{
			i = skip_quoted(s, i, c, false, &closed);
			if (!closed)
				return c == '"' ? "quoted identifier" : "string";
		}
		else if (std::size_t tag = dollar_tag_length(s, i))
		{
			std::size_t close = s.find(s.substr(i, tag), i + tag);
			if (close == std::string_view::npos)
				return "dollar-quoted string";
			i = close + tag;
		}
		else
			++i;
	}
	return std::string_view();
}

bool
is_keyword(std::string_view sql, const Token &tok, std::string_view kw) noexcept
{
	if (tok.kind != Token::Kind::Word || tok.end - tok.begin != kw.size())
		return false;
	for (std::size_t k = 0; k < kw.size(); ++k)
	{
		if (std::toupper(static_cast<unsigned char>(sql[tok.begin + k])) != kw[k])
			return false;
	}
	return true;
}

std::string_view
trim_statement(std::string_view sql) noexcept
{
	std::size_t b = 0;
	while (b < sql.size() && std::isspace(static_cast<unsigned char>(sql[b])))
		++b;
	std::size_t e = sql.size();
	while (e > b && (std::isspace(static_cast<unsigned char>(sql[e - 1])) || sql[e - 1] == ';'))
		--e;
	return sql.substr(b, e - b);
}

namespace {

/*
 * Index of the INDEX keyword when toks start with CREATE [UNIQUE] INDEX, or
 * -1.  Only the first tokens are looked at.
 */
int
create_index_keyword(std::string_view sql, const std::vector<Token> &toks)
{
	std::size_t k = 0;
	if (toks.size() < 2 || !is_keyword(sql, toks[k++], "CREATE"))
		return -1;
	if (is_keyword(sql, toks[k], "UNIQUE"))
		++k;
	if (k >= toks.size() || !is_keyword(sql, toks[k], "INDEX"))
		return -1;
	return static_cast<int>(k);
}

/* sql up to the end of its last token: a trailing -- comment would swallow what is appended (";"). */
std::string_view
to_last_token(std::string_view sql)
{
	std::vector<Token> all = tokenize(sql);
	return all.empty() ? sql : sql.substr(0, all.back().end);
}

std::string
insert_at(std::string_view sql, std::size_t pos, std::string_view what)
{
	std::string out;
	out.reserve(sql.size() + what.size());
	out.append(sql.substr(0, pos));
	out.append(what);
	out.append(sql.substr(pos));
	return out;
}

} // namespace

std::optional<std::string>
create_index_concurrently(std::string_view sql)
{
	sql = trim_statement(sql);
	std::vector<Token> toks = tokenize(sql, 3);
	int k = create_index_keyword(sql, toks);
	if (k < 0)
		return std::nullopt;
	return insert_at(to_last_token(sql), toks[k].end, " CONCURRENTLY");
}

std::optional<std::string>
create_index_on_only(std::string_view sql)
{
	sql = trim_statement(sql);
	/* CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS name ON ONLY: at most 10 tokens. */
	std::vector<Token> toks = tokenize(sql, 12);
	int k = create_index_keyword(sql, toks);
	if (k < 0)
		return std::nullopt;
	for (std::size_t j = static_cast<std::size_t>(k) + 1; j < toks.size(); ++j)
	{
		if (is_keyword(sql, toks[j], "ON"))
		{
			if (j + 1 < toks.size() && is_keyword(sql, toks[j + 1], "ONLY"))
				return std::string(to_last_token(sql));
			return insert_at(to_last_token(sql), toks[j].end, " ONLY");
		}
	}
	return std::nullopt;
}

std::optional<std::string>
create_index_named(std::string_view sql, std::string_view name)
{
	sql = trim_statement(sql);
	std::vector<Token> toks = tokenize(sql, 5);
	int k = create_index_keyword(sql, toks);
	if (k < 0)
		return std::nullopt;
	std::size_t j = static_cast<std::size_t>(k) + 1;
	if (j < toks.size() && is_keyword(sql, toks[j], "CONCURRENTLY"))
		++j;
	if (j >= toks.size())
		return std::nullopt;
	if (!is_keyword(sql, toks[j], "ON"))
		return std::string(to_last_token(sql)); /* named (IF NOT EXISTS needs a name too) */
	return insert_at(to_last_token(sql), toks[j - 1].end, " " + quote_ident(name));
}

namespace {

bool
is_punct(std::string_view sql, const Token &t, char c)
{
	return t.kind == Token::Kind::Punct && sql[t.begin] == c;
}

bool
is_ident(const Token &t)
{
	return t.kind == Token::Kind::Word || t.kind == Token::Kind::QuotedIdent;
}

/* Index after a dotted name starting at k, or k when there is none. */
std::size_t
skip_name(std::string_view sql, const std::vector<Token> &toks, std::size_t k)
{
	if (k >= toks.size() || !is_ident(toks[k]))
		return k;
	++k;
	while (k + 1 < toks.size() && is_punct(sql, toks[k], '.') && is_ident(toks[k + 1]))
		k += 2;
	return k;
}

/* Index after a parenthesized group starting at k (toks[k] is '('). */
std::size_t
skip_parens(std::string_view sql, const std::vector<Token> &toks, std::size_t k)
{
	int depth = 0;
	for (; k < toks.size(); ++k)
	{
		if (is_punct(sql, toks[k], '('))
			++depth;
		else if (is_punct(sql, toks[k], ')') && --depth == 0)
			return k + 1;
	}
	return k;
}

} // namespace

std::optional<std::string>
create_index_tail(std::string_view sql)
{
	sql = trim_statement(sql);
	std::vector<Token> toks = tokenize(sql);
	int k = create_index_keyword(sql, toks);
	if (k < 0)
		return std::nullopt;
	/* CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS name ON: the ON is among the first tokens. */
	for (std::size_t j = static_cast<std::size_t>(k) + 1; j < toks.size() && j < 12; ++j)
	{
		if (!is_keyword(sql, toks[j], "ON"))
			continue;
		std::size_t t = j + 1;
		if (t < toks.size() && is_keyword(sql, toks[t], "ONLY"))
			++t;
		std::size_t end = skip_name(sql, toks, t);
		if (end == t)
			return std::nullopt;
		if (end < toks.size() && is_punct(sql, toks[end], '*'))
			++end;
		if (end >= toks.size())
			return std::nullopt;
		return std::string(sql.substr(toks[end].begin, toks.back().end - toks[end].begin));
	}
	return std::nullopt;
}

std::vector<std::string>
drop_index_names(std::string_view sql, bool *cascade)
{
	std::vector<std::string> out;
	sql = trim_statement(sql);
	std::vector<Token> toks = tokenize(sql);
	*cascade = false;
	std::size_t k = 0;
	if (toks.size() < 3 || !is_keyword(sql, toks[0], "DROP") || !is_keyword(sql, toks[1], "INDEX"))
		return out;
	k = 2;
	if (k < toks.size() && is_keyword(sql, toks[k], "CONCURRENTLY"))
		++k;
	std::string if_exists;
	if (k + 1 < toks.size() && is_keyword(sql, toks[k], "IF") && is_keyword(sql, toks[k + 1], "EXISTS"))
	{
		if_exists = "IF EXISTS ";
		k += 2;
	}
	while (k < toks.size())
	{
		std::size_t end = skip_name(sql, toks, k);
		if (end == k)
			break;
		out.push_back(if_exists + std::string(sql.substr(toks[k].begin, toks[end - 1].end - toks[k].begin)));
		k = end;
		if (k < toks.size() && is_punct(sql, toks[k], ','))
			++k;
		else
			break;
	}
	if (k < toks.size() && is_keyword(sql, toks[k], "CASCADE"))
		*cascade = true;
	return out;
}

std::optional<std::string>
reindex_concurrently(std::string_view sql)
{
	sql = trim_statement(sql);
	std::vector<Token> toks = tokenize(sql, 64);
	if (toks.empty() || !is_keyword(sql, toks[0], "REINDEX"))
		return std::nullopt;
	std::size_t k = 1;
	if (k < toks.size() && is_punct(sql, toks[k], '('))
		k = skip_parens(sql, toks, k);
	if (k >= toks.size())
		return std::nullopt;
	for (const char *kind : {"INDEX", "TABLE", "SCHEMA", "DATABASE"})
	{
		if (is_keyword(sql, toks[k], kind))
			return insert_at(to_last_token(sql), toks[k].end, " CONCURRENTLY");
	}
	return std::nullopt;
}

std::optional<std::string>
refresh_concurrently(std::string_view sql)
{
	sql = trim_statement(sql);
	std::vector<Token> toks = tokenize(sql, 4);
	if (toks.size() < 4 || !is_keyword(sql, toks[0], "REFRESH") ||
		!is_keyword(sql, toks[1], "MATERIALIZED") || !is_keyword(sql, toks[2], "VIEW"))
		return std::nullopt;
	if (is_keyword(sql, toks[3], "CONCURRENTLY"))
		return std::string(to_last_token(sql));
	return insert_at(to_last_token(sql), toks[2].end, " CONCURRENTLY");
}

std::optional<AlterTableText>
split_alter_table(std::string_view sql)
{
	sql = trim_statement(sql);
	std::vector<Token> toks = tokenize(sql);
	if (toks.size() < 3 || !is_keyword(sql, toks[0], "ALTER"))
		return std::nullopt;
	std::size_t k = 1;
	if (is_keyword(sql, toks[k], "TABLE") || is_keyword(sql, toks[k], "INDEX") ||
		is_keyword(sql, toks[k], "VIEW"))
		k += 1;
	else if (k + 1 < toks.size() &&
			 ((is_keyword(sql, toks[k], "MATERIALIZED") && is_keyword(sql, toks[k + 1], "VIEW")) ||
			  (is_keyword(sql, toks[k], "FOREIGN") && is_keyword(sql, toks[k + 1], "TABLE"))))
		k += 2;
	else
		return std::nullopt;
	if (k + 1 < toks.size() && is_keyword(sql, toks[k], "IF") && is_keyword(sql, toks[k + 1], "EXISTS"))
		k += 2;
	if (k < toks.size() && is_keyword(sql, toks[k], "ONLY"))
		++k;
	std::size_t end = skip_name(sql, toks, k);
	if (end == k)
		return std::nullopt;
	if (end < toks.size() && is_punct(sql, toks[end], '*'))
		++end;
	if (end >= toks.size())
		return std::nullopt;

	AlterTableText out;
	/* From the ALTER keyword: leading comments (declarations) are not part of the steps. */
	out.prefix = std::string(sql.substr(toks[0].begin, toks[end - 1].end - toks[0].begin));
	int depth = 0;
	std::size_t part_begin = toks[end].begin;
	for (std::size_t j = end; j < toks.size(); ++j)
	{
		if (is_punct(sql, toks[j], '('))
			++depth;
		else if (is_punct(sql, toks[j], ')'))
			--depth;
		else if (depth == 0 && is_punct(sql, toks[j], ','))
		{
			/* Each part ends with its last token: a trailing -- comment would swallow what a step appends. */
			std::size_t part_end = j > end ? toks[j - 1].end : part_begin;
			out.parts.emplace_back(sql.substr(part_begin, part_end - part_begin));
			if (j + 1 < toks.size())
				part_begin = toks[j + 1].begin;
		}
	}
	out.parts.emplace_back(sql.substr(part_begin, toks.back().end - std::min(part_begin, toks.back().end)));
	return out;
}

std::optional<std::string>
using_expression(std::string_view subcommand)
{
	std::vector<Token> toks = tokenize(subcommand);
	int depth = 0;
	for (std::size_t j = 0; j < toks.size(); ++j)
	{
		if (is_punct(subcommand, toks[j], '('))
			++depth;
		else if (is_punct(subcommand, toks[j], ')'))
			--depth;
		else if (depth == 0 && is_keyword(subcommand, toks[j], "USING"))
		{
			if (j + 1 >= toks.size())
				return std::nullopt;
			/* Only blanks between the tokens: a comment would end up inside the helper's expression. */
			for (std::size_t i = j + 2; i < toks.size(); ++i)
				for (std::size_t p = toks[i - 1].end; p < toks[i].begin; ++p)
					if (!std::isspace(static_cast<unsigned char>(subcommand[p])))
						return std::nullopt;
			return std::string(subcommand.substr(toks[j + 1].begin, toks.back().end - toks[j + 1].begin));
		}
	}
	return std::nullopt;
}

std::string
with_not_valid(std::string_view text)
{
	text = trim_statement(text);
	std::vector<Token> toks = tokenize(text);
	std::size_t n = toks.size();
	if (n > 0)
		text = text.substr(0, toks[n - 1].end); /* not inside a trailing -- comment */
	if (n >= 2 && is_keyword(text, toks[n - 2], "NOT") && is_keyword(text, toks[n - 1], "VALID"))
		return std::string(text);
	return std::string(text) + " NOT VALID";
}

std::size_t
add_column_name_offset(std::string_view subcommand)
{
	std::vector<Token> toks = tokenize(subcommand, 6);
	std::size_t k = 0;
	if (toks.empty() || !is_keyword(subcommand, toks[k++], "ADD"))
		return std::string_view::npos;
	if (k < toks.size() && is_keyword(subcommand, toks[k], "COLUMN"))
		++k;
	if (k + 2 < toks.size() && is_keyword(subcommand, toks[k], "IF") && is_keyword(subcommand, toks[k + 1], "NOT") &&
		is_keyword(subcommand, toks[k + 2], "EXISTS"))
		k += 3;
	if (k >= toks.size() || !is_ident(toks[k]))
		return std::string_view::npos;
	/* U&"name": the name starts at the U */
	return toks[k].begin;
}

std::string
without_ranges(std::string_view text, const std::vector<std::pair<std::size_t, std::size_t>> &ranges)
{
	std::string out;
	std::size_t at = 0;
	for (const auto &[b, e] : ranges)
	{
		if (b < at || e < b || e > text.size())
			continue; /* (not ascending or out of the text: left as it is) */
		out.append(text.substr(at, b - at));
		at = e;
	}
	out.append(text.substr(std::min(at, text.size())));
	return std::string(to_last_token(out));
}

std::string
constraint_body(std::string_view clause)
{
	std::vector<Token> toks = tokenize(clause, 16);
	auto keyword = [&](const Token &t) {
		for (const char *kw : {"CHECK", "UNIQUE", "PRIMARY", "REFERENCES"})
			if (is_keyword(clause, t, kw))
				return true;
		return false;
	};
	std::size_t k = 0;
	/* CONSTRAINT name (U&"..." UESCAPE '...' at most): the keyword comes within the next tokens */
	std::size_t last = !toks.empty() && is_keyword(clause, toks[0], "CONSTRAINT") ? 7 : 0;
	for (k = last > 0 ? 2 : 0; k < toks.size() && k <= last && !keyword(toks[k]); ++k)
		;
	if (k >= toks.size() || k > last)
		return "";
	std::string_view rest = clause.substr(toks[k].begin);
	return std::string(to_last_token(rest));
}

std::string
constraint_name_of(std::string_view text)
{
	std::vector<Token> toks = tokenize(text, 3);
	if (toks.size() == 3 && is_keyword(text, toks[0], "ADD") && is_keyword(text, toks[1], "CONSTRAINT"))
		return std::string(toks[2].text(text));
	return "";
}

std::string
with_constraint_name(std::string_view text, std::string_view name)
{
	std::vector<Token> toks = tokenize(text, 2);
	if (toks.empty() || !is_keyword(text, toks[0], "ADD"))
		return std::string(text);
	if (toks.size() == 2 && is_keyword(text, toks[1], "CONSTRAINT"))
		return std::string(text);
	return insert_at(text, toks[0].end, " CONSTRAINT " + quote_ident(name));
}

namespace {

/*
 * PostgreSQL 15's keywords that are not UNRESERVED_KEYWORD (src/include/parser/kwlist.h): as identifiers
 * they must be quoted (quote_identifier()).  Sorted, for binary search.
 */
constexpr std::string_view kQuotedKeywords[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "between",
	"bigint", "binary", "bit", "boolean", "both", "case", "cast", "char", "character", "check", "coalesce",
	"collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog",
	"current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user",
	"dec", "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists",
	"extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant", "greatest",
	"group", "grouping", "having", "ilike", "in", "initially", "inner", "inout", "int", "integer", "intersect",
	"interval", "into", "is", "isnull", "join", "lateral", "leading", "least", "left", "like", "limit",
	"localtime", "localtimestamp", "national", "natural", "nchar", "none", "normalize", "not", "notnull",
	"null", "nullif", "numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay",
	"placing", "position", "precision", "primary", "real", "references", "returning", "right", "row", "select",
	"session_user", "setof", "similar", "smallint", "some", "substring", "symmetric", "table", "tablesample",
	"then", "time", "timestamp", "to", "trailing", "treat", "trim", "true", "union", "unique", "user", "using",
	"values", "varchar", "variadic", "verbose", "when", "where", "window", "with", "xmlattributes", "xmlconcat",
	"xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize",
	"xmltable"
};

bool
needs_quotes_as_keyword(std::string_view ident)
{
	return std::binary_search(std::begin(kQuotedKeywords), std::end(kQuotedKeywords), ident);
}

} // namespace

std::string
quote_ident(std::string_view ident)
{
	bool safe = !ident.empty() && (std::islower(static_cast<unsigned char>(ident[0])) || ident[0] == '_') &&
				!needs_quotes_as_keyword(ident);
	for (char c : ident)
	{
		if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
			  c == '_'))
			safe = false;
	}
	if (safe)
		return std::string(ident);
	std::string out = "\"";
	for (char c : ident)
	{
		out += c;
		if (c == '"')
			out += '"';
	}
	return out + "\"";
}

namespace {

/* Where the quoted text at i starts: at the E of an E'...' string (backslash escapes), else at i. */
std::size_t
string_start(std::string_view sql, std::size_t i)
{
	if (sql[i] == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
		(i == 1 || !is_ident_char(sql[i - 2])))
		return i - 1;
	return i;
}

} // namespace

std::size_t
truncate_utf8(std::string_view text, std::size_t max) noexcept
{
	if (text.size() <= max)
		return text.size();
	std::size_t n = max;
	/* Continuation bytes are 10xxxxxx: back up to the lead byte and drop it too. */
	while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
		--n;
	return n;
}

std::optional<int>
declared_category(std::string_view sql)
{
	static const char *const names[] = {"instant-safe", "concurrent", "expand-contract"};
	/* Only comments count: look at the text between comment markers. */
	std::size_t i = 0;
	while (i < sql.size())
	{
		std::size_t begin, end;
		if (sql.compare(i, 2, "--") == 0)
		{
			begin = i + 2;
			end = sql.find_first_of("\n\r", begin);
			if (end == std::string_view::npos)
				end = sql.size();
		}
		else if (sql.compare(i, 2, "/*") == 0)
		{
			begin = i + 2;
			end = sql.find("*/", begin);
			if (end == std::string_view::npos)
				end = sql.size();
		}
		else if (sql[i] == '\'' || sql[i] == '"' || sql[i] == '$')
		{
			/* Skip quoted text so that a string containing "--" is not a comment. */
			std::size_t from = string_start(sql, i);
			std::vector<Token> t = tokenize(sql.substr(from), 1);
			i = from + (t.empty() ? 1 : std::max<std::size_t>(t[0].end, i - from + 1));
			continue;
		}
		else
		{
			++i;
			continue;
		}
		std::string_view body = sql.substr(begin, end - begin);
		std::size_t k = 0;
		while (k < body.size() && std::isspace(static_cast<unsigned char>(body[k])))
			++k;
		std::string_view rest = body.substr(k);
		constexpr std::string_view tag = "safemigrate:";
		if (rest.size() >= tag.size())
		{
			bool match = true;
			for (std::size_t j = 0; j < tag.size(); ++j)
				match &= std::tolower(static_cast<unsigned char>(rest[j])) == tag[j];
			if (match)
			{
				rest = rest.substr(tag.size());
				std::size_t b = 0;
				while (b < rest.size() && std::isspace(static_cast<unsigned char>(rest[b])))
					++b;
				rest = rest.substr(b);
				for (int c = 0; c < 3; ++c)
				{
					std::string_view n = names[c];
					if (rest.substr(0, n.size()) == n &&
						(rest.size() == n.size() || !std::isalnum(static_cast<unsigned char>(rest[n.size()]))))
						return c;
				}
			}
		}
		i = end + 1;
	}
	return std::nullopt;
}

std::string
directive_comments(std::string_view sql, std::string_view header)
{
	static const char *const names[] = {"instant-safe", "concurrent", "expand-contract"};
	std::string out;
	std::optional<int> declared = declared_category(sql);
	if (!declared)
		declared = declared_header_category(header);
	if (declared && *declared >= 0 && *declared < 3)
		out += std::string("/* safemigrate: ") + names[*declared] + " */ ";
	std::vector<std::string> rules = override_rules(sql);
	if (!rules.empty())
	{
		out += "/* safemigrate:allow ";
		for (std::size_t i = 0; i < rules.size(); ++i)
			out += (i > 0 ? ", " : "") + rules[i];
		out += " */ ";
	}
	return out;
}

std::optional<int>
declared_header_category(std::string_view sql)
{
	std::size_t end = skip_space_and_comments(sql, 0);
	return declared_category(sql.substr(0, end));
}

std::vector<std::string>
override_rules(std::string_view sql)
{
	std::vector<std::string> out;
	constexpr std::string_view tag = "safemigrate:allow";
	std::size_t i = 0;
	while (i < sql.size())
	{
		std::size_t begin, end;
		if (sql.compare(i, 2, "--") == 0)
		{
			begin = i + 2;
			end = sql.find_first_of("\n\r", begin);
		}
		else if (sql.compare(i, 2, "/*") == 0)
		{
			begin = i + 2;
			end = sql.find("*/", begin);
		}
		else if (sql[i] == '\'' || sql[i] == '"' || sql[i] == '$')
		{
			std::size_t from = string_start(sql, i);
			std::vector<Token> t = tokenize(sql.substr(from), 1);
			i = from + (t.empty() ? 1 : std::max<std::size_t>(t[0].end, i - from + 1));
			continue;
		}
		else
		{
			++i;
			continue;
		}
		if (end == std::string_view::npos)
			end = sql.size();
		std::string_view body = sql.substr(begin, end - begin);
		std::size_t k = 0;
		while (k < body.size() && std::isspace(static_cast<unsigned char>(body[k])))
			++k;
		body = body.substr(k);
		bool match = body.size() >= tag.size();
		for (std::size_t j = 0; match && j < tag.size(); ++j)
			match = std::tolower(static_cast<unsigned char>(body[j])) == tag[j];
		if (match)
		{
			std::string id;
			for (char ch : body.substr(tag.size()))
			{
				if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-')
					id += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
				else if (!id.empty())
				{
					out.push_back(id);
					id.clear();
				}
			}
			if (!id.empty())
				out.push_back(id);
		}
		i = end + 1;
	}
	return out;
}

} // namespace safemigrate::core
