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
			while (i < s.size() && s[i] != '\n')
				++i;
		}
		else if (s.compare(i, 2, "/*") == 0)
		{
			/* Block comments nest in PostgreSQL. */
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
						break;
				}
				else
					++i;
			}
		}
		else
			return i;
	}
}

/* End of the quoted run starting at i (s[i] == quote); doubled quotes escape. */
std::size_t
skip_quoted(std::string_view s, std::size_t i, char quote, bool backslash_escapes) noexcept
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
				return i + 1;
		}
		else
			++i;
	}
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
	return insert_at(sql, toks[k].end, " CONCURRENTLY");
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
				return std::string(sql);
			return insert_at(sql, toks[j].end, " ONLY");
		}
	}
	return std::nullopt;
}

} // namespace safemigrate::core
