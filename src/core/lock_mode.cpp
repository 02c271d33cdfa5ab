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

bool
lock_conflicts(LockMode a, LockMode b) noexcept
{
	/* Bit i set in kConflicts[m]: mode m conflicts with mode i (lock.c LockConflicts[]). */
	constexpr unsigned kBit[9] = {0, 1u << 1, 1u << 2, 1u << 3, 1u << 4, 1u << 5, 1u << 6, 1u << 7, 1u << 8};
	constexpr unsigned AS = kBit[1], RS = kBit[2], RX = kBit[3], SUE = kBit[4], S = kBit[5], SRX = kBit[6],
					   X = kBit[7], AX = kBit[8];
	constexpr unsigned kConflicts[9] = {
		0,
		AX,									  /* AccessShare */
		X | AX,								  /* RowShare */
		S | SRX | X | AX,					  /* RowExclusive */
		SUE | S | SRX | X | AX,				  /* ShareUpdateExclusive */
		RX | SUE | SRX | X | AX,			  /* Share */
		RX | SUE | S | SRX | X | AX,		  /* ShareRowExclusive */
		RS | RX | SUE | S | SRX | X | AX,	  /* Exclusive */
		AS | RS | RX | SUE | S | SRX | X | AX, /* AccessExclusive */
	};
	return (kConflicts[static_cast<int>(a)] & kBit[static_cast<int>(b)]) != 0;
}

} // namespace safemigrate::core
