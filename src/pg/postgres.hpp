/*-------------------------------------------------------------------------
 *
 * postgres.hpp
 *	  The single place where PostgreSQL's C headers enter C++.
 *
 * Include it LAST in a src/pg file, after every C++ standard, Boost and
 * src/core header: port.h macro-replaces the printf family and c.h defines
 * short macros that break C++ headers parsed after them, and C++ wrappers of
 * C headers do not compile inside extern "C".
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/extension.h"
#include "nodes/parsenodes.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}
