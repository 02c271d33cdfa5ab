/*-------------------------------------------------------------------------
 *
 * extract.hpp
 *	  Parse tree + catalog -> core::Statement facts.
 *
 * C-style frames: these functions may ereport.  They fill a core::Statement,
 * which is trivially destructible (its strings are views of palloc'd memory
 * in the current context), so a longjmp out of them skips no destructor.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/statement.hpp"

struct IndexStmt;
struct PlannedStmt;

namespace safemigrate::pg {

/* This statement's own text out of a possibly multi-statement query string. */
const char *sm_statement_text(const PlannedStmt *pstmt, const char *query_string);

/* Facts for CREATE INDEX. */
void sm_extract_create_index(const IndexStmt *stmt, core::Statement *out);

} // namespace safemigrate::pg
