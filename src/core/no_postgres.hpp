/*-------------------------------------------------------------------------
 *
 * no_postgres.hpp
 *	  Guard included by every header of the pure C++ core.
 *
 * The core (src/core) must never see a PostgreSQL header: it is compiled and
 * unit-tested without a server, and PostgreSQL's headers redefine printf-family
 * functions and short macros that break C++ headers.  CMake builds the core
 * without PostgreSQL include directories; this guard also catches a wrong
 * include order inside the PGXS build, where those directories are present.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#ifdef POSTGRES_H
#error "src/core must not be compiled after postgres.h; include pg/postgres.hpp last"
#endif
