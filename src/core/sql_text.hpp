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
#include <utility>
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

/*
 * "comment", "string", "quoted identifier" or "dollar-quoted string" when s
 * has one that is not closed (standard_conforming_strings on); empty if none.
 */
std::string_view unterminated_part(std::string_view s) noexcept;

/*
 * sql with every string constant (also E'...', dollar-quoted, unterminated)
 * replaced by '...' and comments dropped: another session's query shown
 * without the passwords or keys it may carry.  A plain string with a
 * backslash in it (whose end depends on standard_conforming_strings) masks
 * the rest of the text.
 */
std::string mask_literals(std::string_view sql);

/* Length of the white space and comments s starts with (its header, where a declaration may be). */
std::size_t leading_comments_length(std::string_view s) noexcept;

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

/*
 * For "CREATE [UNIQUE] INDEX [CONCURRENTLY] ON ..." (no name): the statement
 * with name (quoted as needed) after INDEX [CONCURRENTLY]; with a name, the
 * statement as it is.
 */
std::optional<std::string> create_index_named(std::string_view sql, std::string_view name);

/*
 * For "CREATE [UNIQUE] INDEX ... ON [ONLY] table ...": what follows the
 * table's name, as written ("USING gin (a) WHERE ..."), to its last token.
 */
std::optional<std::string> create_index_tail(std::string_view sql);

/*
 * For "DROP INDEX [IF EXISTS] a, b [CASCADE]": the names as written, each
 * with "IF EXISTS " in front when the statement had it; *cascade is set when
 * the statement ends with CASCADE.
 */
std::vector<std::string> drop_index_names(std::string_view sql, bool *cascade);

/* "REINDEX [(...)] {INDEX|TABLE|SCHEMA|DATABASE} ..." with CONCURRENTLY after the kind. */
std::optional<std::string> reindex_concurrently(std::string_view sql);

/* "REFRESH MATERIALIZED VIEW ..." with CONCURRENTLY after VIEW. */
std::optional<std::string> refresh_concurrently(std::string_view sql);

/* An ALTER TABLE statement cut into its prefix and its subcommands. */
struct AlterTableText
{
	std::string prefix;				/* "ALTER TABLE [IF EXISTS] [ONLY] name" as written */
	std::vector<std::string> parts; /* each subcommand as written, in order */
};

/* nullopt when the text is not ALTER TABLE/INDEX/VIEW/MATERIALIZED VIEW/FOREIGN TABLE name .... */
std::optional<AlterTableText> split_alter_table(std::string_view sql);

/*
 * The USING expression of an ALTER COLUMN ... TYPE subcommand as written (from
 * the token after the top-level USING to the last token); nullopt when there is
 * none or a comment sits inside it (the text is passed on as a string).
 */
std::optional<std::string> using_expression(std::string_view subcommand);

/*
 * For an ADD COLUMN subcommand "ADD [COLUMN] [IF NOT EXISTS] name ...": the
 * byte offset where the column's name starts; npos when the text is not so.
 */
std::size_t add_column_name_offset(std::string_view subcommand);

/* text without the byte ranges [begin, end) given (ascending, not overlapping), to its last token. */
std::string without_ranges(std::string_view text, const std::vector<std::pair<std::size_t, std::size_t>> &ranges);

/*
 * An inline constraint's text, "[CONSTRAINT name] CHECK (...) ...": from its
 * keyword (CHECK, UNIQUE, PRIMARY, REFERENCES) to its last token; "" when it
 * has none.
 */
std::string constraint_body(std::string_view clause);

/* text with " NOT VALID" appended unless it already ends so. */
std::string with_not_valid(std::string_view constraint_text);

/*
 * For "ADD [CONSTRAINT name] ...": the name, or "" when none was given.  With
 * a new name, the text with "CONSTRAINT <name> " inserted after ADD.
 */
std::string constraint_name_of(std::string_view add_text);
std::string with_constraint_name(std::string_view add_text, std::string_view name);

// The category a migration declares in a comment, "-- safemigrate: <category>"
// or the block-comment form (the seed's header comment), with <category> one of
// instant-safe, concurrent, expand-contract (as the Category enum's value).
// nullopt when there is none.  psql drops "--" comments before a statement:
// there, use the block form.
std::optional<int> declared_category(std::string_view sql);

// Rule ids named by a break-glass override comment, "/* safemigrate:allow id, id */"
// (or the "--" form), anywhere in the statement's comments.
std::vector<std::string> override_rules(std::string_view sql);

// The same, looking only at the comments before the first token: the header of
// a migration file sent as one query string.  Cost bounded by the header.
std::optional<int> declared_header_category(std::string_view sql);

// The safemigrate comments that hold for sql (its declaration, or the header's,
// and its override comment) written out again, "/* safemigrate: expand-contract */
// /* safemigrate:allow a, b */ ", to put in front of statements cut from it;
// "" when there are none.
std::string directive_comments(std::string_view sql, std::string_view header);

/* Double-quote an identifier when PostgreSQL would need it (quote_ident rules, roughly). */
std::string quote_ident(std::string_view ident);

/*
 * Truncate text to at most max bytes without splitting a UTF-8 (or any
 * ASCII-compatible multibyte) character: the cut goes back to the start of
 * the character that would be split.  Returns the kept length.
 */
std::size_t truncate_utf8(std::string_view text, std::size_t max) noexcept;

} // namespace safemigrate::core
