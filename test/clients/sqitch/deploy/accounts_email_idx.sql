-- Deploy sm_clients:accounts_email_idx to pg
-- CREATE INDEX CONCURRENTLY cannot run in a transaction block: no BEGIN/COMMIT here.  sqitch runs
-- psql with ON_ERROR_STOP=1 and without --single-transaction, so the statement is sent on its own.

CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);
