-- Revert sm_clients:accounts_status from pg
-- DROP COLUMN breaks clients that still use the column (rule drop-column, SM017): a revert
-- declares that nothing uses it any more.  The block comment reaches the server (psql strips
-- a leading -- comment).

BEGIN;

/* safemigrate: expand-contract */ ALTER TABLE accounts DROP COLUMN status;

COMMIT;
