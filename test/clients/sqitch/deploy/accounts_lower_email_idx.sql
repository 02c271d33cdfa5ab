-- Deploy sm_clients:accounts_lower_email_idx to pg
-- A plain CREATE INDEX, sent outside a transaction block: pg_safemigrate runs it as
-- CREATE INDEX CONCURRENTLY (safemigrate.rewrite = on) and says so in a NOTICE.

CREATE INDEX accounts_lower_email_idx ON accounts (lower(email));
