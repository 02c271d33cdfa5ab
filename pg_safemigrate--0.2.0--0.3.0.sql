/* pg_safemigrate--0.2.0--0.3.0.sql: upgrade to 0.3.0, the DDL audit and the backfill procedures */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pg_safemigrate UPDATE TO '0.3.0'" to load this file. \quit

-------------------------------------------------------------------------------
-- Audit of every DDL attempt (filled by the background worker)
-------------------------------------------------------------------------------

-- (audit objects go here)

-------------------------------------------------------------------------------
-- Backfill and expand-contract procedures
-------------------------------------------------------------------------------

-- (backfill objects go here)

-------------------------------------------------------------------------------
-- Fixes
-------------------------------------------------------------------------------

-- The rule catalogue is constant data: parallel safe, as an immutable function
-- should be (PostgreSQL's own opr_sanity test lists immutable functions that
-- are parallel unsafe, and found this one).
ALTER FUNCTION safemigrate.rule_catalogue() PARALLEL SAFE;
