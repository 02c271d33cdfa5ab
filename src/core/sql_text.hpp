/*-------------------------------------------------------------------------
 *
 * sql_text.hpp
 *	  Small, exact edits of a statement's SQL text.
 *
 * Safe alternatives must be the user's own statement with the smallest change
 * (same name, columns, predicate, options, quoting and comments), so the core
 * edits the text rather than regenerating it.  The text has already been
 * accepted by PostgreSQL's parser; the tokenizer here only needs to skip
 * white space, comments (including nested block comments), quoted identifiers,
 * string constants and dollar-quoted strings correctly to find keyword
 * positions.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safemigrate::core {

struct Token
{
	enum class Kind
	{
		Word,		   /* keyword or unquoted identifier */
		QuotedIdent,   /* "..." */
		String,		   /* '...', E'...', $tag$...$tag$ */
		Number,
		Punct,		   /* any other single character */
	};
	Kind kind;
	std::size_t begin;
	std::size_t end;

	std::string_view text(std::string_view sql) const { return sql.substr(begin, end - begin); }
};

/* Tokens of sql, comments and white space skipped; stops after max_tokens. */
std::vector<Token> tokenize(std::string_view sql, std::size_t max_tokens = SIZE_MAX);

/* True if tok is the keyword kw (kw in upper case; comparison ignores case). */
bool is_keyword(std::string_view sql, const Token &tok, std::string_view kw) noexcept;

/* sql without leading/trailing white space and trailing semicolons. */
std::string_view trim_statement(std::string_view sql) noexcept;

/*
 * For "CREATE [UNIQUE] INDEX ...", the statement with CONCURRENTLY inserted
 * after INDEX.  nullopt when the text does not start that way (e.g. the index
 * comes from a CREATE SCHEMA element, whose text is the whole CREATE SCHEMA).
 */
std::optional<std::string> create_index_concurrently(std::string_view sql);

/*
 * For "CREATE [UNIQUE] INDEX ... ON table ...", the statement with ONLY
 * inserted after ON (the parent-only index of a partitioned table).
 */
std::optional<std::string> create_index_on_only(std::string_view sql);

} // namespace safemigrate::core
