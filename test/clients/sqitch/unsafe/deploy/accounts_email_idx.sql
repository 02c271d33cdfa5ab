-- Deploy sm_clients:accounts_email_idx to pg
-- The UNSAFE first draft, as `sqitch add` templates it: a plain CREATE INDEX inside BEGIN/COMMIT.
-- pg_safemigrate rejects it (create-index-blocking, SM001); test/clients/run.sh deploys it to
-- show what sqitch reports, then deploys ../../deploy/accounts_email_idx.sql instead.

BEGIN;

CREATE INDEX accounts_email_idx ON accounts (email);

COMMIT;
