-- Verify sm_clients:accounts_lower_email_idx on pg

SELECT 1 / count(*) FROM pg_index WHERE indexrelid = 'accounts_lower_email_idx'::regclass AND indisvalid;
