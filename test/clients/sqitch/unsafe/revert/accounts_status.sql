-- Revert sm_clients:accounts_status from pg
-- The UNSAFE first draft, as `sqitch add` templates it: DROP COLUMN without a declaration.  pg_safemigrate
-- rejects it (drop-column, SM017); ../../revert/accounts_status.sql declares the contract step.

BEGIN;

ALTER TABLE accounts DROP COLUMN status;

COMMIT;
