-- Verify sm_clients:accounts_status on pg

BEGIN;

SELECT status FROM accounts WHERE false;

ROLLBACK;
