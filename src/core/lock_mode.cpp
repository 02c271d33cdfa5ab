/*-------------------------------------------------------------------------
 *
 * lock_mode.cpp
 *	  Names and conflicts of PostgreSQL's table lock modes.
 *
 * Copyright (c) 2026, pg_safemigrate developers
 *
 *-------------------------------------------------------------------------
 */
#include "core/lock_mode.hpp"

namespace safemigrate::core {

const char *
lock_mode_name(LockMode mode) noexcept
{
	switch (mode)
	{
		case LockMode::None:
			return "";
		case LockMode::AccessShare:
			return "AccessShareLock";
		case LockMode::RowShare:
			return "RowShareLock";
		case LockMode::RowExclusive:
			return "RowExclusiveLock";
		case LockMode::ShareUpdateExclusive:
			return "ShareUpdateExclusiveLock";
		case LockMode::Share:
			return "ShareLock";
		case LockMode::ShareRowExclusive:
			return "ShareRowExclusiveLock";
		case LockMode::Exclusive:
			return "ExclusiveLock";
		case LockMode::AccessExclusive:
			return "AccessExclusiveLock";
	}
	return "";
}

bool
lock_blocks_reads(LockMode mode) noexcept
{
	/* Only AccessExclusiveLock conflicts with AccessShareLock. */
	return mode == LockMode::AccessExclusive;
}

bool
lock_blocks_writes(LockMode mode) noexcept
{
	/* RowExclusiveLock conflicts with Share and every stronger mode. */
	return mode >= LockMode::Share;
}

} // namespace safemigrate::core
