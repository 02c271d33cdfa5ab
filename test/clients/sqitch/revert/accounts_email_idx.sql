-- Revert sm_clients:accounts_email_idx from pg

DROP INDEX CONCURRENTLY accounts_email_idx;
