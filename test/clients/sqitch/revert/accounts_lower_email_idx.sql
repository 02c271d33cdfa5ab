-- Revert sm_clients:accounts_lower_email_idx from pg

DROP INDEX CONCURRENTLY accounts_lower_email_idx;
