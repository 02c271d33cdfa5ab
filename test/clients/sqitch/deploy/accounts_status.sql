-- Deploy sm_clients:accounts_status to pg
-- A nullable column without a default: instant, fine inside a transaction.

BEGIN;

ALTER TABLE accounts ADD COLUMN status text;

COMMIT;
