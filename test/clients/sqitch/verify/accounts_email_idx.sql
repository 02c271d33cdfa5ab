-- Verify sm_clients:accounts_email_idx on pg: the index exists and is valid (a failed
-- CONCURRENTLY build leaves an INVALID one).

SELECT 1 / count(*) FROM pg_index WHERE indexrelid = 'accounts_email_idx'::regclass AND indisvalid;
