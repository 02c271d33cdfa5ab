/*-------------------------------------------------------------------------
 *
 * lock_mode.hpp
 *	  PostgreSQL's table lock modes as a plain enum, with their pg_locks names.
 *
 * The numbering matches storage/lockdefs.h (AccessShareLock = 1 ...
 * AccessExclusiveLock = 8), so the boundary converts with a cast and a
 * static_assert.  What each mode blocks is PostgreSQL's documented conflict
 * table (lock.c LockConflicts[]).
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#pragma once

#include "core/no_postgres.hpp"

#include <cstdint>

namespace safemigrate::core {

enum class LockMode : std::uint8_t
{
	None = 0,
	AccessShare = 1,
	RowShare = 2,
	RowExclusive = 3,
	ShareUpdateExclusive = 4,
	Share = 5,
	ShareRowExclusive = 6,
	Exclusive = 7,
	AccessExclusive = 8,
};

/* The name pg_locks.mode shows, e.g. "ShareLock"; "" for None. */
const char *lock_mode_name(LockMode mode) noexcept;

/* True when plain SELECTs (AccessShareLock) wait for this mode. */
bool lock_blocks_reads(LockMode mode) noexcept;

/* True when INSERT/UPDATE/DELETE (RowExclusiveLock) wait for this mode. */
bool lock_blocks_writes(LockMode mode) noexcept;

/* PostgreSQL's lock conflict table (lock.c LockConflicts[]): does a conflict with b? */
bool lock_conflicts(LockMode a, LockMode b) noexcept;

} // namespace safemigrate::core
