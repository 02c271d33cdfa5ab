#!/usr/bin/env bash
# bench/gen_migration.sh: write a fixture schema and a long migration against it.
#
#   bash bench/gen_migration.sh [-n STATEMENTS] [-s SEED] OUTDIR
#
# OUTDIR/fixture.sql    50 tables (943,500 rows, 5 tables empty), foreign keys,
#                       indexes: the schema as it is before the migration
# OUTDIR/migration.sql  exactly STATEMENTS statements (default 10000), deterministic for a
#                       given STATEMENTS and SEED: CREATE TABLE, CREATE [UNIQUE] INDEX
#                       [CONCURRENTLY], ADD COLUMN (no default, constant, volatile, NOT NULL,
#                       bigserial), foreign keys with and without NOT VALID, VALIDATE, CHECK,
#                       SET/DROP NOT NULL and the CHECK-NOT-VALID pattern, ALTER COLUMN TYPE,
#                       SET/DROP DEFAULT, RENAME COLUMN/TABLE, DROP COLUMN/INDEX/CONSTRAINT/TABLE,
#                       COMMENT ON, SET lock_timeout, batched backfill UPDATEs, multi-command
#                       ALTER TABLE, UNIQUE USING INDEX, storage parameters, ANALYZE.
# The model behind it is in bench/lib/gen_migration.awk.
set -euo pipefail
n=10000 seed=20240615
while getopts 'n:s:' opt; do
	case $opt in
	n) n=$OPTARG ;;
	s) seed=$OPTARG ;;
	*) echo "usage: $0 [-n STATEMENTS] [-s SEED] OUTDIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-n STATEMENTS] [-s SEED] OUTDIR" >&2; exit 2; }
mkdir -p "$1"
LC_ALL=C awk -v N="$n" -v SEED="$seed" -v OUT="$1" -f "$(dirname "${BASH_SOURCE[0]}")/lib/gen_migration.awk"
