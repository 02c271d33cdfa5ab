-- Without shared_preload_libraries, CREATE EXTENSION fails with a hint, and
-- leaves nothing behind.
\set SHOW_CONTEXT never
CREATE EXTENSION pg_safemigrate;
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'pg_safemigrate';
SELECT count(*) AS schemas FROM pg_namespace WHERE nspname = 'safemigrate';
